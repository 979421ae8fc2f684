/** Results as JSON and as a Markdown table, under bench/results/ (latest + a timestamped copy). */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { openFilesLimit } from "./proc-stats";
import type { Figure, ScenarioResult } from "./scenario";
import { ROOT } from "./server-process";

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  commit: string;
  dirty: boolean;
  openFilesLimit: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverageAtStart: number;
  date: string;
  command: string;
}

export function machine(argv: string[]): Machine {
  const git = (args: string[]) => {
    try {
      return execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
    } catch {
      return "";
    }
  };
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    commit: git(["rev-parse", "--short", "HEAD"]) || "unknown",
    dirty: git(["status", "--porcelain", "--", "server", "lib", "app"]).length > 0,
    openFilesLimit: openFilesLimit(),
    loadAverageAtStart: Math.round(loadavg()[0]! * 100) / 100,
    date: new Date().toISOString(),
    command: `npm run bench${argv.length ? " -- " + argv.join(" ") : ""}`,
  };
}

export interface Report {
  machine: Machine;
  results: ScenarioResult[];
}

const show = (v: Figure): string => (v === null || (typeof v === "number" && Number.isNaN(v)) ? "–" : String(v));
const verdict = (r: ScenarioResult) =>
  r.status === "skipped" ? "skipped" : r.status === "failed" ? "FAILED to run" : r.met === null ? "not judged" : r.met ? "met" : "NOT met";

export function toMarkdown(report: Report, plotFile: string | null): string {
  const m = report.machine;
  const lines = [
    "# Duo load benchmark",
    "",
    `${m.date} · commit \`${m.commit}\`${m.dirty ? " (uncommitted server changes)" : ""} · Node ${m.node} · ${m.cores} cores (${m.cpuModel}) · ${m.memoryGiB} GiB · open files ${m.openFilesLimit} · load average at start ${m.loadAverageAtStart}`,
    "",
    `Command: \`${m.command}\`. The server runs on 127.0.0.1 with a fresh SQLite database per scenario, NODE_ENV=test, LOG_LEVEL=warn, event rate limits raised; the load generator (light WebSocket clients, bench/light-client.ts) runs in separate processes on the same machine (its CPU and event-loop delay are shown next to the server's). steady, saturation and login-storm also drive two baselines with the same generator: a raw \`ws\` relay and a bare Socket.IO relay (bench/baselines/), no auth, no storage.`,
    "",
    "| scenario | result | target | time |",
    "|---|---|---|---|",
    ...report.results.map((r) => `| ${r.name} | ${verdict(r)}${r.reason ? `: ${r.reason}` : ""} | ${r.target} | ${r.seconds} s |`),
    "",
  ];
  if (plotFile) lines.push(`![latency CDF and presence convergence](${plotFile})`, "");
  for (const r of report.results) {
    lines.push(`## ${r.name} — ${verdict(r)}`, "", `Target: ${r.target}`, "");
    if (r.reason) lines.push(`${r.status === "skipped" ? "Skipped" : "Failed"}: ${r.reason}`, "");
    if (Object.keys(r.params).length)
      lines.push(
        `Parameters: ${Object.entries(r.params)
          .map(([k, v]) => `${k}=${show(v)}`)
          .join(", ")}`,
        "",
      );
    for (const c of r.comparisons ?? []) {
      lines.push(`**${c.title}**`, "", `| ${c.columns.join(" | ")} |`, `|${c.columns.map(() => "---").join("|")}|`);
      for (const row of c.rows) lines.push(`| ${row.map(show).join(" | ")} |`);
      lines.push("");
    }
    if (Object.keys(r.figures).length) {
      lines.push("| figure | value |", "|---|---|");
      for (const [k, v] of Object.entries(r.figures)) lines.push(`| ${k} | ${show(v)} |`);
      lines.push("");
    }
    for (const n of r.notes) lines.push(`- ${n}`);
    if (r.notes.length) lines.push("");
  }
  return lines.join("\n");
}

/** Prints one scenario's figures to the console. */
export function printResult(r: ScenarioResult, log: (line: string) => void): void {
  log(`== ${r.name}: ${verdict(r)}${r.reason ? ` (${r.reason})` : ""}`);
  log(`   target: ${r.target}`);
  const entries = Object.entries(r.figures);
  for (let i = 0; i < entries.length; i += 3) {
    log(
      "   " +
        entries
          .slice(i, i + 3)
          .map(([k, v]) => `${k}=${show(v)}`)
          .join("  "),
    );
  }
  for (const c of r.comparisons ?? []) {
    log(`   ${c.title}`);
    const table = [c.columns, ...c.rows.map((row) => row.map(show))];
    const widths = c.columns.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length)));
    for (const row of table) log(`     ${row.map((v, i) => v.padEnd(widths[i]!)).join("  ")}`);
  }
  for (const n of r.notes) log(`   note: ${n}`);
}

export function writeReport(outDir: string, report: Report, png: Buffer | null): { json: string; md: string; png: string | null } {
  mkdirSync(outDir, { recursive: true });
  const stamp = report.machine.date.replace(/[:.]/g, "-");
  const json = join(outDir, "latest.json");
  const md = join(outDir, "latest.md");
  const pngFile = png ? join(outDir, "latest.png") : null;
  writeFileSync(json, JSON.stringify(report, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n");
  writeFileSync(md, toMarkdown(report, png ? "latest.png" : null) + "\n");
  if (png && pngFile) writeFileSync(pngFile, png);
  const history = join(outDir, "history");
  mkdirSync(history, { recursive: true });
  copyFileSync(json, join(history, `${stamp}.json`));
  writeFileSync(join(history, `${stamp}.md`), toMarkdown(report, png ? `${stamp}.png` : null) + "\n");
  if (png) writeFileSync(join(history, `${stamp}.png`), png);
  return { json, md, png: pngFile };
}
