/**
 * The project's load balancer (scripts/load-balancer.mjs: HAProxy with health checks on /readyz) in
 * front of test nodes, started the way an operator starts it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "./child-server";

const script = fileURLToPath(new URL("../../scripts/load-balancer.mjs", import.meta.url));

export class LoadBalancer {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  static async start(backends: string[], checkIntervalMs = 300): Promise<LoadBalancer> {
    const port = await freePort();
    const args = [
      script,
      "--port",
      String(port),
      "--check-interval-ms",
      String(checkIntervalMs),
      ...backends.flatMap((b) => ["--backend", b]),
    ];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const lb = new LoadBalancer(port, child);
    const deadline = Date.now() + 10_000;
    while (!(await lb.ready())) {
      if (child.exitCode !== null) throw new Error(`the load balancer exited with ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`the load balancer did not pass requests within 10 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return lb;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGTERM");
    await exited;
  }

  private async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.url}/readyz`)).status === 200;
    } catch {
      return false;
    }
  }
}
