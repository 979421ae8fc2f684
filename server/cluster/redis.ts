/**
 * Scale-out wiring when REDIS_URL is set: the Redis cluster bus, Socket.IO's Redis adapter (rooms
 * and broadcasts across nodes), and Redis-backed rate limiters shared by all nodes.
 */
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { RateLimiterRedis } from "rate-limiter-flexible";
import type { Logger } from "../logger";
import { RedisBus } from "./redis-bus";

export interface RedisWiring {
  bus: RedisBus;
  adapter: ReturnType<typeof createAdapter>;
  limiter(keyPrefix: string, points: number, durationS: number): RateLimiterRedis;
  close(): Promise<void>;
}

export async function connectRedis(o: { url: string; prefix: string; nodeId: string; nodeTtlMs: number; logger: Logger }): Promise<RedisWiring> {
  const clients = [createClient({ url: o.url }), createClient({ url: o.url }), createClient({ url: o.url }), createClient({ url: o.url })] as const;
  for (const c of clients) {
    c.on("error", (err: unknown) => o.logger.error({ err }, "redis connection error"));
    await c.connect();
  }
  const [cmd, busSub, adapterPub, adapterSub] = clients;
  const bus = new RedisBus(cmd, busSub, { prefix: o.prefix, nodeId: o.nodeId, nodeTtlMs: o.nodeTtlMs, logger: o.logger });
  return {
    bus,
    adapter: createAdapter(adapterPub, adapterSub, { key: `${o.prefix}#socket.io` }),
    limiter: (keyPrefix, points, durationS) =>
      new RateLimiterRedis({ storeClient: cmd, useRedisPackage: true, keyPrefix: `${o.prefix}:rl:${keyPrefix}`, points, duration: durationS }),
    async close() {
      await bus.close();
      await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
    },
  };
}
