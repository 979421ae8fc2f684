/**
 * Scenario 5 — fan-out across nodes: 3 server processes sharing Redis and PostgreSQL, behind the
 * project's load balancer (HAProxy), every client connecting to the balancer's one URL. Where each
 * client landed is read from its welcome; then two phases with the same senders at the same rate,
 * all on nodes 0 and 1 (node 2 keeps its clients connected, silent):
 *
 *   same-node:  every conversation between two clients of one node;
 *   cross-node: every conversation between a client of node 0 and one of node 1.
 *
 * Run twice each, alternating (same, cross, same, cross), so warming up and a growing database weigh
 * on both alike.
 * Server CPU per delivered message in each phase (nodes 0 and 1), their ratio, and what node 2 spends
 * meanwhile: a node with nothing to deliver should stay nearly idle. Runs only when Redis and
 * PostgreSQL are given (BENCH_REDIS_URL / BENCH_DATABASE_URL, or REDIS_URL and a postgresql://
 * DATABASE_URL) and HAProxy is installed.
 */
import { connectAll, describeErrors, openAll } from "../population";
import { size, sleep, type BenchOptions, type ScenarioResult } from "../scenario";
import { startStack, type Stack } from "../stack";
import { cdf, concat, round, summarize } from "../stats";
import { now } from "../virtual-user";
import type { WorkerUser } from "../worker-protocol";
import { WorkerPool } from "../workers";
import { generatorFigures } from "./messaging";

const TARGET =
  "cross-node CPU per delivered message <= 1.3x same-node; a node with nothing to deliver nearly idle (<= 10% of a busy node's CPU); every message delivered";

interface Phase {
  delivered: number;
  undelivered: number;
  ackErrors: Record<string, number>;
  /** Server CPU seconds per node over the measured window. */
  cpu: number[];
  latency: Float64Array;
}

