/** Command-line options of `npm run bench -- ...`, with their bounds. */
import { parseArgs } from "node:util";
import { TARGETS, type Target } from "./virtual-user";

export const SCENARIOS = ["steady", "saturation", "login-storm", "idle-capacity", "abandoned", "multi-node"] as const;
const TARGET_NAMES: readonly Target[] = TARGETS;
export type ScenarioName = (typeof SCENARIOS)[number];

export const HELP = `Usage: npm run bench -- [options]

  --scenario LIST    comma-separated: ${SCENARIOS.join(", ")} | all (default all)
  --users N          users of every selected scenario (defaults: steady 1000, saturation 1000, login-storm 2000,
                     idle-capacity 10000, abandoned 200 = 100 victims, multi-node 240)
  --targets LIST     steady / saturation / login-storm: which of ${TARGETS.join(", ")} (default all);
                     the baselines are bench/baselines/ws-relay.ts and socketio-relay.ts
  --rate R           steady / multi-node: messages per second per user (default 2)
  --seconds T        steady: measured seconds (20); saturation: per step (4); multi-node: per phase, 4 phases (10);
                     login-storm: login window (10); idle-capacity: idle period (10)
  --warmup S         steady / multi-node: warm-up seconds before measuring (2)
  --kill K           abandoned: clients killed (default 100, half loud, half silent)
  --scale F          multiply every default size by F, e.g. 0.1 for a quick run (default 1)
  --workers W        load-generator processes (default 1: on 2 cores one light generator process costs
                     less than two; see bench/README.md)
  --real-signups N   users per scenario signed up + in through the real HTTP endpoints (default 8)
  --cpu-prof         run the server with node --cpu-prof and summarize where its time went
  --time-limit S     per-scenario time limit in seconds (default 420)
  --out DIR          where results go (default bench/results)

  multi-node runs only with BENCH_REDIS_URL and BENCH_DATABASE_URL set (loopback only).
  HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS, PRESENCE_GRACE_MS, PRESENCE_BATCH_MS, PRESENCE_QUIET_MS set in the
  environment are passed to the server.`;

export interface Args {
  scenarios: ScenarioName[];
  targets: Target[];
  users?: number;
  rate: number;
  seconds?: number;
  warmup: number;
  kill?: number;
  scale: number;
  workers: number;
  realSignUps: number;
  cpuProf: boolean;
  timeLimit: number;
  out: string;
  help: boolean;
}

function num(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max} (got ${value})`);
  return n;
}

export function parseCli(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      scenario: { type: "string" },
      targets: { type: "string" },
      users: { type: "string" },
      rate: { type: "string" },
      seconds: { type: "string" },
      warmup: { type: "string" },
      kill: { type: "string" },
      scale: { type: "string" },
      workers: { type: "string" },
      "real-signups": { type: "string" },
      "cpu-prof": { type: "boolean" },
      "time-limit": { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const list = (values.scenario ?? "all").split(",").map((s) => s.trim());
  const scenarios = list.includes("all") ? [...SCENARIOS] : list;
  for (const s of scenarios)
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario "${s}" (one of ${SCENARIOS.join(", ")})`);
  const targets = (values.targets ?? TARGETS.join(",")).split(",").map((s) => s.trim());
  for (const t of targets) if (!TARGET_NAMES.includes(t as Target)) throw new Error(`unknown target "${t}" (one of ${TARGETS.join(", ")})`);
  const args: Args = {
    scenarios: scenarios as ScenarioName[],
    targets: TARGETS.filter((t) => targets.includes(t)),
    rate: num(values.rate, "rate", 0.1, 100) ?? 2,
    warmup: num(values.warmup, "warmup", 0, 60) ?? 2,
    scale: num(values.scale, "scale", 0.001, 2) ?? 1,
    workers: Math.round(num(values.workers, "workers", 1, 16) ?? 1),
    realSignUps: Math.round(num(values["real-signups"], "real-signups", 0, 100) ?? 8),
    cpuProf: values["cpu-prof"] ?? false,
    timeLimit: num(values["time-limit"], "time-limit", 10, 1800) ?? 420,
    out: values.out ?? "bench/results",
    help: values.help ?? false,
  };
  const users = num(values.users, "users", 2, 20_000);
  const seconds = num(values.seconds, "seconds", 1, 300);
  const kill = num(values.kill, "kill", 1, 5000);
  if (users !== undefined) args.users = Math.round(users);
  if (seconds !== undefined) args.seconds = seconds;
  if (kill !== undefined) args.kill = Math.round(kill);
  const messages = (args.users ?? 1000) * args.rate * ((args.seconds ?? 20) + args.warmup);
  if (messages > 5_000_000) throw new Error(`that is ${messages} messages; the harness is bounded at 5,000,000 per run`);
  return args;
}
