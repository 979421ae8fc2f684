import { describe, expect, it } from "vitest";
import { Messenger, peerOf } from "@/server/core/messenger";
import type { UserProfile } from "@/server/core/types";
import { TestNode, replicaState } from "./support/test-node";

const GRACE = 3000;
const alice: UserProfile = { id: "alice", name: "Alice" };
const bob: UserProfile = { id: "bob", name: "Bob" };
const carol: UserProfile = { id: "carol", name: "Carol" };
const ZERO = { availableUsers: 0, localUsers: 0, openDialogs: 0, usersWithDialogs: 0 };

async function setup(maxDialogsPerUser = 10, restoreGraceMs?: number) {
  const node = await TestNode.start({
    graceMs: GRACE,
    maxDialogsPerUser,
    ...(restoreGraceMs === undefined ? {} : { restoreGraceMs }),
    startAt: 1_000,
  });
  return { node, messenger: node.messenger };
}

async function open(node: TestNode, a: string, b: string) {
  const result = await node.open(a, b);
  if (!result.ok) throw new Error(`open failed: ${result.error}`);
  return result.dialog;
}

function replica(clock = { now: () => 0 }) {
  return new Messenger({ clock, graceMs: GRACE, maxDialogsPerUser: 10 });
}

describe("single node: presence", () => {
  it("multi-tab: two connections are one available user, announced once; closing one keeps them available", async () => {
    const { node, messenger } = await setup();
    expect(node.connect(alice, "a1")).toEqual({ cameOnline: true, dialogs: [] });
    expect(node.connect(alice, "a2")).toEqual({ cameOnline: false, dialogs: [] });
    expect(node.events).toEqual([{ t: "online", user: alice }]);
    expect(messenger.available()).toEqual([alice]);
    expect(messenger.connectionCount("alice")).toBe(2);
    expect(node.disconnect("alice", "a1")).toEqual({ left: null, teardown: null });
    expect(messenger.isAvailable("alice")).toBe(true);
    expect(messenger.connectionCount("alice")).toBe(1);
    expect(messenger.nextWakeAt()).toBeNull();
    expect(node.events).toHaveLength(1);
  });

  it("grace: still available until now >= deadline, then leaves exactly once and the dialog is torn down", async () => {
    const { node, messenger } = await setup();
    node.connect(alice, "a1");
    node.connect(bob, "b1");
    const d = await open(node, "alice", "bob");
    expect(node.disconnect("alice", "a1")).toEqual({ left: null, teardown: null });
    expect(messenger.connectionCount("alice")).toBe(0);
    expect(messenger.nextWakeAt()).toBe(1_000 + GRACE);
    node.clock.t = 1_000 + GRACE - 1;
    expect(node.expire()).toEqual({ left: [], teardowns: [] });
    expect(messenger.isAvailable("alice")).toBe(true);
    expect(messenger.dialogFor("bob", d.id)).toEqual(d);
    node.clock.t = 1_000 + GRACE;
    expect(node.expire()).toEqual({ left: [alice], teardowns: [{ user: alice, dialogs: [d] }] });
    expect(messenger.isAvailable("alice")).toBe(false);
    expect(messenger.dialogsOf("bob")).toEqual([]);
    expect(messenger.dialogFor("bob", d.id)).toBeNull();
    node.advance(GRACE);
    expect(node.expire()).toEqual({ left: [], teardowns: [] });
    expect(messenger.nextWakeAt()).toBeNull();
    expect(node.events.filter((e) => e.t === "offline")).toEqual([{ t: "offline", userId: "alice" }]);
  });

  it("reconnecting within grace cancels the deadline and keeps the dialogs, which connect returns", async () => {
    const { node, messenger } = await setup();
    node.connect(alice, "a1");
    node.connect(bob, "b1");
    const d = await open(node, "alice", "bob");
    node.disconnect("alice", "a1");
    node.advance(GRACE - 1);
    const eventsBefore = node.events.length;
    expect(node.connect(alice, "a2")).toEqual({ cameOnline: false, dialogs: [d] });
    expect(node.events).toHaveLength(eventsBefore);
    expect(messenger.nextWakeAt()).toBeNull();
    node.advance(GRACE * 10);
    expect(node.expire()).toEqual({ left: [], teardowns: [] });
    expect(messenger.dialogsOf("bob")).toEqual([d]);
  });

  it("immediate (sign-out) disconnect leaves at once, tears down on both sides and leaves nothing to expire", async () => {
    const { node, messenger } = await setup();
    node.connect(alice, "a1");
    node.connect(bob, "b1");
    const d = await open(node, "alice", "bob");
    expect(node.disconnect("alice", "a1", true)).toEqual({ left: alice, teardown: { user: alice, dialogs: [d] } });
    expect(messenger.isAvailable("alice")).toBe(false);
    expect(messenger.dialogFor("bob", d.id)).toBeNull();
    expect(messenger.dialogsOf("bob")).toEqual([]);
    expect(messenger.nextWakeAt()).toBeNull();
    node.advance(GRACE);
    expect(node.expire()).toEqual({ left: [], teardowns: [] });
  });

  it("immediate disconnect of one of two tabs changes nothing", async () => {
    const { node, messenger } = await setup();
    node.connect(alice, "a1");
    node.connect(alice, "a2");
    expect(node.disconnect("alice", "a1", true)).toEqual({ left: null, teardown: null });
    expect(messenger.isAvailable("alice")).toBe(true);
    expect(messenger.connectionCount("alice")).toBe(1);
    expect(node.disconnect("alice", "a2", true)).toEqual({ left: alice, teardown: { user: alice, dialogs: [] } });
  });

  it("disconnect of an unknown connection or user is a no-op", async () => {
    const { node, messenger } = await setup();
    node.connect(alice, "a1");
    messenger.feed.drain();
    expect(messenger.disconnect("alice", "zzz")).toBeNull();
    expect(messenger.disconnect("alice", "zzz", true)).toBeNull();
    expect(messenger.disconnect("nobody", "a1", true)).toBeNull();
    expect(messenger.connectionCount("alice")).toBe(1);
    expect(messenger.nextWakeAt()).toBeNull();
    expect(messenger.feed.isEmpty).toBe(true);
    expect(messenger.isAvailable("alice")).toBe(true);
  });

  it("nextWakeAt is the earliest deadline across users; expire takes only those due", async () => {
    const { node, messenger } = await setup();
    node.connect(alice, "a1");
    node.connect(bob, "b1");
    node.clock.t = 5_000;
    node.disconnect("bob", "b1");
    node.clock.t = 6_000;
    node.disconnect("alice", "a1");
    expect(messenger.nextWakeAt()).toBe(5_000 + GRACE);
    node.clock.t = 5_000 + GRACE;
    expect(node.expire().left).toEqual([bob]);
    expect(messenger.isAvailable("alice")).toBe(true);
    expect(messenger.nextWakeAt()).toBe(6_000 + GRACE);
  });

  it("available(excluding) leaves out the viewer; profile comes from the replica", async () => {
    const { node, messenger } = await setup();
    node.connect(alice, "a1");
    node.connect(bob, "b1");
    expect(messenger.available("alice")).toEqual([bob]);
    expect(
      messenger
        .available()
        .map((u) => u.id)
        .sort(),
    ).toEqual(["alice", "bob"]);
    expect(messenger.profile("bob")).toEqual(bob);
    expect(messenger.profile("carol")).toBeUndefined();
  });

  it("a user who left comes back online as new: announced again, with no dialogs", async () => {
    const { node, messenger } = await setup();
    node.connect(alice, "a1");
    node.connect(bob, "b1");
    await open(node, "alice", "bob");
    node.disconnect("alice", "a1", true);
    expect(node.connect(alice, "a2")).toEqual({ cameOnline: true, dialogs: [] });
    expect(node.events.filter((e) => e.t === "online")).toHaveLength(3);
    expect(messenger.isAvailable("alice")).toBe(true);
    expect(messenger.dialogsOf("alice")).toEqual([]);
    expect(messenger.stats()).toEqual({ availableUsers: 2, localUsers: 2, openDialogs: 0, usersWithDialogs: 0 });
  });
});

