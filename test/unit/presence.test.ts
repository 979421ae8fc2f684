import { describe, expect, it } from "vitest";
import { Presence } from "@/server/core/presence";
import type { UserProfile } from "@/server/core/types";

const GRACE = 3000;
const alice: UserProfile = { id: "alice", name: "Alice" };
const bob: UserProfile = { id: "bob", name: "Bob" };

describe("Presence: connections", () => {
  it("the first connection makes a user available, further ones do not report a change", () => {
    const p = new Presence(GRACE);
    expect(p.isAvailable("alice")).toBe(false);
    expect(p.connect(alice, "c1")).toBe(true);
    expect(p.connect(alice, "c2")).toBe(false);
    expect(p.isAvailable("alice")).toBe(true);
    expect(p.connectionCount("alice")).toBe(2);
    expect(p.size).toBe(1);
    expect(p.available()).toEqual([alice]);
  });

  it("connecting the same connection id twice counts it once", () => {
    const p = new Presence(GRACE);
    p.connect(alice, "c1");
    p.connect(alice, "c1");
    expect(p.connectionCount("alice")).toBe(1);
    expect(p.disconnect("alice", "c1", 0, false)).toBeNull();
    expect(p.nextExpiry()).toBe(GRACE);
  });

  it("multi-tab: closing one of two tabs keeps the user available with no deadline", () => {
    const p = new Presence(GRACE);
    p.connect(alice, "c1");
    p.connect(alice, "c2");
    expect(p.disconnect("alice", "c1", 100, false)).toBeNull();
    expect(p.isAvailable("alice")).toBe(true);
    expect(p.connectionCount("alice")).toBe(1);
    expect(p.nextExpiry()).toBeNull();
    expect(p.expire(1_000_000)).toEqual([]);
    expect(p.isAvailable("alice")).toBe(true);
  });

  it("a later connection updates the profile", () => {
    const p = new Presence(GRACE);
    p.connect(alice, "c1");
    p.connect({ id: "alice", name: "Alice Renamed" }, "c2");
    expect(p.profile("alice")).toEqual({ id: "alice", name: "Alice Renamed" });
  });

  it("unknown users and unknown connections are no-ops", () => {
    const p = new Presence(GRACE);
    expect(p.disconnect("ghost", "c1", 0, false)).toBeNull();
    expect(p.disconnect("ghost", "c1", 0, true)).toBeNull();
    p.connect(alice, "c1");
    expect(p.disconnect("alice", "nope", 0, true)).toBeNull();
    expect(p.disconnect("bob", "c1", 0, true)).toBeNull();
    expect(p.connectionCount("alice")).toBe(1);
    expect(p.nextExpiry()).toBeNull();
    expect(p.profile("ghost")).toBeUndefined();
    expect(p.connectionCount("ghost")).toBe(0);
  });
});

describe("Presence: grace period", () => {
  it("the last disconnect starts a grace period; available until now reaches the deadline", () => {
    const p = new Presence(GRACE);
    p.connect(alice, "c1");
    expect(p.disconnect("alice", "c1", 1000, false)).toBeNull();
    expect(p.isAvailable("alice")).toBe(true);
    expect(p.connectionCount("alice")).toBe(0);
    expect(p.nextExpiry()).toBe(1000 + GRACE);
    expect(p.expire(1000 + GRACE - 1)).toEqual([]);
    expect(p.isAvailable("alice")).toBe(true);
    expect(p.expire(1000 + GRACE)).toEqual([alice]);
    expect(p.isAvailable("alice")).toBe(false);
    expect(p.nextExpiry()).toBeNull();
    expect(p.size).toBe(0);
  });

  it("expire declares a user offline exactly once", () => {
    const p = new Presence(GRACE);
    p.connect(alice, "c1");
    p.disconnect("alice", "c1", 0, false);
    expect(p.expire(GRACE + 5)).toEqual([alice]);
    expect(p.expire(GRACE + 10)).toEqual([]);
    expect(p.expire(10 * GRACE)).toEqual([]);
  });

  it("reconnecting within the grace period cancels the deadline", () => {
    const p = new Presence(GRACE);
    p.connect(alice, "c1");
    p.disconnect("alice", "c1", 0, false);
    expect(p.connect(alice, "c2")).toBe(false);
    expect(p.nextExpiry()).toBeNull();
    expect(p.expire(GRACE * 10)).toEqual([]);
    expect(p.isAvailable("alice")).toBe(true);
  });

  it("a second grace period starts from the second disconnect, not the first", () => {
    const p = new Presence(GRACE);
    p.connect(alice, "c1");
    p.disconnect("alice", "c1", 0, false);
    p.connect(alice, "c2");
    p.disconnect("alice", "c2", 2000, false);
    expect(p.nextExpiry()).toBe(2000 + GRACE);
    expect(p.expire(GRACE)).toEqual([]);
    expect(p.expire(2000 + GRACE)).toEqual([alice]);
  });

  it("nextExpiry is the earliest deadline and expire only takes those due", () => {
    const p = new Presence(GRACE);
    p.connect(alice, "a1");
    p.connect(bob, "b1");
    p.disconnect("bob", "b1", 500, false);
    p.disconnect("alice", "a1", 200, false);
    expect(p.nextExpiry()).toBe(200 + GRACE);
    expect(p.expire(200 + GRACE)).toEqual([alice]);
    expect(p.nextExpiry()).toBe(500 + GRACE);
    expect(p.isAvailable("bob")).toBe(true);
    expect(p.expire(500 + GRACE)).toEqual([bob]);
    expect(p.available()).toEqual([]);
  });

  it("zero grace: the user stays until expire is called with the same instant", () => {
    const p = new Presence(0);
    p.connect(alice, "c1");
    p.disconnect("alice", "c1", 42, false);
    expect(p.isAvailable("alice")).toBe(true);
    expect(p.nextExpiry()).toBe(42);
    expect(p.expire(42)).toEqual([alice]);
  });
});

