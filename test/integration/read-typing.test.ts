/**
 * Read positions, unread counts, "seen" and typing over real sockets: a read moves only the caller's
 * own position, forward, never past the last message; the caller's tabs get the new count and the
 * peer's tabs get "seen"; counts survive a reconnect; typing reaches the peer's tabs and no one else.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ask, open, raw, send } from "../support/client";
import { sleep } from "../support/hostile";
import { STEADY_HEARTBEAT, startTestServer, type Connected, type TestServer, type TestUser } from "../support/test-server";

let t: TestServer;
const live: Connected[] = [];
const connect = async (user: TestUser) => {
  const c = await t.connect(user);
  live.push(c);
  return c;
};

/** Alice (two tabs) and Bob (one) in an open dialog; Carol connected, in no dialog with them. */
async function trio() {
  const [alice, bob, carol] = [await t.createUser(), await t.createUser(), await t.createUser()];
  const a1 = await connect(alice);
  const a2 = await connect(alice);
  const b = await connect(bob);
  const c = await connect(carol);
  const id = await open(a1, bob.id);
  for (const tab of [a1, a2, b]) await tab.log.waitFor("dialog:opened");
  return { alice, bob, carol, a1, a2, b, c, id };
}

const readState = async (conn: Connected, dialogIds?: string[]) => {
  const res = await ask(conn, "dialog:read-state", dialogIds ? { dialogIds } : {});
  if (!res.ok) throw new Error(`read-state refused: ${res.error}`);
  return res.conversations;
};

/** The embedded SQLite file always; PostgreSQL too when DATABASE_URL points at one (CI), in a schema of its own. */
const PG = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? "") ? process.env.DATABASE_URL! : null;
const STORES = [
  { store: "SQLite", env: {} as Record<string, string> },
  ...(PG
    ? [{ store: "PostgreSQL", env: { DATABASE_URL: PG, DATABASE_SCHEMA: `reads_${randomUUID().replace(/-/g, "").slice(0, 12)}` } }]
    : []),
];

