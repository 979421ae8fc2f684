import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LIMITS } from "@/lib/contract/limits";
import { syncInput } from "@/lib/contract/schemas";
import { ANSWER_BUDGET, AnswerBudget, EVENT_COSTS, planSync, readCost, worstCost, type ChargedAction } from "@/server/core/event-costs";
import { PROJECT_ROOT } from "@/server/paths";

const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/);
const entries = fc.array(fc.record({ dialogId: id, afterSeq: fc.nat({ max: 10_000 }) }), { maxLength: 100 });

describe("event costs", () => {
  it("every event a client can send has a declared, bounded cost that fits in the default bucket", () => {
    for (const action of Object.keys(EVENT_COSTS) as ChargedAction[]) {
      expect(worstCost(action), action).toBeGreaterThanOrEqual(1);
      // The up-front part must be payable from a full default bucket, or the request could never run.
      expect(EVENT_COSTS[action].base, action).toBeLessThanOrEqual(60);
    }
    expect(worstCost("dialog:sync")).toBe(1 + ANSWER_BUDGET.dialogs + 8);
    expect(worstCost("dialog:history")).toBe(1 + 8);
  });

  it("reading is charged by the size of the answer: 50 small messages or 4 full-length ones per token", () => {
    const fill = (body: string, n: number) => {
      const budget = new AnswerBudget();
      for (let i = 0; i < n; i++) budget.add({ body });
      return readCost(budget.chars);
    };
    expect(fill("hi", 50)).toBe(1);
    expect(fill("hi", LIMITS.pageMaxMessages)).toBe(4);
    expect(fill("\u{1F600}".repeat(LIMITS.messageMaxChars), 4)).toBe(2); // astral: 2 UTF-16 units each
    expect(fill("x".repeat(LIMITS.messageMaxChars), 7)).toBe(1);
  });

  it("an answer never holds more than its budget, and never comes back empty while messages remain (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 * LIMITS.messageMaxChars }), { minLength: 1, maxLength: 400 }), (sizes) => {
        const budget = new AnswerBudget();
        const taken = sizes.filter((n) => budget.add({ body: "x".repeat(n) }));
        expect(taken.length).toBeGreaterThanOrEqual(1);
        expect(budget.chars).toBeLessThanOrEqual(ANSWER_BUDGET.chars);
        expect(readCost(budget.chars)).toBeLessThanOrEqual(worstCost("dialog:history") - 1);
      }),
    );
  });

  it("a sync plan queries each of the caller's dialogs once, from the earliest position asked, at most dialogsPerAnswer (property)", () => {
    fc.assert(
      fc.property(entries, fc.func(fc.boolean()), (list, mineFn) => {
        expect(syncInput.safeParse({ dialogs: list }).success).toBe(true);
        const isMine = (dialogId: string) => mineFn(dialogId);
        const plan = planSync(list, isMine);
        const planned = [...plan.query, ...plan.deferred];
        const ids = planned.map((e) => e.dialogId);
        expect(new Set(ids).size).toBe(ids.length); // no repeats
        expect(new Set(ids)).toEqual(new Set(list.map((e) => e.dialogId).filter(isMine)));
        for (const e of planned) expect(e.afterSeq).toBe(Math.min(...list.filter((x) => x.dialogId === e.dialogId).map((x) => x.afterSeq)));
        expect(plan.query.length).toBeLessThanOrEqual(ANSWER_BUDGET.dialogs);
        expect(plan.cost).toBe(plan.query.length);
      }),
    );
  });

  it("a hundred copies of one id cost one query, not a hundred", () => {
    const plan = planSync(
      Array.from({ length: 100 }, (_, i) => ({ dialogId: "d1", afterSeq: 100 - i })),
      () => true,
    );
    expect(plan).toEqual({ query: [{ dialogId: "d1", afterSeq: 1 }], deferred: [], cost: 1 });
  });
});

describe("EVENT-COSTS.md", () => {
  it("lists every event with the worst case the code allows", () => {
    const doc = readFileSync(join(PROJECT_ROOT, "test", "integration", "EVENT-COSTS.md"), "utf8");
    const rows = doc.split("\n").filter((l) => l.startsWith("| "));
    for (const action of Object.keys(EVENT_COSTS) as ChargedAction[]) {
      const name = action === "connect" ? "connect (handshake)" : `\`${action}\``;
      const row = rows.find((r) => r.startsWith(`| ${name} `));
      expect(row, action).toBeDefined();
      expect(row!.split("|").map((c) => c.trim())[4], action).toBe(String(worstCost(action)));
    }
  });
});
