/** The rules a message body must follow; the composer and the server both apply them. */
import type { ErrorCode } from "./errors";
import { LIMITS } from "./limits";

/** Length as a person counts it: by code points, so an emoji is not two characters. */
export function messageLength(body: string): number {
  let n = 0;
  for (const _ of body) n++;
  return n;
}

export function checkMessageBody(body: string): Extract<ErrorCode, "message_empty" | "message_too_long"> | null {
  if (body.trim().length === 0) return "message_empty";
  if (messageLength(body) > LIMITS.messageMaxChars) return "message_too_long";
  return null;
}

/**
 * Makes a body storable everywhere exactly as it will be shown: lone UTF-16 surrogates (not text) and
 * NUL (refused by PostgreSQL) become U+FFFD, so the ack, the broadcast and the stored copy agree.
 */
export function normalizeMessageBody(body: string): string {
  // eslint-disable-next-line no-control-regex -- NUL is exactly what must be replaced
  return body.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\u0000/g, "\ufffd");
}
