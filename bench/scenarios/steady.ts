/** Scenario 1 — steady messaging on one server. Target: 1,000 users, 2 msg/s each, p99 <= 2 ms. */
import type { BenchOptions, ScenarioResult } from "../scenario";
import { runMessaging } from "./messaging";

export function steady(o: BenchOptions): Promise<ScenarioResult> {
  return runMessaging(o, {
    name: "steady",
    nodes: 1,
    defaultUsers: 1000,
    target: "p99 end-to-end latency <= 2 ms at 1,000 users x 2 msg/s, every message acknowledged and delivered",
    judge: ({ p99, undelivered, ackErrors }) => p99 <= 2 && undelivered === 0 && ackErrors === 0,
  });
}
