/**
 * Writes a batch of messages through Prisma in one interactive transaction (used on PostgreSQL,
 * where several nodes write concurrently: the conversation row's counter serializes them).
 */
import type { Db } from "./database";
import { messageKey, senderSelect, toView, type Appended, type BatchWriter, type Pending } from "./message-store";

export class PrismaBatchWriter implements BatchWriter {
  constructor(
    private readonly db: Db,
    private readonly newId: () => string,
  ) {}

  write(batch: readonly Pending[], createdAt: Date): Promise<Appended[]> {
    return this.db.$transaction(async (tx) => {
      const result = new Map<string, Appended>();
      // Retries of messages stored earlier: one query for the whole batch.
      const stored = await tx.message.findMany({
        where: {
          OR: groupBy(batch).map(([dialogId, items]) => ({ conversationId: dialogId, clientKey: { in: items.map((i) => i.clientKey) } })),
        },
        select: senderSelect,
      });
      for (const row of stored)
        result.set(messageKey(row.conversationId, row.senderId, row.clientKey), { message: toView(row), created: false });
      for (const [dialogId, items] of groupBy(batch.filter((p) => !result.has(p.key)))) {
        const { lastSeq } = await tx.conversation.update({
          where: { id: dialogId },
          data: { lastSeq: { increment: items.length } },
          select: { lastSeq: true },
        });
        const first = lastSeq - items.length + 1;
        const rows = items.map((f, i) => ({
          id: this.newId(),
          conversationId: dialogId,
          seq: first + i,
          senderId: f.senderId,
          clientKey: f.clientKey,
          body: f.body,
          createdAt,
        }));
        await tx.message.createMany({ data: rows });
        items.forEach((item, i) => {
          const row = rows[i];
          if (row) result.set(item.key, { message: toView({ ...row, sender: { displayName: item.senderName } }), created: true });
        });
      }
      return batch.map((p) => {
        const stored = result.get(p.key);
        if (!stored) throw new Error(`message ${p.key} was neither found nor stored`);
        return stored;
      });
    });
  }
}

/** Messages per conversation, conversations in id order: every node locks rows in the same order (no deadlocks). */
function groupBy(batch: readonly Pending[]): [string, Pending[]][] {
  const groups = new Map<string, Pending[]>();
  for (const p of batch) {
    const list = groups.get(p.dialogId);
    if (list) list.push(p);
    else groups.set(p.dialogId, [p]);
  }
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
