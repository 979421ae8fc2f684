/**
 * Messaging on one server, shared by the "steady" and "saturation" scenarios: U users in U/2
 * conversations, each sending `rate` messages a second, open loop (a slow server does not slow the
 * senders down), against one target (Duo, or a baseline relay). Latency: from just before the send at
 * the sender to the arrival of message:new at the other participant, on one clock (both live in the
 * same load worker).
 */
import { cpus } from "node:os";
import { connectAll, describeErrors, openAll, pairUp, place, workerByPair } from "../population";
import { sleep, type BenchOptions, type Figure } from "../scenario";
import { TARGET_LABEL, startTarget, type TargetStack } from "../targets";
import { concat, mib, round, summarize, type Summary } from "../stats";
import { HealthProbe } from "../server-process";
import { machineBusySeconds } from "../proc-stats";
import { now, type Target } from "../virtual-user";
import { WorkerPool, type GeneratorCpu } from "../workers";

/** A target with its users connected and paired, ready for load steps. */
export interface Population {
  target: Target;
  stack: TargetStack;
  pool: WorkerPool;
  users: number;
  connected: number;
  opened: number;
  notes: string[];
  close(): Promise<void>;
}

export async function populate(o: BenchOptions, target: Target, users: number, label: string): Promise<Population> {
  const stack = await startTarget(target, {
    users,
    realSignUps: target === "duo" ? o.realSignUps : 0,
    ...(o.cpuProfDir ? { cpuProfDir: `${o.cpuProfDir}/${target === "duo" ? label : `${label}-${target}`}` } : {}),
    log: o.log,
  });
  let pool: WorkerPool | null = null;
  const close = async () => {
    await pool?.close();
    await stack.stop();
  };
  try {
    pool = WorkerPool.start(o.workers);
    const placed = place(stack.users, stack.servers).map((u) => ({ ...u, target }));
    const pairs = pairUp(users, 1);
    const workerOf = workerByPair(pairs, pool.size);
    await pool.add(placed, (u) => workerOf.get(u.index) ?? 0);
    const conn = await connectAll(pool, placed, (u) => workerOf.get(u.index) ?? 0);
    const opened = await openAll(pool, pairs, workerOf);
    o.log(
      `  [${TARGET_LABEL[target]}] connected ${conn.ok}/${users}${conn.failed ? ` (failed: ${describeErrors(conn.errors)})` : ""}, opened ${opened.opened}/${pairs.length} conversations${opened.errors.length ? ` (${opened.errors.length} refused: ${opened.errors[0]})` : ""}`,
    );
    await sleep(1000); // presence batches of the connects settle
    const notes = [`Auth (${TARGET_LABEL[target]}): ${stack.authNote}`];
    return { target, stack, pool, users, connected: conn.ok, opened: opened.opened, notes, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface LoadStep {
  /** Messages per second per user. */
  rate: number;
  seconds: number;
  warmupSeconds: number;
  /** How long after the last send a message may still arrive and count as delivered. */
  drainMs: number;
}

export interface StepResult {
  latency: Float64Array;
  lat: Summary;
  figures: Record<string, Figure>;
  /** Messages sent in the measured window but not delivered within the drain. */
  undelivered: number;
  ackErrorCount: number;
  serverCpuSeconds: number;
  delivered: number;
  offered: number;
  generator: GeneratorCpu;
  sendLagP99: number;
  profileWindow: { from: number; to: number };
}

/** One open-loop load step against a populated target, with every figure a reader needs to tell a
 * saturated server from a saturated generator. */
export async function loadStep(p: Population, step: LoadStep): Promise<StepResult> {
  const server = p.stack.servers[0]!;
  const startAt = now() + 300;
  const measureFrom = startAt + step.warmupSeconds * 1000;
  const stopAt = measureFrom + step.seconds * 1000;
  let at0 = server.sample();
  let at1 = at0;
  let probe: HealthProbe | null = null;
  let generator: GeneratorCpu | null = null;
  let machine0: number | null = null;
  let machine1: number | null = null;
  const marks = (async () => {
    await sleep(measureFrom - now());
    at0 = server.sample();
    machine0 = machineBusySeconds();
    probe = new HealthProbe(server.url).start();
    await p.pool.markCpu();
    await sleep(stopAt - now());
    at1 = server.sample();
    machine1 = machineBusySeconds();
    generator = await p.pool.cpuSince();
  })().catch((err: unknown) => err as Error); // surfaced below, after the load stops
  const parts = await p.pool.all("steady", () => ({
    startAt,
    warmupMs: step.warmupSeconds * 1000,
    measureMs: step.seconds * 1000,
    drainMs: step.drainMs,
    rate: step.rate,
    body: "The quick brown fox jumps over the lazy dog — bench",
  }));
  const marked = await marks;
  if (marked instanceof Error) throw marked;
  const gen = generator as GeneratorCpu | null;
  if (!gen) throw new Error("no generator CPU sample");
  const health = summarize((await (probe as HealthProbe | null)?.stop()) ?? []);

  const latency = concat(parts.flatMap((q) => [q.latencySameNode, q.latencyCrossNode]));
  const lat = summarize(latency);
  const ack = summarize(concat(parts.map((q) => q.ackLatency)));
  const sum = (f: (q: (typeof parts)[number]) => number) => parts.reduce((a, q) => a + f(q), 0);
  const ackErrors: Record<string, number> = {};
  for (const q of parts) for (const [e, n] of Object.entries(q.ackErrors)) ackErrors[e] = (ackErrors[e] ?? 0) + n;
  const ackErrorCount = Object.values(ackErrors).reduce((a, b) => a + b, 0);
  const serverCpu = at1.cpuSeconds - at0.cpuSeconds;
  const delivered = sum((q) => q.delivered);
  const offered = sum((q) => q.sentMeasured);
  const undelivered = sum((q) => q.undelivered);
  const sendLagP99 = Math.max(...parts.map((q) => q.sendLagP99));
  const seconds = step.seconds;
  // Everything else the machine ran meanwhile (other work on a shared machine skews every figure).
  const m0 = machine0 as number | null;
  const m1 = machine1 as number | null;
  const others = m0 !== null && m1 !== null ? Math.max(0, m1 - m0 - serverCpu - gen.seconds) : null;
  const figures: Record<string, Figure> = {
    connected: p.connected,
    conversationsOpened: p.opened,
    sentMeasured: offered,
    offeredMsgPerSec: round(offered / seconds, 1),
    deliveredMsgPerSec: round(delivered / seconds, 1),
    delivered,
    undelivered,
    ackedTotal: sum((q) => q.acked),
    sentTotal: sum((q) => q.sent),
    ackErrors: describeErrors(ackErrors) || "none",
    latencyP50Ms: round(lat.p50, 3),
    latencyP95Ms: round(lat.p95, 3),
    latencyP99Ms: round(lat.p99, 3),
    latencyMaxMs: round(lat.max, 3),
    latencyMeanMs: round(lat.mean, 3),
    ackLatencyP50Ms: round(ack.p50, 3),
    ackLatencyP99Ms: round(ack.p99, 3),
    serverCpuSeconds: round(serverCpu, 2),
    serverCpuPercentOfOneCore: round((100 * serverCpu) / seconds, 1),
    serverCpuMicrosPerMessage: delivered > 0 ? round((1e6 * serverCpu) / delivered, 1) : null,
    serverMainThreadRunQueueWaitSeconds: round(at1.runQueueWaitSeconds - at0.runQueueWaitSeconds, 2),
    serverHealthzP50Ms: round(health.p50, 2),
    serverHealthzP99Ms: round(health.p99, 2),
    serverRssMiB: mib(server.sample().rssBytes),
    serverPeakRssMiB: mib(server.sampler?.peakRssBytes ?? 0),
    ...generatorFigures(gen, seconds),
    generatorSendLagP99Ms: round(sendLagP99, 2),
    generatorSendLagMaxMs: round(Math.max(...parts.map((q) => q.sendLagMax)), 2),
    otherProcessesCpuPercentOfOneCore: others === null ? null : round((100 * others) / seconds, 1),
    serverWarnLines: server.log.warn,
    serverErrorLines: server.log.error,
  };
  return {
    latency,
    lat,
    figures,
    undelivered,
    ackErrorCount,
    serverCpuSeconds: serverCpu,
    delivered,
    offered,
    generator: gen,
    sendLagP99,
    profileWindow: { from: measureFrom, to: stopAt },
  };
}

/** The generator's own load over a window of `seconds`: CPU of every generator process, event-loop delay. */
export function generatorFigures(gen: GeneratorCpu, seconds: number): Record<string, Figure> {
  return {
    generatorCpuSeconds: round(gen.seconds, 2),
    generatorCpuPercentOfOneCore: round((100 * gen.seconds) / seconds, 1),
    generatorBusiestWorkerCpuPercent: round((100 * Math.max(...gen.workers)) / seconds, 1),
    generatorLoopDelayP99Ms: round(gen.loopDelayP99, 2),
    generatorLoopDelayMaxMs: round(gen.loopDelayMax, 2),
    generatorRunQueueWaitSeconds: round(gen.runQueueWaitSeconds, 2),
  };
}

/** Whether the generator, not the target, was the limit in a window: a worker near a full core, its
 * event loop late, its sends well after their schedule, or the machine's cores full (server +
 * generator: on a shared machine the generator takes its share). The run-queue wait is reported but
 * not judged: on this VM every wake-up of a mostly idle process counts there, so it is large even
 * when the cores are half idle. */
export function generatorSaturated(gen: GeneratorCpu, seconds: number, sendLagP99Ms: number, serverCpuSeconds: number): string | null {
  const busiest = (100 * Math.max(...gen.workers)) / seconds;
  const machine = (100 * (gen.seconds + serverCpuSeconds)) / (seconds * cpus().length);
  if (busiest >= 90) return `a load worker used ${round(busiest, 0)} % of a core`;
  if (gen.loopDelayP99 >= 20) return `load worker event-loop delay p99 ${round(gen.loopDelayP99, 1)} ms`;
  if (sendLagP99Ms >= 20) return `sends left ${round(sendLagP99Ms, 1)} ms (p99) after their schedule`;
  if (machine >= 90) return `server + generator used ${round(machine, 0)} % of the machine's ${cpus().length} cores`;
  return null;
}
