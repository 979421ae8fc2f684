/**
 * The events a signed-in socket may send. Each handler validates (safeHandler), asks the core,
 * answers the ack, then broadcasts. The acting user is always socket.data.userId, from the session.
 */
import { LIMITS } from "../../lib/contract/limits";
import { checkMessageBody, normalizeMessageBody } from "../../lib/contract/message-rules";
import { emptyInput, historyInput, openDialogInput, sendMessageInput, syncInput } from "../../lib/contract/schemas";
import type { MessagePage } from "../../lib/contract/events";
import type { RealtimeContext } from "./context";
import { dialogRoom, userRoom } from "./rooms";
import { safeHandler } from "./safe-handler";
import type { IoSocket } from "./types";
import { dialogView } from "./views";

export function registerHandlers(ctx: RealtimeContext, socket: IoSocket): void {
  const { io, messenger, conversations, messages } = ctx;
  const me = socket.data.userId;

  socket.on(
    "dialog:open",
    safeHandler(ctx, socket, "dialog:open", openDialogInput, async ({ peerId }) => {
      await ctx.ready(me);
      const plan = messenger.planOpen(me, peerId);
      if (plan.kind === "refused") return { ok: false, error: plan.error };
      if (plan.kind === "existing") return { ok: true, dialog: dialogView(messenger, plan.dialog, me), created: false };
      const id = await conversations.ensure(me, peerId);
      // Checkpoint first, so a restart restores it; a refused proposal leaves a stale flag that the
      // next restart's restore clears (its members are held, then torn down if absent).
      await conversations.setOpen([id], true);
      const result = await ctx.proposeDialog(id, me, peerId);
      if (!result) {
        await conversations.setOpen([id], false);
        // Refused in the event order: say why, as it stands now.
        const now = messenger.planOpen(me, peerId);
        return { ok: false, error: now.kind === "refused" ? now.error : "peer_unavailable" };
      }
      return { ok: true, dialog: dialogView(messenger, result.dialog, me), created: result.created };
    }),
  );

  socket.on(
    "message:send",
    safeHandler(ctx, socket, "message:send", sendMessageInput, async ({ dialogId, clientKey, body: raw }) => {
      const body = normalizeMessageBody(raw);
      const refused = checkMessageBody(body);
      if (refused) return { ok: false, error: refused };
      if (!messenger.dialogFor(me, dialogId)) return { ok: false, error: "dialog_not_found" };
      const { message, created } = await messages.append({ dialogId, senderId: me, senderName: socket.data.name, clientKey, body });
      if (created) io.to(dialogRoom(dialogId)).emit("message:new", message);
      return { ok: true, message };
    }),
  );

  socket.on(
    "dialog:sync",
    safeHandler(ctx, socket, "dialog:sync", syncInput, async ({ dialogs }) => {
      const pages: Record<string, MessagePage> = {};
      for (const { dialogId, afterSeq } of dialogs) {
        if (!messenger.dialogFor(me, dialogId)) continue; // closed or not yours: the client drops it
        pages[dialogId] = await messages.after(dialogId, afterSeq, LIMITS.pageMaxMessages);
      }
      return { ok: true, pages };
    }),
  );

  socket.on(
    "dialog:history",
    safeHandler(ctx, socket, "dialog:history", historyInput, async ({ dialogId, beforeSeq, limit }) => {
      if (!messenger.dialogFor(me, dialogId)) return { ok: false, error: "dialog_not_found" };
      return { ok: true, ...(await messages.before(dialogId, beforeSeq, limit ?? 50)) };
    }),
  );

  socket.on(
    "session:signout",
    safeHandler(ctx, socket, "session:signout", emptyInput, async () => {
      const { sessionId } = socket.data;
      ctx.signingOut.add(sessionId);
      setTimeout(() => ctx.signingOut.delete(sessionId), 10_000).unref();
      // Answer first, then end every socket of this browser session (all its tabs share the cookie),
      // on whichever node they are.
      setImmediate(() => {
        void io
          .in(userRoom(me))
          .fetchSockets()
          .then((sockets) => {
            for (const s of sockets) if (s.data.sessionId === sessionId) s.disconnect(true);
          })
          .catch((err: unknown) => ctx.logger.error({ err, userId: me }, "sign-out could not reach every socket"));
      });
      return { ok: true };
    }),
  );
}
