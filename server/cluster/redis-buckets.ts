/**
 * Token buckets in Redis, shared by every node: the same algorithm as server/core/token-bucket.ts,
 * run as one Lua script per charge (atomic, one round trip) on Redis's own clock, so nodes whose
 * clocks disagree still share one bucket. The key expires when the bucket is full again.
 *
 * While Redis cannot answer (down, restarting, slower than FALLBACK_AFTER_MS), each node charges a
 * bucket of its own in memory instead: limits hold per node, and nobody waits on Redis to be
 * allowed to connect or to send.
 */
import { createHash } from "node:crypto";
import type { BucketDecision, BucketRule } from "../core/token-bucket";
import { MemoryBuckets, type TokenBuckets } from "../rate-limits";
import type { Redis } from "./redis-bus";

// ARGV: token ms, capacity ms, cost, force. Returns {allowed, tat - now, remaining, retryAfterMs}.
const CHARGE = `
local t, capacity, cost, force = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nxt = tat + cost * t
if nxt - now > capacity + 1e-6 and not force then
  return {0, tostring(tat - now), math.max(0, math.floor((capacity - (tat - now)) / t + 1e-9)), math.ceil(nxt - now - capacity)}
end
local ttl = math.ceil(nxt - now)
if ttl > 0 then redis.call('SET', KEYS[1], tostring(nxt), 'PX', ttl) end
return {1, tostring(nxt - now), math.max(0, math.floor((capacity - (nxt - now)) / t + 1e-9)), 0}`;

const USED = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat <= now then return '0' end
return tostring(tat - now)`;

/** Runs a script by its SHA (one short command per charge), loading it again if Redis forgot it. */
async function run(redis: Redis, script: string, sha: string, keys: string[], args: string[]): Promise<unknown> {
  try {
    return await redis.evalSha(sha, { keys, arguments: args });
  } catch (err) {
    if (!String(err).includes("NOSCRIPT")) throw err;
    return redis.eval(script, { keys, arguments: args });
  }
}

const sha1 = (script: string) => createHash("sha1").update(script).digest("hex");
const CHARGE_SHA = sha1(CHARGE);
const USED_SHA = sha1(USED);

/** How long a charge may wait for Redis before this node's own bucket decides. */
const FALLBACK_AFTER_MS = 250;

export class RedisBuckets implements TokenBuckets {
  private readonly local: MemoryBuckets;
  private degraded = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly rule: BucketRule,
    private readonly onFallback: (err: unknown) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.local = new MemoryBuckets(rule, now);
  }

  async take(key: string, cost: number, force = false): Promise<BucketDecision> {
    const t = 1000 / this.rule.perSecond;
    const args = [String(t), String(this.rule.burst * t), String(cost), force ? "1" : "0"];
    const reply = await this.shared(
      () => run(this.redis, CHARGE, CHARGE_SHA, [this.prefix + key], args) as Promise<[number, string, number, number]>,
    );
    if (!reply) return this.local.takeNow(key, cost, force);
    const [ok, ahead, remaining, retryAfterMs] = reply;
    // The caller sees the state on its own clock: tat relative to now.
    return { allowed: ok === 1, tat: this.now() + Number(ahead), remaining, retryAfterMs };
  }

  async used(key: string): Promise<number> {
    const ahead = await this.shared(() => run(this.redis, USED, USED_SHA, [this.prefix + key], []));
    if (ahead === null) return this.local.used(key);
    return Number(ahead) / (1000 / this.rule.perSecond);
  }

  async reset(key: string): Promise<void> {
    await Promise.all([this.shared(() => this.redis.del(this.prefix + key)), this.local.reset(key)]);
  }

  /** Redis's answer, or null when it cannot give one in time (then this node's bucket decides). */
  private async shared<T>(ask: () => Promise<T>): Promise<T | null> {
    if (!this.redis.isReady) return this.fallBack(new Error("Redis is not connected"));
    let timer: NodeJS.Timeout | undefined;
    try {
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${FALLBACK_AFTER_MS} ms`)), FALLBACK_AFTER_MS);
      });
      const answer = await Promise.race([ask(), late]);
      this.degraded = false;
      return answer;
    } catch (err) {
      return this.fallBack(err);
    } finally {
      clearTimeout(timer);
    }
  }

  private fallBack(err: unknown): null {
    if (!this.degraded) this.onFallback(err);
    this.degraded = true;
    return null;
  }
}
