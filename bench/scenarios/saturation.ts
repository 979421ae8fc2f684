/**
 * Scenario — saturation: for each target (raw ws relay, bare Socket.IO relay, Duo), a fixed population
 * (default 1,000 users in 500 conversations) sends at a total rate raised step by step (2k, 4k, ... 16k,
 * then 20k, 24k, ... msg/s up to 48k, a few seconds each, open loop) until the p99 end-to-end latency passes 50 ms, or a message is
 * lost (not delivered within the step plus a grace period), or the generator itself saturates (then
 * the rate held is only a lower bound, and the output says so).
 * Reports the highest rate each target held and the curve: offered vs delivered vs p99.
 */
import { size, sleep, type BenchOptions, type Comparison, type Figure, type ScenarioResult } from "../scenario";
import { round } from "../stats";
import { TARGET_LABEL } from "../targets";
import { now, type Target } from "../virtual-user";
import { generatorSaturated, loadStep, populate } from "./messaging";
import { ratio } from "./steady";

const P99_LIMIT_MS = 50;
const GRACE_MS = 2000;
const STEP_MSG_PER_SEC = 2000;
/** Steps of 2k up to 16k msg/s, then of 4k, up to the ceiling. */
const nextRate = (total: number) => total + (total < 16_000 ? STEP_MSG_PER_SEC : 2 * STEP_MSG_PER_SEC);
const MAX_MSG_PER_SEC = 48_000;

interface Held {
  rate: number;
  stoppedBy: string;
  lowerBound: boolean;
  cpuMicrosPerMessage: Figure;
  p99: Figure;
}

