/**
 * Issue 6: the authorization matrix (see AUTHORIZATION.md). A and B share an open dialog; C is outside
 * it, in a dialog of its own with D. Every socket event is tried by the wrong person, with ids, room
 * names and sender fields smuggled into payloads; the acting user is always the session's user.
 * HTTP routes live in Next, which this harness does not start: their rules are tested here through
 * the services the routes call (Accounts, authOptions) and the custom server's own HTTP handling, and
 * their status codes in e2e/security.spec.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import type { JWT } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessageView } from "../../lib/contract/events";
import { buildServer } from "../../server/app";
import { loadConfig } from "../../server/config";
import { createLogger } from "../../server/logger";
import { dialogRoom, userRoom } from "../../server/realtime/rooms";
import { ask, newKey, open, send } from "../support/client";
import { untyped } from "../support/hostile";
import { STEADY_HEARTBEAT, TEST_SECRET, startTestServer, type Connected, type TestServer, type TestUser } from "../support/test-server";

const PASSWORD = "correct horse battery"; // what the harness's createUser uses
const invalid = { ok: false, error: "invalid_payload" };

describe("authorization matrix", () => {
  let t: TestServer;
  let A: TestUser, B: TestUser, C: TestUser, D: TestUser;
  let a: Connected, b: Connected, c: Connected, d: Connected;
  let ab: string, cd: string;
  let seedA: MessageView;
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT, EVENTS_PER_SECOND: "100000", EVENTS_BURST: "100000" });
    [A, B, C, D] = [await t.createUser("alice"), await t.createUser("bob"), await t.createUser("carol"), await t.createUser("dave")];
    [a, b, c, d] = [await t.connect(A), await t.connect(B), await t.connect(C), await t.connect(D)];
    ab = await open(a, B.id);
    cd = await open(c, D.id);
    seedA = await send(a, ab, "for bob only");
    await send(c, cd, "for dave only");
  });
  afterAll(() => t.close());

  const rawAsk = (conn: Connected, event: string, payload: unknown) =>
    untyped(conn.socket).timeout(10_000).emitWithAck(event, payload) as Promise<unknown>;
  const storedIn = (dialogId: string) =>
    t.server.database.db.message.findMany({ where: { conversationId: dialogId }, orderBy: { seq: "asc" } });
  /** The server-side rooms of a client's socket. */
  const roomsOf = (conn: Connected) => [...(t.server.realtime.io.sockets.sockets.get(conn.socket.id!)?.rooms ?? [])].sort();

  it("an outsider cannot post to, sync or read a dialog, with any key; members cannot cross into others' dialogs", async () => {
    const before = (await storedIn(ab)).length;
    for (const clientKey of [newKey(), seedA.clientKey]) {
      expect(await ask(c, "message:send", { dialogId: ab, clientKey, body: "let me in" })).toEqual({
        ok: false,
        error: "dialog_not_found",
      });
    }
    expect(await ask(a, "message:send", { dialogId: cd, clientKey: newKey(), body: "hi dave" })).toEqual({
      ok: false,
      error: "dialog_not_found",
    });
    expect(
      await ask(c, "dialog:sync", {
        dialogs: [
          { dialogId: ab, afterSeq: 0 },
          { dialogId: cd, afterSeq: 0 },
        ],
      }),
    ).toMatchObject({ ok: true, pages: { [cd]: { more: false } } });
    const sync = await ask(c, "dialog:sync", { dialogs: [{ dialogId: ab, afterSeq: 0 }] });
    expect(sync).toEqual({ ok: true, pages: {} });
    for (const input of [{ dialogId: ab }, { dialogId: ab, beforeSeq: 1000, limit: 200 }]) {
      expect(await ask(c, "dialog:history", input)).toEqual({ ok: false, error: "dialog_not_found" });
    }
    expect(await ask(b, "dialog:history", { dialogId: cd })).toEqual({ ok: false, error: "dialog_not_found" });
    expect((await storedIn(ab)).length).toBe(before);
    expect((await storedIn(cd)).map((m) => m.senderId)).toEqual([C.id]);
  });

  it("an outsider never receives a dialog's messages (nor its opening), and members never receive others'", async () => {
    const markC = c.log.mark();
    const markA = a.log.mark();
    const m1 = await send(a, ab, "private 1");
    const m2 = await send(b, ab, "private 2");
    await a.log.waitFor("message:new", (m) => m.id === m2.id, { since: markA });
    // Barrier: the ack of C's own message comes after A-B's on C's connection, so anything for C would be here by now.
    const own = await send(c, cd, "mine");
    expect(c.log.of("message:new", markC)).toEqual([]);
    expect(c.log.messages(markC).map((m) => m.id)).toEqual([own.id]);
    expect(c.log.entries.filter((e) => (JSON.stringify(e.payload) as string | undefined)?.includes(ab))).toEqual([]);
    expect(c.welcome.dialogs.map((x) => x.id)).not.toContain(ab);
    expect(a.log.messages(markA).map((m) => m.id)).toEqual([m1.id, m2.id]); // its own by the ack, b's by message:new
  });

  it("no event joins a room: room names and user ids in payloads are invalid_payload, join-like events are never answered", async () => {
    const roomsBefore = [a, b, c].map(roomsOf);
    const smuggled: [string, unknown][] = [
      ["message:send", { dialogId: dialogRoom(ab), clientKey: newKey(), body: "x" }],
      ["message:send", { dialogId: cd, clientKey: newKey(), body: "x", room: dialogRoom(ab) }],
      ["message:send", { dialogId: cd, clientKey: newKey(), body: "x", rooms: [dialogRoom(ab), userRoom(A.id)] }],
      ["dialog:open", { peerId: userRoom(A.id) }],
      ["dialog:open", { peerId: B.id, room: dialogRoom(ab) }],
      ["dialog:open", { peerId: B.id, members: [A.id, B.id, C.id] }],
      ["dialog:open", { peerId: B.id, userId: A.id }],
      ["dialog:sync", { dialogs: [{ dialogId: dialogRoom(ab), afterSeq: 0 }] }],
      ["dialog:sync", { dialogs: [{ dialogId: ab, afterSeq: 0, userId: A.id }] }],
      ["dialog:history", { dialogId: userRoom(A.id) }],
      ["dialog:history", { dialogId: ab, asUser: A.id }],
      ["session:signout", { room: userRoom(A.id) }],
    ];
    for (const [event, payload] of smuggled) expect([event, payload, await rawAsk(c, event, payload)]).toEqual([event, payload, invalid]);
    const joins = ["join", "room:join", "dialog:join", "subscribe", "socketsJoin"].flatMap((e) =>
      [dialogRoom(ab), userRoom(A.id), ab].map((r) => [e, r] as const),
    );
    const answers = await Promise.allSettled(joins.map(([e, r]) => untyped(c.socket).timeout(1_000).emitWithAck(e, r)));
    expect(answers.map((x) => x.status)).toEqual(joins.map(() => "rejected")); // timed out: nobody handles them
    // Server side: nobody's rooms changed, and the dialog's room holds exactly its members' sockets.
    expect([a, b, c].map(roomsOf)).toEqual(roomsBefore);
    expect(roomsOf(c)).toEqual([c.socket.id!, dialogRoom(cd), userRoom(C.id)].sort());
    const inRoom = await t.server.realtime.io.in(dialogRoom(ab)).fetchSockets();
    expect(inRoom.map((s) => s.id).sort()).toEqual([a.socket.id!, b.socket.id!].sort());
    const markC = c.log.mark();
    const m = await send(a, ab, "after the join attempts");
    await b.log.waitFor("message:new", (x) => x.id === m.id);
    const own = await send(c, cd, "barrier"); // its ack comes after anything sent to C before it
    expect(c.log.of("message:new", markC)).toEqual([]);
    expect(c.log.messages(markC).map((x) => x.id)).toEqual([own.id]);
  });

  it("nobody can send as someone else: sender fields are rejected, and a colliding key stays the sender's own", async () => {
    for (const key of ["senderId", "userId", "sender", "senderName", "from", "authorId"]) {
      expect(await rawAsk(b, "message:send", { dialogId: ab, clientKey: newKey(), body: "spoof", [key]: A.id })).toEqual(invalid);
    }
    expect(await rawAsk(b, "message:send", { dialogId: ab, clientKey: newKey(), body: { text: "spoof", senderId: A.id } })).toEqual(
      invalid,
    );
    // B reuses A's idempotency key: a new message, stored and shown as B's; A's own message is untouched.
    const mine = await send(b, ab, "same key, different sender", seedA.clientKey);
    expect(mine).toMatchObject({ senderId: B.id, senderName: B.name, clientKey: seedA.clientKey, body: "same key, different sender" });
    expect(mine.id).not.toBe(seedA.id);
    // A retrying that key gets A's original back, not B's, and nothing new is stored.
    expect(await send(a, ab, "a different body", seedA.clientKey)).toEqual(seedA);
    const rows = (await storedIn(ab)).filter((r) => r.clientKey === seedA.clientKey);
    expect(rows.map((r) => [r.senderId, r.body])).toEqual([
      [A.id, "for bob only"],
      [B.id, "same key, different sender"],
    ]);
    expect((await storedIn(ab)).every((r) => r.senderId === A.id || r.senderId === B.id)).toBe(true);
  });

  it("dialog:open: not with yourself, not with ids that are not available users, never a second dialog per pair", async () => {
    expect(await ask(a, "dialog:open", { peerId: A.id })).toEqual({ ok: false, error: "self_dialog" });
    for (const peerId of [ab, "nobody0000", "__proto__", "constructor"]) {
      expect(await ask(a, "dialog:open", { peerId })).toEqual({ ok: false, error: "peer_unavailable" });
    }
    expect(await ask(b, "dialog:open", { peerId: A.id })).toMatchObject({
      ok: true,
      created: false,
      dialog: { id: ab, peer: { id: A.id } },
    });
    // C may open its own dialog with A: a different conversation, with none of A-B's history.
    const ca = await ask(c, "dialog:open", { peerId: A.id });
    expect(ca).toMatchObject({ ok: true, created: true, dialog: { peer: { id: A.id } } });
    const caId = ca.ok ? ca.dialog.id : "";
    expect(caId).not.toBe(ab);
    expect(await ask(c, "dialog:history", { dialogId: caId })).toEqual({ ok: true, messages: [], more: false });
    expect(
      await t.server.database.db.conversation.count({
        where: {
          OR: [
            { userAId: A.id, userBId: B.id },
            { userAId: B.id, userBId: A.id },
          ],
        },
      }),
    ).toBe(1);
  });

  it("session:signout ends only the caller's own browser session", async () => {
    const c2 = await t.connect(await t.session(C)); // C's other browser
    const a2 = await t.connect(await t.session(A)); // A's other browser
    for (const payload of [{ userId: A.id }, { sessionId: "x" }, { everyone: true }, [A.id]]) {
      expect(await rawAsk(c, "session:signout", payload)).toEqual(invalid);
    }
    expect(c.socket.connected).toBe(true);
    const gone = new Promise<void>((r) => c.socket.once("disconnect", () => r()));
    expect(await ask(c, "session:signout", {})).toEqual({ ok: true });
    await gone;
    const a2gone = new Promise<void>((r) => a2.socket.once("disconnect", () => r()));
    expect(await ask(a2, "session:signout", {})).toEqual({ ok: true });
    await a2gone;
    expect([a, b, c2, d].map((x) => x.socket.connected)).toEqual([true, true, true, true]);
    expect([A, B, C].map((u) => t.server.messenger.connectionCount(u.id))).toEqual([1, 1, 1]);
    const m = await send(b, ab, "still talking");
    await a.log.waitFor("message:new", (x) => x.id === m.id);
  });

  it("the handshake admits only an unexpired session, signed with the server's secret, of a user who exists", async () => {
    const cookie = (token: JWT, secret = TEST_SECRET) => t.cookie(token, { secret, store: typeof token.sid === "string" });
    expect(await t.refused(null)).toBe("unauthorized");
    expect(
      await t.refused(null, {
        cookie: await cookie({ sub: A.id, name: A.name, sid: randomUUID() }, "another-secret-0123456789abcdef0123456789"),
      }),
    ).toBe("unauthorized");
    expect(await t.refused(null, { cookie: await t.cookie({ sub: "nobody0000", name: "ghost", sid: randomUUID() }) })).toBe("unauthorized");
    expect(await t.refused(null, { cookie: await cookie({ sub: A.id, name: A.name }) })).toBe("unauthorized");
    // The name in the token is not trusted: the stored name is used.
    const renamed = await t.connect(null, { cookie: await cookie({ sub: D.id, name: A.name, sid: randomUUID() }) });
    expect(renamed.welcome.self).toEqual({ id: D.id, name: D.name });
    renamed.socket.disconnect();
  });
});