describe.each(STORES)("on $store", ({ env }) => {
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT, PRESENCE_GRACE_MS: "5000", ...env });
  });
  afterEach(() => {
    for (const c of live.splice(0)) c.socket.disconnect();
  });
  afterAll(async () => {
    await t.close();
    if (env.DATABASE_SCHEMA && PG) {
      const client = new pg.Client({ connectionString: PG });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${env.DATABASE_SCHEMA}" CASCADE`);
      await client.end();
    }
  });

  describe("read positions and unread counts", () => {
    it("counts the peer's messages after your position, moves it for every tab of yours and tells the peer", async () => {
      const { a1, a2, b, c, id, alice, bob } = await trio();
      await send(a1, id, "from alice"); // your own messages are never unread
      for (const body of ["one", "two", "three"]) await send(b, id, body);

      const [state] = await readState(a1, [id]);
      expect(state).toEqual({ dialogId: id, peer: { id: bob.id, name: bob.name }, readSeq: 0, peerReadSeq: 0, unread: 3, countedSeq: 4 });

      const markA2 = a2.log.mark();
      const markB = b.log.mark();
      const res = await ask(a1, "dialog:read", { dialogId: id, seq: 3 });
      expect(res).toEqual({ ok: true, read: { dialogId: id, readSeq: 3, unread: 1, countedSeq: 4 } });
      // The other tab of Alice learns the new position and count; Bob learns how far Alice has seen.
      expect(await a2.log.waitFor("dialog:read", () => true, { since: markA2 })).toEqual({
        dialogId: id,
        readSeq: 3,
        unread: 1,
        countedSeq: 4,
      });
      expect(await b.log.waitFor("dialog:seen", () => true, { since: markB })).toEqual({ dialogId: id, seq: 3 });
      const [fromBob] = await readState(b, [id]);
      expect(fromBob).toMatchObject({ readSeq: 0, peerReadSeq: 3, unread: 1, peer: { id: alice.id } }); // "from alice"

      // A reconnect (a reload) finds the same count: it is stored.
      a1.socket.disconnect();
      const again = await connect(alice);
      expect((await readState(again)).find((s) => s.dialogId === id)).toMatchObject({ readSeq: 3, unread: 1, countedSeq: 4 });

      await sleep(100);
      expect(c.log.of("dialog:read")).toEqual([]);
      expect(c.log.of("dialog:seen")).toEqual([]);
      expect(b.log.of("dialog:read")).toEqual([]); // Alice's count is hers alone
    });

    it("clamps a claim past the last message, never moves back, and says nothing when nothing moved", async () => {
      const { a1, b, id } = await trio();
      await send(b, id, "one");
      await send(b, id, "two");
      expect(await ask(a1, "dialog:read", { dialogId: id, seq: 1_000_000 })).toEqual({
        ok: true,
        read: { dialogId: id, readSeq: 2, unread: 0, countedSeq: 2 },
      });
      await b.log.waitFor("dialog:seen", (p) => p.seq === 2);
      const mark = b.log.mark();
      expect(await ask(a1, "dialog:read", { dialogId: id, seq: 1 })).toEqual({
        ok: true,
        read: { dialogId: id, readSeq: 2, unread: 0, countedSeq: 2 },
      });
      // The next message is unread although the client once claimed a seq beyond it.
      await send(b, id, "three");
      expect((await readState(a1, [id]))[0]).toMatchObject({ readSeq: 2, unread: 1, countedSeq: 3 });
      await sleep(100);
      expect(b.log.of("dialog:seen", mark)).toEqual([]);
    });

    it("moves one position under concurrent reads from several tabs, to the highest", async () => {
      const { a1, a2, b, id } = await trio();
      for (let i = 0; i < 20; i++) await send(b, id, `m${i}`);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => ask(i % 2 === 0 ? a1 : a2, "dialog:read", { dialogId: id, seq: i + 1 })),
      );
      expect(results.every((r) => r.ok)).toBe(true);
      expect((await readState(a1, [id]))[0]).toMatchObject({ readSeq: 20, unread: 0 });
      // Every "seen" Bob got is a real position, and the last is the highest.
      const seen = b.log.of("dialog:seen").map((s) => s.seq);
      expect(seen.length).toBeGreaterThan(0);
      expect(Math.max(...seen)).toBe(20);
    });

    it("refuses reads of conversations that are not yours or not open, and malformed reads", async () => {
      const { a1, b, c, id, carol } = await trio();
      await send(b, id, "private");
      expect(await ask(c, "dialog:read", { dialogId: id, seq: 1 })).toEqual({ ok: false, error: "dialog_not_found" });
      expect(await readState(c, [id])).toEqual([]); // someone else's conversation is not listed
      expect((await readState(c)).some((s) => s.dialogId === id)).toBe(false);
      for (const payload of [
        { dialogId: id, seq: -1 },
        { dialogId: id, seq: 1.5 },
        { dialogId: id, seq: "1" },
        { dialogId: id, seq: 1, userId: carol.id },
        { dialogId: id },
        { dialogIds: [] },
      ]) {
        const event = "dialogIds" in payload ? "dialog:read-state" : "dialog:read";
        expect(await raw(a1).timeout(5000).emitWithAck(event, payload)).toEqual({ ok: false, error: "invalid_payload" });
      }
      expect(
        await raw(a1)
          .timeout(5000)
          .emitWithAck("dialog:read-state", { dialogIds: Array(101).fill(id) }),
      ).toEqual({
        ok: false,
        error: "invalid_payload",
      });
    });

    it("lists every open dialog after a reload, even one without messages yet, and counts what comes next", async () => {
      const { a1, b, id, alice } = await trio();
      a1.socket.disconnect();
      const again = await connect(alice);
      expect((await readState(again)).find((s) => s.dialogId === id)).toMatchObject({ readSeq: 0, unread: 0, countedSeq: 0 });
      await send(b, id, "first");
      expect((await readState(again)).find((s) => s.dialogId === id)).toMatchObject({ unread: 1, countedSeq: 1 });
    });

    it("lists conversations with unread messages after they closed, so the count shows when the peer is back", async () => {
      const { a1, a2, b, bob, id } = await trio();
      await send(b, id, "while you were away");
      expect(await ask(b, "session:signout", {})).toEqual({ ok: true }); // gone at once, no grace period
      await a1.log.waitFor("dialog:closed", (p) => p.dialogId === id, { ms: 15_000 });
      const listed = (await readState(a2)).find((s) => s.dialogId === id);
      expect(listed).toMatchObject({ peer: { id: bob.id }, unread: 1, readSeq: 0 });
      // Reading requires the conversation to be open again.
      expect(await ask(a1, "dialog:read", { dialogId: id, seq: 1 })).toEqual({ ok: false, error: "dialog_not_found" });
    });
  });

  describe("typing", () => {
    it("reaches every tab of the peer, not the typist's other tabs nor anyone else", async () => {
      const { a1, a2, b, c, id, bob } = await trio();
      const b2 = await connect(await t.session(bob));
      expect(await ask(a1, "dialog:typing", { dialogId: id, typing: true })).toEqual({ ok: true });
      for (const tab of [b, b2]) expect(await tab.log.waitFor("dialog:typing")).toEqual({ dialogId: id, typing: true });
      expect(await ask(a1, "dialog:typing", { dialogId: id, typing: false })).toEqual({ ok: true });
      expect(await b.log.waitFor("dialog:typing", (p) => !p.typing)).toEqual({ dialogId: id, typing: false });
      await sleep(100);
      expect(a2.log.of("dialog:typing")).toEqual([]);
      expect(a1.log.of("dialog:typing")).toEqual([]);
      expect(c.log.of("dialog:typing")).toEqual([]);
    });

    it("is refused outside your open dialogs and is charged by the event limiter", async () => {
      const { c, id } = await trio();
      expect(await ask(c, "dialog:typing", { dialogId: id, typing: true })).toEqual({ ok: false, error: "dialog_not_found" });
      expect(await raw(c).timeout(5000).emitWithAck("dialog:typing", { dialogId: id, typing: "yes" })).toEqual({
        ok: false,
        error: "invalid_payload",
      });
      // A flood of typing events runs into the same per-user budget as every other event.
      const replies = await Promise.all(Array.from({ length: 100 }, () => ask(c, "dialog:typing", { dialogId: id, typing: true })));
      const limited = replies.filter((r) => !r.ok && r.error === "rate_limited").length;
      console.log(`typing flood: ${limited} of 100 refused as rate_limited (burst ${t.config.EVENTS_BURST})`);
      expect(limited).toBeGreaterThanOrEqual(100 - t.config.EVENTS_BURST);
    });
  });
});
