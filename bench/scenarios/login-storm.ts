/**
 * Scenario 2 — login storm: N users, signed in beforehand (password hashing is not timed), connect
 * their sockets spread evenly over S seconds while every client keeps the available-users list
 * (session:welcome snapshot, then presence:delta). Measures how long after the last login every
 * client's list is complete, the presence events each client received, and the server's CPU.
 * The two baselines (raw ws relay, bare Socket.IO relay: no auth, no presence lists) go through a
 * connect storm of the same size and spread, so Duo's CPU is also printed as a multiple of theirs.
 * Target: 2,000 users in 10 s, converged within 300 ms of the last login, server CPU <= 2.5 s.
 */
import { describeSeed } from "../seed-users";
import { describeErrors, fdNote, place, tally } from "../population";
import { openFilesLimit, type ProcSample } from "../proc-stats";
import { HealthProbe } from "../server-process";
import { size, sleep, type BenchOptions, type ScenarioResult } from "../scenario";
import { startStack } from "../stack";
import { mib, round, summarize } from "../stats";
import { now, type Target } from "../virtual-user";
import { WorkerPool } from "../workers";
import { startTarget, TARGET_LABEL } from "../targets";
import type { Comparison, Figure } from "../scenario";
import { generatorFigures } from "./messaging";
import { ratio } from "./steady";

const TARGET = "2,000 users logging in over 10 s: every list complete within 300 ms of the last login, server CPU <= 2.5 s";

