/**
 * The server under test as a child process: what `npm start` runs (dist/server/index.js, the bundle
 * `npm run build` makes of server/index.ts: Next + Socket.IO on one port), rebuilt first when its
 * sources changed, on 127.0.0.1 only. The baselines (bench/baselines/) run from their sources with
 * tsx (`node --import tsx`, so the child's pid is the server itself).
 *
 * Not Duo's sources under tsx: tsx keeps function names by wrapping every closure made at run time
 * in a defineProperty call, which production does not pay (2 % of the server's CPU per message).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";
import { buildIsCurrent } from "../scripts/build-inputs.mjs";
import { track } from "./children";
import { ProcSampler, readProc, type ProcSample } from "./proc-stats";
import { now } from "./virtual-user";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Builds the pages and the server when they are missing or older than the sources (as `npm start`
 * does). If another `next build` is running in this tree (e.g. `npm test`), waits for it instead. */
export async function ensureBuild(log: (line: string) => void): Promise<void> {
  const built = () => {
    const cwd = process.cwd();
    process.chdir(ROOT); // the stamp hashes paths relative to the project root
    try {
      return buildIsCurrent();
    } finally {
      process.chdir(cwd);
    }
  };
  if (built()) return;
  log("the build is missing or older than the sources: building the pages and the server (npm run build)…");
  const deadline = Date.now() + 300_000;
  for (;;) {
    const r = spawnSync(process.execPath, ["scripts/build.mjs"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    if (r.status === 0 || built()) return;
    if (!/Another next build process is already running/.test(`${r.stdout}${r.stderr}`)) {
      throw new Error(`the build failed with exit code ${r.status}:\n${r.stdout}\n${r.stderr}`);
    }
    if (Date.now() > deadline) throw new Error("another next build in this tree did not finish within 5 min");
    log("another next build is running in this tree: trying again in 5 s…");
    await new Promise((r) => setTimeout(r, 5000));
  }
}

export { freePort } from "../test/support/child-server";

/** Duo's server as `npm start` runs it (built by ensureBuild). */
const DUO_ENTRY = "dist/server/index.js";

export interface ServerLog {
  warn: number;
  error: number;
  /** The last few warn/error lines (messages only). */
  tail: string[];
}

export class ServerProcess {
  readonly url: string;
  readonly log: ServerLog = { warn: 0, error: 0, tail: [] };
  sampler: ProcSampler | null = null;
  /** When the process was spawned (shared clock): CPU profiles count their time from about then. */
  spawnedAt = Number.NaN;
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  private stderr = "";
  /** Set when the process exited: code or signal, and the end of its stderr. */
  exit: string | null = null;

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly cpuProfDir?: string,
    /** The entry point, relative to the repository: Duo's server, or a baseline in bench/baselines/. */
    private readonly entry = DUO_ENTRY,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error("server not running");
    return this.child.pid;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const args = this.entry === DUO_ENTRY ? [] : ["--import", "tsx"];
    // Node or V8 flags for the servers only, for experiments (e.g. "--trace-gc"): NODE_OPTIONS refuses most V8 flags.
    args.push(...(process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean));
    if (this.cpuProfDir) {
      mkdirSync(this.cpuProfDir, { recursive: true });
      args.push("--cpu-prof", "--cpu-prof-dir", this.cpuProfDir);
    }
    args.push(this.entry);
    const child = track(
      spawn(process.execPath, args, {
        cwd: ROOT,
        env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...this.env, HOST: "127.0.0.1", PORT: String(this.port) },
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    this.spawnedAt = now();
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        const last = [...this.log.tail.slice(-3), ...this.stderr.trim().split("\n").slice(-5)].filter(Boolean);
        this.exit = `exited with ${code ?? signal}${last.length ? `: ${last.join(" | ")}` : ""}`;
        resolve(code);
      }),
    );
    child.stderr!.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    let partial = "";
    child.stdout!.on("data", (d: Buffer) => {
      const lines = (partial + d.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) this.record(line);
    });
    const deadline = Date.now() + timeoutMs;
    const state = { exited: false };
    void this.exited.then(() => (state.exited = true));
    while (!(await this.healthy())) {
      if (state.exited) throw new Error(`server exited during start: ${this.stderr || this.log.tail.join("\n")}`);
      if (Date.now() > deadline) throw new Error(`server did not answer /healthz within ${timeoutMs} ms: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    this.sampler = new ProcSampler(child.pid!).start();
  }

  sample(): ProcSample {
    const s = this.child?.pid ? readProc(this.child.pid) : null;
    if (!s) throw new Error(`server ${this.url} is gone (${this.exit ?? "cannot read /proc"})`);
    return s;
  }

  /** Graceful stop (SIGTERM; the server finishes writes), SIGKILL after `graceMs`. Returns how it ended. */
  async stop(graceMs = 10_000): Promise<"stopped" | "killed" | "not running"> {
    const child = this.child;
    if (!child) return "not running";
    this.sampler?.stop();
    child.kill("SIGTERM");
    const outcome = { killed: false };
    const timer = setTimeout(() => {
      outcome.killed = true;
      child.kill("SIGKILL");
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
    this.child = null;
    return outcome.killed ? "killed" : "stopped";
  }

  private async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/healthz`);
      return res.ok && ((await res.json()) as { ok?: boolean }).ok === true;
    } catch {
      return false;
    }
  }

  private record(line: string): void {
    if (!line.startsWith("{")) return;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; reason?: string; err?: { message?: string } };
      const level = entry.level ?? 0;
      if (level >= 50) this.log.error++;
      else if (level >= 40) this.log.warn++;
      else return;
      const text = [entry.msg, entry.reason, entry.err?.message].filter(Boolean).join(": ");
      this.log.tail.push(text);
      if (this.log.tail.length > 200) this.log.tail.shift();
    } catch {
      /* not a log line */
    }
  }
}

/** Times `count` sequential GET /healthz round-trips (keep-alive), `intervalMs` apart: a view of the
 * server's event-loop delay from outside. Returns milliseconds. */
export async function healthzLatencies(url: string, count: number, intervalMs: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        const req = request(`${url}/healthz`, { agent }, (res) => {
          res.resume();
          res.once("end", () => resolve());
        });
        req.once("error", reject);
        req.end();
      });
      out.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  } finally {
    agent.destroy();
  }
  return out;
}

/** Probes GET /healthz every `intervalMs` in the background: the server's event-loop delay (and any
 * synchronous blocking, e.g. a slow SQLite write) as a client would feel it. */
export class HealthProbe {
  readonly samples: number[] = [];
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly url: string,
    private readonly intervalMs = 200,
  ) {}

  start(): this {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    this.loop = (async () => {
      while (!this.stopped) {
        const t0 = performance.now();
        await new Promise<void>((resolve) => {
          const req = request(`${this.url}/healthz`, { agent, timeout: 30_000 }, (res) => {
            res.resume();
            res.once("end", () => resolve());
          });
          req.once("error", () => resolve());
          req.end();
        });
        this.samples.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, this.intervalMs));
      }
      agent.destroy();
    })();
    return this;
  }

  async stop(): Promise<number[]> {
    this.stopped = true;
    await this.loop;
    return this.samples;
  }
}
