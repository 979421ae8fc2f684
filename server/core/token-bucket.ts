/**
 * A token bucket kept as one number per key, the "theoretical arrival time" of the generic cell rate
 * algorithm (GCRA, as in redis-cell and Rack::Attack). Tokens come back continuously at `perSecond`,
 * up to `burst`; there is no window that refills all at once, so a full burst can be spent only once
 * and after that the rate is smooth. A charge costs `cost` tokens; a forced charge (work already done,
 * e.g. rows a sync returned) may overdraw the bucket, and later charges wait until the debt is repaid.
 *
 * Pure: the state is passed in and returned. server/rate-limits.ts keeps it in memory or in Redis
 * (the Lua script there is this function, line for line).
 */

export interface BucketRule {
  /** Tokens returned per second. */
  perSecond: number;
  /** Most tokens the bucket holds: the largest burst after a quiet period. */
  burst: number;
}

export interface BucketDecision {
  allowed: boolean;
  /** The state to keep (unchanged when refused). */
  tat: number;
  /** Whole tokens left after this charge (0 when in debt). */
  remaining: number;
  /** When refused: how long until this charge would be allowed. */
  retryAfterMs: number;
}

/** Milliseconds one token takes to come back. */
export const tokenMs = (rule: BucketRule) => 1000 / rule.perSecond;

/**
 * Charges `cost` tokens at `now` (ms). `tat` is the stored state (undefined for a key never seen or
 * expired); the bucket is full when `tat <= now`.
 */
export function charge(tat: number | undefined, now: number, rule: BucketRule, cost: number, force = false): BucketDecision {
  const t = tokenMs(rule);
  const capacityMs = rule.burst * t;
  const start = tat === undefined || tat < now ? now : tat;
  const next = start + cost * t;
  if (next - now > capacityMs + 1e-6 && !force) {
    return {
      allowed: false,
      tat: start,
      remaining: remainingOf(start, now, capacityMs, t),
      retryAfterMs: Math.ceil(next - now - capacityMs),
    };
  }
  return { allowed: true, tat: next, remaining: remainingOf(next, now, capacityMs, t), retryAfterMs: 0 };
}

/** Tokens spent and not yet returned at `now` (how far the bucket is from full). */
export function used(tat: number | undefined, now: number, rule: BucketRule): number {
  if (tat === undefined || tat <= now) return 0;
  return (tat - now) / tokenMs(rule);
}

/** How long the stored state matters: after this many ms from `now`, the bucket is full again. */
export function ttlMs(tat: number, now: number): number {
  return Math.max(0, Math.ceil(tat - now));
}

function remainingOf(tat: number, now: number, capacityMs: number, t: number): number {
  return Math.max(0, Math.floor((capacityMs - (tat - now)) / t + 1e-9));
}
