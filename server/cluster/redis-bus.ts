/**
 * The cluster bus on Redis. Presence is kept in Redis, per node: `conn:<user>` maps node ids to the
 * user's presence there, `users` holds everyone available, `node:<id>:users` indexes each node's users,
 * and `alive:<id>` is each node's heartbeat key (with a TTL). Every change runs as one Lua script that
 * also PUBLISHes the resulting event, so changes and events share one total order, and every node's
 * replica applies the same events in the same order.
 *
 * A node that dies without a goodbye stops refreshing its heartbeat; a surviving node sees the key
 * expire and removes the dead node's users in one script: whoever has no other node goes offline.
 */
import type { createClient } from "redis";
import type { UserProfile } from "../core/types";
import type { Logger } from "../logger";
import type { ClusterBus, ClusterEvent } from "../realtime/cluster-bus";

export type Redis = ReturnType<typeof createClient>;

const ONLINE = `
local p, node, u, name, ev = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
redis.call('HSET', p..':conn:'..u, node, '1')
redis.call('SADD', p..':node:'..node..':users', u)
if redis.call('HSETNX', p..':users', u, name) == 1 then
  redis.call('PUBLISH', p..':events', ev)
  return 1
end
return 0`;

const OFFLINE = `
local p, node, u, ev = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
redis.call('HDEL', p..':conn:'..u, node)
redis.call('SREM', p..':node:'..node..':users', u)
if redis.call('HLEN', p..':conn:'..u) == 0 and redis.call('HDEL', p..':users', u) == 1 then
  redis.call('PUBLISH', p..':events', ev)
  return 1
end
return 0`;

const DEAD = `
local p, dead = ARGV[1], ARGV[2]
local gone = 0
for _, u in ipairs(redis.call('SMEMBERS', p..':node:'..dead..':users')) do
  redis.call('HDEL', p..':conn:'..u, dead)
  if redis.call('HLEN', p..':conn:'..u) == 0 and redis.call('HDEL', p..':users', u) == 1 then
    redis.call('PUBLISH', p..':events', cjson.encode({t='offline', userId=u}))
    gone = gone + 1
  end
end
redis.call('DEL', p..':node:'..dead..':users')
redis.call('SREM', p..':nodes', dead)
return gone`;

const DIALOG = `
local p, a, b, ev = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('HEXISTS', p..':users', a) == 1 and redis.call('HEXISTS', p..':users', b) == 1 then
  redis.call('PUBLISH', p..':events', ev)
  return 1
end
return 0`;

export interface RedisBusOptions {
  prefix: string;
  nodeId: string;
  /** A node whose heartbeat is this old is dead; its users are removed. */
  nodeTtlMs: number;
  logger: Logger;
}

export class RedisBus implements ClusterBus {
  private timers: NodeJS.Timeout[] = [];
  private otherNodesAtStart = 0;

  constructor(
    private readonly cmd: Redis,
    private readonly sub: Redis,
    private readonly o: RedisBusOptions,
  ) {}

  async start(apply: (event: ClusterEvent) => void): Promise<void> {
    const { prefix } = this.o;
    // Subscribe before reading the snapshot; events that arrive meanwhile are applied after it, in order.
    let buffer: ClusterEvent[] | null = [];
    await this.sub.subscribe(`${prefix}:events`, (message) => {
      const event = JSON.parse(message) as ClusterEvent;
      if (buffer) buffer.push(event);
      else apply(event);
    });
    // Nodes that stopped (or crashed) while no one was watching: remove their users before reading,
    // so a restarted cluster never shows people who left with the old one.
    await this.sweep();
    const users = await this.cmd.hGetAll(`${prefix}:users`);
    for (const [id, name] of Object.entries(users as Record<string, string>)) apply({ t: "online", user: { id, name } });
    for (const event of buffer) apply(event);
    buffer = null;

    this.otherNodesAtStart = (await this.liveNodes()).filter((n) => n !== this.o.nodeId).length;
    await this.beat();
    this.timers.push(setInterval(() => void this.beat().catch((err: unknown) => this.o.logger.error({ err }, "heartbeat failed")), Math.max(100, this.o.nodeTtlMs / 3)));
    this.timers.push(setInterval(() => void this.sweep().catch((err: unknown) => this.o.logger.error({ err }, "dead-node sweep failed")), Math.max(100, this.o.nodeTtlMs / 4)));
  }

  /** True when no other node was alive when this one started (the whole cluster is starting). */
  coldStart(): boolean {
    return this.otherNodesAtStart === 0;
  }

  async userArrived(user: UserProfile): Promise<void> {
    const event: ClusterEvent = { t: "online", user };
    await this.cmd.eval(ONLINE, { arguments: [this.o.prefix, this.o.nodeId, user.id, user.name, JSON.stringify(event)] });
  }

  async userLeft(userId: string): Promise<void> {
    const event: ClusterEvent = { t: "offline", userId };
    await this.cmd.eval(OFFLINE, { arguments: [this.o.prefix, this.o.nodeId, userId, JSON.stringify(event)] });
  }

  async proposeDialog(event: Extract<ClusterEvent, { t: "dialog" }>): Promise<boolean> {
    return (await this.cmd.eval(DIALOG, { arguments: [this.o.prefix, event.a, event.b, JSON.stringify(event)] })) === 1;
  }

  /**
   * Stops heartbeating. This node's users are not removed here: their clients reconnect to other nodes
   * (or to this one after a restart), and whoever has not come back is removed when the heartbeat key
   * expires, as for a crash.
   */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private async beat(): Promise<void> {
    const { prefix, nodeId, nodeTtlMs } = this.o;
    await this.cmd.multi().set(`${prefix}:alive:${nodeId}`, String(Date.now()), { PX: nodeTtlMs }).sAdd(`${prefix}:nodes`, nodeId).exec();
  }

  private async liveNodes(): Promise<string[]> {
    const nodes = [...(await this.cmd.sMembers(`${this.o.prefix}:nodes`))].map(String);
    const alive = await Promise.all(nodes.map((n) => this.cmd.exists(`${this.o.prefix}:alive:${n}`)));
    return nodes.filter((_, i) => alive[i] === 1);
  }

  private async sweep(): Promise<void> {
    const { prefix } = this.o;
    const nodes = [...(await this.cmd.sMembers(`${prefix}:nodes`))].map(String);
    for (const node of nodes) {
      if (node === this.o.nodeId || (await this.cmd.exists(`${prefix}:alive:${node}`)) === 1) continue;
      const gone = await this.cmd.eval(DEAD, { arguments: [prefix, node] });
      this.o.logger.warn({ deadNode: node, usersOffline: gone }, "node stopped heartbeating; its users removed");
    }
  }
}
