/**
 * Conversations: one stored row per pair of users, holding their history and the checkpoint of
 * whether their live dialog is open (so a restarted server can restore open dialogs).
 */
import type { UserProfile } from "../core/types";
import type { Db } from "./database";
import { isUniqueViolation } from "./user-repository";

export interface OpenConversation {
  id: string;
  a: UserProfile;
  b: UserProfile;
}

export class ConversationRepository {
  constructor(private readonly db: Db) {}

  /** The conversation of this pair, created on first use. Safe under concurrent calls. */
  async ensure(x: string, y: string): Promise<string> {
    const [userAId, userBId] = x < y ? [x, y] : [y, x];
    const found = await this.db.conversation.findUnique({ where: { userAId_userBId: { userAId, userBId } }, select: { id: true } });
    if (found) return found.id;
    try {
      return (await this.db.conversation.create({ data: { userAId, userBId }, select: { id: true } })).id;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const raced = await this.db.conversation.findUniqueOrThrow({
        where: { userAId_userBId: { userAId, userBId } },
        select: { id: true },
      });
      return raced.id;
    }
  }

  async setOpen(ids: string[], open: boolean): Promise<void> {
    if (ids.length === 0) return;
    await this.db.conversation.updateMany({ where: { id: { in: ids } }, data: { open } });
  }

  async listOpen(): Promise<OpenConversation[]> {
    const rows = await this.db.conversation.findMany({
      where: { open: true },
      select: {
        id: true,
        userA: { select: { id: true, displayName: true } },
        userB: { select: { id: true, displayName: true } },
      },
    });
    return rows.map((r) => ({
      id: r.id,
      a: { id: r.userA.id, name: r.userA.displayName },
      b: { id: r.userB.id, name: r.userB.displayName },
    }));
  }
}
