/**
 * The events a signed-in socket may send. Each handler validates (safeHandler), asks the core,
 * answers the ack, then broadcasts. The acting user is always socket.data.userId, from the session.
 */
import { LIMITS } from "../../lib/contract/limits";
import { checkMessageBody, normalizeMessageBody } from "../../lib/contract/message-rules";
import { emptyInput, historyInput, openDialogInput, sendMessageInput, syncInput, type SyncInput } from "../../lib/contract/schemas";
import type { MessagePage } from "../../lib/contract/events";
import { AnswerBudget, planSync, readCost } from "../core/event-costs";
import type { RealtimeContext } from "./context";
import { readAfter, readBefore } from "./page-reader";
import { registerReadAndTyping } from "./read-and-typing";
import { dialogRoom } from "./rooms";
import { safeHandler } from "./safe-handler";
import type { IoSocket } from "./types";
import { dialogView } from "./views";

/** Ends these sessions' sockets on every node (their users leave without a grace period). */
function endSessionsEverywhere(ctx: RealtimeContext, userId: string, sessionIds: readonly string[]): void {
  for (const sessionId of sessionIds) {
    ctx.node
      .endSession(userId, sessionId)
      .catch((err: unknown) => ctx.logger.error({ err, userId }, "sign-out could not reach every node"));
  }
}

export function registerHandlers(ctx: RealtimeContext, socket: IoSocket): void {
  const { messenger, messages } = ctx;
  const me = socket.data.userId;
  registerReadAndTyping(ctx, socket);

  socket.on(
    "dialog:open",
    safeHandler(ctx, socket, "dialog:open", openDialogInput, async ({ peerId }) => {
      const result = await ctx.node.openDialog(me, peerId);
      return result.ok ? { ok: true, dialog: dialogView(result.dialog), created: result.created } : result;
    }),
  );

  socket.on(
    "message:send",
    safeHandler(ctx, socket, "message:send", sendMessageInput, async ({ dialogId, clientKey, body: raw }, { afterAnswer }) => {
      const body = normalizeMessageBody(raw);
      const refused = checkMessageBody(body);
      if (refused) return { ok: false, error: refused };
      if (!messenger.dialogFor(me, dialogId)) return { ok: false, error: "dialog_not_found" };
      const { message, created } = await messages.append({ dialogId, senderId: me, senderName: socket.data.name, clientKey, body });
      // Everyone in the room but this socket: its ack carries the message (see message:new).
      if (created) afterAnswer(() => socket.to(dialogRoom(dialogId)).emit("message:new", message));
      return { ok: true, message };
    }),
  );

  // Closed or foreign ids are left out of `pages` (the client drops them); repeats count once.
  const planFor = (dialogs: SyncInput["dialogs"]) => planSync(dialogs, (id) => messenger.dialogFor(me, id) !== null);
  socket.on(
    "dialog:sync",
    safeHandler(
      ctx,
      socket,
      "dialog:sync",
      syncInput,
      async ({ dialogs }, { charge }) => {
        const plan = planFor(dialogs);
        const budget = new AnswerBudget();
        const pages: Record<string, MessagePage> = {};
        for (const { dialogId, afterSeq } of plan.query) {
          pages[dialogId] = budget.full
            ? { messages: [], more: true }
            : await readAfter(messages, dialogId, afterSeq, LIMITS.pageMaxMessages, budget);
        }
        for (const { dialogId } of plan.deferred) pages[dialogId] = { messages: [], more: true };
        // What was read is charged even past empty: the next events wait for the debt.
        await charge(readCost(budget.chars), true);
        return { ok: true, pages };
      },
      ({ dialogs }) => planFor(dialogs).cost,
    ),
  );

  socket.on(
    "dialog:history",
    safeHandler(ctx, socket, "dialog:history", historyInput, async ({ dialogId, beforeSeq, limit = 50 }, { charge }) => {
      if (!messenger.dialogFor(me, dialogId)) return { ok: false, error: "dialog_not_found" };
      const budget = new AnswerBudget();
      const page = await readBefore(messages, dialogId, beforeSeq, limit, budget);
      await charge(readCost(budget.chars), true);
      return { ok: true, ...page };
    }),
  );

  socket.on(
    "session:signout",
    safeHandler(ctx, socket, "session:signout", emptyInput, async () => {
      const { sessionId } = socket.data;
      // The session ends in storage first: from now on its cookie opens no socket and no page.
      await ctx.sessions.revoke(sessionId);
      // Every socket of this browser session (all its tabs share the cookie) ends, on whichever node;
      // this answer goes out first.
      endSessionsEverywhere(ctx, me, [sessionId]);
      return { ok: true };
    }),
  );

  socket.on(
    "session:signout-everywhere",
    safeHandler(ctx, socket, "session:signout-everywhere", emptyInput, async () => {
      const ended = await ctx.sessions.revokeAll(me);
      endSessionsEverywhere(ctx, me, ended);
      return { ok: true, sessions: ended.length };
    }),
  );
}
