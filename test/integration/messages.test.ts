/**
 * Messages: order and completeness in every tab under concurrent load, stored-before-acked copies,
 * idempotent retries, catch-up sync, history pages, and isolation from non-members.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { MessageView } from "../../lib/contract/events";
import { ask, newKey, open, range, shownSeqs, send } from "../support/client";
import { STEADY_HEARTBEAT, startTestServer, waitFor, type Connected, type TestServer, type TestUser } from "../support/test-server";

let t: TestServer;
const live: Connected[] = [];
const connect = async (user: TestUser) => {
  const c = await t.connect(user);
  live.push(c);
  return c;
};
/** Two users in an open dialog, each with `tabs` tabs. */
async function pair(tabs = 1) {
  const alice = await t.createUser();
  const bob = await t.createUser();
  const a: Connected[] = [];
  const b: Connected[] = [];
  for (let i = 0; i < tabs; i++) a.push(await connect(alice));
  for (let i = 0; i < tabs; i++) b.push(await connect(bob));
  const id = await open(a[0]!, bob.id);
  for (const tab of [...a, ...b]) await tab.log.waitFor("dialog:opened");
  return { alice, bob, a, b, id };
}

beforeAll(async () => {
  // No rate limit in the way of the load test; a slow heartbeat so a busy event loop drops nobody;
  // a long grace so a reconnecting tab finds its dialog still open.
  t = await startTestServer({
    EVENTS_PER_SECOND: "100000",
    EVENTS_BURST: "100000",
    ...STEADY_HEARTBEAT,
    PRESENCE_GRACE_MS: "5000",
  });
});
afterEach(() => {
  for (const c of live.splice(0)) c.socket.disconnect();
});
afterAll(() => t.close());

describe("delivery", () => {
  it("delivers concurrent messages from both sides to every tab, in seq order, complete", async () => {
    const { a, b, id, alice, bob } = await pair(2);
    const N = 50;
    const senders = [a[0]!, a[1]!, b[0]!];
    const acks = await Promise.all(
      senders.map((tab, s) =>
        Promise.all(range(N).map((i) => ask(tab, "message:send", { dialogId: id, clientKey: newKey(), body: `s${s}-${i}` }))),
      ),
    );
    const total = N * senders.length;
    const stored = acks.flat().map((r) => (r.ok ? r.message : null));
    expect(stored.every((m) => m !== null)).toBe(true);
    expect(stored.map((m) => m!.seq).sort((x, y) => x - y)).toEqual(range(total));

    // Each sending tab's own messages keep the order it sent them in.
    for (const [s, list] of acks.entries()) {
      const seqs = list.map((r) => (r.ok ? r.message.seq : -1));
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(list.map((r) => (r.ok ? r.message.body : ""))).toEqual(range(N).map((i) => `s${s}-${i}`));
      expect(list.every((r) => r.ok && r.message.senderId === (s < 2 ? alice.id : bob.id))).toBe(true);
    }

    for (const tab of [...a, ...b]) {
      await tab.log.until(() => shownSeqs(tab, id).length >= total, `all ${total} messages in a tab`);
      expect(shownSeqs(tab, id)).toEqual(range(total)); // strictly increasing, no gaps, no duplicates
    }
    const byId = new Map(stored.map((m) => [m!.id, m!]));
    for (const m of a[1]!.log.of("message:new")) expect(m).toEqual(byId.get(m.id));

    const sync = await ask(b[1]!, "dialog:sync", { dialogs: [{ dialogId: id, afterSeq: 0 }] });
    expect(sync.ok && sync.pages[id]?.messages.map((m) => m.seq)).toEqual(range(total));
  });

  it("acknowledges with the stored message", async () => {
    const { a, b, id, alice } = await pair();
    const before = Date.now();
    const res = await ask(a[0]!, "message:send", { dialogId: id, clientKey: "ack-test-0001", body: "  hi there  " });
    expect(res).toMatchObject({
      ok: true,
      message: { dialogId: id, seq: 1, senderId: alice.id, senderName: alice.name, body: "  hi there  ", clientKey: "ack-test-0001" },
    });
    if (!res.ok) return;
    expect(typeof res.message.id).toBe("string");
    expect(res.message.sentAt).toBeGreaterThanOrEqual(before - 1000); // server time; loose against clock skew
    expect(await b[0]!.log.waitFor("message:new")).toEqual(res.message);
  });

  it("shows the sending tab its message once, by the ack; every other tab of both members gets one message:new", async () => {
    const { a, b, id } = await pair(2);
    const mine = await send(a[0]!, id, "from the first tab");
    const after = await send(b[0]!, id, "a later one"); // everything before it has been delivered to each tab
    for (const tab of [a[1]!, ...b.slice(1)]) {
      await tab.log.waitFor("message:new", (m) => m.id === after.id);
      expect(tab.log.of("message:new").filter((m) => m.id === mine.id)).toEqual([mine]);
    }
    await a[0]!.log.waitFor("message:new", (m) => m.id === after.id);
    expect(a[0]!.log.of("message:new").map((m) => m.id)).toEqual([after.id]);
    expect(a[0]!.log.messages().map((m) => m.id)).toEqual([mine.id, after.id]);
  });
});

