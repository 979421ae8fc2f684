/**
 * WCAG 2.2 AA as a person with a keyboard or a screen reader meets it: axe finds nothing on sign-in,
 * sign-up and a busy chat page; forms explain their rules in words and keep what was typed; focus
 * comes back to the form; every control shows a focus ring; live regions tell what happens.
 */
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { aliceWithTwo, API_HEADERS, expect, pane, personEntry, say, shot, test, uniqueName, userButton } from "./fixtures";

/** Every axe rule for WCAG 2.0, 2.1 and 2.2 at A and AA (target-size included), and axe's best practices. */
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

async function expectNoAxeViolations(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const found = results.violations.map((v) => `${v.id} (${v.impact ?? "?"}, ${v.nodes.length}×): ${v.nodes[0]?.target.join(" ") ?? ""}`);
  console.log(
    `axe ${what}: ${results.violations.length} violations, ${results.passes.length} rules passed, ${results.incomplete.length} to review`,
  );
  expect(found, `axe violations on ${what}`).toEqual([]);
  // Not vacuous: the rules that matter here ran on this page and found something to check.
  const ran = new Set(results.passes.map((p) => p.id));
  for (const rule of ["color-contrast", "target-size", "label", "page-has-heading-one", "region", "list"]) {
    if (rule === "list" && !(await page.locator("ul, ol").count())) continue;
    expect(ran, `axe rule ${rule} ran on ${what}`).toContain(rule);
  }
}

/** Tabs through the whole page: every control that takes focus shows a ring of at least 2 px. */
async function expectFocusRingOnEveryControl(page: Page, what: string): Promise<number> {
  await page.locator("body").click({ position: { x: 1, y: 1 } });
  const seen = new Set<string>();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const s = getComputedStyle(el);
      const name = el.id || el.getAttribute("aria-label") || el.getAttribute("name") || el.textContent.trim().slice(0, 30);
      return { id: `${el.tagName}:${name}`, outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    if (!focused || seen.has(focused.id)) break;
    seen.add(focused.id);
    expect(focused.outline, `focus ring on ${focused.id} (${what})`).not.toBe("none");
    expect(focused.width, `focus ring width on ${focused.id} (${what})`).toBeGreaterThanOrEqual(2);
  }
  console.log(`focus rings on ${what}: ${seen.size} controls checked`);
  return seen.size;
}

test("sign-up and sign-in: no axe violations, every rule in words under its field, nothing cut short, focus back on the form after a failed sign-in", async ({
  page,
}) => {
  await page.goto("/sign-up");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Duo");
  await expectNoAxeViolations(page, "sign-up");

  // 25 characters: refused with the rule, not cut to 24; both problems explained under their fields.
  const name25 = uniqueName("n").padEnd(25, "x");
  await page.getByLabel("Username").fill(name25);
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("Username must be at most 24 characters.")).toBeVisible();
  await expect(page.getByText("Password must be at least 8 characters.")).toBeVisible();
  await expect(page.getByLabel("Username")).toHaveAccessibleDescription(/at most 24 characters/);
  await expect(page.getByLabel("Password")).toHaveAccessibleDescription(/at least 8 characters/);
  await expect(page.getByLabel("Username")).toHaveValue(name25);
  await expect(page.getByLabel("Password")).toHaveValue("short");
  await expect(page.getByLabel("Username")).toBeFocused();
  await expect(page).toHaveURL(/\/sign-up/);
  await expectNoAxeViolations(page, "sign-up showing errors");
  await shot(page, "sign-up-errors");
  // Nothing was created under the first 24 characters: that name is still free.
  const name24 = name25.slice(0, 24);
  expect(
    (
      await page.request.post("/api/register", { data: { username: name24, password: "correct horse battery" }, headers: API_HEADERS })
    ).status(),
  ).toBe(201);
  expect(await expectFocusRingOnEveryControl(page, "sign-up")).toBeGreaterThanOrEqual(4);

  await page.goto("/sign-in");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Duo");
  await expectNoAxeViolations(page, "sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Enter your username.")).toBeVisible();
  await expect(page.getByText("Enter your password.")).toBeVisible();
  await page.getByLabel("Username").fill(name24);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("form", { name: "Sign in" }).getByRole("alert")).toHaveText("Wrong username or password.");
  // Focus is back in the form, on the password, and nothing typed was lost.
  await expect(page.getByLabel("Password")).toBeFocused();
  await expect(page.getByLabel("Password")).toHaveValue("not the password");
  await expect(page.getByLabel("Username")).toHaveValue(name24);
  await expectNoAxeViolations(page, "sign-in after a failed attempt");
  await shot(page, "sign-in-failed");
});

