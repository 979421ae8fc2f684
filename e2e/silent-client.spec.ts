/** A browser that goes silent (network cut, no goodbye) is dropped by the heartbeat timeout. */
import { E2E_DETECTION_MS, E2E_TIMEOUTS } from "./e2e-env";
import { dialogWith, expect, test, userButton } from "./fixtures";

test("a client whose network is cut is declared offline within the configured timeout", async ({ people }) => {
  const alice = await people("alice");
  const carol = await people("carol");
  await userButton(alice.page, carol.name).click();
  await expect(dialogWith(carol.page, alice.name)).toBeVisible();

  const cutAt = Date.now();
  await carol.context.setOffline(true);
  await expect(userButton(alice.page, carol.name)).toHaveCount(0, { timeout: E2E_DETECTION_MS + 5000 });
  await expect(dialogWith(alice.page, carol.name)).toHaveCount(0);
  await expect(alice.page.locator(".notice")).toContainText(`${carol.name} went offline`);
  const detectedMs = Date.now() - cutAt;
  test.info().annotations.push({ type: "detection", description: `${detectedMs} ms (configured worst case ${E2E_DETECTION_MS} ms)` });
  console.log(`silent client detected after ${detectedMs} ms (configured worst case ${E2E_DETECTION_MS} ms)`);
  // Not before the grace period (a cut is not yet a departure), and within the configured worst case
  // plus one presence batch (250 ms) and the page's own reaction, allowed 1 s on a loaded machine.
  expect(detectedMs).toBeGreaterThanOrEqual(E2E_TIMEOUTS.graceMs);
  expect(detectedMs).toBeLessThanOrEqual(E2E_DETECTION_MS + 1000);

  // Back online: Carol reconnects by herself, reappears, and sees that her dialog has ended.
  await carol.context.setOffline(false);
  await expect(userButton(alice.page, carol.name)).toBeVisible({ timeout: 15_000 });
  await expect(carol.page.getByTestId("connection-status")).toHaveText("Online");
  await expect(dialogWith(carol.page, alice.name)).toHaveCount(0);
});
