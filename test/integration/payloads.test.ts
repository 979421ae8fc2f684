/**
 * What a misbehaving client may send: message-body rules, malformed payloads of every event, no ack
 * at all, unknown events, oversized frames, and floods. None of it may crash the server or leak into
 * storage, and every later valid request still works.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Reply } from "../support/client";
import { ask, newKey, open, raw, shownSeqs, send } from "../support/client";
import { STEADY_HEARTBEAT, startTestServer, type Connected, type TestServer, type TestUser } from "../support/test-server";
import { EVENT_COSTS } from "../../server/core/event-costs";

describe("bad input", () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let a: Connected;
  let b: Connected;
  let id: string;
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT, EVENTS_PER_SECOND: "100000", EVENTS_BURST: "100000" });
    alice = await t.createUser();
    bob = await t.createUser();
    a = await t.connect(alice);
    b = await t.connect(bob);
    id = await open(a, bob.id);
  });
  afterAll(() => t.close());

  /** Sends anything, typed or not, and returns the ack. */
  const rawAsk = (c: Connected, event: string, ...args: unknown[]) =>
    raw(c)
      .timeout(10_000)
      .emitWithAck(event, ...args) as Promise<Reply<"message:send">>;

  it("applies the message-body rules: empty, whitespace, and the length limit counted in characters", async () => {
    const body = (text: string) => ask(a, "message:send", { dialogId: id, clientKey: newKey(), body: text });
    expect(await body("")).toEqual({ ok: false, error: "message_empty" });
    expect(await body("  \n\t  ")).toEqual({ ok: false, error: "message_empty" });
    expect(await body("x".repeat(2001))).toEqual({ ok: false, error: "message_too_long" });
    expect(await body("x".repeat(60_000))).toEqual({ ok: false, error: "message_too_long" });
    expect(await body("😀".repeat(2001))).toEqual({ ok: false, error: "message_too_long" });
    const longest = await body("x".repeat(2000));
    const emoji = await body("😀".repeat(2000)); // 4000 UTF-16 units, but 2000 characters
    expect(longest).toMatchObject({ ok: true, message: { body: "x".repeat(2000) } });
    expect(emoji).toMatchObject({ ok: true, message: { body: "😀".repeat(2000) } });
    const history = await ask(b, "dialog:history", { dialogId: id });
    expect(history.ok && history.messages.map((m) => m.body.length)).toEqual([2000, 4000]);
  });

  it("answers invalid_payload to malformed requests of every event", async () => {
    const cases: [string, unknown][] = [
      ["dialog:open", null],
      ["dialog:open", 42],
      ["dialog:open", "peer"],
      ["dialog:open", []],
      ["dialog:open", {}],
      ["dialog:open", { peerId: 7 }],
      ["dialog:open", { peerId: "" }],
      ["dialog:open", { peerId: "has space" }],
      ["dialog:open", { peerId: "x".repeat(65) }],
      ["dialog:open", { peerId: bob.id, extra: true }],
      ["message:send", {}],
      ["message:send", { dialogId: id, body: "no key" }],
      ["message:send", { dialogId: id, clientKey: newKey() }],
      ["message:send", { dialogId: id, clientKey: newKey(), body: 5 }],
      ["message:send", { dialogId: id, clientKey: newKey(), body: null }],
      ["message:send", { dialogId: id, clientKey: "short", body: "key too short" }],
      ["message:send", { dialogId: id, clientKey: "bad key with spaces", body: "x" }],
      ["message:send", { dialogId: id, clientKey: newKey(), body: "x", senderId: bob.id }],
      ["message:send", { dialogId: { $ne: null }, clientKey: newKey(), body: "x" }],
      ["dialog:sync", {}],
      ["dialog:sync", { dialogs: "all" }],
      ["dialog:sync", { dialogs: [{ dialogId: id, afterSeq: -1 }] }],
      ["dialog:sync", { dialogs: [{ dialogId: id, afterSeq: 1.5 }] }],
      ["dialog:sync", { dialogs: [{ dialogId: id }] }],
      ["dialog:sync", { dialogs: Array.from({ length: 101 }, () => ({ dialogId: id, afterSeq: 0 })) }],
      ["dialog:history", { dialogId: id, limit: 0 }],
      ["dialog:history", { dialogId: id, limit: 201 }],
      ["dialog:history", { dialogId: id, beforeSeq: 0 }],
      ["dialog:history", { dialogId: id, everything: true }],
      ["session:signout", { everyone: true }],
    ];
    for (const [event, payload] of cases) {
      expect([event, payload, await rawAsk(a, event, payload)]).toEqual([event, payload, { ok: false, error: "invalid_payload" }]);
    }
    // No payload at all, only an ack.
    expect(await raw(a).timeout(10_000).emitWithAck("dialog:open")).toEqual({ ok: false, error: "invalid_payload" });
    expect(await raw(a).timeout(10_000).emitWithAck("message:send")).toEqual({ ok: false, error: "invalid_payload" });
    // The refused sign-out signed nobody out.
    expect(a.socket.connected).toBe(true);
    expect(t.server.messenger.connectionCount(alice.id)).toBe(1);
  });

  it("survives requests without an ack function and unknown events", async () => {
    const mark = b.log.mark();
    const s = raw(a);
    s.emit("message:send", { dialogId: id, clientKey: newKey(), body: 12 });
    s.emit("message:send", "garbage");
    s.emit("message:send");
    s.emit("dialog:open", { peerId: bob.id }, "not-a-function");
    s.emit("dialog:sync", null);
    s.emit("no:such:event", { anything: 1 });
    s.emit("message:send", { dialogId: id, clientKey: newKey(), body: "" });
    // A valid send without an ack is still stored and delivered.
    s.emit("message:send", { dialogId: id, clientKey: newKey(), body: "fire and forget" });
    const got = await b.log.waitFor("message:new", (m) => m.body === "fire and forget", { since: mark });
    expect(b.log.of("message:new", mark)).toEqual([got]);

    // The same socket and the other client both still work.
    const m = await send(a, id, "still here");
    const m2 = await send(b, id, "me too");
    expect([m.seq, m2.seq]).toEqual([got.seq + 1, got.seq + 2]);
    await a.log.waitFor("message:new", (x) => x.id === m2.id);
  });

  it("drops a client that sends an oversized frame, and nobody else", async () => {
    const mallory = await t.createUser();
    const m = await t.connect(mallory);
    const gone = new Promise<string>((resolve) => m.socket.once("disconnect", (reason) => resolve(reason)));
    raw(m).emit("message:send", { dialogId: id, clientKey: newKey(), body: "x".repeat(200_000) });
    expect(await gone).toBe("transport close");

    const after = await send(a, id, "after the oversized frame");
    await b.log.waitFor("message:new", (x) => x.id === after.id);
    const seqs = shownSeqs(b, id);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  });
});

