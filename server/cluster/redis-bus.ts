/**
 * The cluster bus on Redis (scripts and keys: ./redis-scripts.ts). Changes run as Lua scripts that also
 * append their event to a stream, read by every node in order (./event-log-reader.ts): unlike pub/sub,
 * nothing is lost when a connection drops, and every event has a position, so a node can tell when it
 * missed one. A heartbeat (every NODE_TTL_MS / 3) keeps this node alive and reports a check-in; a sweep
 * (every NODE_TTL_MS / 4) removes nodes whose heartbeat expired, with their users. What to do about what
 * the check-ins and positions show is decided by the node service (server/core/convergence.ts).
 */
import { createHash, randomUUID } from "node:crypto";
import type { createClient } from "redis";
import type { BusListener, ClusterBus, ClusterEvent, DialogEvent, DialogRecord, Snapshot } from "../core/cluster-bus";
import type { UserProfile } from "../core/types";
import type { Logger } from "../logger";
import { EventLogReader } from "./event-log-reader";
import { pairsOf } from "./redis-replies";
import { ASSERT, BEAT, DIALOG, EMIT, OFFLINE, ONLINE, RESTORE_DIALOGS, SNAPSHOT, SWEEP } from "./redis-scripts";

export type Redis = ReturnType<typeof createClient>;

export interface RedisBusOptions {
  prefix: string;
  nodeId: string;
  /** A node whose heartbeat is this old is dead; its users are removed. */
  nodeTtlMs: number;
  maxDialogsPerUser: number;
  logger: Logger;
}

/** A user's share of a node's digest: the same number on every node, cheap to combine with XOR. */
const hashOf = (userId: string) => createHash("sha1").update(userId).digest().readInt32BE(0);

const RESTORE_BATCH = 1000;

export class RedisBus implements ClusterBus {
  private listener: BusListener | null = null;
  private readonly reader: EventLogReader;
  private timers: NodeJS.Timeout[] = [];
  private otherNodesAtStart = 0;
  /** The users this node has reported, and the XOR of their hashes: what the shared record should show. */
  private readonly claimed = new Set<string>();
  private digest = 0;

  constructor(
    private readonly cmd: Redis,
    readerConnection: Redis,
    private readonly o: RedisBusOptions,
  ) {
    this.reader = new EventLogReader(readerConnection, `${o.prefix}:log`, o.logger, (event, at) => this.listener?.event(event, at));
  }

  async start(listener: BusListener): Promise<Snapshot> {
    this.listener = listener;
    // Nodes that stopped (or crashed) while no one was watching: remove their users before reading,
    // so a restarted cluster never shows people who left with the old one.
    await this.sweep();
    const snapshot = await this.snapshot();
    this.otherNodesAtStart = (await this.liveNodes()).filter((n) => n !== this.o.nodeId).length;
    await this.beat();
    this.reader.start();
    const every = (ms: number, what: string, run: () => Promise<void>) =>
      this.timers.push(
        setInterval(() => void run().catch((err: unknown) => this.o.logger.error({ err }, `${what} failed`)), Math.max(100, ms)),
      );
    every(this.o.nodeTtlMs / 3, "heartbeat", () => this.beat());
    every(this.o.nodeTtlMs / 4, "dead-node sweep", () => this.sweep());
    return snapshot;
  }

  /** True when no other node was alive when this one started (the whole cluster is starting). */
  coldStart(): boolean {
    return this.otherNodesAtStart === 0;
  }

  async userArrived(user: UserProfile): Promise<void> {
    const h = hashOf(user.id);
    if (!this.claimed.has(user.id)) {
      this.claimed.add(user.id);
      this.digest ^= h;
    }
    await this.run(ONLINE, this.o.nodeId, user.id, user.name, String(h));
  }

  async userLeft(userId: string): Promise<void> {
    const h = hashOf(userId);
    if (this.claimed.delete(userId)) this.digest ^= h;
    await this.run(OFFLINE, this.o.nodeId, userId, String(h));
  }

