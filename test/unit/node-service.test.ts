/**
 * The node service through its ports: what this node's clients are told, what is stored, and when
 * the service asks to be woken. (Presence and dialog rules themselves: messenger*.test.ts, dialogs.test.ts.)
 */
import { describe, expect, it } from "vitest";
import type { UserProfile } from "@/server/core/types";
import { TestNode, conversationId } from "./support/test-node";

const GRACE = 3000;
const BATCH = 250;
const alice: UserProfile = { id: "alice", name: "Alice" };
const bob: UserProfile = { id: "bob", name: "Bob" };
const carol: UserProfile = { id: "carol", name: "Carol" };

const setup = () => TestNode.start({ graceMs: GRACE, presenceBatchMs: BATCH, startAt: 1_000 });

describe("node service: presence to this node's clients", () => {
  it("coalesces changes over one batch window, asks to be woken at its end, and sends one batch", async () => {
    const node = await setup();
    node.connect(alice, "a1");
    expect(node.wakeAt).toBe(1_000 + BATCH);
    node.advance(100);
    node.connect(bob, "b1");
    expect(node.wakeAt).toBe(1_000 + BATCH);
    node.advance(BATCH - 101);
    node.wake();
    expect(node.clients.presence).toEqual([]);
    node.advance(1);
    node.wake();
    expect(node.clients.presence).toEqual([{ online: [alice, bob], offline: [] }]);
    expect(node.wakeAt).toBeNull();
  });

  it("sends a batch once changes pause for the quiet period, and a steady stream once per batch window", async () => {
    const QUIET = 40;
    const node = await TestNode.start({ graceMs: GRACE, presenceBatchMs: BATCH, presenceQuietMs: QUIET, startAt: 1_000 });
    // One login alone is told after the quiet period, not after the whole window.
    node.connect(alice, "a1");
    expect(node.wakeAt).toBe(1_000 + QUIET);
    node.advance(QUIET);
    node.wake();
    expect(node.clients.presence).toEqual([{ online: [alice], offline: [] }]);
    // A login every 30 ms (never quiet for 40): one batch per window, then one after the last login.
    const users = Array.from({ length: 20 }, (_, i): UserProfile => ({ id: `u${i}`, name: `U${i}` }));
    const start = node.clock.now();
    const sentAt: number[] = [];
    for (const [i, u] of users.entries()) {
      node.connect(u, `c${i}`);
      for (let step = 0; step < 30; step++) {
        node.advance(1);
        if (node.wakeAt !== null && node.wakeAt <= node.clock.now()) {
          const before = node.clients.presence.length;
          node.wake();
          if (node.clients.presence.length > before) sentAt.push(node.clock.now() - start);
        }
      }
    }
    node.advance(QUIET);
    node.wake();
    // A window starts at the first change after a batch: logins at 0, 30, ... 570 ms.
    expect(sentAt).toEqual([BATCH, 270 + BATCH]);
    const batches = node.clients.presence.slice(1);
    expect(batches).toHaveLength(3);
    expect(batches.flatMap((b) => b.online)).toEqual(users);
  });

  it("a welcome lists everyone else available, never the viewer, with the viewer's open dialogs", async () => {
    const node = await setup();
    node.connect(alice, "a1");
    node.connect(bob, "b1");
    const opened = await node.open("alice", "bob");
    expect(opened.ok).toBe(true);
    node.advance(BATCH);
    node.wake();
    const welcome = node.service.connect(alice, "a2");
    expect(welcome.users.filter((u) => u.id !== "alice")).toEqual([bob]);
    expect(welcome.dialogs).toEqual([{ id: conversationId("alice", "bob"), peer: bob }]);
  });

  it("the welcome snapshot is rebuilt after each flush, so it never misses a flushed change", async () => {
    const node = await setup();
    node.connect(alice, "a1");
    expect(node.service.connect(bob, "b1").users.filter((u) => u.id !== "bob")).toEqual([alice]);
    node.advance(BATCH);
    node.wake();
    expect(node.service.connect(carol, "c1").users.filter((u) => u.id !== "carol")).toEqual([alice, bob]);
  });

  it("wakes at the earliest of the next flush and the next grace deadline", async () => {
    const node = await setup();
    node.connect(alice, "a1");
    node.advance(BATCH);
    node.wake();
    node.service.disconnect("alice", "a1", "s");
    expect(node.wakeAt).toBe(1_000 + BATCH + GRACE);
    node.advance(GRACE);
    node.wake();
    expect(node.bus.departures).toEqual(["alice"]);
    expect(node.wakeAt).toBe(1_000 + BATCH + GRACE + BATCH);
  });

  it("after stop, nothing more is flushed or scheduled", async () => {
    const node = await setup();
    node.connect(alice, "a1");
    node.service.stop();
    expect(node.wakeAt).toBeNull();
    node.advance(BATCH);
    node.wake();
    node.connect(bob, "b1");
    expect(node.clients.presence).toEqual([]);
    expect(node.wakeAt).toBeNull();
  });
});

