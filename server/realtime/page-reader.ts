/**
 * Reads the messages of one answer within its budget (server/core/event-costs.ts): at most
 * ANSWER_BUDGET.rowsPerQuery rows per query, with the event loop free before each (SQLite through
 * Prisma runs on this thread: a large page read at once would hold everyone else up), stopping when
 * the answer is full. A page cut short says `more`, and the client asks again from where it ends.
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { MessagePage, MessageView } from "../../lib/contract/events";
import { ANSWER_BUDGET, type AnswerBudget } from "../core/event-costs";
import type { MessageStore } from "../persistence/message-store";

type Pages = Pick<MessageStore, "after" | "before">;

/** Up to `limit` messages after `afterSeq`, oldest first. */
export async function readAfter(
  store: Pages,
  dialogId: string,
  afterSeq: number,
  limit: number,
  budget: AnswerBudget,
): Promise<MessagePage> {
  const out: MessageView[] = [];
  let cursor = afterSeq;
  for (;;) {
    await yieldToEventLoop();
    const chunk = await store.after(dialogId, cursor, Math.min(ANSWER_BUDGET.rowsPerQuery, limit - out.length));
    for (const m of chunk.messages) {
      if (!budget.add(m)) return { messages: out, more: true };
      out.push(m);
    }
    const last = chunk.messages.at(-1);
    if (!chunk.more || !last) return { messages: out, more: false };
    if (out.length >= limit) return { messages: out, more: true };
    cursor = last.seq;
  }
}

/** Up to `limit` messages before `beforeSeq` (the newest without it), oldest first within the page. */
export async function readBefore(
  store: Pages,
  dialogId: string,
  beforeSeq: number | undefined,
  limit: number,
  budget: AnswerBudget,
): Promise<MessagePage> {
  const newestFirst: MessageView[] = [];
  let cursor = beforeSeq;
  for (;;) {
    await yieldToEventLoop();
    const chunk = await store.before(dialogId, cursor, Math.min(ANSWER_BUDGET.rowsPerQuery, limit - newestFirst.length));
    for (const m of [...chunk.messages].reverse()) {
      if (!budget.add(m)) return { messages: newestFirst.reverse(), more: true };
      newestFirst.push(m);
    }
    const first = chunk.messages[0];
    if (!chunk.more || !first) return { messages: newestFirst.reverse(), more: false };
    if (newestFirst.length >= limit) return { messages: newestFirst.reverse(), more: true };
    cursor = first.seq;
  }
}
