/**
 * Hostile HTTP clients against the production server (dist/server/index.js, as a child process).
 * Request bodies, on every route: far too large (announced, or sent chunked with no length),
 * malformed, of the wrong media type, with 8 MiB fields, posted from another site. Each gets its own
 * status and a reason (JSON `{error, message}`), never a 500 and never a hang; and the server's memory
 * does not grow with them (its RSS, from /metrics, before and after 80 posts of an 8 MiB username, as
 * in the report). And a password guesser, through next-auth's real sign-in, from one loopback address
 * while the account's owner signs in from another.
 */
import { request as httpRequest } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChildServer, freePort } from "../support/child-server";

const SECRET = "hostile-bodies-secret-0123456789abcdef";
const MiB = 1024 * 1024;

interface Answer {
  status: number;
  body: { error?: string; message?: string } | null;
}

/**
 * A raw POST: `body` sent with its Content-Length, or as chunks with no length at all. Resolves with
 * the status and the JSON answer; a connection the server had to cut resolves with status 0.
 */
function post(url: string, path: string, headers: Record<string, string>, body: Buffer | string | { chunks: Buffer[] }): Promise<Answer> {
  return new Promise((resolve) => {
    const req = httpRequest(`${url}${path}`, { method: "POST", headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => {
        const text = Buffer.concat(parts).toString();
        let json: Answer["body"];
        try {
          json = JSON.parse(text) as Answer["body"];
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode ?? 0, body: json });
      });
    });
    req.on("error", () => resolve({ status: 0, body: null }));
    if (typeof body === "object" && "chunks" in body) {
      for (const c of body.chunks) req.write(c);
      req.end();
    } else {
      req.setHeader("content-length", Buffer.byteLength(body));
      req.end(body);
    }
  });
}

