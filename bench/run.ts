/**
 * `npm run bench`: the load benchmark. Starts its own server per scenario (127.0.0.1, fresh SQLite),
 * drives it with light WebSocket clients (light-client.ts) from load-worker processes — beside two
 * baselines (bench/baselines/: a raw ws relay, a bare Socket.IO relay) in steady, saturation and
 * login-storm — prints each scenario's figures and writes bench/results/latest.{json,md,png} plus a timestamped copy.
 * Bounded in users, messages and time; stops everything it started.
 */
import { killAll } from "./children";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { HELP, parseCli, type ScenarioName } from "./args";
import { describeProfile, mainProfileIn, summarizeProfile } from "./cpu-profile";
import { buildSvg, renderPng } from "./plot";
import { machine, printResult, writeReport, type Report } from "./report";
import type { BenchOptions, Scenario, ScenarioResult } from "./scenario";
import { abandoned } from "./scenarios/abandoned";
import { idleCapacity } from "./scenarios/idle-capacity";
import { loginStorm } from "./scenarios/login-storm";
import { multiNode } from "./scenarios/multi-node";
import { saturation } from "./scenarios/saturation";
import { steady } from "./scenarios/steady";
import { ensureBuild, ROOT } from "./server-process";
import { round } from "./stats";
import { now } from "./virtual-user";

const SCENARIO: Record<ScenarioName, Scenario> = {
  steady,
  saturation,
  "login-storm": loginStorm,
  "idle-capacity": idleCapacity,
  abandoned,
  "multi-node": multiNode,
};

const log = (line: string) => console.log(line);
// A stray rejection in a scenario's background task must not take down the run (and orphan nothing).
process.on("unhandledRejection", (err) => log(`bench: unhandled rejection: ${err instanceof Error ? err.message : String(err)}`));

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let args;
  try {
    args = parseCli(argv);
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const info = machine(argv);
  const outDir = resolve(ROOT, args.out);
  const profDir = args.cpuProf ? join(outDir, "tmp", `profiles-${info.date.replace(/[:.]/g, "-")}`) : undefined;
  log(`Duo load benchmark · ${info.cores} cores · Node ${info.node} · commit ${info.commit} · open files ${info.openFilesLimit}`);
  log(`scenarios: ${args.scenarios.join(", ")} · targets: ${args.targets.join(", ")} · ${args.workers} load worker process(es)`);
  await ensureBuild(log);

  const options: BenchOptions = {
    targets: args.targets,
    rate: args.rate,
    warmupSeconds: args.warmup,
    workers: args.workers,
    realSignUps: args.realSignUps,
    scale: args.scale,
    timeLimitSeconds: args.timeLimit,
    log,
    ...(args.users !== undefined ? { users: args.users } : {}),
    ...(args.seconds !== undefined ? { seconds: args.seconds } : {}),
    ...(args.kill !== undefined ? { kill: args.kill } : {}),
    ...(profDir ? { cpuProfDir: profDir } : {}),
  };
  const results: ScenarioResult[] = [];
  for (const name of args.scenarios) {
    const started = now();
    let result: ScenarioResult;
    try {
      result = await withTimeLimit(SCENARIO[name](options), args.timeLimit * 1000, name);
    } catch (err) {
      result = {
        name,
        status: "failed",
        reason: (err as Error).message.split("\n")[0],
        target: "",
        met: null,
        params: {},
        figures: {},
        notes: [],
        seconds: round((now() - started) / 1000, 1),
      };
    }
    if (profDir && result.status === "ok") result.notes.push(...profileNotes(join(profDir, name), result));
    result.figures.machineLoadAverage1m = round(loadavg()[0]!, 2);
    printResult(result, log);
    results.push(result);
  }

  const report: Report = { machine: info, results };
  let png: Buffer | null = null;
  try {
    png = renderPng(buildSvg(results, `${info.date} · commit ${info.commit} · ${info.cores} cores · Node ${info.node}`));
  } catch (err) {
    log(`plot: could not render the PNG (${(err as Error).message})`);
  }
  const files = writeReport(outDir, report, png);
  log(`results: ${files.json}, ${files.md}${files.png ? `, ${files.png}` : ""}`);
  return results.some((r) => r.status === "failed") ? 1 : 0;
}

/** Where the server's time went in the scenario's measured window, per node. */
function profileNotes(dir: string, result: ScenarioResult): string[] {
  const w = result.profileWindow;
  const notes: string[] = [];
  for (let node = 0; ; node++) {
    const file = mainProfileIn(join(dir, `node${node}`));
    if (!file) break;
    const spawned = w?.spawnedAt[node];
    const window = w && spawned !== undefined ? { fromMs: w.from - spawned, toMs: w.to - spawned } : undefined;
    notes.push(...describeProfile(summarizeProfile(file, window)));
  }
  return notes;
}

/** A scenario past its time limit fails: its server and load workers are killed. */
function withTimeLimit<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      killAll();
      reject(new Error(`${name} exceeded its time limit of ${ms / 1000} s`));
    }, ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
