/**
 * Scenario 5 — scenario 1 across 3 nodes sharing Redis (REDIS_URL) and PostgreSQL (DATABASE_URL).
 * Runs only when Redis and PostgreSQL are given (BENCH_REDIS_URL / BENCH_DATABASE_URL, or REDIS_URL and a
 * postgresql:// DATABASE_URL); users are spread round robin over
 * the nodes and cross-node latency (sender and receiver on different nodes) is reported separately.
 */
import { now } from "../virtual-user";
import type { BenchOptions, ScenarioResult } from "../scenario";
import { runMessaging } from "./messaging";

const TARGET = "as scenario 1 across 3 nodes: every message acknowledged and delivered (p99 <= 2 ms is scenario 1's bar; cross-node p99 reported separately)";

export function multiNode(o: BenchOptions): Promise<ScenarioResult> {
  const redisUrl = process.env.BENCH_REDIS_URL || process.env.REDIS_URL || undefined;
  const pg = process.env.DATABASE_URL ?? "";
  const databaseUrl = process.env.BENCH_DATABASE_URL || (/^postgres(ql)?:\/\//.test(pg) ? pg : undefined);
  if (!redisUrl || !databaseUrl) {
    const missing = [!redisUrl && "BENCH_REDIS_URL", !databaseUrl && "BENCH_DATABASE_URL"].filter(Boolean).join(" and ");
    return Promise.resolve(skipped(`${missing} not set (point them at a Redis and a PostgreSQL on this machine)`));
  }
  if (![redisUrl, databaseUrl].every(isLocal)) return Promise.resolve(skipped("BENCH_REDIS_URL and BENCH_DATABASE_URL must point at this machine (loopback)"));
  return runMessaging(o, {
    name: "multi-node",
    nodes: 3,
    defaultUsers: 1000,
    databaseUrl,
    redisUrl,
    target: TARGET,
    judge: ({ undelivered, ackErrors }) => undelivered === 0 && ackErrors === 0,
  });
}

function isLocal(url: string): boolean {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "file:") return true;
    const host = parsed.hostname;
    return host === "localhost" || host.startsWith("127.") || host === "[::1]" || host === "::1";
  } catch {
    return false;
  }
}

function skipped(reason: string): ScenarioResult {
  const started = now();
  return { name: "multi-node", status: "skipped", reason, target: TARGET, met: null, params: {}, figures: {}, notes: [], seconds: (now() - started) / 1000 };
}
