/**
 * Steady messaging, on one node (scenario "steady") or several (scenario "multi-node"): U users in
 * U/2 conversations, each sending `rate` messages a second for `seconds`, open loop (a slow server
 * does not slow the senders down). Latency: from just before the emit at the sender to the arrival of
 * message:new at the other participant, on one clock (both live in the same load worker).
 */
import { describeSeed } from "../seed-users";
import { connectAll, describeErrors, openAll, pairUp, place, workerByPair } from "../population";
import { size, sleep, type BenchOptions, type ScenarioResult } from "../scenario";
import { startStack } from "../stack";
import { cdf, concat, mib, round, summarize } from "../stats";
import type { ProcSample } from "../proc-stats";
import { HealthProbe } from "../server-process";
import { now } from "../virtual-user";
import { WorkerPool, type GeneratorCpu } from "../workers";

export interface MessagingSetup {
  name: string;
  nodes: number;
  defaultUsers: number;
  databaseUrl?: string;
  redisUrl?: string;
  target: string;
  /** Decides `met` from the measured figures. */
  judge(f: { p99: number; undelivered: number; crossP99: number; ackErrors: number }): boolean;
}

export async function runMessaging(o: BenchOptions, setup: MessagingSetup): Promise<ScenarioResult> {
  const started = now();
  const users = size(o.users, setup.defaultUsers, o) & ~1;
  const seconds = o.seconds ?? 20;
  const params = {
    users,
    conversations: users / 2,
    rate: o.rate,
    seconds,
    warmupSeconds: o.warmupSeconds,
    nodes: setup.nodes,
    workers: o.workers,
  };
  o.log(
    `${setup.name}: ${users} users, ${users / 2} conversations, ${o.rate} msg/s each for ${seconds} s (+${o.warmupSeconds} s warm-up), ${setup.nodes} node(s)`,
  );
  const stack = await startStack({
    users,
    realSignUps: o.realSignUps,
    nodes: setup.nodes,
    ...(setup.databaseUrl ? { databaseUrl: setup.databaseUrl } : {}),
    ...(setup.redisUrl ? { redisUrl: setup.redisUrl } : {}),
    ...(o.cpuProfDir ? { cpuProfDir: `${o.cpuProfDir}/${setup.name}` } : {}),
    log: o.log,
  });
  const pool = WorkerPool.start(o.workers);
  try {
    const placed = place(stack.users, stack.servers);
    const pairs = pairUp(users, setup.nodes);
    const workerOf = workerByPair(pairs, pool.size);
    await pool.add(placed, (u) => workerOf.get(u.index) ?? 0);
    const conn = await connectAll(pool, placed, (u) => workerOf.get(u.index) ?? 0);
    o.log(`  connected ${conn.ok}/${users}${conn.failed ? ` (failed: ${describeErrors(conn.errors)})` : ""}`);
    const opened = await openAll(pool, pairs, workerOf);
    o.log(
      `  opened ${opened.opened}/${pairs.length} conversations${opened.errors.length ? ` (${opened.errors.length} refused: ${opened.errors[0]})` : ""}`,
    );
    await sleep(1000); // presence batches of the connects settle

    const startAt = now() + 500;
    const measureFrom = startAt + o.warmupSeconds * 1000;
    const stopAt = measureFrom + seconds * 1000;
    let serverAt0: ProcSample[] = [];
    let serverAt1: ProcSample[] = [];
    let probe: HealthProbe | null = null;
    let generator: GeneratorCpu | null = null;
    const marks = (async () => {
      await sleep(measureFrom - now());
      serverAt0 = stack.servers.map((s) => s.sample());
      probe = new HealthProbe(stack.servers[0]!.url).start();
      await pool.markCpu();
      await sleep(stopAt - now());
      serverAt1 = stack.servers.map((s) => s.sample());
      generator = await pool.cpuSince();
    })().catch((err: unknown) => err as Error); // surfaced below, after the load stops
    const parts = await pool.all("steady", () => ({
      startAt,
      warmupMs: o.warmupSeconds * 1000,
      measureMs: seconds * 1000,
      drainMs: 10_000,
      rate: o.rate,
      body: "The quick brown fox jumps over the lazy dog — bench",
    }));
    const marked = await marks;
    if (marked instanceof Error) throw marked;
    const gen = generator as GeneratorCpu | null;
    const health = summarize((await (probe as HealthProbe | null)?.stop()) ?? []);

    const same = concat(parts.map((p) => p.latencySameNode));
    const cross = concat(parts.map((p) => p.latencyCrossNode));
    const all = concat([same, cross]);
    const lat = summarize(all);
    const crossLat = summarize(cross);
    const sameLat = summarize(same);
    const ack = summarize(concat(parts.map((p) => p.ackLatency)));
    const sum = (f: (p: (typeof parts)[number]) => number) => parts.reduce((a, p) => a + f(p), 0);
    const ackErrors: Record<string, number> = {};
    for (const p of parts) for (const [e, n] of Object.entries(p.ackErrors)) ackErrors[e] = (ackErrors[e] ?? 0) + n;
    const serverCpu = serverAt1.reduce((a, v, i) => a + v.cpuSeconds - serverAt0[i]!.cpuSeconds, 0);
    const runQueueWait = serverAt1.reduce((a, v, i) => a + v.runQueueWaitSeconds - serverAt0[i]!.runQueueWaitSeconds, 0);
    const rss = stack.servers.map((s) => s.sample().rssBytes);
    const peakRss = stack.servers.map((s) => s.sampler?.peakRssBytes ?? 0);
    const undelivered = sum((p) => p.undelivered);

    const figures: ScenarioResult["figures"] = {
      connected: conn.ok,
      conversationsOpened: opened.opened,
      sentMeasured: sum((p) => p.sentMeasured),
      offeredMsgPerSec: round(sum((p) => p.sentMeasured) / seconds, 1),
      deliveredMsgPerSec: round(sum((p) => p.delivered) / seconds, 1),
      delivered: sum((p) => p.delivered),
      undelivered,
      ackedTotal: sum((p) => p.acked),
      sentTotal: sum((p) => p.sent),
      ackErrors: describeErrors(ackErrors) || "none",
      latencyP50Ms: round(lat.p50, 3),
      latencyP95Ms: round(lat.p95, 3),
      latencyP99Ms: round(lat.p99, 3),
      latencyMaxMs: round(lat.max, 3),
      latencyMeanMs: round(lat.mean, 3),
      ackLatencyP50Ms: round(ack.p50, 3),
      ackLatencyP99Ms: round(ack.p99, 3),
      serverCpuSeconds: round(serverCpu, 2),
      serverCpuPercentOfOneCore: round((100 * serverCpu) / seconds / setup.nodes, 1),
      serverMainThreadRunQueueWaitSeconds: round(runQueueWait, 2),
      serverHealthzP50Ms: round(health.p50, 2),
      serverHealthzP99Ms: round(health.p99, 2),
      serverHealthzMaxMs: round(health.max, 2),
      serverRssMiB: mib(rss.reduce((a, b) => a + b, 0)),
      serverPeakRssMiB: mib(peakRss.reduce((a, b) => a + b, 0)),
      generatorCpuSeconds: gen ? round(gen.seconds, 2) : null,
      generatorCpuPercentOfOneCore: gen ? round((100 * gen.seconds) / seconds, 1) : null,
      generatorLoopDelayP99Ms: gen ? round(gen.loopDelayP99, 2) : null,
      generatorLoopDelayMaxMs: gen ? round(gen.loopDelayMax, 2) : null,
      generatorRunQueueWaitSeconds: gen ? round(gen.runQueueWaitSeconds, 2) : null,
      serverWarnLines: stack.servers.reduce((a, s) => a + s.log.warn, 0),
      serverErrorLines: stack.servers.reduce((a, s) => a + s.log.error, 0),
    };
    if (setup.nodes > 1) {
      Object.assign(figures, {
        sameNodeLatencyP50Ms: round(sameLat.p50, 3),
        sameNodeLatencyP99Ms: round(sameLat.p99, 3),
        crossNodeLatencyP50Ms: round(crossLat.p50, 3),
        crossNodeLatencyP95Ms: round(crossLat.p95, 3),
        crossNodeLatencyP99Ms: round(crossLat.p99, 3),
        crossNodeLatencyMaxMs: round(crossLat.max, 3),
        crossNodeDelivered: crossLat.count,
      });
    }
    const notes = [`Auth: ${describeSeed(stack.seed)}`];
    const errLines = stack.servers.flatMap((s) => s.log.tail).slice(-3);
    if (errLines.length) notes.push(`Last server warn/error lines: ${errLines.join(" | ")}`);
    return {
      name: setup.name,
      status: "ok",
      target: setup.target,
      met: setup.judge({
        p99: lat.p99,
        undelivered,
        crossP99: crossLat.p99,
        ackErrors: Object.values(ackErrors).reduce((a, b) => a + b, 0),
      }),
      params,
      figures,
      notes,
      series: { latencyCdf: cdf(all), ...(setup.nodes > 1 ? { crossNodeLatencyCdf: cdf(cross) } : {}) },
      seconds: round((now() - started) / 1000, 1),
      profileWindow: { from: measureFrom, to: stopAt, spawnedAt: stack.servers.map((s) => s.spawnedAt) },
    };
  } finally {
    await pool.close();
    await stack.stop();
  }
}
