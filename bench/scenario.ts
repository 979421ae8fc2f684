/** What every scenario receives and returns. */

import type { Target } from "./virtual-user";

export interface BenchOptions {
  /** Which systems the comparing scenarios drive (steady, saturation, login-storm). */
  targets: Target[];
  users?: number;
  rate: number;
  seconds?: number;
  warmupSeconds: number;
  kill?: number;
  workers: number;
  realSignUps: number;
  scale: number;
  cpuProfDir?: string;
  timeLimitSeconds: number;
  log: (line: string) => void;
}

export type Figure = number | string | boolean | null;

export interface ScenarioResult {
  name: string;
  status: "ok" | "skipped" | "failed";
  reason?: string;
  /** The target, in words. */
  target: string;
  /** Whether the target was met; null when not measured. */
  met: boolean | null;
  params: Record<string, Figure>;
  figures: Record<string, Figure>;
  notes: string[];
  /** Side-by-side tables (Duo beside the baselines), rendered in the Markdown report. */
  comparisons?: Comparison[];
  series?: {
    /** steady: latency CDF per target (ws-relay, socketio-relay, duo). */
    targetLatencyCdf?: Record<string, [number, number][]>;
    /** saturation: per target, one [offered msg/s, delivered msg/s, p99 ms] per step. */
    saturation?: Record<string, [number, number, number][]>;
    /** [latency ms, fraction] */
    latencyCdf?: [number, number][];
    crossNodeLatencyCdf?: [number, number][];
    /** [ms after the last login, fraction of clients with a complete list] */
    convergence?: [number, number][];
    /** [ms from kill to teardown at the peer, fraction], per mode; and the configured timeout. */
    abandonedLoud?: [number, number][];
    abandonedSilent?: [number, number][];
    abandonedTimeoutMs?: number;
    /** idle-capacity: [connected, seconds, server RSS MiB, server CPU s] after each connection round. */
    ramp?: [number, number, number, number][];
  };
  seconds: number;
  /** The part of the run a server CPU profile is summarized over (shared clock), per node's spawn time. */
  profileWindow?: { from: number; to: number; spawnedAt: number[] };
}

export interface Comparison {
  title: string;
  /** First column's heading, then one per compared system. */
  columns: string[];
  rows: [string, ...Figure[]][];
}

export type Scenario = (o: BenchOptions) => Promise<ScenarioResult>;

/** A scenario's size: `--users`, else its default scaled by `--scale`, at least `min`. */
export function size(explicit: number | undefined, fallback: number, o: BenchOptions, min = 2): number {
  return Math.max(min, Math.round(explicit ?? fallback * o.scale));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