test("the chat page: no axe violations with two conversations, notices, unread counts and a failed message; live regions announce messages, presence and the connection", async ({
  people,
}) => {
  const { alice, bob, carol } = await aliceWithTwo(people);
  const log = alice.page.getByRole("log", { name: "Announcements" });
  await expect(alice.page.getByRole("heading", { level: 1 })).toHaveText("Duo");
  await expect(alice.page.getByRole("status")).toHaveText("Online");

  // Bob tells a long story; Alice scrolls back up to its start.
  for (let i = 1; i <= 12; i++) await say(bob.page, alice.name, `part ${i} of the story\nand more`);
  await expect(log).toContainText(`${bob.name}: part 12 of the story`);
  await expect(pane(alice.page, bob.name).getByText("part 12 of the story")).toBeInViewport();
  await pane(alice.page, bob.name)
    .getByRole("list", { name: `Messages with ${bob.name}` })
    .hover();
  await alice.page.mouse.wheel(0, -5000);
  await expect(pane(alice.page, bob.name).getByText("part 1 of the story")).toBeInViewport();

  // Presence: someone comes and goes, and a conversation with them ends (a notice).
  const dave = await people("dave");
  await expect(log).toContainText(`${dave.name} is online`);
  await userButton(dave.page, alice.name).click();
  await expect(pane(alice.page, dave.name)).toBeVisible();
  await dave.page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(log).toContainText(`${dave.name} went offline`);
  const notices = alice.page.getByRole("region", { name: "Notices" });
  await expect(notices).toContainText(`${dave.name} went offline`);
  // Alice keeps the pointer on the notice to read it: it stays while she does.
  await notices.hover();

  // Bob writes while she is up in the story: announced, counted as unread, a button to jump down.
  await say(bob.page, alice.name, "are you there?");
  await expect(log).toContainText(`${bob.name}: are you there?`);
  await expect(personEntry(alice.page, bob.name, "1 unread")).toBeVisible();
  await expect(pane(alice.page, bob.name).getByRole("button", { name: "1 new message" })).toBeVisible();
  await expectNoAxeViolations(alice.page, "chat with two conversations, a notice and an unread count");

  // The connection drops: the status says so (a polite live region), and a message fails.
  await alice.context.setOffline(true);
  await expect(alice.page.getByRole("status")).toHaveText("Reconnecting…");
  await say(alice.page, carol.name, "this one will not go");
  await expect(pane(alice.page, carol.name).getByText("Not sent", { exact: true })).toBeVisible({ timeout: 15_000 });
  await expect(pane(alice.page, carol.name).getByRole("button", { name: "Retry" })).toBeVisible();
  await expect(notices).toContainText(`${dave.name} went offline`);
  await expect(personEntry(alice.page, bob.name, "1 unread")).toBeVisible();
  await expectNoAxeViolations(alice.page, "chat with two conversations, a notice, an unread count and a failed message (offline)");
  await shot(alice.page, "a11y-chat");
  expect(await expectFocusRingOnEveryControl(alice.page, "chat")).toBeGreaterThanOrEqual(10);
  await alice.context.setOffline(false);
});
