/**
 * Scale-out wiring when REDIS_URL is set: the Redis cluster bus, Socket.IO's Redis adapter (rooms
 * and broadcasts across nodes), and Redis-backed token buckets (rate limits) shared by all nodes.
 *
 * The adapter is the sharded one (Redis 7 sharded pub/sub) with dynamic subscriptions: a node
 * subscribes to a room's channel only while it has a client in that room, so a broadcast reaches only
 * the nodes that deliver it, and a node with no part in a conversation spends nothing on it.
 * Measured against the classic adapter (every node receives every broadcast) and the Redis-streams
 * adapter (every node reads every broadcast, replayed after a reconnect): bench/results/multi-node-adapters.md.
 * What it loses while a connection is down is repaired by the catch-up below, as for the others.
 */
import { createShardedAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import type { Logger } from "../logger";
import { orderedShardedSubscriptions } from "./ordered-subscriptions";
import type { BucketFactory } from "../rate-limits";
import { RedisBuckets } from "./redis-buckets";
import { RedisBus } from "./redis-bus";

export interface RedisWiring {
  bus: RedisBus;
  adapter: ReturnType<typeof createShardedAdapter>;
  /** Token buckets shared by every node (rate limits). */
  buckets: BucketFactory;
  close(): Promise<void>;
}

export async function connectRedis(o: {
  url: string;
  prefix: string;
  nodeId: string;
  nodeTtlMs: number;
  maxDialogsPerUser: number;
  logger: Logger;
}): Promise<RedisWiring> {
  // Named, so an operator (or a fault-injection test) can find each connection in CLIENT LIST.
  const client = (role: string) =>
    createClient({
      url: o.url,
      name: `${o.prefix}:${o.nodeId.slice(0, 8)}:${role}`,
      // Back within half a second of Redis (the default waits up to 2 s): every second counts toward convergence.
      socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 500) + Math.floor(Math.random() * 100) },
    });
  const clients = [client("cmd"), client("log"), client("io-pub"), client("io-sub")] as const;
  const [cmd, log, adapterPub, adapterSub] = clients;
  const bus = new RedisBus(cmd, log, {
    prefix: o.prefix,
    nodeId: o.nodeId,
    nodeTtlMs: o.nodeTtlMs,
    maxDialogsPerUser: o.maxDialogsPerUser,
    logger: o.logger,
  });
  for (const c of clients) {
    c.on("error", (err: unknown) => o.logger.error({ err }, "redis connection error"));
    await c.connect();
  }
  // Broadcasts through a connection that broke are lost, with no trace: once it is back, every node's
  // clients catch up from storage.
  for (const c of [adapterPub, adapterSub]) {
    c.on("ready", () => {
      o.logger.warn("a Socket.IO Redis connection is back; asking every client to catch up");
      bus.relinked();
    });
  }
  return {
    bus,
    adapter: createShardedAdapter(adapterPub, orderedShardedSubscriptions(adapterSub), {
      channelPrefix: `${o.prefix}#socket.io`,
      subscriptionMode: "dynamic",
    }),
    buckets: (name, rule) =>
      new RedisBuckets(cmd, `${o.prefix}:rl:${name}:`, rule, (err) =>
        o.logger.warn({ err, limit: name }, "Redis cannot answer: this limit falls back to this node's own memory until it can"),
      ),
    async close() {
      await bus.close();
      await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
    },
  };
}
