import { describe, expect, it } from "vitest";
import { Messenger, peerOf } from "@/server/core/messenger";
import type { UserProfile } from "@/server/core/types";

const GRACE = 3000;
const alice: UserProfile = { id: "alice", name: "Alice" };
const bob: UserProfile = { id: "bob", name: "Bob" };
const carol: UserProfile = { id: "carol", name: "Carol" };

function setup(maxDialogsPerUser = 10, restoreGraceMs?: number) {
  const clock = { t: 1_000, now: (): number => clock.t };
  const messenger = new Messenger({ clock, graceMs: GRACE, maxDialogsPerUser, restoreGraceMs });
  return { clock, messenger };
}

function open(m: Messenger, a: string, b: string) {
  const result = m.commitOpen(`d-${[a, b].sort().join("-")}`, a, b);
  if (!result.ok) throw new Error(`open failed: ${result.error}`);
  return result.dialog;
}

describe("Messenger presence", () => {
  it("multi-tab: two connections are one available user; closing one keeps them available", () => {
    const { messenger } = setup();
    messenger.connect(alice, "a1");
    messenger.connect(alice, "a2");
    expect(messenger.available()).toEqual([alice]);
    expect(messenger.connectionCount("alice")).toBe(2);
    expect(messenger.disconnect("alice", "a1")).toBeNull();
    expect(messenger.isAvailable("alice")).toBe(true);
    expect(messenger.nextWakeAt()).toBeNull();
  });

  it("grace: still available until now >= deadline, then offline exactly once", () => {
    const { clock, messenger } = setup();
    messenger.connect(alice, "a1");
    messenger.connect(bob, "b1");
    const d = open(messenger, "alice", "bob");
    expect(messenger.disconnect("alice", "a1")).toBeNull();
    expect(messenger.nextWakeAt()).toBe(1_000 + GRACE);
    clock.t = 1_000 + GRACE - 1;
    expect(messenger.expire()).toEqual([]);
    expect(messenger.isAvailable("alice")).toBe(true);
    expect(messenger.dialogFor("bob", d.id)).toEqual(d);
    clock.t = 1_000 + GRACE;
    expect(messenger.expire()).toEqual([{ user: alice, dialogs: [d] }]);
    expect(messenger.isAvailable("alice")).toBe(false);
    expect(messenger.dialogsOf("bob")).toEqual([]);
    clock.t += GRACE;
    expect(messenger.expire()).toEqual([]);
    expect(messenger.nextWakeAt()).toBeNull();
  });

  it("reconnecting within grace cancels the deadline and keeps the dialogs, which connect returns", () => {
    const { clock, messenger } = setup();
    messenger.connect(alice, "a1");
    messenger.connect(bob, "b1");
    const d = open(messenger, "alice", "bob");
    messenger.disconnect("alice", "a1");
    clock.t += GRACE - 1;
    expect(messenger.connect(alice, "a2")).toEqual([d]);
    expect(messenger.nextWakeAt()).toBeNull();
    clock.t += GRACE * 10;
    expect(messenger.expire()).toEqual([]);
    expect(messenger.dialogsOf("bob")).toEqual([d]);
  });

  it("immediate (sign-out) disconnect tears down at once and leaves nothing to expire", () => {
    const { clock, messenger } = setup();
    messenger.connect(alice, "a1");
    messenger.connect(bob, "b1");
    const d = open(messenger, "alice", "bob");
    expect(messenger.disconnect("alice", "a1", true)).toEqual({ user: alice, dialogs: [d] });
    expect(messenger.isAvailable("alice")).toBe(false);
    expect(messenger.dialogFor("bob", d.id)).toBeNull();
    expect(messenger.nextWakeAt()).toBeNull();
    clock.t += GRACE;
    expect(messenger.expire()).toEqual([]);
  });

  it("immediate disconnect of one of two tabs changes nothing", () => {
    const { messenger } = setup();
    messenger.connect(alice, "a1");
    messenger.connect(alice, "a2");
    expect(messenger.disconnect("alice", "a1", true)).toBeNull();
    expect(messenger.isAvailable("alice")).toBe(true);
    expect(messenger.connectionCount("alice")).toBe(1);
  });

  it("disconnect of an unknown connection or user is a no-op", () => {
    const { messenger } = setup();
    messenger.connect(alice, "a1");
    messenger.feed.drain();
    expect(messenger.disconnect("alice", "zzz")).toBeNull();
    expect(messenger.disconnect("alice", "zzz", true)).toBeNull();
    expect(messenger.disconnect("nobody", "a1", true)).toBeNull();
    expect(messenger.connectionCount("alice")).toBe(1);
    expect(messenger.nextWakeAt()).toBeNull();
    expect(messenger.feed.isEmpty).toBe(true);
  });

  it("nextWakeAt is the earliest deadline across users", () => {
    const { clock, messenger } = setup();
    messenger.connect(alice, "a1");
    messenger.connect(bob, "b1");
    clock.t = 5_000;
    messenger.disconnect("bob", "b1");
    clock.t = 6_000;
    messenger.disconnect("alice", "a1");
    expect(messenger.nextWakeAt()).toBe(5_000 + GRACE);
    clock.t = 5_000 + GRACE;
    expect(messenger.expire().map((t) => t.user)).toEqual([bob]);
    expect(messenger.nextWakeAt()).toBe(6_000 + GRACE);
  });

  it("available(excluding) leaves out the viewer", () => {
    const { messenger } = setup();
    messenger.connect(alice, "a1");
    messenger.connect(bob, "b1");
    expect(messenger.available("alice")).toEqual([bob]);
    expect(messenger.available().map((u) => u.id).sort()).toEqual(["alice", "bob"]);
    expect(messenger.profile("bob")).toEqual(bob);
  });
});

