/**
 * The Socket.IO handshake: only a valid next-auth session cookie of an existing user gets in, and no
 * user may hold more than MAX_CONNECTIONS_PER_USER sockets.
 */
import { randomUUID } from "node:crypto";
import { encode, type JWT } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  TEST_SECRET,
  STEADY_HEARTBEAT,
  startTestServer,
  waitFor,
  type Connected,
  type TestServer,
  type TestUser,
} from "../support/test-server";

const cookieOf = (token: string, name = "next-auth.session-token") => `${name}=${token}`;
const tokenFor = (claims: JWT, options: { secret?: string; maxAge?: number } = {}) =>
  encode({ token: claims, secret: options.secret ?? TEST_SECRET, ...(options.maxAge !== undefined ? { maxAge: options.maxAge } : {}) });

describe("handshake", () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT });
    alice = await t.createUser();
    bob = await t.createUser();
  });
  afterAll(() => t.close());

  it("welcomes a signed-in client with itself as self and the others who are online", async () => {
    const b = await t.connect(bob);
    const a = await t.connect(alice);
    expect(a.welcome.self).toEqual({ id: alice.id, name: alice.name });
    expect(a.welcome.serverId).toBe(t.server.serverId);
    expect(a.welcome.users.map((u) => u.id)).toContain(bob.id);
    // The list may hold the receiver too (lib/contract/events.ts: the client leaves itself out).
    expect(a.welcome.dialogs).toEqual([]);
    a.socket.disconnect();
    b.socket.disconnect();
  });

  it("refuses a client without a cookie", async () => {
    expect(await t.refused(null)).toBe("unauthorized");
  });

  it("refuses a cookie header without a session cookie", async () => {
    expect(await t.refused(null, { cookie: "theme=dark; other=1" })).toBe("unauthorized");
  });

  it("refuses a garbage session cookie", async () => {
    expect(await t.refused(alice, { cookie: cookieOf("not-a-jwt") })).toBe("unauthorized");
    expect(await t.refused(alice, { cookie: cookieOf("a.b.c.d.e") })).toBe("unauthorized");
  });

  it("refuses a token signed with another secret", async () => {
    const cookie = await t.cookie(
      { sub: alice.id, name: alice.name, sid: randomUUID() },
      { secret: "another-secret-another-secret-0123456789", store: true },
    );
    expect(await t.refused(alice, { cookie })).toBe("unauthorized");
  });

  it("refuses an expired token", async () => {
    // An hour in the past: well beyond any clock tolerance of the JWT library.
    const cookie = await t.cookie({ sub: alice.id, name: alice.name, sid: randomUUID() }, { maxAge: -3600, store: true });
    expect(await t.refused(alice, { cookie })).toBe("unauthorized");
  });

  it("refuses a correctly signed token whose session the server never stored (or has ended)", async () => {
    expect(await t.refused(null, { cookie: await t.cookie({ sub: alice.id, name: alice.name, sid: randomUUID() }) })).toBe("unauthorized");
    expect(await t.refused(null, { cookie: await t.cookie({ sub: "no-such-user-0000", name: "ghost", sid: randomUUID() }) })).toBe(
      "unauthorized",
    );
  });

  it("refuses a stored session presented with another user's id", async () => {
    const sid = randomUUID();
    await t.server.services.sessions.create(sid, bob.id);
    expect(await t.refused(null, { cookie: await t.cookie({ sub: alice.id, name: alice.name, sid }) })).toBe("unauthorized");
  });

  it("refuses a token without a browser-session id", async () => {
    const token = await tokenFor({ sub: alice.id, name: alice.name });
    expect(await t.refused(alice, { cookie: cookieOf(token) })).toBe("unauthorized");
  });

  it("accepts the secure cookie name and a token split into chunks, as next-auth writes them", async () => {
    const sid = randomUUID();
    await t.server.services.sessions.create(sid, alice.id);
    const token = await tokenFor({ sub: alice.id, name: alice.name, sid });
    const secure = await t.connect(alice, { cookie: `theme=dark; ${cookieOf(token, "__Secure-next-auth.session-token")}` });
    expect(secure.welcome.self.id).toBe(alice.id);
    const half = Math.floor(token.length / 2);
    const chunked = await t.connect(alice, {
      cookie: `next-auth.session-token.0=${token.slice(0, half)}; next-auth.session-token.1=${token.slice(half)}`,
    });
    expect(chunked.welcome.self.id).toBe(alice.id);
    secure.socket.disconnect();
    chunked.socket.disconnect();
  });

  it("refuses a page of another site (cross-origin) but accepts same-origin", async () => {
    await expect(t.connect(alice, { headers: { origin: "http://evil.example" } })).rejects.toThrow();
    // The same host is not enough: scheme and port are part of the origin.
    await expect(t.connect(alice, { headers: { origin: t.url.replace("http:", "https:") } })).rejects.toThrow();
    await expect(t.connect(alice, { headers: { origin: `http://127.0.0.1:${t.port + 1}` } })).rejects.toThrow();
    const same = await t.connect(alice, { headers: { origin: t.url } });
    expect(same.welcome.self.id).toBe(alice.id);
    same.socket.disconnect();
  });

  it("keeps serving valid clients after all those refusals", async () => {
    const a = await t.connect(alice);
    expect(a.welcome.self.id).toBe(alice.id);
    a.socket.disconnect();
  });
});

describe("connection cap", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT, MAX_CONNECTIONS_PER_USER: "2" });
  });
  afterAll(() => t.close());

  it("refuses the third connection of a user with too_many_connections", async () => {
    const carol = await t.createUser();
    const first = await t.connect(carol);
    const second = await t.connect(await t.session(carol)); // another browser counts too
    expect(await t.refused(carol)).toBe("too_many_connections");

    // The cap is per user: someone else still gets in.
    const dave = await t.createUser();
    const d = await t.connect(dave);
    expect(d.welcome.self.id).toBe(dave.id);

    // It counts live connections: once one closes, there is room again.
    first.socket.disconnect();
    await waitFor(() => t.server.messenger.connectionCount(carol.id) === 1, 10_000, "the server to see the disconnect");
    const third = await t.connect(carol);
    expect(third.welcome.self.id).toBe(carol.id);
    for (const c of [second, third, d]) c.socket.disconnect();
  });

  it("holds under a burst of simultaneous handshakes", async () => {
    const erin = await t.createUser();
    const attempts = await Promise.allSettled(Array.from({ length: 6 }, () => t.connect(erin)));
    const welcomed = attempts.filter((r): r is PromiseFulfilledResult<Connected> => r.status === "fulfilled").map((r) => r.value);
    const codes = attempts.filter((r) => r.status === "rejected").map((r) => (r.reason as { data?: { code?: string } }).data?.code);
    for (const c of welcomed) c.socket.disconnect();
    expect(codes.every((c) => c === "too_many_connections")).toBe(true);
    expect(welcomed.length).toBeLessThanOrEqual(2);
    expect(welcomed.length).toBeGreaterThanOrEqual(1);
  });
});
