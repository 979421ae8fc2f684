/**
 * Exactly-once, in-order delivery across cut transports and server restarts (issue: every message
 * delivered exactly once). Two runs: a small one with two tabs per user and both kinds of restart,
 * and the 10,000-message chaos run over many conversations. Figures are printed.
 */
import { describe, expect, it } from "vitest";
import { formatFigures, runChaos, type ChaosFigures } from "../support/chaos";

function expectPerfect(f: ChaosFigures) {
  console.log(formatFigures(f));
  expect(f.timedOut).toBe(false);
  expect(f.acknowledged).toBe(f.sent);
  expect(f.delivered).toBe(f.expectedDeliveries);
  expect(f.lost).toBe(0);
  expect(f.duplicates).toBe(0);
  expect(f.orderViolations).toBe(0);
  expect(f.storedRows).toBe(f.acknowledged);
  expect(f.storedDuplicates).toBe(0);
}

describe("delivery under chaos", () => {
  it("two users, two tabs each: transports cut mid-stream, server killed and restarted mid-stream", async () => {
    const f = await runChaos({
      pairs: 1,
      secondTabs: 2,
      messagesPerUser: 300,
      cutEveryMs: 40,
      restarts: [
        { mode: "kill", afterAcked: 200 },
        { mode: "stop", afterAcked: 400 },
      ],
      timeLimitMs: 60_000,
    });
    expectPerfect(f);
    expect(f.cuts).toBeGreaterThan(0);
    expect(f.restarts).toBe(2);
  }, 90_000);

  it("10,000 messages over 20 conversations with random cuts and 3 restarts", async () => {
    const f = await runChaos({
      pairs: Number(process.env.CHAOS_PAIRS ?? 20),
      secondTabs: 10,
      messagesPerUser: Number(process.env.CHAOS_MESSAGES_PER_USER ?? 250),
      cutEveryMs: 25,
      restarts: [
        { mode: "kill", afterAcked: 2500 },
        { mode: "stop", afterAcked: 5000 },
        { mode: "kill", afterAcked: 7500 },
      ],
      timeLimitMs: Number(process.env.CHAOS_TIME_LIMIT_MS ?? 150_000),
      log: (l) => console.log(l),
    });
    expectPerfect(f);
    expect(f.sent).toBeGreaterThanOrEqual(10_000);
    expect(f.restarts).toBe(3);
  }, 200_000);
});
