/**
 * Sending through a flaky network: pending while offline, sent when back, failed (with Retry) when the
 * network stays down, and in every case the message arrives exactly once on the other side.
 */
import { E2E_DETECTION_MS } from "./e2e-env";
import { bodiesIn, dialogWith, expect, promptOf, shot, test, userButton } from "./fixtures";

test("pending, sent and failed states across offline and online, each message delivered once", async ({ people }) => {
  const alice = await people("alice");
  const bob = await people("bob");
  await userButton(alice.page, bob.name).click();
  await expect(dialogWith(bob.page, alice.name)).toBeVisible();
  const aliceDialog = dialogWith(alice.page, bob.name);

  // A short cut: the message waits as pending and goes out by itself when the network is back.
  await alice.context.setOffline(true);
  await promptOf(alice.page, bob.name).fill("sent during a blip");
  await promptOf(alice.page, bob.name).press("Enter");
  await expect(promptOf(alice.page, bob.name)).toHaveValue("");
  await expect(aliceDialog.locator("li.message[data-status='pending']")).toContainText("sent during a blip");
  await shot(alice.page, "delivery-pending");
  await alice.context.setOffline(false);
  await expect(aliceDialog.locator("li.message[data-status='pending']")).toHaveCount(0, { timeout: 15_000 });
  await expect(bodiesIn(alice.page, bob.name)).toHaveText(["sent during a blip"]);
  await expect(bodiesIn(bob.page, alice.name)).toHaveText(["sent during a blip"]);

  // A long cut: the message is shown as failed with a reason and a Retry; the dialog ends meanwhile
  // (Alice is declared offline), but the unsent text stays on screen.
  await alice.context.setOffline(true);
  await promptOf(alice.page, bob.name).fill("typed while offline");
  await promptOf(alice.page, bob.name).press("Enter");
  const failed = aliceDialog.locator("li.message[data-status='failed']");
  await expect(failed).toContainText("typed while offline", { timeout: 20_000 });
  await expect(failed.getByRole("button", { name: "Retry" })).toBeVisible();
  await shot(alice.page, "delivery-failed");
  await expect(dialogWith(bob.page, alice.name)).toHaveCount(0, { timeout: E2E_DETECTION_MS + 5000 });

  // Back online, Retry reopens the conversation and sends; Bob sees the message exactly once,
  // after the history of the earlier conversation.
  await alice.context.setOffline(false);
  await expect(alice.page.getByTestId("connection-status")).toHaveText("Online", { timeout: 15_000 });
  await failed.getByRole("button", { name: "Retry" }).click();
  await expect(dialogWith(bob.page, alice.name)).toBeVisible();
  await expect(bodiesIn(bob.page, alice.name)).toHaveText(["sent during a blip", "typed while offline"]);
  await expect(bodiesIn(alice.page, bob.name)).toHaveText(["sent during a blip", "typed while offline"]);
  await expect(aliceDialog.locator("li.message[data-status='failed'], li.message[data-status='pending']")).toHaveCount(0);
  await shot(bob.page, "delivery-bob");
});