export async function saturation(o: BenchOptions): Promise<ScenarioResult> {
  const started = now();
  const users = size(o.users, 1000, o, 20) & ~1;
  const stepSeconds = o.seconds ?? (o.scale < 0.5 ? 2 : 4);
  o.log(
    `saturation: ${users} users, ${users / 2} conversations; total rate 2k, 4k, ... 16k, 20k, 24k, ... msg/s, ${stepSeconds} s per step, until p99 > ${P99_LIMIT_MS} ms, a loss, or a saturated generator; against ${o.targets.map((t) => TARGET_LABEL[t]).join(", ")}`,
  );
  const curves: Record<string, [number, number, number][]> = {};
  const held = new Map<Target, Held>();
  const stepRows: [string, ...Figure[]][] = [];
  const notes: string[] = [];
  const figures: ScenarioResult["figures"] = {};
  for (const target of o.targets) {
    const label = TARGET_LABEL[target];
    try {
      const pop = await populate(o, target, users, "saturation");
      try {
        notes.push(...pop.notes);
        const curve: [number, number, number][] = [];
        let best: Held = { rate: 0, stoppedBy: "", lowerBound: false, cpuMicrosPerMessage: null, p99: null };
        for (let total = STEP_MSG_PER_SEC; ; total = nextRate(total)) {
          if (total > MAX_MSG_PER_SEC) {
            best.stoppedBy = `reached the harness's ceiling of ${MAX_MSG_PER_SEC} msg/s`;
            best.lowerBound = true;
            break;
          }
          const r = await loadStep(pop, { rate: total / users, seconds: stepSeconds, warmupSeconds: 0.5, drainMs: GRACE_MS });
          const offered = r.offered / stepSeconds;
          const delivered = r.delivered / stepSeconds;
          curve.push([round(offered, 0), round(delivered, 0), round(r.lat.p99, 2)]);
          const genFull = generatorSaturated(r.generator, stepSeconds, r.sendLagP99, r.serverCpuSeconds);
          const f = r.figures;
          stepRows.push([
            label,
            total,
            round(offered, 0),
            round(delivered, 0),
            f.latencyP50Ms ?? null,
            f.latencyP99Ms ?? null,
            r.undelivered,
            f.serverCpuPercentOfOneCore ?? null,
            f.serverCpuMicrosPerMessage ?? null,
            f.generatorCpuPercentOfOneCore ?? null,
            f.generatorLoopDelayP99Ms ?? null,
            f.generatorSendLagP99Ms ?? null,
            f.generatorRunQueueWaitSeconds ?? null,
            f.otherProcessesCpuPercentOfOneCore ?? null,
          ]);
          o.log(
            `  [${label}] ${total} msg/s offered: delivered ${round(delivered, 0)}/s, p99 ${f.latencyP99Ms} ms, lost ${r.undelivered}, server ${f.serverCpuPercentOfOneCore} % of a core; generator ${f.generatorCpuPercentOfOneCore} % CPU, loop delay p99 ${f.generatorLoopDelayP99Ms} ms, send lag p99 ${f.generatorSendLagP99Ms} ms; other processes ${f.otherProcessesCpuPercentOfOneCore} % of a core`,
          );
          const failed =
            r.lat.p99 > P99_LIMIT_MS
              ? `p99 ${round(r.lat.p99, 1)} ms > ${P99_LIMIT_MS} ms at ${total} msg/s`
              : r.undelivered > 0
                ? `${r.undelivered} message(s) lost at ${total} msg/s`
                : r.ackErrorCount > 0
                  ? `${r.ackErrorCount} refused/unacked send(s) at ${total} msg/s`
                  : null;
          if (!failed)
            best = { ...best, rate: total, cpuMicrosPerMessage: f.serverCpuMicrosPerMessage ?? null, p99: f.latencyP99Ms ?? null };
          if (failed || genFull) {
            best.stoppedBy = [failed, genFull && `generator saturated (${genFull})`].filter(Boolean).join("; ");
            best.lowerBound = Boolean(genFull);
            break;
          }
          await sleep(500);
        }
        curves[target] = curve;
        held.set(target, best);
        o.log(`  [${label}] held ${best.rate} msg/s${best.lowerBound ? " (a lower bound)" : ""}; stopped: ${best.stoppedBy}`);
      } finally {
        await pop.close();
      }
    } catch (err) {
      notes.push(`${label} failed: ${(err as Error).message.split("\n")[0]}`);
      o.log(`  [${label}] failed: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  for (const [t, h] of held) {
    const key = t === "duo" ? "duo" : t === "ws-relay" ? "wsRelay" : "socketIoRelay";
    figures[`${key}HeldMsgPerSec`] = h.rate;
    figures[`${key}LowerBound`] = h.lowerBound;
  }
  const duo = held.get("duo");
  for (const base of ["ws-relay", "socketio-relay"] as const) {
    const b = held.get(base);
    if (duo && b) figures[`duoHeldRateVs${base === "ws-relay" ? "WsRelay" : "SocketIoRelay"}`] = ratio(duo.rate, b.rate);
  }
  const comparisons: Comparison[] = [
    {
      title: `Highest total rate held (p99 <= ${P99_LIMIT_MS} ms, nothing lost; ${users} users, ${stepSeconds} s steps)`,
      columns: ["target", "held msg/s", "lower bound (generator-bound)", "server CPU µs/msg there", "p99 ms there", "stopped because"],
      rows: [...held].map(([t, h]) => [TARGET_LABEL[t], h.rate, h.lowerBound, h.cpuMicrosPerMessage, h.p99, h.stoppedBy]),
    },
    {
      title: "Every step",
      columns: [
        "target",
        "asked msg/s",
        "offered msg/s",
        "delivered msg/s",
        "p50 ms",
        "p99 ms",
        "lost",
        "server % of a core",
        "server µs/msg",
        "generator % of a core",
        "generator loop delay p99 ms",
        "generator send lag p99 ms",
        "generator run-queue wait s",
        "other processes % of a core",
      ],
      rows: stepRows,
    },
  ];
  notes.push(
    `A step is held when its p99 (send -> peer's message:new) is <= ${P99_LIMIT_MS} ms and every message sent in it arrived within the step + ${GRACE_MS / 1000} s. The generator counts as saturated when a load worker uses >= 90 % of a core, its event-loop delay p99 reaches 20 ms, its sends leave >= 20 ms (p99) after schedule, or server + generator use >= 90 % of the machine's cores; a rate held then is a lower bound (the target might hold more on a machine of its own).`,
  );
  return {
    name: "saturation",
    status: held.size > 0 ? "ok" : "failed",
    ...(held.size === 0 ? { reason: "no target ran" } : {}),
    target: `highest total message rate held at p99 <= ${P99_LIMIT_MS} ms with nothing lost, per target (informational)`,
    met: null,
    params: { users, conversations: users / 2, stepSeconds, stepMsgPerSec: STEP_MSG_PER_SEC, graceMs: GRACE_MS, workers: o.workers },
    figures,
    notes,
    comparisons,
    series: { saturation: curves },
    seconds: round((now() - started) / 1000, 1),
  };
}
