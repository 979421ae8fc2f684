/** The client's typing sender and read reporter, on fake timers and a fake server. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ReadReporter } from "@/lib/client/read-reporter";
import { TypingSender } from "@/lib/client/typing-sender";
import type { ReadView } from "@/lib/contract/events";
import { TYPING } from "@/lib/contract/limits";

describe("TypingSender", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const setup = () => {
    const said: [number, string, boolean][] = [];
    const sender = new TypingSender((dialogId, typing) => said.push([Date.now(), dialogId, typing]), Date.now);
    return { said, sender };
  };

  it("says typing on the first key, again every refresh while keys keep coming, stopped after the idle time", () => {
    const { said, sender } = setup();
    const start = Date.now();
    for (let t = 0; t <= 5000; t += 100) {
      sender.changed("d1", "x".repeat(t / 100 + 1));
      vi.advanceTimersByTime(100);
    }
    const lastKey = start + 5000;
    vi.advanceTimersByTime(TYPING.idleMs + 1000);
    expect(said.map(([at, , typing]) => [at - start, typing])).toEqual([
      [0, true],
      [TYPING.refreshMs, true],
      [2 * TYPING.refreshMs, true],
      [lastKey - start + TYPING.idleMs, false],
    ]);
  });

  it("says stopped at once when the text is cleared, and nothing when a message is sent", () => {
    const { said, sender } = setup();
    sender.changed("d1", "hi");
    sender.changed("d1", "");
    sender.changed("d2", "hello");
    sender.stop("d2", false); // sent
    vi.advanceTimersByTime(10_000);
    expect(said.map(([, d, typing]) => [d, typing])).toEqual([
      ["d1", true],
      ["d1", false],
      ["d2", true],
    ]);
  });

  it("keeps dialogs apart, and a reset forgets everything silently", () => {
    const { said, sender } = setup();
    sender.changed("d1", "a");
    sender.changed("d2", "b");
    sender.reset();
    vi.advanceTimersByTime(10_000);
    expect(said.map(([, d, typing]) => [d, typing])).toEqual([
      ["d1", true],
      ["d2", true],
    ]);
  });
});

describe("ReadReporter", () => {
  it("sends one position per dialog at a time and then only the newest of those shown meanwhile", async () => {
    const sent: [string, number][] = [];
    const held = new Map<string, number>();
    let answer: (() => void)[] = [];
    const reporter = new ReadReporter(
      (dialogId, seq) => {
        sent.push([dialogId, seq]);
        return new Promise<ReadView | null>((resolve) =>
          answer.push(() => resolve({ dialogId, readSeq: seq, unread: 0, countedSeq: seq })),
        );
      },
      (dialogId) => held.get(dialogId) ?? 0,
      (read) => held.set(read.dialogId, read.readSeq),
    );
    for (let seq = 1; seq <= 30; seq++) reporter.report("d1", seq);
    reporter.report("d2", 4);
    expect(sent).toEqual([
      ["d1", 1],
      ["d2", 4],
    ]);
    const flush = async () => {
      const now = answer;
      answer = [];
      for (const a of now) a();
      await new Promise((r) => setTimeout(r, 0));
    };
    await flush();
    expect(sent.slice(2)).toEqual([["d1", 30]]);
    await flush();
    expect(held.get("d1")).toBe(30);
    reporter.report("d1", 12); // already held: nothing to say
    expect(sent).toHaveLength(3);
  });

  it("a request that got no answer does not block the next one", async () => {
    const sent: number[] = [];
    const reporter = new ReadReporter(
      (_dialogId, seq) => {
        sent.push(seq);
        return Promise.resolve(null);
      },
      () => 0,
      () => {},
    );
    reporter.report("d1", 1);
    await new Promise((r) => setTimeout(r, 0));
    reporter.report("d1", 2);
    expect(sent).toEqual([1, 2]);
  });
});
