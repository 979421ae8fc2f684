/** Starts test/support/server-process.ts as a child process and controls it (graceful stop, SIGKILL, restart). */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
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

  constructor(readonly env: Record<string, string>) {}

  get url(): string {
    return `http://127.0.0.1:${this.env.PORT}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", entry], {
      cwd: root,
      // Only what the test gives: a developer's REDIS_URL or DATABASE_URL must not leak in.
      env: { ...process.env, DATABASE_URL: "", REDIS_URL: "", DATABASE_SCHEMA: "", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.stderr!.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    await new Promise<void>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`server did not start: ${this.stderr}`)), 30_000);
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes('"port"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}: ${this.stderr}`));
      });
    });
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
