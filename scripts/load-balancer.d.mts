// Types for scripts/load-balancer.mjs, which tests import.
import type { ChildProcess } from "node:child_process";

export const HAPROXY: string;
export function haproxyMissing(): string | null;
export function haproxyConfig(o: { host?: string; port: number; backends: string[]; checkIntervalMs?: number }): string;
export function startLoadBalancer(o: {
  host?: string;
  port: number;
  backends: string[];
  checkIntervalMs?: number;
  stdio?: "inherit" | "ignore";
}): ChildProcess;
