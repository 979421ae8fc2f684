import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contiguousSeq, mergeMessages } from "@/lib/client/message-list-merge";
import type { MessageView } from "@/lib/contract/events";

/** A message is determined by its seq, as the server guarantees within one conversation. */
const msg = (seq: number): MessageView => ({
  id: `m${seq}`,
  dialogId: "d1",
  seq,
  senderId: seq % 2 === 0 ? "alice" : "bob",
  senderName: seq % 2 === 0 ? "Alice" : "Bob",
  body: `body ${seq}`,
  clientKey: `key-${seq}-xxxx`,
  sentAt: 1_700_000_000_000 + seq,
});
const seqs = (ms: readonly MessageView[]) => ms.map((m) => m.seq);

const seqList = fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 40 });
const messages = seqList.map((xs) => xs.map(msg));

/** Splits a list into consecutive non-empty chunks at the given cut points. */
function chunk<T>(xs: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (xs.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let start = 0;
  for (const p of [...points, xs.length]) {
    if (p > start) out.push(xs.slice(start, p));
    start = Math.max(start, p);
  }
  return out;
}

const mergeAll = (chunks: readonly (readonly MessageView[])[]) => chunks.reduce<MessageView[]>((acc, c) => mergeMessages(acc, c), []);

describe("mergeMessages examples", () => {
  it("sorts, deduplicates and interleaves", () => {
    const merged = mergeMessages([msg(1), msg(4)], [msg(3), msg(1), msg(2), msg(3)]);
    expect(seqs(merged)).toEqual([1, 2, 3, 4]);
    expect(merged[2]).toEqual(msg(3));
  });

  it("returns the current array itself when nothing is new", () => {
    const current = [msg(1), msg(2)];
    expect(mergeMessages(current, [])).toBe(current);
    expect(mergeMessages(current, [msg(2), msg(1)])).toBe(current);
  });

  it("keeps the copy it already holds when a seq arrives again", () => {
    const held = { ...msg(1), body: "held" };
    expect(mergeMessages([held], [msg(1), msg(2)])[0]).toBe(held);
  });

  it("does not mutate its inputs", () => {
    const current = [msg(2), msg(5)];
    const incoming = [msg(4), msg(1)];
    mergeMessages(current, incoming);
    expect(seqs(current)).toEqual([2, 5]);
    expect(seqs(incoming)).toEqual([4, 1]);
  });
});

describe("mergeMessages properties", () => {
  it("result is strictly increasing in seq, with exactly the union of seqs (nothing lost, no duplicates)", () => {
    fc.assert(
      fc.property(messages, messages, (a, b) => {
        const base = mergeMessages([], a);
        const merged = mergeMessages(base, b);
        for (let i = 1; i < merged.length; i++) expect(merged[i]!.seq).toBeGreaterThan(merged[i - 1]!.seq);
        const union = [...new Set([...seqs(a), ...seqs(b)])].sort((x, y) => x - y);
        expect(seqs(merged)).toEqual(union);
      }),
    );
  });

  it("is idempotent: merging the same messages again changes nothing", () => {
    fc.assert(
      fc.property(messages, messages, (a, b) => {
        const once = mergeMessages(mergeMessages([], a), b);
        expect(mergeMessages(once, b)).toBe(once);
        expect(mergeMessages(once, a)).toBe(once);
        expect(mergeMessages(once, once)).toBe(once);
      }),
    );
  });

  it("is order-independent: any permutation and any chunking gives the same list", () => {
    fc.assert(
      fc.property(
        messages.chain((ms) => fc.tuple(fc.constant(ms), fc.shuffledSubarray(ms, { minLength: ms.length, maxLength: ms.length }))),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        ([original, permuted], cutsA, cutsB) => {
          const a = mergeAll(chunk(original, cutsA));
          const b = mergeAll(chunk(permuted, cutsB));
          expect(b).toEqual(a);
          expect(a).toEqual(mergeMessages([], original));
        },
      ),
    );
  });

  it("merging chunks in reverse order equals merging them forward", () => {
    fc.assert(
      fc.property(messages, fc.array(fc.nat(), { maxLength: 10 }), (ms, cuts) => {
        const chunks = chunk(ms, cuts);
        expect(mergeAll([...chunks].reverse())).toEqual(mergeAll(chunks));
      }),
    );
  });
});

describe("contiguousSeq", () => {
  it.each([
    { held: [], expected: 0 },
    { held: [1], expected: 1 },
    { held: [1, 2, 3], expected: 3 },
    { held: [1, 2, 4, 5], expected: 2 },
    { held: [5, 6, 8], expected: 6 },
    { held: [7], expected: 7 },
    { held: [2, 4], expected: 2 },
  ])("$held -> $expected", ({ held, expected }) => {
    expect(contiguousSeq(held.map(msg))).toBe(expected);
  });

  it("property: all seqs from the first up to the cursor are held, and cursor + 1 is not", () => {
    fc.assert(
      fc.property(messages, (ms) => {
        const merged = mergeMessages([], ms);
        const cursor = contiguousSeq(merged);
        const held = new Set(seqs(merged));
        if (merged.length === 0) {
          expect(cursor).toBe(0);
          return;
        }
        for (let s = merged[0]!.seq; s <= cursor; s++) expect(held.has(s)).toBe(true);
        expect(held.has(cursor + 1)).toBe(false);
      }),
    );
  });
});