describe("accounts and session callbacks behind the HTTP routes (the routes themselves: http-routes.test.ts)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT });
  });
  afterAll(() => t.close());

  it("Accounts.register (behind POST /api/register) refuses invalid fields with issues, extra fields, and taken names in any case or padding", async () => {
    const accounts = t.server.services.accounts;
    const taken = await t.createUser("Taken_Name");
    const bad = await accounts.register({ username: "ab", password: "short" });
    expect(!bad.ok && bad.error === "invalid" && bad.issues.map((i) => i.field).sort()).toEqual(["password", "username"]);
    expect(await accounts.register({ username: "bad name!", password: PASSWORD })).toMatchObject({
      ok: false,
      error: "invalid",
      issues: [{ field: "username" }],
    });
    for (const input of [
      null,
      "x",
      [],
      { username: "fresh_name", password: PASSWORD, isAdmin: true },
      JSON.parse(`{"__proto__":{"isAdmin":true},"username":"fresh_name","password":"${PASSWORD}"}`),
    ]) {
      expect(await accounts.register(input)).toMatchObject({ ok: false, error: "invalid" });
    }
    for (const username of [taken.name, taken.name.toUpperCase(), ` ${taken.name.toLowerCase()} `]) {
      expect(await accounts.register({ username, password: PASSWORD })).toEqual({ ok: false, error: "taken" });
    }
  });

  it("Accounts.verify (behind the credentials sign-in) never says which part was wrong, and ignores malformed input", async () => {
    const accounts = t.server.services.accounts;
    const u = await t.createUser();
    expect(await accounts.verify({ username: u.name, password: PASSWORD })).toEqual({ id: u.id, name: u.name });
    expect(await accounts.verify({ username: u.name.toUpperCase(), password: PASSWORD })).toEqual({ id: u.id, name: u.name });
    for (const input of [
      { username: u.name, password: "wrong password" },
      { username: "nobody_here", password: PASSWORD },
      { username: u.name, password: PASSWORD, id: "x" },
      { username: [u.name], password: PASSWORD },
      null,
    ]) {
      expect(await accounts.verify(input)).toBeNull();
    }
  });

  it("the session callbacks put only id and name in a session, and give every sign-in its own session id", async () => {
    const { callbacks } = t.server.services.authOptions;
    type Cb = (p: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>;
    const jwt = callbacks!.jwt as unknown as Cb;
    const session = callbacks!.session as unknown as Cb;
    const u = await t.createUser();
    const t1 = await jwt({ token: {}, user: { id: u.id, name: u.name } });
    const t2 = await jwt({ token: {}, user: { id: u.id, name: u.name } });
    expect(t1.sid).toEqual(expect.any(String));
    expect(t1.sid).not.toBe(t2.sid);
    expect(await session({ session: { expires: "x" }, token: t1 })).toEqual({
      expires: "x",
      user: { id: u.id, name: u.name },
    });
  });

  it("the custom server answers /healthz itself, publicly, and hands every other path the server's own view of the client IP (X-Forwarded-For only from a trusted proxy)", async () => {
    const health = await fetch(`${t.url}/healthz`, { headers: { cookie: "" } });
    expect([health.status, health.headers.get("cache-control"), await health.json()]).toEqual([
      200,
      "no-store",
      { ok: true, serverId: t.server.serverId },
    ]);
    const dir = mkdtempSync(join(tmpdir(), "duo-echo-"));
    const echoServer = (trusted: Record<string, string>) =>
      buildServer({
        config: loadConfig({
          NODE_ENV: "test",
          PORT: "0",
          DATABASE_URL: `file:${join(dir, "db.sqlite")}`,
          NEXTAUTH_SECRET: TEST_SECRET,
          LOG_LEVEL: "silent",
          ...trusted,
        }),
        logger: createLogger("silent"),
        httpHandler: (req, res) => res.end(JSON.stringify({ ip: req.headers["x-client-ip"] })),
      });
    const ipSeen = async (port: number, headers: Record<string, string>) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/auth/callback/credentials`, {
        method: "POST",
        headers: { origin: `http://127.0.0.1:${port}`, "content-type": "application/x-www-form-urlencoded", ...headers },
        body: "",
      });
      return ((await res.json()) as { ip: string }).ip;
    };
    const direct = await echoServer({});
    try {
      const port = await direct.listen();
      expect(await ipSeen(port, { "x-client-ip": "6.6.6.6", "x-forwarded-for": "6.6.6.6" })).toBe("127.0.0.1");
    } finally {
      await direct.close();
    }
    const proxied = await echoServer({ TRUSTED_PROXIES: "127.0.0.1, ::1" });
    try {
      const port = await proxied.listen();
      expect(await ipSeen(port, { "x-client-ip": "6.6.6.6", "x-forwarded-for": "6.6.6.6, 198.51.100.7" })).toBe("198.51.100.7");
      expect(await ipSeen(port, {})).toBe("127.0.0.1");
    } finally {
      await proxied.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
