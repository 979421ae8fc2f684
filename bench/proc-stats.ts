/** CPU time and memory of a process read from /proc (Linux), and the fd limit it runs under. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let ticks: number | null = null;
function clockTicks(): number {
  if (ticks === null) {
    try {
      ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export interface ProcSample {
  /** CPU time of all threads, seconds: the sum of /proc/<pid>/task/<tid>/schedstat (nanoseconds),
   * else utime + stime from /proc/<pid>/stat (clock ticks, 10 ms). */
  cpuSeconds: number;
  rssBytes: number;
  /** Main (JS) thread: time it was runnable but waiting for a CPU, seconds (/proc/<pid>/schedstat).
   * Large values mean the machine, not the server, was the limit. */
  runQueueWaitSeconds: number;
}

export function readProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at state (field 3).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const sched = readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ");
    return {
      cpuSeconds: threadsCpuSeconds(pid) ?? (utime + stime) / clockTicks(),
      rssBytes: rssKb * 1024,
      runQueueWaitSeconds: Number(sched[1] ?? 0) / 1e9,
    };
  } catch {
    return null;
  }
}

/** CPU time of every live thread of `pid` in nanosecond resolution (a 3 s window at 10 ms ticks would
 * be too coarse to compare a few hundred microseconds per message). */
function threadsCpuSeconds(pid: number): number | null {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const sched = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8");
      ns += Number(sched.slice(0, sched.indexOf(" ")));
    }
    return ns / 1e9;
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine spent busy (all cores, all processes) since boot, from /proc/stat. */
export function machineBusySeconds(): number | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / clockTicks();
  } catch {
    return null;
  }
}

export function openFilesLimit(pid: number | "self" = "self"): string {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const [soft, hard] = line?.replace("Max open files", "").trim().split(/\s+/) ?? [];
    return `${soft ?? "?"} (hard ${hard ?? "?"})`;
  } catch {
    return "unknown";
  }
}

/** Samples a process periodically, keeping the peak RSS. */
export class ProcSampler {
  peakRssBytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly pid: number) {}

  start(intervalMs = 500): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): ProcSample | null {
    const s = readProc(this.pid);
    if (s) this.peakRssBytes = Math.max(this.peakRssBytes, s.rssBytes);
    return s;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