describe("idempotent retries", () => {
  it("returns the same message for a retried key and broadcasts it once", async () => {
    const { a, b, id, bob } = await pair(2);
    const key = newKey();
    const first = await send(a[0]!, id, "once", key);
    const retried = await send(a[0]!, id, "once", key); // after the first was committed
    const otherTab = await send(a[1]!, id, "once (other tab)", key); // same user, same key: same message
    const [c1, c2] = await Promise.all([send(a[1]!, id, "twin", "twin-key-01"), send(a[0]!, id, "twin", "twin-key-01")]); // in flight together
    expect(retried).toEqual(first);
    expect(otherTab).toEqual(first);
    expect(c1).toEqual(c2);
    expect(c1.seq).toBe(first.seq + 1);

    // Keys belong to their sender: bob reusing alice's key makes a new message.
    const bobs = await send(b[0]!, id, "bob's own", key);
    expect(bobs.id).not.toBe(first.id);
    expect(bobs).toMatchObject({ seq: first.seq + 2, senderId: bob.id });

    // Every tab was shown each message; a tab that sent a key again got its ack again (the client keys
    // messages by id), but no tab got any message:new twice.
    for (const tab of [...a, ...b]) {
      await tab.log.waitForMessage((m) => m.id === bobs.id, "bob's message");
      expect([...new Set(shownSeqs(tab, id))].sort()).toEqual([1, 2, 3]);
      const live = tab.log.of("message:new").map((m) => m.id);
      expect(new Set(live).size).toBe(live.length);
    }
  });
});

describe("catching up", () => {
  it("dialog:sync after a reconnect returns exactly the messages after the given seq", async () => {
    const { alice, a, b, id } = await pair();
    for (let i = 1; i <= 3; i++) await send(b[0]!, id, `seen ${i}`);
    await a[0]!.log.until(() => shownSeqs(a[0]!, id).length === 3, "the first three");
    const lastSeen = Math.max(...shownSeqs(a[0]!, id));

    a[0]!.socket.disconnect();
    await waitFor(() => t.server.messenger.connectionCount(alice.id) === 0, 10_000, "alice's tab to leave");
    const missed: MessageView[] = [];
    for (let i = 1; i <= 4; i++) missed.push(await send(b[0]!, id, `missed ${i}`));

    const back = await connect(alice);
    expect(back.welcome.dialogs.map((d) => d.id)).toEqual([id]);
    const sync = await ask(back, "dialog:sync", { dialogs: [{ dialogId: id, afterSeq: lastSeen }] });
    expect(sync).toEqual({ ok: true, pages: { [id]: { messages: missed, more: false } } });
    const upToDate = await ask(back, "dialog:sync", { dialogs: [{ dialogId: id, afterSeq: 7 }] });
    expect(upToDate).toEqual({ ok: true, pages: { [id]: { messages: [], more: false } } });
  });

  it("dialog:history pages backwards from the newest", async () => {
    const { a, b, id } = await pair();
    const all: MessageView[] = [];
    for (let i = 1; i <= 7; i++) all.push(await send(i % 2 ? a[0]! : b[0]!, id, `m${i}`));
    expect(await ask(b[0]!, "dialog:history", { dialogId: id, limit: 3 })).toEqual({ ok: true, messages: all.slice(4, 7), more: true });
    expect(await ask(b[0]!, "dialog:history", { dialogId: id, beforeSeq: 5, limit: 3 })).toEqual({
      ok: true,
      messages: all.slice(1, 4),
      more: true,
    });
    expect(await ask(b[0]!, "dialog:history", { dialogId: id, beforeSeq: 2, limit: 3 })).toEqual({
      ok: true,
      messages: all.slice(0, 1),
      more: false,
    });
    expect(await ask(a[0]!, "dialog:history", { dialogId: id })).toEqual({ ok: true, messages: all, more: false });
  });
});

describe("outsiders", () => {
  it("a non-member cannot post to, sync or read a dialog, and never receives its messages", async () => {
    const { a, b, id } = await pair();
    const carol = await t.createUser();
    const c = await connect(carol);
    const m1 = await send(a[0]!, id, "private");

    expect(await ask(c, "message:send", { dialogId: id, clientKey: newKey(), body: "let me in" })).toEqual({
      ok: false,
      error: "dialog_not_found",
    });
    expect(await ask(c, "dialog:history", { dialogId: id })).toEqual({ ok: false, error: "dialog_not_found" });
    // Sync answers only for the caller's open dialogs: anything else is left out ("closed or not yours").
    expect(await ask(c, "dialog:sync", { dialogs: [{ dialogId: id, afterSeq: 0 }] })).toEqual({ ok: true, pages: {} });
    expect(await ask(c, "dialog:open", { peerId: (await t.createUser()).id })).toEqual({ ok: false, error: "peer_unavailable" });

    // Barrier: carol's own dialog receives a message after the private one.
    const dave = await t.createUser();
    const d = await connect(dave);
    const own = await open(c, dave.id);
    const m2 = await send(b[0]!, id, "still private");
    const mine = await send(d, own, "for carol");
    await c.log.waitFor("message:new", (m) => m.id === mine.id);
    expect(c.log.of("message:new").map((m) => m.id)).toEqual([mine.id]);
    expect(c.log.of("dialog:opened").map((o) => o.dialog.id)).toEqual([own]);

    const history = await ask(a[0]!, "dialog:history", { dialogId: id });
    expect(history.ok && history.messages.map((m) => m.id)).toEqual([m1.id, m2.id]);
  });
});
