import { describe, expect, it } from "vitest";
import { CachedUserLookup, type UserLookup } from "../../server/persistence/user-cache";

function source(users: Record<string, string>) {
  let calls = 0;
  const lookup: UserLookup = {
    async findById(id) {
      calls++;
      return id in users ? { id, displayName: users[id]! } : null;
    },
  };
  return { lookup, calls: () => calls };
}

describe("CachedUserLookup", () => {
  it("answers repeated lookups from memory until the TTL runs out", async () => {
    let t = 0;
    const s = source({ a: "Alice" });
    const cache = new CachedUserLookup(s.lookup, 1000, 10, () => t);
    expect(await cache.findById("a")).toEqual({ id: "a", displayName: "Alice" });
    expect(await cache.findById("a")).toEqual({ id: "a", displayName: "Alice" });
    expect(s.calls()).toBe(1);
    t = 1000;
    await cache.findById("a");
    expect(s.calls()).toBe(2);
  });

  it("never caches a miss, so a user created later can connect at once", async () => {
    const users: Record<string, string> = {};
    const s = source(users);
    const cache = new CachedUserLookup(s.lookup);
    expect(await cache.findById("b")).toBeNull();
    users.b = "Bob";
    expect(await cache.findById("b")).toEqual({ id: "b", displayName: "Bob" });
  });

  it("a removed user stops being found once the entry expires", async () => {
    let t = 0;
    const users: Record<string, string> = { c: "Carol" };
    const cache = new CachedUserLookup(source(users).lookup, 500, 10, () => t);
    await cache.findById("c");
    delete users.c;
    expect(await cache.findById("c")).not.toBeNull();
    t = 501;
    expect(await cache.findById("c")).toBeNull();
  });

  it("stays within its size bound, dropping the oldest entry", async () => {
    const s = source({ a: "A", b: "B", c: "C" });
    const cache = new CachedUserLookup(s.lookup, 60_000, 2);
    await cache.findById("a");
    await cache.findById("b");
    await cache.findById("c");
    const before = s.calls();
    await cache.findById("c");
    await cache.findById("b");
    expect(s.calls()).toBe(before);
    await cache.findById("a");
    expect(s.calls()).toBe(before + 1);
  });
});