describe("hostile HTTP clients", () => {
  const dir = mkdtempSync(join(tmpdir(), "duo-hostile-"));
  let app: ChildServer;
  let origin: string;
  beforeAll(async () => {
    app = ChildServer.app({
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: String(await freePort()),
      DATABASE_URL: `file:${join(dir, "db.sqlite")}`,
      NEXTAUTH_SECRET: SECRET,
      LOG_LEVEL: "warn",
      // Few attempts per (name, address), so the guesser below is stopped quickly.
      SIGNIN_ATTEMPTS_PER_NAME_AND_IP: "4",
    });
    await app.start();
    origin = app.url;
  }, 60_000);
  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const json = () => ({ "content-type": "application/json", origin });
  const form = () => ({ "content-type": "application/x-www-form-urlencoded", origin });
  const ROUTES = [
    { path: "/api/register", type: "application/json" },
    { path: "/api/auth/callback/credentials", type: "application/x-www-form-urlencoded" },
    { path: "/api/auth/signout", type: "application/x-www-form-urlencoded" },
    { path: "/api/auth/session", type: "application/x-www-form-urlencoded" },
    { path: "/api/auth/_log", type: "application/x-www-form-urlencoded" },
    { path: "/", type: "application/x-www-form-urlencoded" },
    { path: "/sign-in", type: "application/x-www-form-urlencoded" },
  ];

  it("too large, unannounced, cross-site or of the wrong type: 413, 411, 403, 415 on every route, each with a reason", async () => {
    const seen: string[] = [];
    for (const { path, type } of ROUTES) {
      const cases: [string, Promise<Answer>, number, string][] = [
        ["20 MiB", post(origin, path, { "content-type": type, origin }, Buffer.alloc(20 * MiB, 0x61)), 413, "too_large"],
        ["16 KiB + 1", post(origin, path, { "content-type": type, origin }, Buffer.alloc(16 * 1024 + 1, 0x61)), 413, "too_large"],
        [
          "chunked",
          post(origin, path, { "content-type": type, origin }, { chunks: [Buffer.from("{"), Buffer.alloc(64 * 1024)] }),
          411,
          "length_required",
        ],
        ["another site", post(origin, path, { "content-type": type, origin: "https://evil.example" }, "a=1"), 403, "cross_origin"],
        [
          "same host, https",
          post(origin, path, { "content-type": type, origin: origin.replace("http:", "https:") }, "a=1"),
          403,
          "cross_origin",
        ],
        ["no origin", post(origin, path, { "content-type": type }, "a=1"), 403, "cross_origin"],
        ["cross-site fetch", post(origin, path, { "content-type": type, "sec-fetch-site": "cross-site" }, "a=1"), 403, "cross_origin"],
      ];
      if (path.startsWith("/api/")) {
        cases.push(["text/plain", post(origin, path, { "content-type": "text/plain", origin }, "a=1"), 415, "unsupported_media_type"]);
        cases.push(["no type", post(origin, path, { origin }, "a=1"), 415, "unsupported_media_type"]);
      }
      for (const [what, answer, status, error] of cases) {
        const got = await answer;
        seen.push(`${path} ${what}: ${got.status}`);
        expect([path, what, got.status, got.body?.error]).toEqual([path, what, status, error]);
        expect(got.body?.message).toEqual(expect.any(String));
      }
    }
    console.log(`refused before any route read a byte: ${seen.length} requests`);
  });

  it("malformed bodies of the right type answer 400 with a reason, never 500; wrong shapes 422 or 400", async () => {
    const cases: [string, Promise<Answer>, number, string][] = [
      ["register: not JSON", post(origin, "/api/register", json(), "{not json"), 400, "invalid_json"],
      ["register: empty", post(origin, "/api/register", json(), ""), 400, "invalid_json"],
      ["register: invalid UTF-8", post(origin, "/api/register", json(), Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400, "invalid_encoding"],
      ["register: an array", post(origin, "/api/register", json(), "[1,2]"), 422, "invalid"],
      [
        "register: 15 KiB name",
        post(origin, "/api/register", json(), JSON.stringify({ username: "a".repeat(15_000), password: "x".repeat(20) })),
        422,
        "invalid",
      ],
      ["sign-in: JSON, not a form", post(origin, "/api/auth/callback/credentials", json(), "{not json"), 415, "unsupported_media_type"],
      ["sign-in: empty form", post(origin, "/api/auth/callback/credentials", form(), ""), 400, "invalid_form"],
      [
        "sign-in: field twice",
        post(origin, "/api/auth/callback/credentials", form(), "csrfToken=a&username=x&password=y&username=z"),
        400,
        "invalid_form",
      ],
      [
        "sign-in: unknown field",
        post(origin, "/api/auth/callback/credentials", form(), "csrfToken=a&username=x&password=y&isAdmin=1"),
        400,
        "invalid_form",
      ],
      [
        "sign-in: 15 KiB name",
        post(origin, "/api/auth/callback/credentials", form(), `csrfToken=a&password=y&username=${"a".repeat(15_000)}`),
        400,
        "invalid_form",
      ],
      [
        "sign-in: invalid UTF-8",
        post(origin, "/api/auth/callback/credentials", form(), Buffer.from([0x61, 0x3d, 0xff])),
        400,
        "invalid_encoding",
      ],
      ["sign-out: no CSRF token", post(origin, "/api/auth/signout", form(), "callbackUrl=%2F"), 400, "invalid_form"],
      ["a next-auth action nobody posts to", post(origin, "/api/auth/_log", form(), "level=error&code=x"), 404, "not_found"],
      ["session update", post(origin, "/api/auth/session", form(), "csrfToken=a"), 404, "not_found"],
    ];
    for (const [what, answer, status, error] of cases) {
      const got = await answer;
      expect([what, got.status, got.body?.error]).toEqual([what, status, error]);
      expect(got.body?.message).toEqual(expect.any(String));
    }
  });

  it("through the real sign-in: a guesser at one address is slowed, then stopped; the owner at another address gets in", async () => {
    const owner = `owner${Date.now().toString(36)}`;
    const registered = await post(origin, "/api/register", json(), JSON.stringify({ username: owner, password: "correct horse battery" }));
    expect(registered.status).toBe(201);
    const guesses = [];
    for (let i = 0; i < 4; i++) guesses.push(await signInFrom("127.0.0.1", origin, owner, `wrong guess ${i}`));
    expect(guesses.map((g) => g.error)).toEqual(["CredentialsSignin", "CredentialsSignin", "CredentialsSignin", "CredentialsSignin"]);
    expect(guesses[3]!.ms).toBeGreaterThanOrEqual(450); // the fourth answer waited
    const stopped = await signInFrom("127.0.0.1", origin, owner, "correct horse battery");
    expect(stopped).toMatchObject({ error: "rate_limited" });
    expect(stopped.cookie).toBeUndefined();
    const home = await signInFrom("127.0.0.2", origin, owner, "correct horse battery");
    expect(home.cookie).toEqual(expect.any(String));
    const session = JSON.parse((await from("127.0.0.2", origin, "/api/auth/session", { cookie: home.cookie! })).text) as {
      user?: { name: string };
    };
    expect(session.user?.name).toBe(owner);
    console.log(
      `sign-in over HTTP: guesser at 127.0.0.1 answered in ${guesses.map((g) => g.ms).join(", ")} ms, then refused (${stopped.error}); ` +
        `owner at 127.0.0.2 signed in in ${home.ms} ms`,
    );
  });

  it("80 posts of an 8 MiB username grow the server's memory by less than 50 MB", { timeout: 60_000 }, async () => {
    const rss = async () => {
      const text = await fetch(`${origin}/metrics`).then((r) => r.text());
      const line = text.split("\n").find((l) => l.startsWith("process_resident_memory_bytes "));
      return Number(line?.split(" ")[1]);
    };
    const bigName = JSON.stringify({ username: "x".repeat(8 * MiB), password: "correct horse battery" });
    const signIn = `csrfToken=a&password=correct+horse+battery&username=${"x".repeat(8 * MiB)}`;
    // Warm up (the first requests load route code), then measure.
    await post(origin, "/api/register", json(), bigName);
    await post(origin, "/api/auth/callback/credentials", form(), signIn);
    const before = await rss();
    const started = Date.now();
    const answers: Answer[] = [];
    for (let round = 0; round < 10; round++) {
      answers.push(
        ...(await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            i % 2 ? post(origin, "/api/register", json(), bigName) : post(origin, "/api/auth/callback/credentials", form(), signIn),
          ),
        )),
      );
    }
    const after = await rss();
    const grewMb = (after - before) / 1e6;
    console.log(
      `80 posts of 8 MiB (register and sign-in): ${Date.now() - started} ms; statuses ${JSON.stringify(countBy(answers.map((a) => a.status)))}; ` +
        `server RSS ${(before / 1e6).toFixed(0)} MB -> ${(after / 1e6).toFixed(0)} MB (${grewMb >= 0 ? "+" : ""}${grewMb.toFixed(1)} MB)`,
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 413));
    expect(grewMb).toBeLessThan(50);
    // And the server still serves everyone else.
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
  });
});

