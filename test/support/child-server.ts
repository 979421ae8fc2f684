/**
 * Starts a server as a child process and controls it (graceful stop, SIGKILL, restart): by default
 * test/support/server-process.ts (the realtime stack, no pages); `ChildServer.app()` runs the compiled
 * production server (dist/server/index.js: pages, next-auth and API routes too; `npm test` builds it
 * before the integration stage).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("./server-process.ts", import.meta.url));
const root = fileURLToPath(new URL("../..", import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export class ChildServer {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  stderr = "";

  constructor(
    readonly env: Record<string, string>,
    private readonly args: string[] = ["--import", "tsx", entry],
  ) {}

  /** The whole production server, as `npm start` runs it. */
  static app(env: Record<string, string>): ChildServer {
    const bundle = join(root, "dist", "server", "index.js");
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: build first (npm run build; npm test does it before this stage)`);
    return new ChildServer({ NEXT_TELEMETRY_DISABLED: "1", ...env }, [bundle]);
  }

  /** The running child's process id (undefined when it is not running). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.env.PORT}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, this.args, {
      cwd: root,
      // Only what the test gives: a developer's REDIS_URL or DATABASE_URL must not leak in.
      env: { ...process.env, DATABASE_URL: "", REDIS_URL: "", DATABASE_SCHEMA: "", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.stderr.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    child.stdout.resume(); // its log is not needed; an unread pipe would fill up and block it
    const exit = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${this.stderr}`))),
    );
    exit.catch(() => undefined);
    // Ready when /readyz says so (the same signal a load balancer uses).
    const deadline = Date.now() + 30_000;
    while (!(await Promise.race([this.ready(), exit]))) {
      if (Date.now() > deadline) throw new Error(`server did not become ready within 30 s: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.url}/readyz`)).status === 200;
    } catch {
      return false;
    }
  }

  /** Freezes the process (SIGSTOP), as a long GC pause, a swapped-out VM or a debugger would. */
  pause(): void {
    this.child?.kill("SIGSTOP");
  }

  resume(): void {
    this.child?.kill("SIGCONT");
  }

  /** Crash: no goodbye, no flush beyond what was already committed. */
  async kill(): Promise<void> {
    this.child?.kill("SIGKILL");
    await this.exited;
    this.child = null;
  }

  /** Graceful: SIGTERM, which finishes in-flight writes before exiting. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child) return null;
    const code = new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    child.kill("SIGTERM");
    this.child = null;
    return code;
  }
}
