/**
 * Read positions: the last seq each person has seen in a conversation. A client names a seq; only
 * its own position moves, only forward (the store's conditional update), and never past the
 * conversation's last message, so a client cannot mark as read what does not exist yet (which would
 * hide the next messages from its own unread count).
 */

/** The position a request may move to: the named seq, clamped to [0, lastSeq]. */
export function readTarget(requested: number, lastSeq: number): number {
  return Math.max(0, Math.min(Math.trunc(requested), lastSeq));
}