describe("single node: presence feed", () => {
  it("announces the first connection only, and offline only when the replica applies the departure", async () => {
    const { node, messenger } = await setup();
    node.connect(alice, "a1");
    node.connect(alice, "a2");
    expect(messenger.feed.drain()).toEqual({ online: [alice], offline: [] });
    node.disconnect("alice", "a1");
    node.disconnect("alice", "a2");
    expect(messenger.feed.drain()).toBeNull();
    node.advance(GRACE);
    node.expire();
    expect(messenger.feed.drain()).toEqual({ online: [], offline: ["alice"] });
  });

  it("offline then back online within one batch ends online", async () => {
    const { node, messenger } = await setup();
    node.connect(bob, "b1");
    messenger.feed.drain();
    node.disconnect("bob", "b1", true);
    node.connect(bob, "b2");
    expect(messenger.feed.drain()).toEqual({ online: [bob], offline: [] });
  });
});

describe("single node: restore after a restart", () => {
  it("a restored dialog whose members never connect is torn down after one grace period (no restoreGraceMs)", async () => {
    const { node, messenger } = await setup();
    const [r] = await node.restore({ id: "d1", a: alice, b: bob });
    expect(r).toEqual({ dialog: { id: "d1", members: ["alice", "bob"] }, created: true });
    const d = r!.dialog;
    expect(messenger.isAvailable("alice")).toBe(true);
    expect(messenger.isAvailable("bob")).toBe(true);
    expect(messenger.connectionCount("alice")).toBe(0);
    expect(messenger.feed.drain()).toEqual({ online: [alice, bob], offline: [] });
    expect(messenger.nextWakeAt()).toBe(1_000 + GRACE);
    node.clock.t = 1_000 + GRACE - 1;
    expect(node.expire().left).toEqual([]);
    node.clock.t = 1_000 + GRACE;
    const { left, teardowns } = node.expire();
    expect(left.map((u) => u.id).sort()).toEqual(["alice", "bob"]);
    expect(teardowns.flatMap((t) => t.dialogs)).toEqual([d]);
    expect(messenger.stats()).toEqual(ZERO);
  });

  it("with restoreGraceMs, restored members are held that long; an ordinary disconnect still gets the grace period", async () => {
    const RESTORE = 5 * GRACE;
    const { node, messenger } = await setup(10, RESTORE);
    const d = (await node.restore({ id: "d1", a: alice, b: bob }))[0]!.dialog;
    expect(messenger.nextWakeAt()).toBe(1_000 + RESTORE);
    node.clock.t = 1_000 + GRACE;
    expect(node.expire().left).toEqual([]);
    expect(messenger.dialogFor("alice", "d1")).toEqual(d);
    node.connect(carol, "c1");
    node.disconnect("carol", "c1");
    expect(messenger.nextWakeAt()).toBe(1_000 + 2 * GRACE);
    node.clock.t = 1_000 + RESTORE - 1;
    expect(node.expire()).toEqual({ left: [carol], teardowns: [{ user: carol, dialogs: [] }] });
    expect(messenger.dialogFor("bob", "d1")).toEqual(d);
    node.clock.t = 1_000 + RESTORE;
    expect(node.expire().teardowns.flatMap((t) => t.dialogs)).toEqual([d]);
    expect(messenger.stats()).toEqual(ZERO);
  });

  it("a restored member who connects keeps the dialog; the absent one tears it down", async () => {
    const { node, messenger } = await setup();
    const d = (await node.restore({ id: "d1", a: alice, b: bob }))[0]!.dialog;
    expect(node.connect(alice, "a1")).toEqual({ cameOnline: false, dialogs: [d] });
    expect(messenger.nextWakeAt()).toBe(1_000 + GRACE);
    node.advance(GRACE);
    expect(node.expire()).toEqual({ left: [bob], teardowns: [{ user: bob, dialogs: [d] }] });
    expect(messenger.isAvailable("alice")).toBe(true);
    expect(messenger.dialogsOf("alice")).toEqual([]);
    expect(messenger.stats()).toEqual({ availableUsers: 1, localUsers: 1, openDialogs: 0, usersWithDialogs: 0 });
  });

  it("restore keeps a connected member connected (no hold, no second announcement) and reuses an existing pair dialog", async () => {
    const { node, messenger } = await setup();
    node.connect(alice, "a1");
    node.connect(carol, "c1");
    const [first, second] = await node.restore({ id: "d1", a: alice, b: carol }, { id: "d2", a: carol, b: alice });
    expect(first).toEqual({ dialog: { id: "d1", members: ["alice", "carol"] }, created: true });
    expect(second?.created).toBe(false);
    expect(second?.dialog).toBe(first?.dialog);
    expect(node.events.filter((e) => e.t === "online")).toHaveLength(2);
    expect(messenger.nextWakeAt()).toBeNull();
    node.advance(GRACE * 3);
    expect(node.expire().left).toEqual([]);
    expect(messenger.dialogFor("carol", "d1")).toEqual(first!.dialog);
    expect(messenger.dialogFor("carol", "d2")).toBeNull();
    expect(peerOf(first!.dialog, "carol")).toBe("alice");
  });

  it("hold is true only for a user this node does not have yet", async () => {
    const { node, messenger } = await setup();
    node.connect(alice, "a1");
    expect(messenger.hold(alice)).toBe(false);
    expect(messenger.connectionCount("alice")).toBe(1);
    expect(messenger.nextWakeAt()).toBeNull();
    expect(messenger.hold(bob)).toBe(true);
    expect(messenger.hold(bob)).toBe(false);
    expect(messenger.connectionCount("bob")).toBe(0);
    expect(messenger.nextWakeAt()).toBe(1_000 + GRACE);
    // The hold is local presence only: the replica learns of bob from the bus.
    expect(messenger.isAvailable("bob")).toBe(false);
    expect(messenger.stats()).toMatchObject({ availableUsers: 1, localUsers: 2 });
    node.advance(GRACE);
    expect(messenger.expire()).toEqual([bob]);
  });
});

