/**
 * Read positions and unread counts, per person per conversation. The position only moves forward
 * (a conditional update, safe when several tabs or nodes move it at once); counts are the peer's
 * messages after it, counted up to the conversation's lastSeq read first, so every message counted is
 * committed and a client can add the ones it receives later.
 */
import type { ConversationReadView, ReadView } from "../../lib/contract/events";
import { readTarget } from "../core/read-positions";
import type { Db } from "./database";
import { isUniqueViolation } from "./user-repository";
import { READ_STATE_MAX } from "../core/event-costs";

/** Conversations looked at when a client asks for all of its read state. */
const MAX_CONVERSATIONS = READ_STATE_MAX;

export interface ReadAdvance {
  read: ReadView;
  /** False when the position was already there or beyond: nobody needs to be told. */
  moved: boolean;
  peerId: string;
}

interface ConversationRow {
  id: string;
  lastSeq: number;
  userA: { id: string; displayName: string };
  userB: { id: string; displayName: string };
  reads: { userId: string; seq: number }[];
}

const conversationSelect = {
  id: true,
  lastSeq: true,
  userA: { select: { id: true, displayName: true } },
  userB: { select: { id: true, displayName: true } },
  reads: { select: { userId: true, seq: true } },
} as const;

export class ReadPositionRepository {
  constructor(private readonly db: Db) {}

  /** Moves the user's position towards `requested`; null when the conversation is not theirs. */
  async advance(userId: string, conversationId: string, requested: number): Promise<ReadAdvance | null> {
    const conversation = await this.db.conversation.findUnique({
      where: { id: conversationId },
      select: { lastSeq: true, userAId: true, userBId: true },
    });
    if (!conversation || (conversation.userAId !== userId && conversation.userBId !== userId)) return null;
    const { lastSeq } = conversation;
    const peerId = conversation.userAId === userId ? conversation.userBId : conversation.userAId;
    const target = readTarget(requested, lastSeq);
    const moved = target > 0 && (await this.raise(userId, conversationId, target));
    const readSeq = moved ? target : Math.min((await this.stored(userId, conversationId)) ?? 0, lastSeq);
    const unread = readSeq >= lastSeq ? 0 : await this.countUnread(userId, conversationId, readSeq, lastSeq);
    return { read: { dialogId: conversationId, readSeq, unread, countedSeq: lastSeq }, moved, peerId };
  }

  /**
   * Read state of the user's conversations: the ones named (theirs only), or else every one that is
   * open (`openIds`) or has messages they have not read.
   */
  async stateFor(userId: string, query: { dialogIds?: string[]; openIds: ReadonlySet<string> }): Promise<ConversationReadView[]> {
    const mine = { OR: [{ userAId: userId }, { userBId: userId }] };
    // Open ones even before their first message (so "seen" has a place to go), others only with messages.
    const wanted = query.dialogIds ? { id: { in: query.dialogIds } } : { OR: [{ lastSeq: { gt: 0 } }, { id: { in: [...query.openIds] } }] };
    const rows: ConversationRow[] = await this.db.conversation.findMany({
      where: { AND: [mine, wanted] },
      select: conversationSelect,
      take: MAX_CONVERSATIONS,
    });
    const views = rows.map((row) => {
      const peer = row.userA.id === userId ? row.userB : row.userA;
      const seqOf = (id: string) => Math.min(row.reads.find((r) => r.userId === id)?.seq ?? 0, row.lastSeq);
      return {
        dialogId: row.id,
        peer: { id: peer.id, name: peer.displayName },
        readSeq: seqOf(userId),
        peerReadSeq: seqOf(peer.id),
        unread: 0,
        countedSeq: row.lastSeq,
      } satisfies ConversationReadView;
    });
    const behind = views.filter((v) => v.readSeq < v.countedSeq);
    if (behind.length > 0) {
      // One query for every count: the peer's messages in (readSeq, countedSeq] of each conversation.
      const counts = await this.db.message.groupBy({
        by: ["conversationId"],
        where: {
          senderId: { not: userId },
          OR: behind.map((v) => ({ conversationId: v.dialogId, seq: { gt: v.readSeq, lte: v.countedSeq } })),
        },
        _count: { _all: true },
      });
      const byId = new Map(counts.map((c) => [c.conversationId, c._count._all]));
      for (const v of behind) v.unread = byId.get(v.dialogId) ?? 0;
    }
    return query.dialogIds ? views : views.filter((v) => v.unread > 0 || query.openIds.has(v.dialogId));
  }

  /**
   * Raises the stored position to `seq` if it is below; true when it moved. The raise is one
   * conditional UPDATE (... WHERE seq < $seq), which the database re-checks after waiting for a
   * concurrent writer, so a lower position never overwrites a higher one. A position created by
   * another tab or node between our update and our look is raised in turn, not taken as final.
   */
  private async raise(userId: string, conversationId: string, seq: number): Promise<boolean> {
    const up = () => this.db.readPosition.updateMany({ where: { userId, conversationId, seq: { lt: seq } }, data: { seq } });
    for (;;) {
      if ((await up()).count > 0) return true;
      const current = await this.stored(userId, conversationId);
      if (current !== undefined) {
        if (current >= seq) return false;
        continue; // created meanwhile, below us
      }
      try {
        await this.db.readPosition.create({ data: { userId, conversationId, seq } });
        return true;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
  }

  private async stored(userId: string, conversationId: string): Promise<number | undefined> {
    const row = await this.db.readPosition.findUnique({
      where: { userId_conversationId: { userId, conversationId } },
      select: { seq: true },
    });
    return row?.seq;
  }

  private countUnread(userId: string, conversationId: string, after: number, upTo: number): Promise<number> {
    return this.db.message.count({ where: { conversationId, senderId: { not: userId }, seq: { gt: after, lte: upTo } } });
  }
}
