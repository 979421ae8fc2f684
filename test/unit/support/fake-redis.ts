/**
 * An in-memory model of the shared state that server/cluster/redis-scripts.ts keeps in Redis, with the
 * same rules script for script (epoch and gap-free seq per event, per-node user records with digests,
 * heartbeats, sweeps, dialogs with the pair and cap rules), plus the faults Redis can have: losing all
 * of its data. One FakeBus per node speaks to it the way server/cluster/redis-bus.ts speaks to Redis,
 * with the faults a node's link can have: a partition (every call fails), lost log entries, a stall.
 */
import type { BusListener, CheckIn, ClusterBus, ClusterEvent, DialogEvent, DialogRecord, Snapshot } from "@/server/core/cluster-bus";
import { pairKey } from "@/server/core/dialogs";
import type { UserProfile } from "@/server/core/types";

interface Entry {
  id: number;
  epoch: string;
  seq: number;
  event: ClusterEvent;
}

/** Any fixed 32-bit hash will do for the model. */
export function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h | 0;
}

const getOrAdd = <K, V>(m: Map<K, V>, k: K, make: () => V): V => {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
};

export class FakeRedis {
  readonly clock = { t: 0, now: (): number => this.clock.t };
  log: Entry[] = [];
  users = new Map<string, string>();
  dialogs = new Map<string, [string, string]>();
  private nextId = 0;
  private epochs = 0;
  private epoch: string | null = null;
  private epochAt = 0;
  private seq = 0;
  private conn = new Map<string, Set<string>>();
  private nodeUsers = new Map<string, Set<string>>();
  private digests = new Map<string, number>();
  private alive = new Map<string, number>();
  private nodes = new Set<string>();
  private pairs = new Map<string, string>();
  private ud = new Map<string, Set<string>>();

  constructor(readonly maxDialogsPerUser: number) {}

  /** Redis restarted with no data. Stream ids keep growing (they come from its clock). */
  wipe(): void {
    this.log = [];
    this.users = new Map();
    this.dialogs = new Map();
    this.epoch = null;
    this.seq = 0;
    this.conn = new Map();
    this.nodeUsers = new Map();
    this.digests = new Map();
    this.alive = new Map();
    this.nodes = new Set();
    this.pairs = new Map();
    this.ud = new Map();
  }

  entriesAfter(id: number): Entry[] {
    return this.log.filter((e) => e.id > id);
  }

  add(node: string, u: string, name: string, h: number): void {
    getOrAdd(this.conn, u, () => new Set()).add(node);
    const mine = getOrAdd(this.nodeUsers, node, () => new Set<string>());
    if (!mine.has(u)) {
      mine.add(u);
      this.digests.set(node, (this.digests.get(node) ?? 0) ^ h);
    }
    if (!this.users.has(u)) {
      this.users.set(u, name);
      this.emit({ t: "online", user: { id: u, name } });
    }
  }

  remove(node: string, u: string, h: number | null): void {
    const nodes = this.conn.get(u);
    nodes?.delete(node);
    if (this.nodeUsers.get(node)?.delete(u) && h !== null) this.digests.set(node, (this.digests.get(node) ?? 0) ^ h);
    if ((nodes?.size ?? 0) === 0 && this.users.delete(u)) {
      this.conn.delete(u);
      for (const id of this.ud.get(u) ?? []) {
        const d = this.dialogs.get(id);
        if (!d) continue;
        this.ud.get(d[0] === u ? d[1] : d[0])?.delete(id);
        this.pairs.delete(pairKey(d[0], d[1]));
        this.dialogs.delete(id);
      }
      this.ud.delete(u);
      this.emit({ t: "offline", userId: u });
    }
  }

  /** 0: refused, 1: opened, 2: the pair has one already. */
  openDialog(id: string, a: string, b: string): 0 | 1 | 2 {
    if (a === b || !this.users.has(a) || !this.users.has(b)) return 0;
    if (this.pairs.has(pairKey(a, b))) return 2;
    const max = this.maxDialogsPerUser;
    if ((this.ud.get(a)?.size ?? 0) >= max || (this.ud.get(b)?.size ?? 0) >= max) return 0;
    this.dialogs.set(id, [a, b]);
    this.pairs.set(pairKey(a, b), id);
    getOrAdd(this.ud, a, () => new Set()).add(id);
    getOrAdd(this.ud, b, () => new Set()).add(id);
    return 1;
  }

  assert(node: string, users: UserProfile[], digest: number, hash: (id: string) => number): void {
    const want = new Set(users.map((u) => u.id));
    for (const u of [...(this.nodeUsers.get(node) ?? [])]) if (!want.has(u)) this.remove(node, u, null);
    for (const u of users) this.add(node, u.id, u.name, hash(u.id));
    this.digests.set(node, digest);
  }

  beat(node: string, ttlMs: number, digest: number, count: number): CheckIn {
    const epoch = this.ensureEpoch();
    this.alive.set(node, this.clock.t + ttlMs);
    this.nodes.add(node);
    const match = (this.digests.get(node) ?? 0) === digest && (this.nodeUsers.get(node)?.size ?? 0) === count;
    return {
      position: { epoch, seq: this.seq },
      epochAgeMs: this.clock.t - this.epochAt,
      membershipMatches: match,
      users: this.users.size,
      dialogs: this.dialogs.size,
    };
  }

