/**
 * Token buckets (server/core/token-bucket.ts) kept in memory on one node, or in Redis when several
 * nodes must share them (server/cluster/redis-buckets.ts). One interface for the event limiter, the
 * sign-in and sign-up limits and the per-node frame guard.
 */
import { charge, used, ttlMs, type BucketDecision, type BucketRule } from "./core/token-bucket";

export interface TokenBuckets {
  readonly rule: BucketRule;
  /** Charges `cost` tokens; `force` charges even past empty (for work already done). */
  take(key: string, cost: number, force?: boolean): Promise<BucketDecision>;
  /** Tokens spent and not yet returned (0 for a full bucket). */
  used(key: string): Promise<number>;
  reset(key: string): Promise<void>;
}

export type BucketFactory = (name: string, rule: BucketRule) => TokenBuckets;

/**
 * In process memory. Synchronous underneath (`takeNow`), so the per-frame guard costs no promise.
 * Bounded: a full bucket is the same as no entry, so entries of full buckets are swept as the map
 * grows (and once a minute), and past `maxKeys` the least recently charged is dropped, which can only
 * ever hand its owner a fuller bucket. Each step is O(1) but the occasional sweep.
 */
export class MemoryBuckets implements TokenBuckets {
  private readonly state = new Map<string, number>();
  private sweepAtSize = 1024;
  private sweepAtTime: number;

  constructor(
    readonly rule: BucketRule,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {
    this.sweepAtTime = now() + SWEEP_EVERY_MS;
  }

  takeNow(key: string, cost: number, force = false): BucketDecision {
    const now = this.now();
    const decision = charge(this.state.get(key), now, this.rule, cost, force);
    if (decision.allowed) {
      // Re-inserted at the end: the map stays in order of last charge, oldest first.
      this.state.delete(key);
      this.state.set(key, decision.tat);
      if (this.state.size > this.maxKeys) this.state.delete(this.state.keys().next().value as string);
      if (this.state.size >= this.sweepAtSize || now >= this.sweepAtTime) this.sweep(now);
    }
    return decision;
  }

  async take(key: string, cost: number, force = false): Promise<BucketDecision> {
    return this.takeNow(key, cost, force);
  }

  async used(key: string): Promise<number> {
    return used(this.state.get(key), this.now(), this.rule);
  }

  async reset(key: string): Promise<void> {
    this.state.delete(key);
  }

  get size(): number {
    return this.state.size;
  }

  private sweep(now: number): void {
    for (const [key, tat] of this.state) if (ttlMs(tat, now) === 0) this.state.delete(key);
    this.sweepAtSize = Math.max(1024, this.state.size * 2);
    this.sweepAtTime = now + SWEEP_EVERY_MS;
  }
}

const SWEEP_EVERY_MS = 60_000;

export const memoryBuckets: BucketFactory = (_name, rule) => new MemoryBuckets(rule);
