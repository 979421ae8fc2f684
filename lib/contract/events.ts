/**
 * The one event contract between the browser and the server. Both sides import these types;
 * the server additionally validates every inbound payload with ./schemas.
 */
import type { Ack } from "./errors";
import type { HistoryInput, OpenDialogInput, SendMessageInput, SyncInput } from "./schemas";

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
  /** Everyone available now, yourself excluded. Later changes arrive as presence:delta. */
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

export interface ServerToClientEvents {
  "session:welcome": (welcome: Welcome) => void;
  "presence:delta": (delta: PresenceDelta) => void;
  "dialog:opened": (payload: { dialog: DialogView }) => void;
  "dialog:closed": (payload: DialogClosed) => void;
  "message:new": (message: MessageView) => void;
  /** The server is going away (deploy, restart); the client reconnects on its own. */
  "server:shutdown": (payload: { reconnectInMs: number }) => void;
}

export interface ClientToServerEvents {
  "dialog:open": (input: OpenDialogInput, ack: (result: Ack<{ dialog: DialogView; created: boolean }>) => void) => void;
  "message:send": (input: SendMessageInput, ack: (result: Ack<{ message: MessageView }>) => void) => void;
  /** Catch up after a (re)connect: everything after `afterSeq`, oldest first. */
  "dialog:sync": (input: SyncInput, ack: (result: Ack<{ pages: Record<string, MessagePage> }>) => void) => void;
  /** Older messages, newest first within the page, for scrolling back. */
  "dialog:history": (input: HistoryInput, ack: (result: Ack<MessagePage>) => void) => void;
  /** Signing out: every tab of this browser session is disconnected and the user goes offline at once. */
  "session:signout": (input: Record<string, never>, ack: (result: Ack<object>) => void) => void;
}

export type InterServerEvents = Record<string, never>;

export interface SocketData {
  userId: string;
  name: string;
  /** One per browser sign-in; signing out ends only this browser's sockets. */
  sessionId: string;
}
