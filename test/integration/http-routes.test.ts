/**
 * The HTTP routes themselves, through the compiled production server (dist/server/index.js: Next,
 * next-auth and the API routes behind the custom server), as a browser or a script reaches them:
 * sign-up, sign-in through next-auth's credentials callback, the session endpoint, and the client IP
 * that the per-IP limits see.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode } from "next-auth/jwt";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn } from "../../bench/virtual-user";
import { ChildServer, freePort } from "../support/child-server";

const SECRET = "http-routes-test-secret-0123456789abcdef";
const PASSWORD = "correct horse battery";

describe("HTTP routes of the production server", () => {
  const dir = mkdtempSync(join(tmpdir(), "duo-routes-"));
  let app: ChildServer;
  beforeAll(async () => {
    app = ChildServer.app({
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: String(await freePort()),
      DATABASE_URL: `file:${join(dir, "db.sqlite")}`,
      NEXTAUTH_SECRET: SECRET,
      LOG_LEVEL: "warn",
    });
    await app.start();
  }, 60_000);
  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const register = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${app.url}/api/register`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: app.url, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const name = () => `n${randomUUID().slice(0, 8)}`;

  it("POST /api/register: 201 with the new user; 422 with field issues; 409 for a taken name in any case or padding; 400 for a body that is not JSON", async () => {
    const username = `Taken_${name()}`;
    const created = await register({ username, password: PASSWORD });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ user: { id: expect.any(String) as string, name: username } });

    const invalid = await register({ username: "ab", password: "short" });
    expect(invalid.status).toBe(422);
    const issues = ((await invalid.json()) as { issues: { field: string }[] }).issues.map((i) => i.field).sort();
    expect(issues).toEqual(["password", "username"]);
    expect((await register({ username: name(), password: PASSWORD, isAdmin: true })).status).toBe(422);

    for (const variant of [username.toUpperCase(), ` ${username.toLowerCase()} `]) {
      const taken = await register({ username: variant, password: PASSWORD });
      expect(taken.status).toBe(409);
      expect(await taken.json()).toMatchObject({ error: "taken" });
    }
    expect((await register("{not json")).status).toBe(400);
  });

  it("sign-in through next-auth: right credentials give a session whose endpoint shows only id and name; each sign-in is its own session; wrong ones give none", async () => {
    const username = name();
    const user = (await (await register({ username, password: PASSWORD })).json()) as { user: { id: string } };
    const first = await signIn(app.url, { username, password: PASSWORD });
    const second = await signIn(app.url, { username: username.toUpperCase(), password: PASSWORD });

    const session = await fetch(`${app.url}/api/auth/session`, { headers: { cookie: first } });
    const body = (await session.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["expires", "user"]);
    expect(body.user).toEqual({ id: user.user.id, name: username });

    const sid = async (cookie: string) => (await decode({ token: cookie.split("=").slice(1).join("="), secret: SECRET }))?.sid;
    expect(await sid(first)).toEqual(expect.any(String));
    expect(await sid(first)).not.toEqual(await sid(second));

    await expect(signIn(app.url, { username, password: "wrong password" })).rejects.toThrow(/no session cookie/);
    await expect(signIn(app.url, { username: name(), password: PASSWORD })).rejects.toThrow(/no session cookie/);
  });

  it("signing out (POST /api/auth/signout) ends the session on the server: the copied cookie opens no page and no socket", async () => {
    const username = name();
    expect((await register({ username, password: PASSWORD })).status).toBe(201);
    const cookie = await signIn(app.url, { username, password: PASSWORD });
    const sessionOf = async (c: string) =>
      (await (await fetch(`${app.url}/api/auth/session`, { headers: { cookie: c } })).json()) as object;
    expect(await sessionOf(cookie)).toMatchObject({ user: { name: username } });
    expect((await fetch(`${app.url}/`, { headers: { cookie }, redirect: "manual" })).status).toBe(200);

    // The browser's sign-out, as next-auth/react does it: the CSRF token, then a form post.
    const csrf = await fetch(`${app.url}/api/auth/csrf`, { headers: { cookie } });
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const both = [cookie, ...csrf.headers.getSetCookie().map((c) => c.split(";")[0]!)].join("; ");
    const out = await fetch(`${app.url}/api/auth/signout`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: app.url, cookie: both },
      body: new URLSearchParams({ csrfToken, callbackUrl: "/sign-in", json: "true" }).toString(),
    });
    expect(out.status).toBe(200);

    // A copy of the cookie kept from before: no session, no page, no socket.
    expect(await sessionOf(cookie)).toEqual({});
    const page = await fetch(`${app.url}/`, { headers: { cookie }, redirect: "manual" });
    expect(page.headers.get("location")).toMatch(/\/sign-in$/);
    const socket = io(app.url, { transports: ["websocket"], forceNew: true, reconnection: false, extraHeaders: { cookie } });
    const refused = await new Promise<string | undefined>((resolve) => {
      socket.once("connect_error", (err) => resolve((err as Error & { data?: { code?: string } }).data?.code));
      socket.once("connect", () => resolve("connected"));
    });
    socket.disconnect();
    expect(refused).toBe("unauthorized");
  });

  it("pages need a session: / sends a visitor without one to /sign-in", async () => {
    const res = await fetch(`${app.url}/`, { redirect: "manual" });
    expect([302, 303, 307, 308]).toContain(res.status);
    expect(res.headers.get("location")).toMatch(/\/sign-in$/);
  });
});
