/**
 * How a tab keeps a conversation's messages: sorted by the server's sequence number, each once.
 * Live messages, replays after a reconnect and history pages may overlap or arrive out of order;
 * merging is idempotent and order-independent.
 */
import type { MessageView } from "../contract/events";

export function mergeMessages(current: readonly MessageView[], incoming: readonly MessageView[]): MessageView[] {
  if (incoming.length === 0) return current as MessageView[];
  const bySeq = new Map<number, MessageView>();
  for (const m of current) bySeq.set(m.seq, m);
  let changed = false;
  for (const m of incoming) {
    if (!bySeq.has(m.seq)) {
      bySeq.set(m.seq, m);
      changed = true;
    }
  }
  if (!changed) return current as MessageView[];
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * The catch-up cursor: the last seq up to which this tab holds every message without a gap, counting
 * from the oldest one it holds. Asking the server for everything after it can only fill gaps.
 */
export function contiguousSeq(messages: readonly MessageView[]): number {
  const [first, ...rest] = messages;
  if (!first) return 0;
  let last = first.seq;
  for (const m of rest) {
    if (m.seq !== last + 1) break;
    last = m.seq;
  }
  return last;
}
