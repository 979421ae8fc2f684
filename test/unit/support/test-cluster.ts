/**
 * Several real node services (server/core/node-service.ts) on one fake clock, sharing a FakeRedis and
 * one conversation store, with their heartbeats, sweeps, log readers and wake-ups driven in steps as
 * the Redis adapter and the timers drive them in production. Faults: a node stalled (nothing of it
 * runs), a node partitioned from Redis, log entries lost on the way to a node, Redis wiped.
 */
import { Messenger } from "@/server/core/messenger";
import { NodeService, type OpenDialogResult } from "@/server/core/node-service";
import type { UserProfile } from "@/server/core/types";
import { FakeBus, FakeRedis } from "./fake-redis";
import { MemoryStore, RecordingClients } from "./test-node";

export interface ClusterOptions {
  nodes: number;
  ttlMs: number;
  graceMs: number;
  maxDialogsPerUser?: number;
}

export interface ClusterNode {
  id: string;
  bus: FakeBus;
  service: NodeService;
  messenger: Messenger;
  clients: RecordingClients;
  /** Nothing of this node runs: no reads, beats, sweeps or wake-ups (SIGSTOP). */
  stalled: boolean;
  /** When the service asked to be woken. */
  wake: { at: number | null };
  nextBeat: number;
  nextSweep: number;
}

const STEP_MS = 50;
const silent = { info() {}, warn() {}, error() {} };
const sorted = (xs: Iterable<string>) => [...xs].sort();

export class TestCluster {
  readonly redis: FakeRedis;
  readonly store: MemoryStore;
  readonly nodes: ClusterNode[] = [];
  private readonly profiles = new Map<string, UserProfile>();
  private ids = 0;

  private constructor(readonly options: ClusterOptions) {
    this.redis = new FakeRedis(options.maxDialogsPerUser ?? 10);
    this.store = new MemoryStore((id) => this.profiles.get(id) ?? { id, name: id });
  }

  static async start(options: ClusterOptions): Promise<TestCluster> {
    const cluster = new TestCluster(options);
    for (let i = 0; i < options.nodes; i++) await cluster.addNode();
    return cluster;
  }

  get now(): number {
    return this.redis.clock.t;
  }

  async addNode(): Promise<ClusterNode> {
    const { ttlMs, graceMs } = this.options;
    const clock = this.redis.clock;
    const id = `node${this.nodes.length}`;
    const messenger = new Messenger({ clock, graceMs, maxDialogsPerUser: this.redis.maxDialogsPerUser });
    const bus = new FakeBus(this.redis, id, ttlMs);
    const clients = new RecordingClients();
    const wake = { at: null as number | null };
    const service = new NodeService(
      messenger,
      {
        bus,
        store: this.store,
        clients,
        wakeups: { wakeAt: (at) => (wake.at = at) },
        clock,
        newId: () => `${id}-op${++this.ids}`,
        log: silent,
      },
      { presenceBatchMs: 100, rebuildWindowMs: ttlMs },
    );
    await service.start();
    const node: ClusterNode = {
      id,
      bus,
      service,
      messenger,
      clients,
      stalled: false,
      wake,
      nextBeat: this.now + ttlMs / 3,
      nextSweep: this.now + ttlMs / 4,
    };
    this.nodes.push(node);
    return node;
  }

  connect(node: number, user: UserProfile, connectionId: string): void {
    this.profiles.set(user.id, user);
    this.node(node).service.connect(user, connectionId);
  }

  disconnect(node: number, userId: string, connectionId: string): void {
    this.node(node).service.disconnect(userId, connectionId, `session-of-${connectionId}`);
  }

  /** A dialog:open request; the cluster runs (its log is read) until it is answered. */
  async open(node: number, a: string, b: string): Promise<OpenDialogResult | "unanswered"> {
    const answer: { value: OpenDialogResult | "unanswered" | null } = { value: null };
    this.node(node)
      .service.openDialog(a, b)
      .then(
        (r) => (answer.value = r),
        () => (answer.value = "unanswered"), // the bus call failed (a partition): the client sees an error
      );
    for (let waited = 0; waited < 2000; waited += STEP_MS) {
      await settle();
      if (answer.value !== null) return answer.value;
      await this.run(STEP_MS);
    }
    return "unanswered";
  }

  /** Runs the cluster for `ms`, in steps, as its timers and readers would. */
  async run(ms: number): Promise<void> {
    const { ttlMs } = this.options;
    const end = this.now + ms;
    while (this.now < end) {
      this.redis.clock.t = Math.min(end, this.now + STEP_MS);
      for (const n of this.nodes) {
        if (n.stalled) continue;
        n.bus.deliver();
        if (n.nextBeat <= this.now) {
          n.nextBeat = this.now + ttlMs / 3;
          n.bus.beat();
        }
        if (n.nextSweep <= this.now) {
          n.nextSweep = this.now + ttlMs / 4;
          n.bus.sweep();
        }
        if (n.wake.at !== null && n.wake.at <= this.now) {
          n.wake.at = null;
          n.service.tick();
        }
      }
      await settle();
    }
  }

  /** Runs until every node's view is the truth; returns how long it took, or null if it never did. */
  async convergence(limitMs: number): Promise<number | null> {
    const start = this.now;
    while (this.now - start <= limitMs) {
      if (this.differences().length === 0) return this.now - start;
      await this.run(STEP_MS);
    }
    return null;
  }

  /** Who is really here: everyone some node has (connected, or within the grace period there). */
  truthUsers(): string[] {
    return sorted(new Set(this.nodes.flatMap((n) => n.messenger.localUsers().map((u) => u.id))));
  }

  /**
   * Where any view differs from the truth: the shared state's users, each running node's replica,
   * and dialogs (each replica's equal to the shared state's, every member available).
   */
  differences(): string[] {
    const truth = this.truthUsers();
    const out: string[] = [];
    const shared = sorted(this.redis.users.keys());
    if (shared.join() !== truth.join()) out.push(`redis users ${shared.join()} != truth ${truth.join()}`);
    const sharedDialogs = sorted([...this.redis.dialogs].map(([id, [a, b]]) => `${id}:${sorted([a, b]).join("+")}`));
    for (const [id, [a, b]] of this.redis.dialogs) {
      if (!truth.includes(a) || !truth.includes(b)) out.push(`redis dialog ${id} has a member who is gone`);
    }
    for (const n of this.nodes) {
      if (n.stalled) continue;
      const users = sorted(n.messenger.available().map((u) => u.id));
      if (users.join() !== truth.join()) out.push(`${n.id} users ${users.join()} != truth ${truth.join()}`);
      const dialogs = sorted(new Set(truth.flatMap((u) => n.messenger.dialogsOf(u).map((d) => `${d.id}:${sorted(d.members).join("+")}`))));
      if (dialogs.join() !== sharedDialogs.join()) out.push(`${n.id} dialogs ${dialogs.join()} != redis ${sharedDialogs.join()}`);
    }
    return out;
  }

  node(i: number): ClusterNode {
    const n = this.nodes[i];
    if (!n) throw new Error(`no node ${i}`);
    return n;
  }
}

/** Lets every pending promise continuation run (the services' bus calls resolve in microtasks). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