describe("event rate limit", () => {
  let t: TestServer;
  beforeAll(async () => {
    // Room for two connections, one open and four sends; a token comes back only every second.
    const burst = 2 * EVENT_COSTS.connect.base + EVENT_COSTS["dialog:open"].base + 4 * EVENT_COSTS["message:send"].base;
    t = await startTestServer({ ...STEADY_HEARTBEAT, EVENTS_PER_SECOND: "1", EVENTS_BURST: String(burst) });
  });
  afterAll(() => t.close());

  it("refuses a user's events beyond the burst with rate_limited, across tabs, without affecting others", async () => {
    const [alice, bob] = [await t.createUser(), await t.createUser()];
    const a1 = await t.connect(alice);
    const a2 = await t.connect(alice);
    const b = await t.connect(bob);
    const id = await open(a1, bob.id);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => ask(i % 2 ? a2 : a1, "message:send", { dialogId: id, clientKey: newKey(), body: `m${i}` })),
    );
    const refused = results.filter((r) => !r.ok);
    expect(results.filter((r) => r.ok)).toHaveLength(4);
    expect(refused).toEqual(Array.from({ length: 4 }, () => ({ ok: false, error: "rate_limited" })));

    // Bob has his own budget.
    const m = await send(b, id, "bob is fine");
    await a1.log.waitFor("message:new", (x) => x.id === m.id);
    expect(shownSeqs(b, id)).toEqual([1, 2, 3, 4, 5]);
    for (const c of [a1, a2, b]) c.socket.disconnect();
  });
});