  sweep(self: string): void {
    let dead = 0;
    for (const n of [...this.nodes]) {
      if (n === self || (this.alive.get(n) ?? 0) > this.clock.t) continue;
      for (const u of [...(this.nodeUsers.get(n) ?? [])]) this.remove(n, u, null);
      this.nodeUsers.delete(n);
      this.digests.delete(n);
      this.nodes.delete(n);
      dead++;
    }
    if (dead > 0) this.emit({ t: "catch-up" });
  }

  liveNodes(): string[] {
    return [...this.nodes].filter((n) => (this.alive.get(n) ?? 0) > this.clock.t);
  }

  snapshot(): Snapshot & { lastId: number } {
    const epoch = this.ensureEpoch();
    return {
      position: { epoch, seq: this.seq },
      users: [...this.users].map(([id, name]) => ({ id, name })),
      dialogs: [...this.dialogs].map(([id, [a, b]]) => ({ id, a, b })),
      lastId: this.log.at(-1)?.id ?? this.nextId,
    };
  }

  emit(event: ClusterEvent): void {
    const epoch = this.ensureEpoch();
    this.log.push({ id: ++this.nextId, epoch, seq: ++this.seq, event });
  }

  private ensureEpoch(): string {
    if (this.epoch === null) {
      this.epoch = `${String(this.clock.t).padStart(15, "0")}-${++this.epochs}`;
      this.epochAt = this.clock.t;
      this.seq = 0;
    }
    return this.epoch;
  }
}

/** One node's link to the FakeRedis, as RedisBus is to Redis. */
export class FakeBus implements ClusterBus {
  /** While false, every call fails, and nothing is read or beaten (a partition from Redis). */
  reachable = true;
  /** Log entries still to be lost on their way to this node. */
  dropNext = 0;
  private listener: BusListener | null = null;
  private cursor = 0;
  private claimed = new Set<string>();
  private digest = 0;
  private othersAtStart = 0;

  constructor(
    private readonly redis: FakeRedis,
    readonly nodeId: string,
    private readonly ttlMs: number,
  ) {}

  async start(listener: BusListener): Promise<Snapshot> {
    this.listener = listener;
    this.link();
    this.redis.sweep(this.nodeId);
    const snapshot = await this.snapshot();
    this.othersAtStart = this.redis.liveNodes().filter((n) => n !== this.nodeId).length;
    this.beat();
    return snapshot;
  }

  coldStart(): boolean {
    return this.othersAtStart === 0;
  }

  async userArrived(user: UserProfile): Promise<void> {
    if (!this.claimed.has(user.id)) {
      this.claimed.add(user.id);
      this.digest ^= hashOf(user.id);
    }
    this.link();
    this.redis.add(this.nodeId, user.id, user.name, hashOf(user.id));
  }

  async userLeft(userId: string): Promise<void> {
    if (this.claimed.delete(userId)) this.digest ^= hashOf(userId);
    this.link();
    this.redis.remove(this.nodeId, userId, hashOf(userId));
  }

  async proposeDialog(event: DialogEvent): Promise<boolean> {
    this.link();
    const r = this.redis.openDialog(event.id, event.a, event.b);
    if (r !== 0) this.redis.emit(event);
    return r !== 0;
  }

  async sessionEnded(userId: string, sessionId: string): Promise<void> {
    this.link();
    this.redis.emit({ t: "session-ended", userId, sessionId });
  }

  async requestCatchUp(): Promise<void> {
    this.link();
    this.redis.emit({ t: "catch-up" });
  }

  async assertUsers(users: UserProfile[]): Promise<void> {
    this.claimed = new Set(users.map((u) => u.id));
    this.digest = users.reduce((d, u) => d ^ hashOf(u.id), 0);
    this.link();
    this.redis.assert(this.nodeId, users, this.digest, hashOf);
  }

  async restoreDialogs(dialogs: DialogRecord[]): Promise<void> {
    this.link();
    for (const d of dialogs) if (this.redis.openDialog(d.id, d.a, d.b) === 1) this.redis.emit({ t: "dialog", ...d, op: "restore" });
  }

  async snapshot(): Promise<Snapshot> {
    this.link();
    const { lastId, ...snapshot } = this.redis.snapshot();
    this.cursor = lastId;
    return snapshot;
  }

  async close(): Promise<void> {}

  /** The reader: hands over what the log has after this node's cursor, in order. */
  deliver(): void {
    if (!this.reachable) return;
    for (const e of this.redis.entriesAfter(this.cursor)) {
      this.cursor = e.id;
      if (this.dropNext > 0) {
        this.dropNext--;
        continue;
      }
      this.listener?.event(e.event, { epoch: e.epoch, seq: e.seq });
    }
  }

  beat(): void {
    if (!this.reachable) return;
    this.listener?.checkIn(this.redis.beat(this.nodeId, this.ttlMs, this.digest, this.claimed.size));
  }

  sweep(): void {
    if (this.reachable) this.redis.sweep(this.nodeId);
  }

  /** Socket.IO's link came back after a partition. */
  relinked(): void {
    this.listener?.relinked();
  }

  private link(): void {
    if (!this.reachable) throw new Error(`${this.nodeId}: Redis is unreachable`);
  }
}
