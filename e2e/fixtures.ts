/**
 * People for browser tests: each gets its own browser context (its own cookies, like a separate
 * browser), a unique name, and signs up and in through the real pages.
 */
import { test as base, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { E2E_PORT } from "./e2e-env";

export interface Person {
  name: string;
  password: string;
  context: BrowserContext;
  page: Page;
  /** Opens another tab of the same browser (same session), already on the chat page. */
  newTab(): Promise<Page>;
}

let seq = 0;
export const uniqueName = (base: string) => `${base}${Date.now().toString(36).slice(-4)}${++seq}`;

export async function createPerson(browser: Browser, baseName: string): Promise<Person> {
  const name = uniqueName(baseName);
  const password = "correct horse battery";
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/sign-up");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("connection-status")).toHaveText("Online");
  return {
    name,
    password,
    context,
    page,
    async newTab() {
      const tab = await context.newPage();
      await tab.goto("/");
      await expect(tab.getByTestId("connection-status")).toHaveText("Online");
      return tab;
    },
  };
}

export const test = base.extend<{ people: (n: string) => Promise<Person> }>({
  people: async ({ browser }, use) => {
    const made: Person[] = [];
    await use(async (n) => {
      const p = await createPerson(browser, n);
      made.push(p);
      return p;
    });
    for (const p of made) await p.context.close().catch(() => {});
  },
});

export { expect };

/** What a script must say to post to the app's API (the server refuses cross-site and anonymous posts). */
export const API_HEADERS = { origin: `http://127.0.0.1:${E2E_PORT}` };

/** The list of available users on a page. */
export const userList = (page: Page) => page.getByTestId("available-users");
export const userButton = (page: Page, name: string) => page.locator(`[data-testid="available-users"] button[data-user="${name}"]`);
export const dialogWith = (page: Page, name: string) => page.locator(`section.dialog[data-dialog-with="${name}"]`);
export const promptOf = (page: Page, name: string) => dialogWith(page, name).getByRole("textbox");
export const bodiesIn = (page: Page, name: string) => dialogWith(page, name).locator("li.message[data-status='sent'] p.body");

export async function shot(page: Page, file: string): Promise<void> {
  await page.screenshot({ path: `test-results/screenshots/${file}.png` });
}

/**
 * The person switches to another window: this tab stays open and visible but loses the focus (the
 * window gets a real blur; document.hasFocus() is false), as when they look at another app.
 * Playwright normally tells every page it is focused; this turns that off for one page.
 */
export async function lookAway(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: false });
  await cdp.detach();
  // The browser's own focus stays with the tab in front: a blank page in front takes it away (it
  // stays open, like the other window the person is looking at).
  if (await page.evaluate(() => document.hasFocus())) await (await page.context().newPage()).bringToFront();
  await expect.poll(() => page.evaluate(() => document.hasFocus())).toBe(false);
}

/** The person comes back to this tab (it gets the focus again). */
export async function lookBack(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: true });
  await cdp.detach();
  await page.bringToFront();
  await expect.poll(() => page.evaluate(() => document.hasFocus())).toBe(true);
}

/** Signs an existing person in again through the sign-in page (after they signed out). */
export async function signIn(person: Person, page: Page = person.page): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Username").fill(person.name);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("connection-status")).toHaveText("Online");
}

/** Writes a message the way a person does: type it in the conversation's prompt and press Enter. */
export async function say(page: Page, peerName: string, text: string): Promise<void> {
  await promptOf(page, peerName).fill(text);
  await promptOf(page, peerName).press("Enter");
  await expect(promptOf(page, peerName)).toHaveValue("");
}

/** A person's entry in the list of available people, found by its accessible name ("bob, 3 unread"). */
export const personEntry = (page: Page, name: string, state?: string) =>
  page.getByRole("button", { name: state ? `${name}, ${state}` : name, exact: state !== undefined });

/** A conversation pane, found the way a screen reader finds it (a region named after the peer). */
export const pane = (page: Page, name: string) => page.getByRole("region", { name: `Conversation with ${name}` });

/** Alice with two conversations open, with Bob and with Carol (her prompt to Carol focused). */
export async function aliceWithTwo(people: (n: string) => Promise<Person>): Promise<{ alice: Person; bob: Person; carol: Person }> {
  const alice = await people("alice");
  const bob = await people("bob");
  const carol = await people("carol");
  await userButton(alice.page, bob.name).click();
  await userButton(alice.page, carol.name).click();
  await expect(promptOf(alice.page, carol.name)).toBeFocused();
  return { alice, bob, carol };
}
