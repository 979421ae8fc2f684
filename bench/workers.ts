/** The coordinator's side of the load workers: forks them, sends commands, sums their CPU. */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { track } from "./children";
import { ROOT } from "./server-process";
import type { CommandName, Reply, WorkerCommands, WorkerStats, WorkerUser } from "./worker-protocol";

const entry = fileURLToPath(new URL("./load-worker.ts", import.meta.url));

export interface GeneratorCpu {
  /** CPU seconds of all load workers plus the coordinator over the window. */
  seconds: number;
  /** Per worker. */
  workers: number[];
  coordinator: number;
  /** Worst event-loop delay p99 / max among the workers over the window, ms. */
  loopDelayP99: number;
  loopDelayMax: number;
  /** Time the workers' main threads were runnable but waiting for a CPU over the window, seconds. */
  runQueueWaitSeconds: number;
  rssBytes: number;
}

export class WorkerPool {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private mark: { workers: WorkerStats[]; self: NodeJS.CpuUsage } | null = null;

  private constructor(private readonly children: ChildProcess[]) {
    for (const child of children) {
      child.on("message", (msg: Reply) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new Error(msg.error));
      });
      child.on("exit", (code, signal) => {
        if (code === 0) return;
        for (const p of this.pending.values()) p.reject(new Error(`load worker exited (${code ?? signal})`));
        this.pending.clear();
      });
    }
  }

  static start(count: number): WorkerPool {
    const children = Array.from({ length: count }, () =>
      track(
        fork(entry, [], {
          cwd: ROOT,
          execArgv: ["--import", "tsx", "--max-old-space-size=4096"],
          serialization: "advanced",
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        }),
      ),
    );
    return new WorkerPool(children);
  }

  get size(): number {
    return this.children.length;
  }

  call<C extends CommandName>(worker: number, cmd: C, args: WorkerCommands[C]["args"]): Promise<WorkerCommands[C]["result"]> {
    const child = this.children[worker];
    if (!child) throw new Error(`no worker ${worker}`);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve, reject });
      child.send({ id, cmd, args });
    });
  }

  all<C extends CommandName>(cmd: C, argsFor: (worker: number) => WorkerCommands[C]["args"]): Promise<WorkerCommands[C]["result"][]> {
    return Promise.all(this.children.map((_, w) => this.call(w, cmd, argsFor(w))));
  }

  /** Hands users to workers: `workerOf` picks each one's worker (keep conversation partners together). */
  async add(users: WorkerUser[], workerOf: (u: WorkerUser) => number, tracking?: { populationIds: string[] }): Promise<void> {
    const shares: WorkerUser[][] = this.children.map(() => []);
    for (const u of users) shares[workerOf(u) % this.size]!.push(u);
    await this.all("add", (w) => ({ users: shares[w]!, ...(tracking ? { track: tracking } : {}) }));
  }

  /** Starts a measurement window for the generator's own CPU (see `cpuSince`). */
  async markCpu(): Promise<void> {
    this.mark = { workers: await this.all("stats", () => ({})), self: process.cpuUsage() };
  }

  async cpuSince(): Promise<GeneratorCpu> {
    const mark = this.mark;
    if (!mark) throw new Error("markCpu first");
    const stats = await this.all("stats", () => ({}));
    const self = process.cpuUsage(mark.self);
    const workers = stats.map((s, i) => {
      const m = mark.workers[i]!;
      return (s.cpuUserMicros - m.cpuUserMicros + s.cpuSystemMicros - m.cpuSystemMicros) / 1e6;
    });
    const coordinator = (self.user + self.system) / 1e6;
    return {
      seconds: workers.reduce((a, b) => a + b, 0) + coordinator,
      workers,
      coordinator,
      loopDelayP99: Math.max(...stats.map((s) => s.loopDelayP99)),
      loopDelayMax: Math.max(...stats.map((s) => s.loopDelayMax)),
      runQueueWaitSeconds: stats.reduce((a, s, i) => a + s.runQueueWaitSeconds - mark.workers[i]!.runQueueWaitSeconds, 0),
      rssBytes: stats.reduce((a, s) => a + s.rssBytes, 0),
    };
  }

  async close(): Promise<void> {
    await this.all("closeAll", () => ({})).catch(() => {});
    for (const child of this.children) child.disconnect();
    await Promise.all(this.children.map((c) => (c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once("exit", r)))));
  }
}