describe("Presence: immediate disconnect (sign-out)", () => {
  it("the last connection closing immediately removes the user at once", () => {
    const p = new Presence(GRACE);
    p.connect(alice, "c1");
    expect(p.disconnect("alice", "c1", 0, true)).toEqual(alice);
    expect(p.isAvailable("alice")).toBe(false);
    expect(p.nextExpiry()).toBeNull();
    expect(p.expire(GRACE * 2)).toEqual([]);
    expect(p.size).toBe(0);
  });

  it("an immediate disconnect with other tabs left keeps the user available", () => {
    const p = new Presence(GRACE);
    p.connect(alice, "c1");
    p.connect(alice, "c2");
    expect(p.disconnect("alice", "c1", 0, true)).toBeNull();
    expect(p.isAvailable("alice")).toBe(true);
    expect(p.disconnect("alice", "c2", 0, true)).toEqual(alice);
    expect(p.isAvailable("alice")).toBe(false);
  });
});

describe("Presence: hold", () => {
  it("holds an absent user for one grace period", () => {
    const p = new Presence(GRACE);
    p.hold(bob, 100);
    expect(p.isAvailable("bob")).toBe(true);
    expect(p.connectionCount("bob")).toBe(0);
    expect(p.nextExpiry()).toBe(100 + GRACE);
    expect(p.expire(100 + GRACE - 1)).toEqual([]);
    expect(p.expire(100 + GRACE)).toEqual([bob]);
    expect(p.isAvailable("bob")).toBe(false);
  });

  it("a held user who connects is no longer due to expire, and connect reports no change", () => {
    const p = new Presence(GRACE);
    p.hold(bob, 0);
    expect(p.connect(bob, "b1")).toBe(false);
    expect(p.nextExpiry()).toBeNull();
    expect(p.expire(GRACE * 5)).toEqual([]);
    expect(p.isAvailable("bob")).toBe(true);
  });

  it("hold takes an explicit hold time", () => {
    const p = new Presence(GRACE);
    p.hold(bob, 100, 10 * GRACE);
    expect(p.nextExpiry()).toBe(100 + 10 * GRACE);
    expect(p.expire(100 + GRACE)).toEqual([]);
    expect(p.expire(100 + 10 * GRACE)).toEqual([bob]);
  });

  it("hold does not touch a user in their grace period", () => {
    const p = new Presence(GRACE);
    p.connect(alice, "a1");
    p.disconnect("alice", "a1", 0, false);
    p.hold(alice, 500, 10 * GRACE);
    expect(p.nextExpiry()).toBe(GRACE);
  });

  it("hold does not touch a user who is already present", () => {
    const p = new Presence(GRACE);
    p.connect(alice, "a1");
    p.hold({ id: "alice", name: "Other" }, 0);
    expect(p.nextExpiry()).toBeNull();
    expect(p.profile("alice")).toEqual(alice);
    expect(p.connectionCount("alice")).toBe(1);
  });
});
