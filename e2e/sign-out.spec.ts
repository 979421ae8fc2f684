/** Signing out counts as going offline: every tab of that browser leaves, and the peer is told. */
import { dialogWith, expect, test, userButton } from "./fixtures";

test("signing out in one tab signs out every tab of that browser and tears the dialog down for the peer", async ({ people }) => {
  const alice = await people("alice");
  const bob = await people("bob");
  const bobTab2 = await bob.newTab();
  await userButton(alice.page, bob.name).click();
  await expect(dialogWith(bobTab2, alice.name)).toBeVisible();

  await bob.page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(bob.page).toHaveURL(/\/sign-in/);
  await expect(bobTab2).toHaveURL(/\/sign-in/);
  await expect(userButton(alice.page, bob.name)).toHaveCount(0);
  await expect(dialogWith(alice.page, bob.name)).toHaveCount(0);
  await expect(alice.page.locator(".notice")).toContainText(`${bob.name} went offline`);

  // The chat page now sends Bob to sign-in: the session is really gone.
  await bob.page.goto("/");
  await expect(bob.page).toHaveURL(/\/sign-in/);
});

test("signing out everywhere ends every browser of that person; a cookie copied before opens nothing", async ({ people, browser }) => {
  const carol = await people("carol");
  // Carol's second browser (another device): signed in through the real page.
  const phone = await browser.newContext();
  const phonePage = await phone.newPage();
  await phonePage.goto("/sign-in");
  await phonePage.getByLabel("Username").fill(carol.name);
  await phonePage.getByLabel("Password").fill(carol.password);
  await phonePage.getByRole("button", { name: "Sign in" }).click();
  await expect(phonePage.getByTestId("connection-status")).toHaveText("Online");
  const copied = await phone.cookies();

  await carol.page.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(carol.page).toHaveURL(/\/sign-in/);
  await expect(phonePage).toHaveURL(/\/sign-in/);

  // Someone who copied the phone's cookie earlier gets nothing from it.
  const thief = await browser.newContext();
  await thief.addCookies(copied);
  const thiefPage = await thief.newPage();
  await thiefPage.goto("/");
  await expect(thiefPage).toHaveURL(/\/sign-in/);
  for (const c of [phone, thief]) await c.close();
});
