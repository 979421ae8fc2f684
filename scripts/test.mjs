// `npm test`: every check in order — types, unit, integration (real sockets), page build, browser
// tests — then one closing line with the totals. Stops at the first failing stage.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

const out = ".cache/test-reports";
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
mkdirSync("test-results/screenshots", { recursive: true });

const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" };
const stages = [
  { name: "typecheck", cmd: ["tsc", "--noEmit", "-p", "."] },
  { name: "unit", cmd: ["vitest", "run", "--project", "unit", "--reporter=default", "--reporter=json", `--outputFile=${out}/unit.json`], report: "vitest" },
  { name: "integration", cmd: ["vitest", "run", "--project", "integration", "--reporter=default", "--reporter=json", `--outputFile=${out}/integration.json`], report: "vitest" },
  { name: "build", cmd: ["next", "build"] },
  { name: "e2e", cmd: ["playwright", "test", "--reporter=list,json"], report: "playwright", env: { PLAYWRIGHT_JSON_OUTPUT_NAME: `${out}/e2e.json` } },
];

const only = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const started = Date.now();
for (const stage of stages) {
  if (only.length > 0 && !only.includes(stage.name)) continue;
  const t0 = Date.now();
  console.log(`\n=== ${stage.name} ===`);
  const run = spawnSync("npx", ["--no-install", ...stage.cmd], { stdio: "inherit", env: { ...env, ...stage.env } });
  const file = `${out}/${stage.name}.json`;
  if (stage.report && existsSync(file)) {
    const r = JSON.parse(readFileSync(file, "utf8"));
    if (stage.report === "vitest") {
      passed += r.numPassedTests;
      failed += r.numFailedTests;
      skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    } else {
      passed += r.stats.expected + r.stats.flaky;
      failed += r.stats.unexpected;
      skipped += r.stats.skipped;
    }
  }
  console.log(`=== ${stage.name}: ${run.status === 0 ? "ok" : "FAILED"} in ${((Date.now() - t0) / 1000).toFixed(1)} s ===`);
  if (run.status !== 0) {
    if (!stage.report) failed += 1;
    console.log(`\nstopped at ${stage.name} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(`${passed} passed, ${Math.max(failed, 1)} failed, ${skipped} skipped`);
    process.exit(1);
  }
}
console.log(`\nall stages ok in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
