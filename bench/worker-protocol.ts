/** The commands the coordinator sends to a load worker, with their arguments and results. */
import type { Identity, Target } from "./virtual-user";

export interface WorkerUser {
  /** Index in the whole population (all workers). */
  index: number;
  identity: Identity;
  /** The server (node) this user connects to. */
  url: string;
  node: number;
  /** What it connects to (default Duo). */
  target?: Target;
}

export interface ConnectResult {
  index: number;
  ok: boolean;
  /** When the client started to connect, and when the server welcomed it (shared clock, epoch ms). */
  startedAt?: number;
  welcomeAt?: number;
  /** The node that welcomed it (behind a balancer, where it landed). */
  serverId?: string;
  error?: string;
}

export interface SteadyArgs {
  startAt: number;
  warmupMs: number;
  measureMs: number;
  drainMs: number;
  /** Messages per second per user. */
  rate: number;
  body: string;
}

export interface SteadyResult {
  sent: number;
  sentMeasured: number;
  acked: number;
  ackErrors: Record<string, number>;
  /** Measured messages that reached the other participant. */
  delivered: number;
  undelivered: number;
  /** Emit -> message:new at the peer, ms; peer on the same node / on another node. */
  latencySameNode: Float64Array;
  latencyCrossNode: Float64Array;
  /** Emit -> ack at the sender, ms. */
  ackLatency: Float64Array;
  /** How late the generator sent each measured message after its scheduled time, ms: when this grows,
   * the generator (not the server) is the bottleneck. */
  sendLagP99: number;
  sendLagMax: number;
}

export interface PresenceStatus {
  tracked: number;
  complete: number;
  /** Per tracked client (only with `full`): when its list became complete (NaN: never), events received. */
  completeAt?: Float64Array;
  deltaEvents?: Uint32Array;
}

export interface KillOrder {
  index: number;
  mode: "loud" | "silent";
  /** When to kill (shared clock). */
  at: number;
}

export interface KillOutcome {
  index: number;
  mode: "loud" | "silent";
  killedAt: number;
  /** When the victim's peer received dialog:closed for their conversation. */
  closedAt?: number;
  /** When the victim's peer saw them go offline in a presence delta. */
  offlineAt?: number;
}

export interface WorkerStats {
  cpuUserMicros: number;
  cpuSystemMicros: number;
  rssBytes: number;
  /** Event-loop delay since the last stats call, ms. */
  loopDelayP99: number;
  loopDelayMax: number;
  /** Main thread's time runnable but waiting for a CPU, seconds since start. */
  runQueueWaitSeconds: number;
  connected: number;
}

export interface WorkerCommands {
  add: { args: { users: WorkerUser[]; track?: { populationIds: string[] } }; result: { added: number } };
  connect: { args: { indices: number[]; at?: number[]; concurrency: number; timeoutMs: number }; result: ConnectResult[] };
  /** The first of each pair opens the conversation with the second. */
  open: { args: { pairs: [number, number][]; concurrency: number }; result: { opened: number; errors: string[] } };
  steady: { args: SteadyArgs; result: SteadyResult };
  presence: { args: { full: boolean }; result: PresenceStatus };
  kill: { args: { orders: KillOrder[]; waitMs: number }; result: KillOutcome[] };
  stats: { args: Record<string, never>; result: WorkerStats };
  closeAll: { args: Record<string, never>; result: { closed: number } };
  /** Records which node each user landed on (behind a balancer), for the same-/cross-node split. */
  setNodes: { args: { nodes: [index: number, node: number][] }; result: { set: number } };
}

export type CommandName = keyof WorkerCommands;

export interface Request<C extends CommandName = CommandName> {
  id: number;
  cmd: C;
  args: WorkerCommands[C]["args"];
}

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
