/**
 * Scenario 3 — idle capacity: connect as many signed-in users as requested (stopping early when
 * connections start failing), then hold them idle and measure the server's memory per connection and
 * its event-loop delay as seen from outside (GET /healthz round-trips while idle).
 * Target: 10,000 connected users under 1 GiB RSS, <= 30 KiB of server RSS per connection above the
 * idle server's.
 */
import { describeSeed } from "../seed-users";
import { describeErrors, fdNote, place, tally, type ConnectTally } from "../population";
import { openFilesLimit } from "../proc-stats";
import { size, sleep, type BenchOptions, type ScenarioResult } from "../scenario";
import { startStack } from "../stack";
import { mib, round, summarize } from "../stats";
import { healthzLatencies } from "../server-process";
import { now } from "../virtual-user";
import { WorkerPool } from "../workers";

const TARGET =
  "10,000 connected users: server RSS < 1 GiB (judged on the peak RSS) and <= 30 KiB per connection above the idle server's RSS";
const KIB_PER_CONNECTION = 30;
const GiB = 1024 ** 3;

export async function idleCapacity(o: BenchOptions): Promise<ScenarioResult> {
  const started = now();
  const users = size(o.users, 10_000, o);
  const idleS = o.seconds ?? 10;
  o.log(`idle-capacity: up to ${users} connected users, then ${idleS} s idle`);
  const stack = await startStack({
    users,
    realSignUps: o.realSignUps,
    ...(o.cpuProfDir ? { cpuProfDir: `${o.cpuProfDir}/idle-capacity` } : {}),
    log: o.log,
  });
  const pool = WorkerPool.start(o.workers);
  const server = stack.servers[0]!;
  try {
    const placed = place(stack.users, stack.servers);
    await pool.add(placed, (u) => u.index % pool.size);
    await sleep(1000);
    const base = server.sample();
    const baseHealth = summarize(await healthzLatencies(server.url, 50, 20));

    // Connect in rounds; stop early once a round sees failures.
    const round_ = Math.max(100, Math.min(1000, Math.ceil(users / 20)));
    const deadline = now() + Math.max(30, Math.min(o.timeLimitSeconds - 90, 330)) * 1000;
    const all: ConnectTally["results"] = [];
    let stoppedEarly: string | null = null;
    const rampStart = now();
    /** [connected, seconds, server RSS MiB, server CPU seconds since the ramp began] after each round */
    const ramp: [number, number, number, number][] = [];
    for (let from = 0; from < users; from += round_) {
      const batch = placed.slice(from, from + round_);
      const shares: number[][] = Array.from({ length: pool.size }, () => []);
      for (const u of batch) shares[u.index % pool.size]!.push(u.index);
      const results = (await pool.all("connect", (w) => ({ indices: shares[w]!, concurrency: 25, timeoutMs: 30_000 }))).flat();
      all.push(...results);
      const t = tally(results);
      const connected = tally(all).ok;
      const sample = server.sample();
      ramp.push([connected, round((now() - rampStart) / 1000, 1), mib(sample.rssBytes), round(sample.cpuSeconds - base.cpuSeconds, 2)]);
      if (from % (round_ * 5) === 0 || t.failed)
        o.log(`  ${connected} connected (server RSS ${mib(sample.rssBytes)} MiB, CPU ${round(sample.cpuSeconds - base.cpuSeconds, 1)} s)`);
      if (t.failed > Math.max(2, batch.length * 0.01)) {
        stoppedEarly = `round at ${from} had ${t.failed} failures: ${describeErrors(t.errors)}`;
        break;
      }
      if (now() > deadline) {
        stoppedEarly = "connection phase ran out of time";
        break;
      }
    }
    const rampEnd = now();
    const rampSeconds = (rampEnd - rampStart) / 1000;
    const afterRamp = server.sample();
    const rampCpu = afterRamp.cpuSeconds - base.cpuSeconds;
    const conn = tally(all);
    if (stoppedEarly) o.log(`  stopped early: ${stoppedEarly}`);
    o.log(`  ${conn.ok} connected in ${rampSeconds.toFixed(1)} s; idling`);

    await sleep(5000); // presence batches flush, heartbeats settle
    const idle0 = server.sample();
    const idleStart = now();
    await pool.markCpu();
    const idleHealth = summarize(await healthzLatencies(server.url, Math.round((idleS * 1000) / 50), 50));
    const idle1 = server.sample();
    const idleSeconds = (now() - idleStart) / 1000;
    const generator = await pool.cpuSince();
    const stillConnected = (await pool.all("stats", () => ({}))).reduce((a, s) => a + s.connected, 0);

    // Then every client leaves at once (the node's load balancer restarts, its network blips): what
    // that costs the server, until their grace periods have run out and everyone is offline.
    const leaveWindowMs = stack.config.PRESENCE_GRACE_MS + 3000;
    const beforeLeave = server.sample();
    const leaveHealth = healthzLatencies(server.url, Math.round(leaveWindowMs / 50), 50);
    await pool.all("closeAll", () => ({}));
    const leaveLatencies = summarize(await leaveHealth);
    const afterLeave = server.sample();
    const rssPerConn = conn.ok > 0 ? (idle1.rssBytes - base.rssBytes) / conn.ok : Number.NaN;
    const figures: ScenarioResult["figures"] = {
      requested: users,
      connected: conn.ok,
      stillConnectedAfterIdle: stillConnected,
      connectFailures: conn.failed,
      stoppedEarly: stoppedEarly ?? "no",
      rampSeconds: round(rampSeconds, 1),
      serverCpuSecondsRamp: round(rampCpu, 2),
      serverMainThreadRunQueueWaitSecondsRamp: round(afterRamp.runQueueWaitSeconds - base.runQueueWaitSeconds, 2),
      serverRssBaselineMiB: mib(base.rssBytes),
      serverRssMiB: mib(idle1.rssBytes),
      serverPeakRssMiB: mib(server.sampler?.peakRssBytes ?? 0),
      rssPerConnectionKiB: round(rssPerConn / 1024, 1),
      projectedRssAt10kMiB: mib(base.rssBytes + rssPerConn * 10_000),
      serverCpuPercentIdle: round((100 * (idle1.cpuSeconds - idle0.cpuSeconds)) / idleSeconds, 1),
      healthzBaselineP50Ms: round(baseHealth.p50, 2),
      healthzBaselineP99Ms: round(baseHealth.p99, 2),
      healthzIdleP50Ms: round(idleHealth.p50, 2),
      healthzIdleP99Ms: round(idleHealth.p99, 2),
      healthzIdleMaxMs: round(idleHealth.max, 2),
      serverCpuSecondsAllLeave: round(afterLeave.cpuSeconds - beforeLeave.cpuSeconds, 2),
      healthzAllLeaveP99Ms: round(leaveLatencies.p99, 2),
      healthzAllLeaveMaxMs: round(leaveLatencies.max, 2),
      generatorCpuPercentIdle: round((100 * generator.seconds) / idleSeconds, 1),
      generatorLoopDelayP99Ms: round(generator.loopDelayP99, 2),
      generatorRssMiB: mib(generator.rssBytes),
      serverWarnLines: server.log.warn,
      serverErrorLines: server.log.error,
      openFilesLimit: openFilesLimit(),
    };
    const notes = [
      `Auth: ${describeSeed(stack.seed)}`,
      `Server CPU per connection during the ramp (each user's welcome lists everyone online; every presence batch goes to everyone): ${perConnection(ramp)}.`,
      "RSS per connection = (RSS after the idle period - RSS before any connection) / connected users; it includes each user's presence entry and per-socket state.",
      "Event-loop delay is seen from outside: sequential GET /healthz round-trips on a keep-alive connection while the users idle (heartbeats only).",
      "All leave: every client closes at once after the idle period; server CPU from then until PRESENCE_GRACE_MS + 3 s later (their grace periods run out, everyone goes offline), and /healthz round-trips meanwhile.",
    ];
    const fd = fdNote(conn.errors, server.log.tail, openFilesLimit());
    if (fd) notes.push(fd);
    return {
      name: "idle-capacity",
      status: "ok",
      target: TARGET,
      met:
        users >= 10_000
          ? conn.ok >= 10_000 &&
            Math.max(idle1.rssBytes, server.sampler?.peakRssBytes ?? 0) < GiB &&
            rssPerConn / 1024 <= KIB_PER_CONNECTION
          : null,
      params: { users, idleSeconds: idleS, workers: o.workers, heartbeatIntervalMs: stack.config.HEARTBEAT_INTERVAL_MS },
      figures,
      series: { ramp },
      notes:
        conn.ok < 10_000
          ? [
              ...notes,
              `Fewer than 10,000 users connected, so the target is judged only by the projection (${mib(base.rssBytes + rssPerConn * 10_000)} MiB at 10,000).`,
            ]
          : notes,
      seconds: round((now() - started) / 1000, 1),
      // The connection ramp is where this scenario's server CPU goes.
      profileWindow: { from: rampStart, to: rampEnd, spawnedAt: [server.spawnedAt] },
    };
  } finally {
    await pool.close();
    await stack.stop();
  }
}

/** "3.1 ms at 1000, 12 ms at 5000, ..." — the marginal server CPU per connection at a few points. */
function perConnection(ramp: [number, number, number, number][]): string {
  const points: string[] = [];
  const step = Math.max(1, Math.floor(ramp.length / 5));
  for (let i = step; i < ramp.length; i += step) {
    const [n1, , , cpu1] = ramp[i]!;
    const [n0, , , cpu0] = ramp[i - step]!;
    if (n1 > n0) points.push(`${round((1000 * (cpu1 - cpu0)) / (n1 - n0), 1)} ms at ${n1}`);
  }
  return points.join(", ") || "not enough rounds";
}
