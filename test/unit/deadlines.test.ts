// Deadlines against the obvious model (a map scanned in full): same earliest deadline and same due
// keys after any sequence of sets, moves, deletes and expiries; and presence at a whole node's scale.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Deadlines } from "@/server/core/deadlines";
import { Presence } from "@/server/core/presence";

type Op = { kind: "set"; key: number; at: number } | { kind: "delete"; key: number } | { kind: "due"; now: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("set" as const), key: fc.nat(30), at: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), key: fc.nat(30) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("due" as const), now: fc.nat(1000) }) },
);

function modelDue(model: Map<number, number>, now: number): number[] {
  const due = [...model].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
  for (const [key] of due) model.delete(key);
  return due.map(([key]) => key);
}

describe("Deadlines", () => {
  it("agrees with a scanned map: earliest deadline, size, and the keys due (earliest first), after any operations", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const d = new Deadlines<number>();
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === "set") {
            d.set(o.key, o.at);
            model.set(o.key, o.at);
          } else if (o.kind === "delete") {
            d.delete(o.key);
            model.delete(o.key);
          } else {
            const before = new Map(model);
            const got = d.due(o.now);
            const want = modelDue(model, o.now);
            expect([...got].sort()).toEqual([...want].sort());
            // Ties may come in any order; the deadlines must come earliest first.
            const ats = got.map((k) => before.get(k) ?? Number.NaN);
            expect(ats).toEqual([...ats].sort((a, b) => a - b));
          }
          expect(d.size).toBe(model.size);
          expect(d.next()).toBe(model.size === 0 ? null : Math.min(...model.values()));
          for (let k = 0; k <= 30; k++) expect(d.has(k)).toBe(model.has(k));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("returns due keys earliest first", () => {
    const d = new Deadlines<string>();
    d.set("c", 30);
    d.set("a", 10);
    d.set("b", 20);
    d.set("a", 25); // moved
    expect(d.due(26)).toEqual(["b", "a"]);
    expect(d.next()).toBe(30);
  });

  it("keeps its stale entries bounded: a user who flaps a million times holds one deadline's worth", () => {
    const d = new Deadlines<string>();
    for (let i = 0; i < 1_000_000; i++) {
      d.set("flapper", i);
      if (i % 2 === 0) d.delete("flapper");
    }
    expect(d.size).toBe(1);
    expect((d as unknown as { heap: unknown[] }).heap.length).toBeLessThanOrEqual(2 * d.size + 65);
  });
});

describe("Presence: a whole node's users dropping at once", () => {
  it("10,000 users entering their grace period together expire in deadline order, the next deadline right after each change", () => {
    const GRACE = 3000;
    const p = new Presence(GRACE);
    const n = 10_000;
    for (let i = 0; i < n; i++) p.connect({ id: `u${i}`, name: `U${i}` }, `c${i}`);
    // As the node service does on every disconnect: apply it, then ask when to wake next.
    for (let i = 0; i < n; i++) {
      p.disconnect(`u${i}`, `c${i}`, i, false);
      expect(p.nextExpiry()).toBe(GRACE);
    }
    expect(p.expire(GRACE + n / 2 - 1).length).toBe(n / 2);
    expect(p.nextExpiry()).toBe(GRACE + n / 2);
    expect(p.expire(GRACE + n).length).toBe(n / 2);
    expect(p.size).toBe(0);
    expect(p.nextExpiry()).toBeNull();
  });
});
