/**
 * One scenario's system under test: a fresh database, its users, and the server process(es), started
 * on 127.0.0.1 and stopped afterwards. The server's settings are the app's own (server/config.ts);
 * the harness only raises the limits that would distort load (event rate, sign-in attempts).
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createClient } from "redis";
import { loadConfig, type Config } from "../server/config";
import { databaseKind } from "../server/persistence/database";
import { haproxyMissing, startLoadBalancer } from "../scripts/load-balancer.mjs";
import { realSignUps, seedUsers, type SeedReport } from "./seed-users";
import { ensureBuild, freePort, ServerProcess } from "./server-process";
import { now, type Identity } from "./virtual-user";

/** Server settings a reader may set for a bench run; passed through to the server when set. */
const PASS_THROUGH = [
  "HEARTBEAT_INTERVAL_MS",
  "HEARTBEAT_TIMEOUT_MS",
  "PRESENCE_GRACE_MS",
  "PRESENCE_BATCH_MS",
  "PRESENCE_QUIET_MS",
  "COMMIT_WINDOW_MS",
  "MAX_DIALOGS_PER_USER",
  "RESTORE_GRACE_MS",
];

export interface StackOptions {
  users: number;
  /** Of `users`, how many sign up and in through the real endpoints. */
  realSignUps: number;
  nodes?: number;
  /** Defaults to a fresh temporary SQLite file. */
  databaseUrl?: string;
  redisUrl?: string;
  env?: Record<string, string>;
  cpuProfDir?: string;
  /** Put the project's load balancer (HAProxy, scripts/load-balancer.mjs) in front of the nodes. */
  balancer?: boolean;
  log: (line: string) => void;
}

export interface Stack {
  servers: ServerProcess[];
  /** The balancer's URL, when there is one. */
  balancerUrl: string | null;
  users: Identity[];
  seed: SeedReport;
  config: Config;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startStack(o: StackOptions): Promise<Stack> {
  await ensureBuild(o.log); // again per scenario: another process in this tree may have removed it
  const dir = mkdtempSync(join(tmpdir(), "duo-bench-"));
  const secret = randomBytes(32).toString("base64url");
  const databaseUrl = o.databaseUrl ?? `file:${join(dir, "bench.db")}`;
  const postgres = databaseKind(databaseUrl) === "postgres";
  const schema = postgres ? `bench_${randomUUID().slice(0, 8)}` : undefined;
  const env: Record<string, string> = {
    NODE_ENV: "test",
    LOG_LEVEL: "warn",
    NEXTAUTH_SECRET: secret,
    SECRET_FILE: join(dir, "session-secret"),
    DATABASE_URL: databaseUrl,
    // Explicit, so a REDIS_URL or DATABASE_SCHEMA in the caller's environment never leaks into a node.
    DATABASE_SCHEMA: schema ?? "",
    REDIS_URL: o.redisUrl ?? "",
    ...(o.redisUrl ? { REDIS_PREFIX: `bench-${randomUUID().slice(0, 8)}` } : {}),
    EVENTS_PER_SECOND: "100000",
    EVENTS_BURST: "100000",
    MAX_CONNECTIONS_PER_USER: "5",
    SIGNIN_ATTEMPTS_PER_IP_PER_MINUTE: "100000",
    SIGNIN_ATTEMPTS_PER_NAME_AND_IP: "100000",
    SIGNUPS_PER_IP_PER_MINUTE: "100000",
  };
  for (const k of PASS_THROUGH) if (process.env[k]) env[k] = process.env[k]!;
  Object.assign(env, o.env);
  const config = loadConfig(env);
  const servers: ServerProcess[] = [];
  let balancer: ChildProcess | null = null;
  const stop = async () => {
    if (balancer && balancer.exitCode === null) {
      const exited = new Promise((r) => balancer?.once("exit", r));
      balancer.kill("SIGTERM");
      await exited;
    }
    const ends = await Promise.all(servers.map((s) => s.stop()));
    const killed = ends.filter((e) => e === "killed").length;
    if (killed) o.log(`  ${killed} server(s) did not stop within 10 s of SIGTERM and were killed`);
    if (schema) await dropSchema(databaseUrl, schema).catch(() => {});
    if (o.redisUrl && env.REDIS_PREFIX) await dropRedisKeys(o.redisUrl, env.REDIS_PREFIX).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const real = Math.min(o.realSignUps, o.users);
    const t0 = now();
    const direct = await seedUsers({ databaseUrl, ...(schema ? { schema } : {}), secret, count: o.users - real, prefix: "u" });
    const seedSeconds = (now() - t0) / 1000;
    o.log(`  seeded ${direct.length} users directly in ${seedSeconds.toFixed(1)} s`);
    for (let n = 0; n < (o.nodes ?? 1); n++) {
      const cpuDir = o.cpuProfDir ? join(o.cpuProfDir, `node${n}`) : undefined;
      servers.push(new ServerProcess(await freePort(), env, cpuDir));
    }
    await Promise.all(servers.map((s) => s.start()));
    o.log(`  server${servers.length > 1 ? "s" : ""} up: ${servers.map((s) => `${s.url} (pid ${s.pid})`).join(", ")}`);
    let balancerUrl: string | null = null;
    if (o.balancer) {
      const missing = haproxyMissing();
      if (missing) throw new Error(missing);
      const port = await freePort();
      balancer = startLoadBalancer({ port, backends: servers.map((s) => new URL(s.url).host), stdio: "ignore" });
      balancerUrl = `http://127.0.0.1:${port}`;
      await waitUntilServing(balancerUrl);
      o.log(`  load balancer (HAProxy) up: ${balancerUrl} (pid ${balancer.pid})`);
    }
    const signed = await realSignUps(servers[0]!.url, real, "real");
    if (real > 0) o.log(`  ${real} users signed up + signed in through the real endpoints, ${signed.msPerUser!.toFixed(0)} ms each`);
    return {
      servers,
      balancerUrl,
      users: [...signed.users, ...direct],
      seed: { direct: direct.length, realSignUps: real, realMsPerUser: signed.msPerUser, seedSeconds },
      config,
      env,
      stop,
    };
  } catch (err) {
    const tail = servers.flatMap((s) => s.log.tail).slice(-3);
    await stop();
    if (tail.length) (err as Error).message += ` (server log: ${tail.join(" | ")})`;
    throw err;
  }
}

async function waitUntilServing(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not pass requests within 10 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Removes this run's keys (its own REDIS_PREFIX) from the shared Redis. */
async function dropRedisKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) keys.push(...batch);
    for (let i = 0; i < keys.length; i += 500) await client.del(keys.slice(i, i + 500));
  } finally {
    await client.quit();
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
