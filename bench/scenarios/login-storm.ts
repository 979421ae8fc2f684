/**
 * Scenario 2 — login storm: N users, signed in beforehand (password hashing is not timed), connect
 * their sockets spread evenly over S seconds while every client keeps the available-users list
 * (session:welcome snapshot, then presence:delta). Measures how long after the last login every
 * client's list is complete, the presence events each client received, and the server's CPU.
 * Target: 2,000 users in 10 s, converged within 1 s of the last login, server CPU <= 5 s.
 */
import { describeSeed } from "../seed-users";
import { describeErrors, fdNote, place, tally } from "../population";
import { openFilesLimit, type ProcSample } from "../proc-stats";
import { HealthProbe } from "../server-process";
import { size, sleep, type BenchOptions, type ScenarioResult } from "../scenario";
import { startStack } from "../stack";
import { mib, round, summarize } from "../stats";
import { now } from "../virtual-user";
import { WorkerPool } from "../workers";

const TARGET = "2,000 users logging in over 10 s: every list complete within 1 s of the last login, server CPU <= 5 s";

export async function loginStorm(o: BenchOptions): Promise<ScenarioResult> {
  const started = now();
  const users = size(o.users, 2000, o);
  const windowS = o.seconds ?? 10;
  o.log(`login-storm: ${users} users connect over ${windowS} s, everyone watching the available-users list`);
  const stack = await startStack({
    users,
    realSignUps: o.realSignUps,
    ...(o.cpuProfDir ? { cpuProfDir: `${o.cpuProfDir}/login-storm` } : {}),
    log: o.log,
  });
  const pool = WorkerPool.start(o.workers);
  const server = stack.servers[0]!;
  try {
    const placed = place(stack.users, stack.servers);
    const populationIds = placed.map((u) => u.identity.id);
    await pool.add(placed, (u) => u.index % pool.size, { populationIds });

    const stormStart = now() + 1500;
    const shares = Array.from({ length: pool.size }, () => ({ indices: [] as number[], at: [] as number[] }));
    for (const u of placed) {
      const share = shares[u.index % pool.size]!;
      share.indices.push(u.index);
      share.at.push(stormStart + (u.index / users) * windowS * 1000);
    }
    let atStart: ProcSample | null = null;
    let probe: HealthProbe | null = null;
    const startMark = (async () => {
      await sleep(stormStart - now());
      atStart = server.sample();
      probe = new HealthProbe(server.url).start();
      await pool.markCpu();
    })().catch((err: unknown) => err as Error);
    const conn = tally((await pool.all("connect", (w) => ({ ...shares[w]!, concurrency: 0, timeoutMs: 30_000 }))).flat());
    const marked = await startMark;
    if (marked instanceof Error) throw marked;
    const cpuAtStart = (atStart as ProcSample | null)!.cpuSeconds;
    const cpuAtLastLogin = server.sample().cpuSeconds;
    const lastLogin = Math.max(...conn.results.filter((r) => r.ok).map((r) => r.welcomeAt!));
    const firstLogin = Math.min(...conn.results.filter((r) => r.ok).map((r) => r.welcomeAt!));
    const handshake = summarize(conn.results.filter((r) => r.ok).map((r) => r.welcomeAt! - r.startedAt!));
    o.log(
      `  connected ${conn.ok}/${users} over ${((lastLogin - firstLogin) / 1000).toFixed(1)} s${conn.failed ? ` (failed: ${describeErrors(conn.errors)})` : ""}`,
    );

    // Wait for every list to be complete (bounded), then read the per-client figures.
    const waitUntil = lastLogin + 30_000;
    let convergedSeen = false;
    while (now() < waitUntil) {
      const status = await pool.all("presence", () => ({ full: false }));
      if (status.every((s) => s.complete === s.tracked)) {
        convergedSeen = true;
        break;
      }
      await sleep(50);
    }
    const atConverged = server.sample();
    const cpuAtConverged = atConverged.cpuSeconds;
    const stormEnd = now();
    const health = summarize((await (probe as HealthProbe | null)?.stop()) ?? []);
    const generator = await pool.cpuSince();
    const full = await pool.all("presence", () => ({ full: true }));
    const completeAt = full.flatMap((s) => [...s.completeAt!]);
    const deltas = summarize(full.flatMap((s) => [...s.deltaEvents!]));
    const done = completeAt
      .filter((t) => !Number.isNaN(t))
      .map((t) => t - lastLogin)
      .sort((a, b) => a - b);
    const convergenceMs = convergedSeen ? done[done.length - 1]! : Number.NaN;
    const curve: [number, number][] = done.map((t, i) => [t, (i + 1) / completeAt.length]);
    const stormCpu = cpuAtConverged - cpuAtStart;
    const figures: ScenarioResult["figures"] = {
      connected: conn.ok,
      connectFailures: conn.failed,
      loginSpreadSeconds: round((lastLogin - firstLogin) / 1000, 2),
      connectToWelcomeP50Ms: round(handshake.p50, 1),
      connectToWelcomeP99Ms: round(handshake.p99, 1),
      connectToWelcomeMaxMs: round(handshake.max, 1),
      clientsComplete: done.length,
      clientsIncomplete: completeAt.length - done.length,
      convergedMsAfterLastLogin: round(convergenceMs, 1),
      medianCompleteMsAfterLastLogin: round(done[Math.floor(done.length / 2)] ?? Number.NaN, 1),
      presenceEventsPerClientMean: round(deltas.mean, 1),
      presenceEventsPerClientMax: deltas.max,
      serverCpuSecondsStorm: round(stormCpu, 2),
      serverCpuSecondsUntilLastLogin: round(cpuAtLastLogin - cpuAtStart, 2),
      serverMainThreadRunQueueWaitSeconds: round(atConverged.runQueueWaitSeconds - (atStart as ProcSample | null)!.runQueueWaitSeconds, 2),
      serverHealthzP50Ms: round(health.p50, 2),
      serverHealthzP99Ms: round(health.p99, 2),
      serverHealthzMaxMs: round(health.max, 2),
      serverRssMiB: mib(server.sample().rssBytes),
      serverPeakRssMiB: mib(server.sampler?.peakRssBytes ?? 0),
      generatorCpuSeconds: round(generator.seconds, 2),
      generatorLoopDelayP99Ms: round(generator.loopDelayP99, 2),
      generatorLoopDelayMaxMs: round(generator.loopDelayMax, 2),
      generatorRunQueueWaitSeconds: round(generator.runQueueWaitSeconds, 2),
      serverWarnLines: server.log.warn,
      serverErrorLines: server.log.error,
    };
    const notes = [
      `Auth: ${describeSeed(stack.seed)} All sign-ins happened before the storm; the storm times only the socket connections.`,
      "A list is complete when it holds every other user of the storm; convergence is measured from the moment the last user was welcomed. Logins are scheduled evenly over the window; connectToWelcome is how long each took to be welcomed (a spread longer than the window means the server fell behind).",
    ];
    const fd = fdNote(conn.errors, server.log.tail, openFilesLimit());
    if (fd) notes.push(fd);
    return {
      name: "login-storm",
      status: "ok",
      target: TARGET,
      met: conn.failed === 0 && convergedSeen && convergenceMs <= 1000 && stormCpu <= 5,
      params: { users, windowSeconds: windowS, workers: o.workers, presenceBatchMs: stack.config.PRESENCE_BATCH_MS },
      figures,
      notes,
      series: { convergence: curve },
      seconds: round((now() - started) / 1000, 1),
      profileWindow: { from: stormStart, to: stormEnd, spawnedAt: [server.spawnedAt] },
    };
  } finally {
    await pool.close();
    await stack.stop();
  }
}
