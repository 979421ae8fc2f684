/** Summarizes a V8 .cpuprofile (node --cpu-prof): self time by function and by package. */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  startTime: number;
  endTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Busy (non-idle) sample time in the window, and the window's length. */
  totalMs: number;
  windowMs: number;
  topFunctions: { name: string; ms: number; percent: number }[];
  topPackages: { name: string; ms: number; percent: number }[];
}

function where(url: string): string {
  if (!url) return "(native/V8)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith("node:")) return "node:core";
  const m = /\/(server|lib|app|\.next)\//.exec(url);
  return m ? `app ${m[1]}/` : url.split("/").slice(-2).join("/");
}

/** `window`: ms after the profile's start (about the process's start); the whole profile by default. */
export function summarizeProfile(file: string, window?: { fromMs: number; toMs: number }, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const from = (window?.fromMs ?? 0) * 1000;
  const to = (window?.toMs ?? Number.POSITIVE_INFINITY) * 1000;
  let t = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t >= from && t <= to) self.set(id, (self.get(id) ?? 0) + dt);
  });
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") continue;
    total += us;
    const file = url ? url.split("/").slice(-1)[0] : "";
    const key = `${functionName || "(anonymous)"} ${file ? `${file}:${lineNumber + 1}` : ""} [${where(url)}]`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
    const p = functionName === "(garbage collector)" ? "(garbage collector)" : where(url);
    pkg.set(p, (pkg.get(p) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: Math.round((1000 * us) / total) / 10 }));
  const windowUs = Math.min(to, profile.endTime - profile.startTime) - from;
  return { file, totalMs: Math.round(total / 1000), windowMs: Math.round(windowUs / 1000), topFunctions: rank(fn), topPackages: rank(pkg) };
}

/** The main thread's profile in `dir` (the largest: the others are loader threads). */
export function mainProfileIn(dir: string): string | null {
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  return files[0] ?? null;
}

export function describeProfile(s: ProfileSummary): string[] {
  return [
    `Server CPU profile (${s.file}): ${s.totalMs} ms busy in the ${s.windowMs} ms measured window.`,
    `  by package: ${s.topPackages.map((p) => `${p.name} ${p.percent}%`).join(", ")}`,
    `  top functions (self): ${s.topFunctions.map((f) => `${f.name} ${f.percent}%`).join("; ")}`,
  ];
}
