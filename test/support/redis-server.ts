/**
 * A Redis server of the test's own, on a free loopback port, with no persistence: the test can stop it
 * and start it again empty (never the machine's own Redis).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createClient } from "redis";
import { freePort } from "./child-server";

const BINARY = process.env.REDIS_SERVER_PATH ?? "redis-server";

/** Null when redis-server can run here; otherwise what to do about it. */
export function redisServerMissing(): string | null {
  const r = spawnSync(BINARY, ["--version"], { stdio: "ignore" });
  return r.status === 0
    ? null
    : `redis-server was not found (${BINARY}). Install it (Debian: apt-get install -y redis-server) or set REDIS_SERVER_PATH.`;
}

export class RedisServer {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (again), empty. */
  async start(): Promise<void> {
    const child = spawn(BINARY, ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await this.answers()) return;
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error("redis-server did not answer within 10 s");
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops it at once: its data is gone (no persistence). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  /** Runs one command on a connection of its own. */
  async command<T>(args: string[]): Promise<T> {
    const c = createClient({ url: this.url });
    c.on("error", () => undefined);
    await c.connect();
    try {
      return await c.sendCommand<T>(args);
    } finally {
      await c.quit().catch(() => undefined);
    }
  }

  /** Drops every client connection whose name starts with `prefix` and ends with one of `roles` (CLIENT KILL by id). */
  async killClients(prefix: string, roles: string[]): Promise<number> {
    const list = await this.command<string>(["CLIENT", "LIST"]);
    let killed = 0;
    for (const line of list.split("\n")) {
      const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
      const name = /(?:^| )name=(\S*)/.exec(line)?.[1] ?? "";
      if (id && name.startsWith(prefix) && roles.some((r) => name.endsWith(r)))
        killed += await this.command<number>(["CLIENT", "KILL", "ID", id]);
    }
    return killed;
  }

  private async answers(): Promise<boolean> {
    try {
      return (await this.command<string>(["PING"])) === "PONG";
    } catch {
      return false;
    }
  }
}
