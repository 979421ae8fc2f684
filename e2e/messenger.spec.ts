/**
 * Two people in two browsers (and a second tab for one of them): presence, dialogs, messages,
 * refocus, teardown with a notice, reload without teardown, and coming back.
 */
import { E2E_DETECTION_MS, E2E_TIMEOUTS } from "./e2e-env";
import { bodiesIn, dialogWith, expect, promptOf, shot, test, userButton } from "./fixtures";

test("two people chat across tabs, and teardown happens only when someone really leaves", async ({ people }) => {
  const alice = await people("alice");
  const bob = await people("bob");

  // Both see each other appear, without a reload; nobody sees themselves.
  await expect(userButton(alice.page, bob.name)).toBeVisible();
  await expect(userButton(bob.page, alice.name)).toBeVisible();
  await expect(userButton(alice.page, alice.name)).toHaveCount(0);

  // Alice opens a dialog: it appears on her side with the prompt focused, and on Bob's side.
  await userButton(alice.page, bob.name).click();
  await expect(promptOf(alice.page, bob.name)).toBeFocused();
  await expect(dialogWith(bob.page, alice.name)).toBeVisible();

  // Bob's second tab shows the open dialog too.
  const bobTab2 = await bob.newTab();
  await expect(dialogWith(bobTab2, alice.name)).toBeVisible();

  // Messages both ways, Enter to send, Shift+Enter for a new line, blank input not sent.
  await promptOf(alice.page, bob.name).fill("Hi Bob!");
  await promptOf(alice.page, bob.name).press("Enter");
  await promptOf(bob.page, alice.name).fill("Hello Alice");
  await promptOf(bob.page, alice.name).press("Enter");
  await expect(bodiesIn(alice.page, bob.name)).toHaveText(["Hi Bob!", "Hello Alice"]);
  await promptOf(bobTab2, alice.name).click();
  await bobTab2.keyboard.type("line one");
  await bobTab2.keyboard.press("Shift+Enter");
  await bobTab2.keyboard.type("line two");
  await bobTab2.keyboard.press("Enter");
  await promptOf(alice.page, bob.name).fill("   ");
  await promptOf(alice.page, bob.name).press("Enter");
  const expected = ["Hi Bob!", "Hello Alice", "line one\nline two"];
  for (const page of [alice.page, bob.page]) await expect(bodiesIn(page, page === alice.page ? bob.name : alice.name)).toHaveText(expected);
  await expect(bodiesIn(bobTab2, alice.name)).toHaveText(expected);
  await expect(promptOf(alice.page, bob.name)).toHaveValue("   ");
  await expect(dialogWith(alice.page, bob.name).locator("li.message .sender").first()).toHaveText(alice.name);

  // Picking Bob again focuses the existing dialog; nothing new is created.
  await alice.page.locator("body").click({ position: { x: 5, y: 5 } });
  await userButton(alice.page, bob.name).click();
  await expect(promptOf(alice.page, bob.name)).toBeFocused();
  await expect(alice.page.locator("section.dialog")).toHaveCount(1);

  // A message over the limit is refused with a reason, and the text stays in the box.
  const long = "x".repeat(2001);
  await promptOf(alice.page, bob.name).fill(long);
  await promptOf(alice.page, bob.name).press("Enter");
  await expect(dialogWith(alice.page, bob.name).getByRole("alert")).toContainText("too long");
  await expect(promptOf(alice.page, bob.name)).toHaveValue(long);
  await promptOf(alice.page, bob.name).fill("");

  await shot(alice.page, "chat-alice");
  await shot(bob.page, "chat-bob");

  // A reload by Bob tears nothing down: after well over the grace period the dialog is still there.
  await bob.page.reload();
  await expect(dialogWith(bob.page, alice.name)).toBeVisible();
  await expect(bodiesIn(bob.page, alice.name)).toHaveText(expected);
  await alice.page.waitForTimeout(E2E_TIMEOUTS.graceMs + 1000);
  await expect(dialogWith(alice.page, bob.name)).toBeVisible();
  await expect(alice.page.locator(".notice")).toHaveCount(0);

  // Bob closes every page: Alice sees him leave and the dialog torn down with a notice.
  await bobTab2.close();
  await bob.page.close();
  await expect(userButton(alice.page, bob.name)).toHaveCount(0, { timeout: E2E_DETECTION_MS + 5000 });
  await expect(dialogWith(alice.page, bob.name)).toHaveCount(0);
  await expect(alice.page.locator(".notice")).toContainText(`${bob.name} went offline`);
  await shot(alice.page, "teardown-notice");

  // Bob comes back and reappears.
  const bobAgain = await bob.newTab();
  await expect(userButton(alice.page, bob.name)).toBeVisible();
  await expect(userButton(bobAgain, alice.name)).toBeVisible();
});
