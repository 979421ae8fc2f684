// `npm test`: every check in order — types, lint and format, unit, build (pages and server),
// integration (real sockets, real servers), browser tests — then one closing line with the true totals. Stops at the first failing
// stage. `npm test -- unit e2e` runs only the named stages; a name that is not a stage is an error.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

const out = ".cache/test-reports";
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" };
const vitest = (project) => [
  "vitest",
  "run",
  "--project",
  project,
  "--reporter=default",
  "--reporter=json",
  `--outputFile=${out}/${project}.json`,
];
const stages = [
  { name: "typecheck", cmd: ["tsc", "--noEmit", "-p", "."] },
  { name: "lint", cmd: ["eslint", "--max-warnings", "0", "."] },
  { name: "format", cmd: ["prettier", "--check", "--log-level", "warn", "."] },
  { name: "unit", cmd: vitest("unit"), report: "vitest" },
  // Before integration: some integration tests run the compiled production server (dist/).
  { name: "build", cmd: ["node", "scripts/build.mjs"] },
  { name: "integration", cmd: vitest("integration"), report: "vitest" },
  {
    name: "e2e",
    cmd: ["playwright", "test", "--reporter=list,json"],
    report: "playwright",
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: `${out}/e2e.json` },
  },
];

const only = process.argv.slice(2);
const unknown = only.filter((name) => !stages.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(
    `unknown stage${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}; the stages are ${stages.map((s) => s.name).join(", ")}`,
  );
  process.exit(2);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
mkdirSync("test-results/screenshots", { recursive: true });

/** Counts from a stage's JSON report; null when the report is missing or unreadable. */
function countsOf(stage) {
  const file = `${out}/${stage.name}.json`;
  if (!existsSync(file)) return null;
  try {
    const r = JSON.parse(readFileSync(file, "utf8"));
    if (stage.report === "vitest") {
      return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + (r.numTodoTests ?? 0) };
    }
    return { passed: r.stats.expected + r.stats.flaky, failed: r.stats.unexpected, skipped: r.stats.skipped };
  } catch {
    return null;
  }
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const failedStages = [];
const started = Date.now();
const seconds = (since) => ((Date.now() - since) / 1000).toFixed(1);
for (const stage of stages) {
  if (only.length > 0 && !only.includes(stage.name)) continue;
  const t0 = Date.now();
  console.log(`\n=== ${stage.name} ===`);
  const run = spawnSync("npx", ["--no-install", ...stage.cmd], { stdio: "inherit", env: { ...env, ...stage.env } });
  let problem = run.status === 0 ? null : `exited with ${run.status ?? run.signal}`;
  if (stage.report) {
    const counts = countsOf(stage);
    if (!counts) problem ??= "wrote no test report";
    else {
      totals.passed += counts.passed;
      totals.failed += counts.failed;
      totals.skipped += counts.skipped;
      // A stage that ran nothing proves nothing: a typo in a filter or a broken glob must not pass.
      if (counts.passed + counts.failed === 0) problem ??= "ran 0 tests";
    }
  }
  console.log(`=== ${stage.name}: ${problem ? `FAILED (${problem})` : "ok"} in ${seconds(t0)} s ===`);
  if (problem) {
    failedStages.push(stage.name);
    break;
  }
}

const summary = `${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`;
if (failedStages.length > 0) {
  console.log(`\nstopped at ${failedStages[0]} after ${seconds(started)} s`);
  console.log(`${summary}; failed stage: ${failedStages[0]}`);
  process.exit(1);
}
console.log(`\nall stages ok in ${seconds(started)} s`);
console.log(summary);