export async function loginStorm(o: BenchOptions): Promise<ScenarioResult> {
  const started = now();
  const users = size(o.users, 2000, o);
  const windowS = o.seconds ?? 10;
  o.log(
    `login-storm: ${users} users connect over ${windowS} s, everyone watching the available-users list (baselines: a bare connect storm)`,
  );
  const baselines: [Target, Record<string, Figure>][] = [];
  for (const target of o.targets) {
    if (target === "duo") continue;
    try {
      baselines.push([target, await connectStorm(o, target, users, windowS)]);
    } catch (err) {
      o.log(`  [${TARGET_LABEL[target]}] failed: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  const result = await duoStorm(o, users, windowS, started);
  if (result.status !== "ok" || baselines.length === 0) return result;
  const f = result.figures;
  const rows: [string, ...Figure[]][] = [
    ["server CPU s (storm)", f.serverCpuSecondsStorm ?? null],
    ["connect -> welcome p50 ms", f.connectToWelcomeP50Ms ?? null],
    ["connect -> welcome p99 ms", f.connectToWelcomeP99Ms ?? null],
    ["connect failures", f.connectFailures ?? null],
    ["server peak RSS MiB", f.serverPeakRssMiB ?? null],
    ["generator CPU s", f.generatorCpuSeconds ?? null],
    ["generator event-loop delay p99 ms", f.generatorLoopDelayP99Ms ?? null],
  ].map(([label, duo]) => {
    const key = KEYS[label as string]!;
    return [label as string, ...baselines.map(([, b]) => b[key] ?? null), duo as Figure];
  });
  for (const [t, b] of baselines) {
    const key = t === "ws-relay" ? "WsRelay" : "SocketIoRelay";
    f[`${t === "ws-relay" ? "wsRelay" : "socketIoRelay"}ServerCpuSecondsStorm`] = b.serverCpuSecondsStorm ?? null;
    f[`serverCpuVs${key}`] = ratio(f.serverCpuSecondsStorm, b.serverCpuSecondsStorm);
  }
  const comparisons: Comparison[] = [
    {
      title: `Connect storm of ${users} users over ${windowS} s (the baselines keep no lists: they just connect)`,
      columns: ["figure", ...baselines.map(([t]) => TARGET_LABEL[t]), "Duo"],
      rows,
    },
    {
      title: "Duo's storm CPU as a multiple of each baseline's",
      columns: ["", "server CPU ×"],
      rows: baselines.map(([t, b]) => [`Duo ÷ ${TARGET_LABEL[t]}`, ratio(f.serverCpuSecondsStorm, b.serverCpuSecondsStorm)]),
    },
  ];
  return { ...result, comparisons };
}

const KEYS: Record<string, string> = {
  "server CPU s (storm)": "serverCpuSecondsStorm",
  "connect -> welcome p50 ms": "connectToWelcomeP50Ms",
  "connect -> welcome p99 ms": "connectToWelcomeP99Ms",
  "connect failures": "connectFailures",
  "server peak RSS MiB": "serverPeakRssMiB",
  "generator CPU s": "generatorCpuSeconds",
  "generator event-loop delay p99 ms": "generatorLoopDelayP99Ms",
};

/** A baseline through the same connect storm: its CPU from the first scheduled connect until the last
 * connection is up (it has no lists to converge). */
async function connectStorm(o: BenchOptions, target: Target, users: number, windowS: number): Promise<Record<string, Figure>> {
  const stack = await startTarget(target, { users, realSignUps: 0, log: o.log });
  const pool = WorkerPool.start(o.workers);
  const server = stack.servers[0]!;
  try {
    const placed = place(stack.users, stack.servers).map((u) => ({ ...u, target }));
    await pool.add(placed, (u) => u.index % pool.size);
    const { stormStart, shares } = scheduleStorm(placed, pool.size, users, windowS);
    let atStart: ProcSample | null = null;
    const startMark = (async () => {
      await sleep(stormStart - now());
      atStart = server.sample();
      await pool.markCpu();
    })().catch((err: unknown) => err as Error);
    const conn = tally((await pool.all("connect", (w) => ({ ...shares[w]!, concurrency: 0, timeoutMs: 30_000 }))).flat());
    const marked = await startMark;
    if (marked instanceof Error) throw marked;
    const atEnd = server.sample();
    const generator = await pool.cpuSince();
    const ok = conn.results.filter((r) => r.ok);
    const handshake = summarize(ok.map((r) => r.welcomeAt! - r.startedAt!));
    const seconds = (Math.max(...ok.map((r) => r.welcomeAt!)) - stormStart) / 1000;
    const figures: Record<string, Figure> = {
      connected: conn.ok,
      connectFailures: conn.failed,
      serverCpuSecondsStorm: round(atEnd.cpuSeconds - (atStart as ProcSample | null)!.cpuSeconds, 2),
      connectToWelcomeP50Ms: round(handshake.p50, 1),
      connectToWelcomeP99Ms: round(handshake.p99, 1),
      serverPeakRssMiB: mib(server.sampler?.peakRssBytes ?? 0),
      ...generatorFigures(generator, seconds),
    };
    o.log(
      `  [${TARGET_LABEL[target]}] connect storm: ${conn.ok}/${users} connected${conn.failed ? ` (failed: ${describeErrors(conn.errors)})` : ""}, server CPU ${figures.serverCpuSecondsStorm} s, connect p99 ${figures.connectToWelcomeP99Ms} ms; generator ${figures.generatorCpuSeconds} s CPU, loop delay p99 ${figures.generatorLoopDelayP99Ms} ms`,
    );
    return figures;
  } finally {
    await pool.close();
    await stack.stop();
  }
}

async function duoStorm(o: BenchOptions, users: number, windowS: number, started: number): Promise<ScenarioResult> {
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

    const { stormStart, shares } = scheduleStorm(placed, pool.size, users, windowS);
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
      met: conn.failed === 0 && convergedSeen && convergenceMs <= 300 && stormCpu <= 2.5,
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

/**
 * When each user connects: evenly over the window, starting 1.5 s from now, split by load worker (the
 * one that holds the user). The same schedule for the baselines' connect storm and Duo's.
 */
function scheduleStorm(placed: readonly { index: number }[], workers: number, users: number, windowS: number) {
  const stormStart = now() + 1500;
  const shares = Array.from({ length: workers }, () => ({ indices: [] as number[], at: [] as number[] }));
  for (const u of placed) {
    const share = shares[u.index % workers]!;
    share.indices.push(u.index);
    share.at.push(stormStart + (u.index / users) * windowS * 1000);
  }
  return { stormStart, shares };
}
