import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { charge, used, type BucketRule } from "@/server/core/token-bucket";
import { MemoryBuckets } from "@/server/rate-limits";

const rule: BucketRule = { perSecond: 30, burst: 60 };

/** Charges at the given times (ms), cost 1 each; returns the times that were allowed. */
function run(times: number[], r: BucketRule = rule, cost = 1): number[] {
  let tat: number | undefined;
  const allowed: number[] = [];
  for (const now of times) {
    const d = charge(tat, now, r, cost);
    if (d.allowed) {
      tat = d.tat;
      allowed.push(now);
    }
  }
  return allowed;
}

describe("token bucket (GCRA)", () => {
  it("a full bucket lets exactly `burst` through at once, then refuses", () => {
    expect(run(Array.from({ length: 100 }, () => 0))).toHaveLength(60);
  });

  it("tokens come back one by one at the rate, never a whole burst at a window boundary", () => {
    const hammer = Array.from({ length: 10_000 }, (_, i) => i); // one try per ms for 10 s
    const allowed = run(hammer);
    const perSecond = Array.from({ length: 10 }, (_, s) => allowed.filter((t) => t >= s * 1000 && t < (s + 1) * 1000).length);
    expect(perSecond[0]).toBe(60 + 29); // the burst, then what came back during the first second
    for (const n of perSecond.slice(1)) expect(n).toBe(30);
    // Evenly spread: once the bucket is empty, never two within one token's time (33.3 ms) of each other.
    const gaps = allowed.slice(70).map((t, i) => t - allowed[69 + i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(33);
  });

  it("in any window of any length, what is let through is at most burst + rate × window (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 5 }),
        (steps, cost) => {
          const times = steps.reduce<number[]>((acc, d) => [...acc, (acc[acc.length - 1] ?? 0) + d], []);
          const allowed = run(times, { perSecond: 10, burst: 20 }, cost);
          for (let i = 0; i < allowed.length; i++) {
            for (let j = i; j < allowed.length; j++) {
              const window = allowed[j]! - allowed[i]!;
              expect((j - i + 1) * cost).toBeLessThanOrEqual(20 + (10 * window) / 1000 + 1e-9);
            }
          }
        },
      ),
    );
  });

  it("a charge costs its weight: one 60-token request empties the bucket", () => {
    const first = charge(undefined, 0, rule, 60);
    expect(first).toMatchObject({ allowed: true, remaining: 0 });
    expect(charge(first.tat, 0, rule, 1)).toMatchObject({ allowed: false, retryAfterMs: 34 });
    expect(charge(undefined, 0, rule, 61).allowed).toBe(false); // more than the bucket holds: never
  });

  it("a forced charge overdraws; later charges wait until the debt is repaid", () => {
    const spent = charge(undefined, 0, rule, 60);
    const debt = charge(spent.tat, 0, rule, 30, true);
    expect(debt.allowed).toBe(true);
    expect(used(debt.tat, 0, rule)).toBeCloseTo(90, 9);
    expect(charge(debt.tat, 999, rule, 1).allowed).toBe(false); // 30 back: still in debt
    expect(charge(debt.tat, 1034, rule, 1).allowed).toBe(true);
  });

  it("the in-memory store keeps nothing for full buckets and never grows past its cap", () => {
    let now = 0;
    const buckets = new MemoryBuckets(rule, () => now, 5000);
    for (let i = 0; i < 20_000; i++) buckets.takeNow(`key${i}`, 1);
    expect(buckets.size).toBeLessThanOrEqual(5000);
    now = 61_000; // every bucket is full again, and a minute has passed: the next charge sweeps
    buckets.takeNow("late", 1);
    expect(buckets.size).toBe(1);
  });
});
