/** Signing out counts as going offline: every tab of that browser leaves, and the peer is told. */
import { dialogWith, expect, test, userButton } from "./fixtures";

test("signing out in one tab signs out every tab of that browser and tears the dialog down for the peer", async ({ people }) => {
  const alice = await people("alice");
  const bob = await people("bob");
  const bobTab2 = await bob.newTab();
  await userButton(alice.page, bob.name).click();
  await expect(dialogWith(bobTab2, alice.name)).toBeVisible();

  await bob.page.getByRole("button", { name: "Sign out" }).click();
  await expect(bob.page).toHaveURL(/\/sign-in/);
  await expect(bobTab2).toHaveURL(/\/sign-in/);
  await expect(userButton(alice.page, bob.name)).toHaveCount(0);
  await expect(dialogWith(alice.page, bob.name)).toHaveCount(0);
  await expect(alice.page.locator(".notice")).toContainText(`${bob.name} went offline`);

  // The chat page now sends Bob to sign-in: the session is really gone.
  await bob.page.goto("/");
  await expect(bob.page).toHaveURL(/\/sign-in/);
});