/** A GET or a form POST from a chosen local address (127.0.0.x: another machine, as the server sees it). */
function from(localAddress: string, url: string, path: string, o: { cookie?: string; form?: Record<string, string> } = {}) {
  return new Promise<{ status: number; setCookies: string[]; text: string }>((resolve, reject) => {
    const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
    const req = httpRequest(
      `${url}${path}`,
      {
        method: body === undefined ? "GET" : "POST",
        localAddress,
        headers: {
          ...(o.cookie ? { cookie: o.cookie } : {}),
          ...(body === undefined
            ? {}
            : { "content-type": "application/x-www-form-urlencoded", origin: url, "content-length": String(Buffer.byteLength(body)) }),
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, setCookies: res.headers["set-cookie"] ?? [], text: Buffer.concat(parts).toString() }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Signs in through next-auth's real endpoints from `localAddress`: the session cookie, or the error code. */
async function signInFrom(
  localAddress: string,
  url: string,
  username: string,
  password: string,
): Promise<{ cookie?: string; error?: string; ms: number }> {
  const csrf = await from(localAddress, url, "/api/auth/csrf");
  const csrfCookie = csrf.setCookies.map((c) => c.split(";")[0]).join("; ");
  const { csrfToken } = JSON.parse(csrf.text) as { csrfToken: string };
  const started = Date.now();
  const res = await from(localAddress, url, "/api/auth/callback/credentials", {
    cookie: csrfCookie,
    form: { csrfToken, username, password, json: "true" },
  });
  const ms = Date.now() - started;
  const session = res.setCookies.map((c) => c.split(";")[0]!).find((c) => c.startsWith("next-auth.session-token="));
  if (session) return { cookie: session, ms };
  return { error: new URL((JSON.parse(res.text) as { url: string }).url).searchParams.get("error") ?? `HTTP ${res.status}`, ms };
}

function countBy(values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