  async proposeDialog(event: DialogEvent): Promise<boolean> {
    return (await this.run(DIALOG, String(this.o.maxDialogsPerUser), event.id, event.a, event.b, JSON.stringify(event))) === 1;
  }

  async sessionEnded(userId: string, sessionId: string): Promise<void> {
    await this.emit({ t: "session-ended", userId, sessionId });
  }

  async requestCatchUp(): Promise<void> {
    await this.emit({ t: "catch-up" });
  }

  async assertUsers(users: UserProfile[]): Promise<void> {
    this.claimed.clear();
    this.digest = 0;
    const args: string[] = [];
    for (const u of users) {
      const h = hashOf(u.id);
      this.claimed.add(u.id);
      this.digest ^= h;
      args.push(u.id, u.name, String(h));
    }
    await this.run(ASSERT, this.o.nodeId, String(this.digest), ...args);
  }

  async restoreDialogs(dialogs: DialogRecord[]): Promise<void> {
    for (let i = 0; i < dialogs.length; i += RESTORE_BATCH) {
      const args = dialogs.slice(i, i + RESTORE_BATCH).flatMap((d) => [d.id, d.a, d.b]);
      await this.run(RESTORE_DIALOGS, String(this.o.maxDialogsPerUser), ...args);
    }
  }

  async snapshot(): Promise<Snapshot> {
    const [epoch, seq, lastId, users, dialogs] = (await this.run(SNAPSHOT)) as [string, number, string, string[], string[]];
    this.reader.moveTo(lastId);
    const snapshot: Snapshot = { position: { epoch, seq }, users: [], dialogs: [] };
    for (const [id, name] of pairsOf(users)) snapshot.users.push({ id, name });
    for (const [id, members] of pairsOf(dialogs)) {
      const [a = "", b = ""] = members.split("|");
      snapshot.dialogs.push({ id, a, b });
    }
    return snapshot;
  }

  /** Another connection to Redis (Socket.IO's) broke and is back: its broadcasts meanwhile may be lost. */
  relinked(): void {
    this.listener?.relinked();
  }

  /**
   * Stops heartbeating and reading. This node's users are not removed here: their clients reconnect to
   * other nodes (or to this one after a restart), and whoever has not come back is removed when the
   * heartbeat key expires, as for a crash.
   */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.reader.stop();
  }

  private async beat(): Promise<void> {
    const [epoch, epochAgeMs, seq, users, dialogs, match] = (await this.run(
      BEAT,
      this.o.nodeId,
      String(this.o.nodeTtlMs),
      String(this.digest),
      String(this.claimed.size),
    )) as [string, number, number, number, number, number];
    this.listener?.checkIn({ position: { epoch, seq }, epochAgeMs, membershipMatches: match === 1, users, dialogs });
  }

  private async sweep(): Promise<void> {
    const dead = (await this.run(SWEEP, this.o.nodeId)) as (string | number)[];
    for (const [deadNode, usersOffline] of pairsOf(dead)) {
      this.o.logger.warn({ deadNode, usersOffline }, "node stopped heartbeating; its users removed");
    }
  }

  private async liveNodes(): Promise<string[]> {
    const nodes = [...(await this.cmd.sMembers(`${this.o.prefix}:nodes`))].map(String);
    const alive = await Promise.all(nodes.map((n) => this.cmd.exists(`${this.o.prefix}:alive:${n}`)));
    return nodes.filter((_, i) => alive[i] === 1);
  }

  private emit(event: ClusterEvent): Promise<unknown> {
    return this.run(EMIT, JSON.stringify(event));
  }

  /** Every script takes the prefix and a candidate epoch suffix (used only if the epoch is missing). */
  private run(script: string, ...args: string[]): Promise<unknown> {
    return this.cmd.eval(script, { arguments: [this.o.prefix, randomUUID().slice(0, 8), ...args] });
  }
}