describe("Messenger presence feed", () => {
  it("announces the first connection only and offline only on teardown", () => {
    const { clock, messenger } = setup();
    messenger.connect(alice, "a1");
    messenger.connect(alice, "a2");
    expect(messenger.feed.drain()).toEqual({ online: [alice], offline: [] });
    messenger.disconnect("alice", "a1");
    messenger.disconnect("alice", "a2");
    expect(messenger.feed.drain()).toBeNull();
    clock.t += GRACE;
    messenger.expire();
    expect(messenger.feed.drain()).toEqual({ online: [], offline: ["alice"] });
  });

  it("offline then back online within one batch ends online", () => {
    const { messenger } = setup();
    messenger.connect(bob, "b1");
    messenger.feed.drain();
    messenger.disconnect("bob", "b1", true);
    messenger.connect(bob, "b2");
    expect(messenger.feed.drain()).toEqual({ online: [bob], offline: [] });
  });
});

describe("Messenger restore", () => {
  it("a restored dialog whose members never connect is torn down after one grace period", () => {
    const { clock, messenger } = setup();
    const d = messenger.restore("d1", alice, bob);
    expect(d).toEqual({ id: "d1", members: ["alice", "bob"] });
    expect(messenger.isAvailable("alice")).toBe(true);
    expect(messenger.isAvailable("bob")).toBe(true);
    expect(messenger.nextWakeAt()).toBe(1_000 + GRACE);
    clock.t = 1_000 + GRACE - 1;
    expect(messenger.expire()).toEqual([]);
    clock.t = 1_000 + GRACE;
    const teardowns = messenger.expire();
    expect(teardowns.map((t) => t.user.id).sort()).toEqual(["alice", "bob"]);
    expect(teardowns.flatMap((t) => t.dialogs)).toEqual([d]);
    expect(messenger.stats()).toEqual({ availableUsers: 0, openDialogs: 0, usersWithDialogs: 0 });
  });

  it("with restoreGraceMs, restored members are held that long instead of one grace period", () => {
    const RESTORE = 5 * GRACE;
    const { clock, messenger } = setup(10, RESTORE);
    const d = messenger.restore("d1", alice, bob);
    expect(messenger.nextWakeAt()).toBe(1_000 + RESTORE);
    clock.t = 1_000 + GRACE;
    expect(messenger.expire()).toEqual([]);
    expect(messenger.dialogFor("alice", "d1")).toEqual(d);
    // An ordinary disconnect still uses the normal grace period.
    messenger.connect(carol, "c1");
    messenger.disconnect("carol", "c1");
    expect(messenger.nextWakeAt()).toBe(1_000 + 2 * GRACE);
    clock.t = 1_000 + RESTORE - 1;
    expect(messenger.expire().map((t) => t.user.id)).toEqual(["carol"]);
    clock.t = 1_000 + RESTORE;
    expect(messenger.expire().flatMap((t) => t.dialogs)).toEqual([d]);
    expect(messenger.stats()).toEqual({ availableUsers: 0, openDialogs: 0, usersWithDialogs: 0 });
  });

  it("a restored member who connects keeps the dialog; the absent one tears it down", () => {
    const { clock, messenger } = setup();
    const d = messenger.restore("d1", alice, bob);
    expect(messenger.connect(alice, "a1")).toEqual([d]);
    clock.t += GRACE;
    const teardowns = messenger.expire();
    expect(teardowns).toEqual([{ user: bob, dialogs: [d] }]);
    expect(messenger.isAvailable("alice")).toBe(true);
    expect(messenger.dialogsOf("alice")).toEqual([]);
  });

  it("restore keeps a connected member connected and reuses an existing pair dialog", () => {
    const { clock, messenger } = setup();
    messenger.connect(alice, "a1");
    messenger.connect(carol, "c1");
    const first = messenger.restore("d1", alice, carol);
    expect(messenger.restore("d2", carol, alice)).toBe(first);
    expect(messenger.nextWakeAt()).toBeNull();
    clock.t += GRACE * 3;
    expect(messenger.expire()).toEqual([]);
    expect(messenger.dialogFor("carol", "d1")).toEqual(first);
    expect(peerOf(first, "carol")).toBe("alice");
  });
});