describe("the replica: applying bus events", () => {
  it("applyOnline makes a user available and feeds the change; again is idempotent and keeps the latest profile", () => {
    const m = replica();
    m.applyOnline(alice);
    m.applyOnline(bob);
    m.applyOnline({ id: "alice", name: "Alice 2" });
    expect(m.available()).toEqual([{ id: "alice", name: "Alice 2" }, bob]);
    expect(m.isAvailable("alice")).toBe(true);
    expect(m.profile("alice")).toEqual({ id: "alice", name: "Alice 2" });
    expect(m.feed.drain()).toEqual({ online: [{ id: "alice", name: "Alice 2" }, bob], offline: [] });
    // Replica only: this node has no connection of theirs.
    expect(m.connectionCount("alice")).toBe(0);
    expect(m.stats()).toEqual({ availableUsers: 2, localUsers: 0, openDialogs: 0, usersWithDialogs: 0 });
  });

  it("applyOffline of an unknown user (or a second time) returns null and feeds nothing", () => {
    const m = replica();
    expect(m.applyOffline("ghost")).toBeNull();
    expect(m.feed.isEmpty).toBe(true);
    m.applyOnline(alice);
    m.feed.drain();
    expect(m.applyOffline("alice")).toEqual({ user: alice, dialogs: [] });
    expect(m.feed.drain()).toEqual({ online: [], offline: ["alice"] });
    expect(m.applyOffline("alice")).toBeNull();
    expect(m.feed.isEmpty).toBe(true);
    expect(m.stats()).toEqual(ZERO);
  });

  it("applyDialog is refused for a === b, and for a member not available at this point of the order", () => {
    const m = replica();
    m.applyOnline(alice);
    expect(m.applyDialog("x", "alice", "alice")).toBeNull();
    expect(m.applyDialog("x", "alice", "bob")).toBeNull();
    expect(m.applyDialog("x", "bob", "alice")).toBeNull();
    expect(m.applyDialog("x", "bob", "carol")).toBeNull();
    m.applyOnline(bob);
    m.applyOffline("bob");
    expect(m.applyDialog("x", "alice", "bob")).toBeNull();
    expect(m.dialogsOf("alice")).toEqual([]);
    expect(m.dialogFor("alice", "x")).toBeNull();
    expect(m.stats()).toMatchObject({ openDialogs: 0, usersWithDialogs: 0 });
  });

  it("applyDialog creates once per pair; a concurrent open (either direction, any id) gets created:false and the first dialog", () => {
    const m = replica();
    m.applyOnline(alice);
    m.applyOnline(bob);
    const first = m.applyDialog("d1", "bob", "alice");
    expect(first).toEqual({ dialog: { id: "d1", members: ["bob", "alice"] }, created: true });
    const again = m.applyDialog("d1", "alice", "bob");
    expect(again?.created).toBe(false);
    expect(again?.dialog).toBe(first?.dialog);
    expect(m.applyDialog("d9", "bob", "alice")).toEqual({ dialog: first!.dialog, created: false });
    expect(m.dialogFor("alice", "d9")).toBeNull();
    expect(m.stats()).toMatchObject({ openDialogs: 1, usersWithDialogs: 2 });
  });

  it("applyOffline removes every dialog of the user on both sides, and only theirs", () => {
    const m = replica();
    for (const u of [alice, bob, carol]) m.applyOnline(u);
    const ab = m.applyDialog("ab", "alice", "bob")!.dialog;
    const ca = m.applyDialog("ca", "carol", "alice")!.dialog;
    const bc = m.applyDialog("bc", "bob", "carol")!.dialog;
    const t = m.applyOffline("alice");
    expect(t?.user).toEqual(alice);
    expect(t?.dialogs.map((d) => d.id).sort()).toEqual(["ab", "ca"]);
    expect(t?.dialogs).toContain(ab);
    expect(t?.dialogs).toContain(ca);
    expect(m.dialogsOf("bob")).toEqual([bc]);
    expect(m.dialogsOf("carol")).toEqual([bc]);
    expect(m.planOpen("bob", "alice")).toEqual({ kind: "refused", error: "peer_unavailable" });
    expect(m.stats()).toEqual({ availableUsers: 2, localUsers: 0, openDialogs: 1, usersWithDialogs: 2 });
  });

  it("the replica is not the local presence: a local connection is not available until its online event applies", () => {
    const m = replica();
    m.applyOnline(bob);
    expect(m.connect(alice, "a1").cameOnline).toBe(true);
    expect(m.isAvailable("alice")).toBe(false);
    expect(m.available()).toEqual([bob]);
    expect(m.planOpen("alice", "bob")).toEqual({ kind: "refused", error: "peer_unavailable" });
    expect(m.planOpen("bob", "alice")).toEqual({ kind: "refused", error: "peer_unavailable" });
    m.applyOnline(alice);
    expect(m.planOpen("alice", "bob")).toEqual({ kind: "create", members: ["alice", "bob"] });
    // And leaving this node changes nothing in the replica until the offline event applies.
    expect(m.disconnect("alice", "a1", true)).toEqual(alice);
    expect(m.isAvailable("alice")).toBe(true);
  });

  it("a replica on another node that applies the same events in the same order ends identical", async () => {
    const { node, messenger } = await setup(2);
    node.connect(alice, "a1");
    node.connect(bob, "b1");
    node.connect(carol, "c1");
    await open(node, "alice", "bob");
    await open(node, "carol", "bob");
    node.disconnect("alice", "a1", true);
    node.connect(alice, "a2");
    await open(node, "carol", "alice");
    const users = ["alice", "bob", "carol"];
    const other = node.replay();
    expect(other.stats().localUsers).toBe(0);
    expect(replicaState(other, users)).toEqual(replicaState(messenger, users));
    expect(replicaState(messenger, users).stats).toEqual({ availableUsers: 3, openDialogs: 2, usersWithDialogs: 3 });
  });
});

describe("stats", () => {
  it("return to zero after everyone leaves (no leaked index entries, local or replica)", async () => {
    const { node, messenger } = await setup();
    node.connect(alice, "a1");
    node.connect(alice, "a2");
    node.connect(bob, "b1");
    node.connect(carol, "c1");
    await open(node, "alice", "bob");
    await open(node, "bob", "carol");
    await open(node, "alice", "carol");
    expect(messenger.stats()).toEqual({ availableUsers: 3, localUsers: 3, openDialogs: 3, usersWithDialogs: 3 });
    node.disconnect("alice", "a1");
    node.disconnect("alice", "a2");
    node.disconnect("bob", "b1", true);
    node.disconnect("carol", "c1");
    node.advance(GRACE);
    node.expire();
    expect(messenger.stats()).toEqual(ZERO);
    expect(messenger.available()).toEqual([]);
    expect(messenger.nextWakeAt()).toBeNull();
  });
});
