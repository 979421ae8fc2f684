/**
 * People for browser tests: each gets its own browser context (its own cookies, like a separate
 * browser), a unique name, and signs up and in through the real pages.
 */
import { test as base, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";

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

/** The list of available users on a page. */
export const userList = (page: Page) => page.getByTestId("available-users");
export const userButton = (page: Page, name: string) => page.locator(`[data-testid="available-users"] button[data-user="${name}"]`);
export const dialogWith = (page: Page, name: string) => page.locator(`section.dialog[data-dialog-with="${name}"]`);
export const promptOf = (page: Page, name: string) => dialogWith(page, name).getByRole("textbox");
export const bodiesIn = (page: Page, name: string) => dialogWith(page, name).locator("li.message[data-status='sent'] p.body");

export async function shot(page: Page, file: string): Promise<void> {
  await page.screenshot({ path: `test-results/screenshots/${file}.png` });
}
