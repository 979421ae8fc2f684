/**
 * One way to build a rate limiter, whatever backs it: in memory on one node, in Redis when several
 * nodes must share the counts (server/cluster/redis.ts provides that factory).
 */
import { RateLimiterMemory, type RateLimiterAbstract } from "rate-limiter-flexible";

export type LimiterFactory = (keyPrefix: string, points: number, durationS: number) => RateLimiterAbstract;

export const memoryLimiters: LimiterFactory = (keyPrefix, points, duration) => new RateLimiterMemory({ keyPrefix, points, duration });

/** A burst allowance refilled at `perSecond`, as a fixed window of whole seconds. */
export function eventLimiter(make: LimiterFactory, perSecond: number, burst: number): RateLimiterAbstract {
  return make("events", burst, Math.max(1, Math.ceil(burst / perSecond)));
}
