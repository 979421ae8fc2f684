/**
 * The events a signed-in socket may send. Each handler validates (safeHandler), asks the core,
 * answers the ack, then broadcasts. The acting user is always socket.data.userId, from the session.
 */
import { LIMITS } from "../../lib/contract/limits";
import { checkMessageBody } from "../../lib/contract/message-rules";
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
      const plan = messenger.planOpen(me, peerId);
      if (plan.kind === "refused") return { ok: false, error: plan.error };
      if (plan.kind === "existing") return { ok: true, dialog: dialogView(messenger, plan.dialog, me), created: false };
      const id = await conversations.ensure(me, peerId);
      const result = messenger.commitOpen(id, me, peerId);
      if (!result.ok) return result;
      const { dialog, created } = result;
      if (created) {
        await conversations.setOpen([dialog.id], true);
        for (const member of dialog.members) {
          io.in(userRoom(member)).socketsJoin(dialogRoom(dialog.id));
          io.to(userRoom(member)).emit("dialog:opened", { dialog: dialogView(messenger, dialog, member) });
        }
        ctx.logger.info({ dialogId: dialog.id, members: dialog.members }, "dialog opened");
      }
      return { ok: true, dialog: dialogView(messenger, dialog, me), created };
    }),
  );

  socket.on(
    "message:send",
    safeHandler(ctx, socket, "message:send", sendMessageInput, async ({ dialogId, clientKey, body }) => {
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
      // Answer first, then end every socket of this browser session (all its tabs share the cookie).
      setImmediate(() => {
        for (const s of io.sockets.adapter.rooms.get(userRoom(me)) ?? []) {
          const peer = io.sockets.sockets.get(s);
          if (peer?.data.sessionId === sessionId) peer.disconnect(true);
        }
        setTimeout(() => ctx.signingOut.delete(sessionId), 10_000).unref();
      });
      return { ok: true };
    }),
  );
}