describe("node service: dialogs", () => {
  it("an open checkpoints the stored flag before the proposal and tells both members once", async () => {
    const node = await setup();
    node.connect(alice, "a1");
    node.connect(bob, "b1");
    const id = conversationId("alice", "bob");
    expect(await node.open("alice", "bob")).toMatchObject({ ok: true, created: true, dialog: { id } });
    expect(node.store.isOpen(id)).toBe(true);
    expect(node.clients.opened).toEqual([
      { userId: "alice", dialog: { id, peer: bob } },
      { userId: "bob", dialog: { id, peer: alice } },
    ]);
    expect(await node.open("bob", "alice")).toMatchObject({ ok: true, created: false, dialog: { id } });
    expect(node.clients.opened).toHaveLength(2);
  });

  it("a teardown tells both sides why, takes this node's clients out of the dialog, and clears the stored flag", async () => {
    const node = await setup();
    node.connect(alice, "a1");
    node.connect(bob, "b1");
    await node.open("alice", "bob");
    const id = conversationId("alice", "bob");
    node.service.disconnect("bob", "b1", "s");
    node.advance(GRACE);
    node.wake();
    expect(node.clients.closed).toEqual([
      {
        dialogId: id,
        notices: [
          { to: "alice", reason: "peer_offline", peer: bob },
          { to: "bob", reason: "you_offline", peer: alice },
        ],
      },
    ]);
    expect(node.store.isOpen(id)).toBe(false);
  });
});

describe("node service: sign-out", () => {
  it("ends the session's clients here at once and announces it; its sockets then leave without grace", async () => {
    const node = await setup();
    node.connect(alice, "a1");
    node.connect(bob, "b1");
    void node.service.endSession("alice", "browser-1");
    expect(node.clients.endedSessions).toEqual(["browser-1", "browser-1"]); // here at once, then from the bus
    expect(node.events.at(-1)).toEqual({ t: "session-ended", userId: "alice", sessionId: "browser-1" });
    expect(node.service.disconnect("alice", "a1", "browser-1")).toEqual({ signedOut: true });
    expect(node.messenger.isAvailable("alice")).toBe(false);
    expect(node.bus.departures).toEqual(["alice"]);
  });

  it("another browser session of the same user keeps the grace period", async () => {
    const node = await setup();
    node.connect(alice, "a1");
    void node.service.endSession("alice", "browser-1");
    expect(node.service.disconnect("alice", "a1", "browser-2")).toEqual({ signedOut: false });
    expect(node.messenger.isAvailable("alice")).toBe(true);
  });

  it("a session-ended event from another node ends this node's clients of that session", async () => {
    const node = await setup();
    node.connect(alice, "a1");
    await node.bus.sessionEnded("alice", "browser-9"); // as if applied from another node
    expect(node.clients.endedSessions).toEqual(["browser-9"]);
    expect(node.service.disconnect("alice", "a1", "browser-9")).toEqual({ signedOut: true });
  });

  it("the ended session is remembered for a while only (the cookie may sign in again later)", async () => {
    const node = await setup();
    node.connect(alice, "a1");
    void node.service.endSession("alice", "browser-1");
    node.advance(60_000);
    expect(node.service.disconnect("alice", "a1", "browser-1")).toEqual({ signedOut: false });
  });
});
