/**
 * Every error a client can be told, as a code. Only these reach a client; anything unexpected is
 * logged with its context and answered as "internal".
 */
export const ERROR_CODES = [
  "invalid_payload",
  "unauthorized",
  "dialog_not_found",
  "peer_unavailable",
  "self_dialog",
  "message_empty",
  "message_too_long",
  "rate_limited",
  "too_many_dialogs",
  "too_many_connections",
  "internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Words a person reads when a request is refused. */
export const ERROR_TEXT: Record<ErrorCode, string> = {
  invalid_payload: "The request was malformed.",
  unauthorized: "Your session has ended. Please sign in again.",
  dialog_not_found: "That conversation is no longer open.",
  peer_unavailable: "That person is not available right now.",
  self_dialog: "You cannot open a conversation with yourself.",
  message_empty: "Empty messages are not sent.",
  message_too_long: "That message is too long.",
  rate_limited: "You are sending too fast. Wait a moment and try again.",
  too_many_dialogs: "You have too many conversations open. Close one first.",
  too_many_connections: "Too many open tabs: close one and reload.",
  internal: "Something went wrong on the server. Please try again.",
};

export type Ack<T extends object> = ({ ok: true } & T) | { ok: false; error: ErrorCode };
