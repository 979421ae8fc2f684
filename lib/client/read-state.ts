/**
 * Read state on the client: the server's word on your position, count and the peer's position (which
 * only ever move forward, so the newest word is the highest), plus what this tab has itself put on
 * screen since, so a count clears the moment you see the message rather than a round trip later.
 */
import type { ConversationReadView, MessageView, ReadView, UserView } from "../contract/events";

export type ConversationRead = ConversationReadView;

/** Whether `incoming` is at least as new as `current` (positions and counts only move forward). */
function newer(incoming: ReadView, current: ReadView | undefined): boolean {
  if (!current) return true;
  if (incoming.readSeq !== current.readSeq) return incoming.readSeq > current.readSeq;
  return incoming.countedSeq >= current.countedSeq;
}

/** Applies your position and count from the server; a stale one is ignored. */
export function mergeRead(current: ConversationRead | undefined, read: ReadView, peer: UserView): ConversationRead {
  if (current && !newer(read, current)) return current;
  const { dialogId, readSeq, unread, countedSeq } = read;
  return { dialogId, readSeq, unread, countedSeq, peer: current?.peer ?? peer, peerReadSeq: current?.peerReadSeq ?? 0 };
}

/** Applies a full read state from the server (position, count and the peer's position). */
export function mergeConversation(current: ConversationRead | undefined, view: ConversationReadView): ConversationRead {
  const mine = mergeRead(current, view, view.peer);
  return { ...mine, peer: view.peer, peerReadSeq: Math.max(mine.peerReadSeq, view.peerReadSeq) };
}

/**
 * Unread messages in a conversation: the server's count up to `countedSeq`, plus the peer's messages
 * this tab holds after it. Once this tab has shown everything up to `countedSeq` or beyond, only the
 * peer's messages after what it has shown count.
 */
export function unreadCount(
  read: ConversationRead | undefined,
  messages: readonly MessageView[],
  selfId: string | undefined,
  shownSeq = 0,
): number {
  if (!read) return 0;
  const caughtUp = shownSeq >= read.countedSeq;
  const after = caughtUp ? shownSeq : read.countedSeq;
  let n = caughtUp ? 0 : read.unread;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!m || m.seq <= after) break;
    if (m.senderId !== selfId) n++;
  }
  return n;
}

/** The seq of your last message the peer has seen, if any: where "Seen" goes. */
export function seenMarkSeq(messages: readonly MessageView[], selfId: string | undefined, peerReadSeq: number): number | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m && m.senderId === selfId && m.seq <= peerReadSeq) return m.seq;
  }
  return null;
}
