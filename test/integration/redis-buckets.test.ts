/**
 * The token buckets in Redis (server/cluster/redis-buckets.ts), shared by every node: two clients
 * standing for two nodes draw on one bucket, which behaves as the in-memory one does (burst, smooth
 * refill, forced debt, reset) and expires once full (when REDIS_URL is set; .ci/run sets it). And while
 * Redis is down, each node limits on its own instead of waiting (a Redis the test starts and stops).
 */
import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBuckets } from "../../server/cluster/redis-buckets";
import type { Redis } from "../../server/cluster/redis-bus";
import { RedisServer, redisServerMissing } from "../support/redis-server";
import { waitFor } from "../support/test-server";

const url = process.env.REDIS_URL ?? "";
if (!url) console.warn("redis-buckets.test.ts: REDIS_URL is not set; the Redis token-bucket checks are skipped");

describe.skipIf(!url)("token buckets in Redis", () => {
  const prefix = `duo-test-${randomUUID().slice(0, 8)}:`;
  const clients: Redis[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const c: Redis = createClient({ url });
      await c.connect();
      clients.push(c);
    }
  });
  afterAll(async () => {
    for await (const keys of clients[0]!.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      const list = ([] as string[]).concat(keys);
      if (list.length > 0) await clients[0]!.del(list);
    }
    await Promise.all(clients.map((c) => c.quit()));
  });

  it("two nodes share one bucket: the burst once, then the rate, whichever node asks", async () => {
    const rule = { perSecond: 20, burst: 10 };
    const [a, b] = clients.map((c) => new RedisBuckets(c, prefix, rule));
    const results = [];
    for (let i = 0; i < 14; i++) results.push((await (i % 2 ? b! : a!).take("user-1", 1)).allowed);
    expect(results.filter(Boolean).length).toBeGreaterThanOrEqual(10);
    expect(results.filter(Boolean).length).toBeLessThanOrEqual(11); // one may come back while asking
    expect(results.slice(-2)).toEqual([false, false]);
    await new Promise((r) => setTimeout(r, 160)); // ~3 tokens back at 20/s
    const again = [];
    for (let i = 0; i < 6; i++) again.push((await b!.take("user-1", 1)).allowed);
    expect(again.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    expect(again.filter(Boolean).length).toBeLessThanOrEqual(4);
  });

  it("charges by weight, overdraws when forced, reports what is used, resets, and the key expires once full", async () => {
    const rule = { perSecond: 10, burst: 10 };
    const bucket = new RedisBuckets(clients[0]!, prefix, rule);
    expect((await bucket.take("user-2", 11)).allowed).toBe(false); // more than it holds: never
    expect(await bucket.used("user-2")).toBe(0);
    expect(await bucket.take("user-2", 8)).toMatchObject({ allowed: true, remaining: 2 });
    expect((await bucket.take("user-2", 8, true)).allowed).toBe(true); // debt: 16 used of 10
    expect(await bucket.used("user-2")).toBeGreaterThan(15);
    expect((await bucket.take("user-2", 1)).allowed).toBe(false);
    const ttl = await clients[0]!.pTTL(`${prefix}user-2`);
    expect(ttl).toBeGreaterThan(1400);
    expect(ttl).toBeLessThanOrEqual(1600);
    await bucket.reset("user-2");
    expect((await bucket.take("user-2", 10)).allowed).toBe(true);
  });
});

const missing = redisServerMissing();
describe.skipIf(missing !== null)("token buckets while Redis is down (a Redis of the test's own)", () => {
  it("each node falls back to a bucket of its own at once, and shares Redis's again once it is back", async () => {
    const redis = await RedisServer.start();
    const client: Redis = createClient({ url: redis.url, socket: { reconnectStrategy: () => 100 } });
    client.on("error", () => undefined);
    await client.connect();
    const fallbacks: unknown[] = [];
    const bucket = new RedisBuckets(client, "down:", { perSecond: 1, burst: 3 }, (err) => fallbacks.push(err));
    try {
      expect((await bucket.take("u", 3)).allowed).toBe(true); // in Redis
      await redis.stop();
      const started = Date.now();
      const local = [];
      for (let i = 0; i < 5; i++) local.push((await bucket.take("u", 1)).allowed);
      // This node's own bucket: 3 allowed, then refused; nobody waited on Redis.
      expect(local).toEqual([true, true, true, false, false]);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(fallbacks).toHaveLength(1); // said once per outage, not per charge
      await redis.start(); // back, empty
      await waitFor(() => client.isReady, 5000, "the client to reconnect");
      expect((await bucket.take("u", 3)).allowed).toBe(true); // Redis's bucket again (a fresh one)
      expect((await bucket.take("u", 1)).allowed).toBe(false);
    } finally {
      await client.quit().catch(() => undefined);
      await redis.stop();
    }
  });
});
