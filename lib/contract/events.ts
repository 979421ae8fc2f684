/**
 * The one event contract between the browser and the server. Both sides import these types;
 * the server additionally validates every inbound payload with ./schemas.
 */
import type { Ack } from "./errors";
import type { HistoryInput, OpenDialogInput, ReadInput, ReadStateInput, SendMessageInput, SyncInput, TypingInput } from "./schemas";

export interface UserView {
  id: string;
  name: string;
}

export interface DialogView {
  id: string;
  peer: UserView;
}

export interface MessageView {
  id: string;
  dialogId: string;
  /** Order within the conversation: 1, 2, 3, ... with no gaps. */
  seq: number;
  senderId: string;
  senderName: string;
  body: string;
  /** The sender's idempotency key, so the sending tab can match its pending copy. */
  clientKey: string;
  /** Milliseconds since the epoch, server time. */
  sentAt: number;
}

export interface Welcome {
  self: UserView;
  /**
   * Everyone available now. It may include yourself: leave yourself out (the list is the same for
   * every welcome until presence changes, so a server sends it without re-encoding it per client).
   * Later changes arrive as presence:delta.
   */
  users: UserView[];
  /** Your open dialogs. A dialog you had that is missing here was closed while you were away. */
  dialogs: DialogView[];
  /** Changes when the server restarts; a client may log it, nothing depends on it. */
  serverId: string;
}

/** A batch of presence changes: each user touched in the batch, in their final state. */
export interface PresenceDelta {
  online: UserView[];
  offline: string[];
}

export type DialogClosedReason = "peer_offline" | "you_offline";

export interface DialogClosed {
  dialogId: string;
  reason: DialogClosedReason;
  peer: UserView;
}

export interface MessagePage {
  messages: MessageView[];
  /** True when older (history) or newer (sync) messages remain beyond this page. */
  more: boolean;
}

/**
 * Where you are in a conversation: the last seq you have seen (stored, moved by any of your tabs
 * while the conversation is on screen and focused), and how many of the peer's messages came after
 * it, counted by the server up to `countedSeq`. A client adds the peer's messages it receives after
 * `countedSeq` to `unread`.
 */
export interface ReadView {
  dialogId: string;
  readSeq: number;
  unread: number;
  countedSeq: number;
}

/** A conversation's read state for one viewer: theirs, and the peer's position (for "Seen"). */
export interface ConversationReadView extends ReadView {
  peer: UserView;
  peerReadSeq: number;
}

export interface ServerToClientEvents {
  "session:welcome": (welcome: Welcome) => void;
  "presence:delta": (delta: PresenceDelta) => void;
  "dialog:opened": (payload: { dialog: DialogView }) => void;
  "dialog:closed": (payload: DialogClosed) => void;
  /**
   * A message stored in one of your dialogs, to every socket of both members except the one that sent
   * it: that socket gets the stored message in its `message:send` ack (a second copy would cost the
   * server a packet per message and the client a merge).
   */
  "message:new": (message: MessageView) => void;
  /** Your read position moved (in this tab or another of yours). Positions only ever move forward. */
  "dialog:read": (read: ReadView) => void;
  /** The peer's read position moved: your messages up to `seq` have been seen. */
  "dialog:seen": (payload: { dialogId: string; seq: number }) => void;
  /** The peer started (true) or stopped (false) typing. Relayed, never stored. */
  "dialog:typing": (payload: { dialogId: string; typing: boolean }) => void;
  /** The server is going away (deploy, restart); the client reconnects on its own. */
  "server:shutdown": (payload: { reconnectInMs: number }) => void;
  /** Messages may not have reached you (the servers lost touch for a moment): catch up as after a reconnect. */
  "session:catch-up": () => void;
}

export interface ClientToServerEvents {
  "dialog:open": (input: OpenDialogInput, ack: (result: Ack<{ dialog: DialogView; created: boolean }>) => void) => void;
  "message:send": (input: SendMessageInput, ack: (result: Ack<{ message: MessageView }>) => void) => void;
  /**
   * Catch up after a (re)connect: everything after `afterSeq`, oldest first. One answer carries a
   * bounded number of dialogs and rows; a page with `more` (possibly empty) asks to sync again from
   * its last message (or the same `afterSeq`).
   */
  "dialog:sync": (input: SyncInput, ack: (result: Ack<{ pages: Record<string, MessagePage> }>) => void) => void;
  /** Older messages for scrolling back: the page just before `beforeSeq` (the newest page without it), oldest first within it. */
  "dialog:history": (input: HistoryInput, ack: (result: Ack<MessagePage>) => void) => void;
  /** You have seen the conversation up to `seq` (clamped to its last message; never moves back). */
  "dialog:read": (input: ReadInput, ack: (result: Ack<{ read: ReadView }>) => void) => void;
  /** Read state of the given conversations, or (no ids) of your open ones and those with unread messages. */
  "dialog:read-state": (input: ReadStateInput, ack: (result: Ack<{ conversations: ConversationReadView[] }>) => void) => void;
  /** You are typing (true) or stopped (false); the peer's tabs are told. */
  "dialog:typing": (input: TypingInput, ack: (result: Ack<object>) => void) => void;
  /**
   * Signing out: this browser session ends on the server (its cookie opens nothing any more), every
   * tab of it is disconnected, and the user goes offline at once if nothing else of theirs is left.
   */
  "session:signout": (input: Record<string, never>, ack: (result: Ack<object>) => void) => void;
  /** Signing out everywhere: every session of this user ends, on every device. */
  "session:signout-everywhere": (input: Record<string, never>, ack: (result: Ack<{ sessions: number }>) => void) => void;
}

export type InterServerEvents = Record<string, never>;

export interface SocketData {
  userId: string;
  name: string;
  /** One per browser sign-in; signing out ends only this browser's sockets. */
  sessionId: string;
}
