/**
 * zod schemas for everything a client may send. The server parses every inbound payload with these
 * and never trusts ids of users, senders or memberships found in them.
 */
import { z } from "zod";
import { LIMITS } from "./limits";

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);

export const openDialogInput = z.strictObject({ peerId: id });

/** The body limit is checked separately so an over-long message gets its own error code. */
export const sendMessageInput = z.strictObject({
  dialogId: id,
  clientKey: z
    .string()
    .min(8)
    .max(LIMITS.clientKeyMaxChars)
    .regex(/^[A-Za-z0-9_-]+$/),
  body: z.string(),
});

export const syncInput = z.strictObject({
  dialogs: z.array(z.strictObject({ dialogId: id, afterSeq: z.number().int().min(0) })).max(100),
});

export const historyInput = z.strictObject({
  dialogId: id,
  /** Cursor: return messages with seq below this; omitted for the newest page. */
  beforeSeq: z.number().int().min(1).optional(),
  limit: z.number().int().min(1).max(LIMITS.pageMaxMessages).optional(),
});

/** A seq as a client may name it; the server clamps it to the conversation's last message. */
const seq = z.number().int().min(0).max(2_147_483_647);

export const readInput = z.strictObject({ dialogId: id, seq });

export const readStateInput = z.strictObject({ dialogIds: z.array(id).min(1).max(100).optional() });

export const typingInput = z.strictObject({ dialogId: id, typing: z.boolean() });

export const emptyInput = z.union([z.strictObject({}), z.undefined(), z.null()]);

export const usernameSchema = z
  .string()
  .trim()
  .min(LIMITS.usernameMinChars, `Username must be at least ${LIMITS.usernameMinChars} characters.`)
  .max(LIMITS.usernameMaxChars, `Username must be at most ${LIMITS.usernameMaxChars} characters.`)
  .regex(/^[A-Za-z0-9_.-]+$/, "Username may use letters, digits, dot, dash and underscore only.");

export const passwordSchema = z
  .string()
  .min(LIMITS.passwordMinChars, `Password must be at least ${LIMITS.passwordMinChars} characters.`)
  .max(LIMITS.passwordMaxChars, `Password must be at most ${LIMITS.passwordMaxChars} characters.`);

export const credentialsInput = z.strictObject({ username: usernameSchema, password: passwordSchema });

export type OpenDialogInput = z.infer<typeof openDialogInput>;
export type SendMessageInput = z.infer<typeof sendMessageInput>;
export type SyncInput = z.infer<typeof syncInput>;
export type HistoryInput = z.infer<typeof historyInput>;
export type ReadInput = z.infer<typeof readInput>;
export type ReadStateInput = z.infer<typeof readStateInput>;
export type TypingInput = z.infer<typeof typingInput>;
export type CredentialsInput = z.infer<typeof credentialsInput>;
