/**
 * Scenario 4 — abandoned clients: K users, each in a conversation, are killed without a goodbye,
 * half "loud" (TCP connection destroyed: the server sees the close) and half "silent" (nothing read
 * or written any more: only the heartbeat finds out). Kill moments are spread over one heartbeat
 * interval so every heartbeat phase is sampled. Measures, at the victim's peer, the time from the kill
 * to dialog:closed and to the presence:delta that takes the victim offline, against the configured
 * worst case HEARTBEAT_INTERVAL_MS + HEARTBEAT_TIMEOUT_MS + PRESENCE_GRACE_MS.
 * Target: every one within that timeout + 1 s.
 */
import { describeSeed } from "../seed-users";
import { connectAll, describeErrors, openAll, pairUp, place, workerByPair } from "../population";
import { size, sleep, type BenchOptions, type ScenarioResult } from "../scenario";
import { startStack } from "../stack";
import { cdf, round, summarize } from "../stats";
import { now } from "../virtual-user";
import type { KillOrder, KillOutcome } from "../worker-protocol";
import { WorkerPool } from "../workers";
import { generatorFigures } from "./messaging";

export async function abandoned(o: BenchOptions): Promise<ScenarioResult> {
  const started = now();
  const victims = size(o.kill ?? (o.users !== undefined ? Math.floor(o.users / 2) : undefined), 100, o);
  const users = victims * 2;
  o.log(`abandoned: ${victims} of ${users} users killed without a close (half loud, half silent)`);
  const stack = await startStack({
    users,
    realSignUps: o.realSignUps,
    ...(o.cpuProfDir ? { cpuProfDir: `${o.cpuProfDir}/abandoned` } : {}),
    log: o.log,
  });
  const { HEARTBEAT_INTERVAL_MS: interval, HEARTBEAT_TIMEOUT_MS: hbTimeout, PRESENCE_GRACE_MS: grace } = stack.config;
  const timeoutMs = stack.config.abandonDetectionMs;
  const target = `every abandoned client torn down at its peer within HEARTBEAT_INTERVAL_MS + HEARTBEAT_TIMEOUT_MS + PRESENCE_GRACE_MS + 1 s = ${interval} + ${hbTimeout} + ${grace} + 1000 = ${timeoutMs + 1000} ms`;
  const pool = WorkerPool.start(o.workers);
  try {
    const placed = place(stack.users, stack.servers);
    const pairs = pairUp(users, 1);
    const workerOf = workerByPair(pairs, pool.size);
    await pool.add(placed, (u) => workerOf.get(u.index) ?? 0);
    const conn = await connectAll(pool, placed, (u) => workerOf.get(u.index) ?? 0);
    const opened = await openAll(pool, pairs, workerOf);
    o.log(`  connected ${conn.ok}/${users}, opened ${opened.opened}/${pairs.length} conversations`);
    await sleep(1000);

    const killFrom = now() + 500;
    const orders: KillOrder[][] = Array.from({ length: pool.size }, () => []);
    pairs.forEach(([victim], p) => {
      orders[workerOf.get(victim)!]!.push({
        index: victim,
        mode: p % 2 === 0 ? "loud" : "silent",
        at: killFrom + Math.random() * interval,
      });
    });
    await pool.markCpu();
    const killPhaseFrom = now();
    const outcomes: KillOutcome[] = (await pool.all("kill", (w) => ({ orders: orders[w]!, waitMs: timeoutMs + 5000 }))).flat();
    const generator = generatorFigures(await pool.cpuSince(), (now() - killPhaseFrom) / 1000);

    const limit = timeoutMs + 1000;
    const by = (mode: "loud" | "silent") => outcomes.filter((v) => v.mode === mode && !Number.isNaN(v.killedAt));
    const teardown = (v: KillOutcome) =>
      v.closedAt === undefined || v.offlineAt === undefined ? Number.POSITIVE_INFINITY : Math.max(v.closedAt, v.offlineAt) - v.killedAt;
    const figures: ScenarioResult["figures"] = {
      connected: conn.ok,
      conversationsOpened: opened.opened,
      configuredTimeoutMs: timeoutMs,
      limitMs: limit,
    };
    const series: ScenarioResult["series"] = { abandonedTimeoutMs: timeoutMs };
    let allWithin = outcomes.length === victims;
    for (const mode of ["loud", "silent"] as const) {
      const list = by(mode);
      const closed = summarize(list.filter((v) => v.closedAt !== undefined).map((v) => v.closedAt! - v.killedAt));
      const offline = summarize(list.filter((v) => v.offlineAt !== undefined).map((v) => v.offlineAt! - v.killedAt));
      const worst = list.map(teardown);
      const within = worst.filter((t) => t <= limit).length;
      if (within !== list.length || list.length === 0) allWithin = false;
      Object.assign(figures, {
        [`${mode}Killed`]: list.length,
        [`${mode}DialogClosedP50Ms`]: round(closed.p50, 0),
        [`${mode}DialogClosedP95Ms`]: round(closed.p95, 0),
        [`${mode}DialogClosedMaxMs`]: round(closed.max, 0),
        [`${mode}OfflineP50Ms`]: round(offline.p50, 0),
        [`${mode}OfflineMaxMs`]: round(offline.max, 0),
        [`${mode}Undetected`]: list.filter((v) => v.closedAt === undefined || v.offlineAt === undefined).length,
        [`${mode}WithinLimit`]: `${within}/${list.length}`,
      });
      const finite = worst.filter((t) => Number.isFinite(t));
      if (mode === "loud") series.abandonedLoud = cdf(finite);
      else series.abandonedSilent = cdf(finite);
    }
    Object.assign(figures, generator, { serverWarnLines: stack.servers[0]!.log.warn, serverErrorLines: stack.servers[0]!.log.error });
    return {
      name: "abandoned",
      status: "ok",
      target,
      met: allWithin,
      params: { victims, users, heartbeatIntervalMs: interval, heartbeatTimeoutMs: hbTimeout, presenceGraceMs: grace, workers: o.workers },
      figures,
      notes: [
        `Auth: ${describeSeed(stack.seed)}`,
        "Teardown time = kill -> the later of the peer's dialog:closed and the presence:delta listing the victim offline, both at the victim's peer.",
        "Loud: the client's TCP socket is destroyed (the server sees the close at once, then the grace period runs). Silent: the socket is paused and its writes dropped, so only a missed pong reveals it.",
        ...(conn.failed ? [`Connect failures: ${describeErrors(conn.errors)}`] : []),
      ],
      series,
      seconds: round((now() - started) / 1000, 1),
    };
  } finally {
    await pool.close();
    await stack.stop();
  }
}
