/**
 * What the node service (./node-service.ts) needs from the world outside the core, each behind a
 * small interface: its own clients, stored conversations, a wake-up call, a log. The cluster bus is
 * the fifth port (./cluster-bus.ts); the clock and ids are passed in beside them.
 */
import type { PresenceBatch } from "./presence-feed";
import type { DialogId, UserId, UserProfile } from "./types";

/** A dialog as one of its two members sees it. */
export interface DialogSummary {
  id: DialogId;
  peer: UserProfile;
}

export type DialogClosedReason = "peer_offline" | "you_offline";

export interface DialogClosedNotice {
  to: UserId;
  reason: DialogClosedReason;
  /** The other member, as `to` knows them. */
  peer: UserProfile;
}

/** This node's own clients; never another node's (every node tells its own). */
export interface LocalClients {
  /** Every client of the user here joins the dialog and is told it opened. */
  dialogOpened(userId: UserId, dialog: DialogSummary): void;
  /** Sends each notice to its user's clients here, then takes every client here out of the dialog. */
  dialogClosed(dialogId: DialogId, notices: readonly DialogClosedNotice[]): void;
  /** Sends a batch of presence changes to every client here. */
  presenceChanged(batch: PresenceBatch): void;
  /** Disconnects every client here of this user's browser session. */
  endSession(userId: UserId, sessionId: string): void;
  /** Tells every client here to fetch the messages it may have missed (as after a reconnect). */
  catchUp(): void;
}

/** Stored conversations: one per pair, holding the `open` checkpoint that a restart restores from. */
export interface ConversationStore {
  /** The pair's conversation id, created on first use; safe under concurrent calls. */
  ensure(x: UserId, y: UserId): Promise<DialogId>;
  setOpen(ids: DialogId[], open: boolean): Promise<void>;
  listOpen(): Promise<{ id: DialogId; a: UserProfile; b: UserProfile }[]>;
}

/** The service asks to have `tick()` called at a moment of its clock (null: nothing pending); each call replaces the last. */
export interface Wakeups {
  wakeAt(at: number | null): void;
}

export interface Log {
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}
