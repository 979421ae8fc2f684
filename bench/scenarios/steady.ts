/**
 * Scenario 1 — steady messaging on one server, Duo beside two baselines driven by the same generator
 * with the same parameters: a raw `ws` relay (the floor for any WebSocket chat server) and a bare
 * Socket.IO relay (what Socket.IO itself costs). Default 1,000 users in 500 conversations, 2 msg/s each,
 * 20 s. Duo's CPU per message and p99 are also given as ratios to each baseline.
 * Target: Duo's p99 <= 2 ms, every message acknowledged and delivered.
 */
import { size, type BenchOptions, type Comparison, type Figure, type ScenarioResult } from "../scenario";
import { cdf, round } from "../stats";
import { TARGET_LABEL } from "../targets";
import { now, type Target } from "../virtual-user";
import { generatorSaturated, loadStep, populate, type StepResult } from "./messaging";

const TARGET = "Duo: p99 end-to-end latency <= 2 ms at 1,000 users x 2 msg/s, every message acknowledged and delivered";

/** The rows of the side-by-side table, in order. */
const ROWS: [string, string][] = [
  ["server CPU seconds", "serverCpuSeconds"],
  ["server CPU µs per delivered message", "serverCpuMicrosPerMessage"],
  ["latency p50 ms", "latencyP50Ms"],
  ["latency p99 ms", "latencyP99Ms"],
  ["latency max ms", "latencyMaxMs"],
  ["delivered", "delivered"],
  ["lost (undelivered)", "undelivered"],
  ["ack errors", "ackErrors"],
  ["server RSS MiB", "serverRssMiB"],
  ["generator CPU s (all its processes)", "generatorCpuSeconds"],
  ["generator busiest process % of a core", "generatorBusiestWorkerCpuPercent"],
  ["generator event-loop delay p99 ms", "generatorLoopDelayP99Ms"],
  ["generator send lag p99 ms", "generatorSendLagP99Ms"],
  ["other processes on the machine, % of a core", "otherProcessesCpuPercentOfOneCore"],
];

export async function steady(o: BenchOptions): Promise<ScenarioResult> {
  const started = now();
  const users = size(o.users, 1000, o) & ~1;
  // Three targets run one after the other: a scaled-down run (--scale) is also shorter.
  const seconds = o.seconds ?? Math.max(5, Math.round(20 * Math.min(1, o.scale * 2)));
  o.log(
    `steady: ${users} users, ${users / 2} conversations, ${o.rate} msg/s each for ${seconds} s (+${o.warmupSeconds} s warm-up), against ${o.targets.map((t) => TARGET_LABEL[t]).join(", ")}`,
  );
  const results = new Map<Target, StepResult>();
  const failures: string[] = [];
  const notes: string[] = [];
  let profileWindow: ScenarioResult["profileWindow"];
  for (const target of o.targets) {
    try {
      const pop = await populate(o, target, users, "steady");
      try {
        notes.push(...pop.notes);
        const r = await loadStep(pop, { rate: o.rate, seconds, warmupSeconds: o.warmupSeconds, drainMs: 10_000 });
        results.set(target, r);
        const genFull = generatorSaturated(r.generator, seconds, r.sendLagP99, r.serverCpuSeconds);
        if (genFull)
          notes.push(`${TARGET_LABEL[target]}: the generator was saturated (${genFull}): its figures are bounds, not the target's own.`);
        o.log(
          `  [${TARGET_LABEL[target]}] p50 ${r.figures.latencyP50Ms} ms, p99 ${r.figures.latencyP99Ms} ms, ${r.figures.serverCpuMicrosPerMessage} µs server CPU/msg, lost ${r.undelivered}; generator ${r.figures.generatorCpuSeconds} s CPU, loop delay p99 ${r.figures.generatorLoopDelayP99Ms} ms`,
        );
        if (target === "duo") {
          profileWindow = { ...r.profileWindow, spawnedAt: pop.stack.servers.map((s) => s.spawnedAt) };
          const tail = pop.stack.servers.flatMap((s) => s.log.tail).slice(-3);
          if (tail.length) notes.push(`Last server warn/error lines: ${tail.join(" | ")}`);
        }
      } finally {
        await pop.close();
      }
    } catch (err) {
      failures.push(`${TARGET_LABEL[target]}: ${(err as Error).message.split("\n")[0]}`);
      o.log(`  [${TARGET_LABEL[target]}] failed: ${failures[failures.length - 1]}`);
    }
  }
  // Duo is the subject; without it (--targets without duo), the first target that ran stands in.
  const duo = results.get("duo") ?? [...results.values()][0];
  if (!duo) throw new Error(`no target ran: ${failures.join("; ")}`);

  const figures: ScenarioResult["figures"] = { ...duo.figures };
  const ratioRows: [string, ...Figure[]][] = [];
  for (const base of ["ws-relay", "socketio-relay"] as const) {
    const b = results.get(base);
    if (!b || !results.has("duo")) continue;
    const key = base === "ws-relay" ? "WsRelay" : "SocketIoRelay";
    const cpuRatio = ratio(duo.figures.serverCpuMicrosPerMessage, b.figures.serverCpuMicrosPerMessage);
    const p99Ratio = ratio(duo.lat.p99, b.lat.p99);
    figures[`cpuPerMessageVs${key}`] = cpuRatio;
    figures[`p99Vs${key}`] = p99Ratio;
    ratioRows.push([`Duo ÷ ${TARGET_LABEL[base]}`, cpuRatio, p99Ratio, ratio(duo.lat.p50, b.lat.p50)]);
  }
  const comparisons: Comparison[] = [
    {
      title: `Side by side (${users} users, ${o.rate} msg/s each, ${seconds} s)`,
      columns: ["figure", ...o.targets.map((t) => TARGET_LABEL[t])],
      rows: ROWS.map(([label, key]) => [label, ...o.targets.map((t) => results.get(t)?.figures[key] ?? null)] as [string, ...Figure[]]),
    },
    { title: "Duo as a multiple of each baseline", columns: ["", "CPU per message ×", "p99 ×", "p50 ×"], rows: ratioRows },
  ];
  if (failures.length) notes.push(`Failed targets: ${failures.join("; ")}`);
  notes.push(
    "Same generator, same parameters for all three: light WebSocket clients (bench/light-client.ts) in the load worker process(es); the raw ws relay gets JSON frames, the two Socket.IO servers the Socket.IO protocol. The baselines have no auth, no storage and no presence: the gap to them is what Duo's own work costs.",
  );
  const targetLatencyCdf: Record<string, [number, number][]> = {};
  for (const [t, r] of results) targetLatencyCdf[t] = cdf(r.latency);
  return {
    name: "steady",
    status: "ok",
    target: TARGET,
    met: duo.lat.p99 <= 2 && duo.undelivered === 0 && duo.ackErrorCount === 0,
    params: { users, conversations: users / 2, rate: o.rate, seconds, warmupSeconds: o.warmupSeconds, workers: o.workers },
    figures,
    notes,
    comparisons,
    series: { latencyCdf: cdf(duo.latency), targetLatencyCdf },
    seconds: round((now() - started) / 1000, 1),
    ...(profileWindow ? { profileWindow } : {}),
  };
}

export function ratio(a: Figure | undefined, b: Figure | undefined): number | null {
  return typeof a === "number" && typeof b === "number" && b > 0 ? round(a / b, 1) : null;
}
