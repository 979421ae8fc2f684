/**
 * Hostile text is shown as text, pages carry a CSP and the usual headers, the session cookie is
 * httpOnly and SameSite, and sign-up explains its rules.
 */
import { API_HEADERS, bodiesIn, createPerson, dialogWith, expect, promptOf, test, uniqueName, userButton } from "./fixtures";

const HOSTILE = [
  `<img src=x onerror=alert(1)>`,
  `<script>alert("xss")</script>`,
  `"><svg onload=alert(2)>`,
  `javascript:alert(3)`,
  `{{constructor.constructor('alert(4)')()}}`,
];

test("markup in messages and names is shown as text; no script runs, no dialog opens", async ({ people }) => {
  const alice = await people("alice");
  const bob = await people("bob");
  const dialogs: string[] = [];
  const cspViolations: string[] = [];
  for (const page of [alice.page, bob.page]) {
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  }
  await userButton(alice.page, bob.name).click();
  for (const text of HOSTILE) {
    await promptOf(alice.page, bob.name).fill(text);
    await promptOf(alice.page, bob.name).press("Enter");
  }
  await expect(bodiesIn(bob.page, alice.name)).toHaveText(HOSTILE);
  await expect(dialogWith(bob.page, alice.name).locator("img, script, svg")).toHaveCount(0);
  await bob.page.waitForTimeout(500);
  expect(dialogs).toEqual([]);
  expect(cspViolations).toEqual([]);
});

test("pages send a nonce-based CSP and security headers; the session cookie is httpOnly and SameSite", async ({ page, browser }) => {
  const res = await page.goto("/sign-in");
  const headers = res!.headers();
  expect(headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  // Connections only to the app's own origin (its WebSocket included), no ws:/wss: to anywhere.
  expect(headers["content-security-policy"]).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+;/);
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");

  const person = await createPerson(browser, "carol");
  const cookie = (await person.context.cookies()).find((c) => c.name.endsWith("next-auth.session-token"));
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe("Lax");
  await person.context.close();
});

test("sign-up explains bad names, short passwords and taken names; the API answers 400/422/409", async ({ page, browser }) => {
  await page.goto("/sign-up");
  await page.getByLabel("Username").fill("bad name!");
  await page.getByLabel("Password").fill("long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  // The rule in words under the field, tied to it (its accessible description).
  await expect(page.getByText("Username may use letters, digits, dot, dash and underscore only.")).toBeVisible();
  await expect(page.getByLabel("Username")).toHaveAccessibleDescription(/may use letters, digits/);

  const taken = await createPerson(browser, "dave");
  await page.getByLabel("Username").fill(taken.name.toUpperCase());
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByLabel("Username")).toHaveAccessibleDescription(/taken/);
  await taken.context.close();

  const api = page.request;
  expect(
    (
      await api.post("/api/register", { data: Buffer.from("{not json"), headers: { "content-type": "application/json", ...API_HEADERS } })
    ).status(),
  ).toBe(400);
  const invalid = await api.post("/api/register", { data: { username: "ab", password: "short" }, headers: API_HEADERS });
  expect(invalid.status()).toBe(422);
  expect(((await invalid.json()) as { issues: unknown[] }).issues.length).toBe(2);
  const name = uniqueName("erin");
  expect(
    (await api.post("/api/register", { data: { username: name, password: "correct horse battery" }, headers: API_HEADERS })).status(),
  ).toBe(201);
  expect(
    (await api.post("/api/register", { data: { username: name, password: "correct horse battery" }, headers: API_HEADERS })).status(),
  ).toBe(409);

  // Wrong password: a clear message, no session.
  await page.goto("/sign-in");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("wrong password here");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("form", { name: "Sign in" }).getByRole("alert")).toContainText("Wrong username or password");
});