export async function multiNode(o: BenchOptions): Promise<ScenarioResult> {
  const redisUrl = process.env.BENCH_REDIS_URL || process.env.REDIS_URL || undefined;
  const pg = process.env.DATABASE_URL ?? "";
  const databaseUrl = process.env.BENCH_DATABASE_URL || (/^postgres(ql)?:\/\//.test(pg) ? pg : undefined);
  if (!redisUrl || !databaseUrl) {
    const missing = [!redisUrl && "BENCH_REDIS_URL", !databaseUrl && "BENCH_DATABASE_URL"].filter(Boolean).join(" and ");
    return skipped(`${missing} not set (point them at a Redis and a PostgreSQL on this machine)`);
  }
  if (![redisUrl, databaseUrl].every(isLocal))
    return skipped("BENCH_REDIS_URL and BENCH_DATABASE_URL must point at this machine (loopback)");

  const started = now();
  const users = size(o.users, 240, o, 24);
  const seconds = o.seconds ?? 10;
  o.log(
    `multi-node: ${users} users through HAProxy onto 3 nodes; same-node and cross-node phases, twice, ${o.rate} msg/s per sender for ${seconds} s each`,
  );
  const stack = await startStack({ users, realSignUps: o.realSignUps, nodes: 3, databaseUrl, redisUrl, balancer: true, log: o.log });
  const pool = WorkerPool.start(o.workers);
  try {
    const workerOf = (index: number) => index % pool.size;
    const placed: WorkerUser[] = stack.users.map((identity, index) => ({ index, identity, url: stack.balancerUrl ?? "", node: -1 }));
    await pool.add(placed, (u) => workerOf(u.index));
    const conn = await connectAll(pool, placed, (u) => workerOf(u.index));
    const serverIds = await Promise.all(
      stack.servers.map(async (s) => ((await (await fetch(`${s.url}/healthz`)).json()) as { serverId: string }).serverId),
    );
    const nodeOf = new Map(conn.results.flatMap((r) => (r.ok && r.serverId ? [[r.index, serverIds.indexOf(r.serverId)] as const] : [])));
    await pool.all("setNodes", (w) => ({ nodes: [...nodeOf].filter(([i]) => workerOf(i) === w) }));
    const landed = [0, 1, 2].map((n) => [...nodeOf.values()].filter((x) => x === n).length);
    o.log(`  connected ${conn.ok}/${users} through the balancer; landed per node: ${landed.join(" / ")}`);

    // Pairs within one worker (one clock for both ends), from the same senders in both phases.
    const same: [number, number][] = [];
    const cross: [number, number][] = [];
    for (let w = 0; w < pool.size; w++) {
      const on = (n: number) => [...nodeOf].filter(([i, x]) => x === n && workerOf(i) === w).map(([i]) => i);
      const [n0, n1] = [on(0), on(1)];
      const k = Math.min(n0.length, n1.length) & ~1;
      for (let i = 0; i < k; i += 2) same.push([n0[i]!, n0[i + 1]!], [n1[i]!, n1[i + 1]!]);
      for (let i = 0; i < k; i++) cross.push([n0[i]!, n1[i]!]);
    }
    const workerMap = new Map([...nodeOf.keys()].map((i) => [i, workerOf(i)]));
    const run = async (name: string, pairs: [number, number][]): Promise<Phase> => {
      const opened = await openAll(pool, pairs, workerMap);
      o.log(`  ${name}: opened ${opened.opened}/${pairs.length} conversations${opened.errors.length ? ` (${opened.errors[0]})` : ""}`);
      await sleep(1000);
      return measure(o, stack, pool, seconds);
    };
    const rounds: [Phase, Phase][] = [];
    await pool.markCpu();
    const phasesFrom = now();
    for (let r = 0; r < 2; r++) rounds.push([await run("same-node", same), await run("cross-node", cross)]);
    const generator = generatorFigures(await pool.cpuSince(), (now() - phasesFrom) / 1000);
    const s = combine(rounds.map((p) => p[0]));
    const x = combine(rounds.map((p) => p[1]));
    const seconds2 = 2 * seconds;

    const perMsgMs = (p: Phase) => (1000 * ((p.cpu[0] ?? 0) + (p.cpu[1] ?? 0))) / Math.max(1, p.delivered);
    const ratio = perMsgMs(x) / perMsgMs(s);
    const idleShare = (p: Phase) => (p.cpu[2] ?? 0) / Math.max(1e-9, ((p.cpu[0] ?? 0) + (p.cpu[1] ?? 0)) / 2);
    const [sl, xl] = [summarize(s.latency), summarize(x.latency)];
    const undelivered = s.undelivered + x.undelivered;
    const ackErrors = { ...s.ackErrors };
    for (const [e, n] of Object.entries(x.ackErrors)) ackErrors[e] = (ackErrors[e] ?? 0) + n;
    const figures: ScenarioResult["figures"] = {
      ...generator,
      connected: conn.ok,
      landedPerNode: landed.join(" / "),
      sameNodeDeliveredMsgPerSec: round(s.delivered / seconds2, 1),
      crossNodeDeliveredMsgPerSec: round(x.delivered / seconds2, 1),
      sameNodeCpuMsPerMessage: round(perMsgMs(s), 3),
      crossNodeCpuMsPerMessage: round(perMsgMs(x), 3),
      crossToSameCpuRatio: round(ratio, 2),
      idleNodeCpuPercentOfOneCoreSame: round((100 * (s.cpu[2] ?? 0)) / seconds2, 1),
      idleNodeCpuPercentOfOneCoreCross: round((100 * (x.cpu[2] ?? 0)) / seconds2, 1),
      idleNodeCpuShareOfBusyNodeCross: round(idleShare(x), 3),
      busyNodeCpuPercentOfOneCoreCross: round((100 * ((x.cpu[0] ?? 0) + (x.cpu[1] ?? 0))) / 2 / seconds2, 1),
      sameNodeLatencyP50Ms: round(sl.p50, 2),
      sameNodeLatencyP99Ms: round(sl.p99, 2),
      crossNodeLatencyP50Ms: round(xl.p50, 2),
      crossNodeLatencyP99Ms: round(xl.p99, 2),
      undelivered,
      ackErrors: describeErrors(ackErrors) || "none",
      serverWarnLines: stack.servers.reduce((a, v) => a + v.log.warn, 0),
      serverErrorLines: stack.servers.reduce((a, v) => a + v.log.error, 0),
    };
    o.log(
      `  CPU per delivered message: same-node ${figures.sameNodeCpuMsPerMessage} ms, cross-node ${figures.crossNodeCpuMsPerMessage} ms (${figures.crossToSameCpuRatio}×); idle node ${figures.idleNodeCpuPercentOfOneCoreCross}% of a core`,
    );
    return {
      name: "multi-node",
      status: "ok",
      target: TARGET,
      met: ratio <= 1.3 && idleShare(x) <= 0.1 && undelivered === 0,
      params: { users, rate: o.rate, secondsPerPhase: seconds, phases: 4, nodes: 3, balancer: "HAProxy", workers: o.workers },
      figures,
      notes: [
        "Server CPU only (the three node processes, from /proc); Redis, PostgreSQL, HAProxy and the load generator share the same cores.",
      ],
      series: { latencyCdf: cdf(s.latency), crossNodeLatencyCdf: cdf(x.latency) },
      seconds: round((now() - started) / 1000, 1),
    };
  } finally {
    await pool.close();
    await stack.stop();
  }
}

function combine(phases: Phase[]): Phase {
  const ackErrors: Record<string, number> = {};
  for (const p of phases) for (const [e, n] of Object.entries(p.ackErrors)) ackErrors[e] = (ackErrors[e] ?? 0) + n;
  return {
    delivered: phases.reduce((a, p) => a + p.delivered, 0),
    undelivered: phases.reduce((a, p) => a + p.undelivered, 0),
    ackErrors,
    cpu: [0, 1, 2].map((n) => phases.reduce((a, p) => a + (p.cpu[n] ?? 0), 0)),
    latency: concat(phases.map((p) => p.latency)),
  };
}

/** One steady phase over whatever conversations the senders have now; server CPU per node over the window. */
async function measure(o: BenchOptions, stack: Stack, pool: WorkerPool, seconds: number): Promise<Phase> {
  const startAt = now() + 500;
  const measureFrom = startAt + o.warmupSeconds * 1000;
  const stopAt = measureFrom + seconds * 1000;
  let at0: number[] = [];
  let at1: number[] = [];
  const marks = (async () => {
    await sleep(measureFrom - now());
    at0 = stack.servers.map((s) => s.sample().cpuSeconds);
    await sleep(stopAt - now());
    at1 = stack.servers.map((s) => s.sample().cpuSeconds);
  })();
  const parts = await pool.all("steady", () => ({
    startAt,
    warmupMs: o.warmupSeconds * 1000,
    measureMs: seconds * 1000,
    drainMs: 10_000,
    rate: o.rate,
    body: "The quick brown fox jumps over the lazy dog — bench",
  }));
  await marks;
  const ackErrors: Record<string, number> = {};
  for (const p of parts) for (const [e, n] of Object.entries(p.ackErrors)) ackErrors[e] = (ackErrors[e] ?? 0) + n;
  return {
    delivered: parts.reduce((a, p) => a + p.delivered, 0),
    undelivered: parts.reduce((a, p) => a + p.undelivered, 0),
    ackErrors,
    cpu: at1.map((c, i) => c - (at0[i] ?? 0)),
    latency: concat(parts.flatMap((p) => [p.latencySameNode, p.latencyCrossNode])),
  };
}

function isLocal(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === "localhost" || host.startsWith("127.") || host === "[::1]" || host === "::1";
  } catch {
    return false;
  }
}

function skipped(reason: string): Promise<ScenarioResult> {
  return Promise.resolve({
    name: "multi-node",
    status: "skipped",
    reason,
    target: TARGET,
    met: null,
    params: {},
    figures: {},
    notes: [],
    seconds: 0,
  });
}
