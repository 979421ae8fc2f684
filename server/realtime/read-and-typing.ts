/**
 * Read positions and typing: the events that tell people where the other stands. A read moves only
 * the caller's own position (clamped by the store); the caller's tabs get the new position and count,
 * the peer's tabs get "seen". Typing is relayed to the peer's tabs and nowhere else, and never stored.
 * Every event is charged by the limiter like any other (safeHandler).
 */
import { readInput, readStateInput, typingInput } from "../../lib/contract/schemas";
import { peerOf } from "../core/dialogs";
import { conversationsCost } from "../core/event-costs";
import type { RealtimeContext } from "./context";
import { userRoom } from "./rooms";
import { safeHandler } from "./safe-handler";
import type { IoSocket } from "./types";

export function registerReadAndTyping(ctx: RealtimeContext, socket: IoSocket): void {
  const { io, messenger, reads } = ctx;
  const me = socket.data.userId;

  socket.on(
    "dialog:read",
    safeHandler(ctx, socket, "dialog:read", readInput, async ({ dialogId, seq }) => {
      if (!messenger.dialogFor(me, dialogId)) return { ok: false, error: "dialog_not_found" };
      const result = await reads.advance(me, dialogId, seq);
      if (!result) return { ok: false, error: "dialog_not_found" };
      if (result.moved) {
        io.to(userRoom(me)).emit("dialog:read", result.read);
        io.to(userRoom(result.peerId)).emit("dialog:seen", { dialogId, seq: result.read.readSeq });
      }
      return { ok: true, read: result.read };
    }),
  );

  socket.on(
    "dialog:read-state",
    safeHandler(ctx, socket, "dialog:read-state", readStateInput, async ({ dialogIds }, { charge }) => {
      const openIds = new Set(messenger.dialogsOf(me).map((d) => d.id));
      const conversations = await reads.stateFor(me, dialogIds ? { dialogIds, openIds } : { openIds });
      // Charged by what it read, even past empty (server/core/event-costs.ts).
      await charge(conversationsCost(conversations.length), true);
      return { ok: true, conversations };
    }),
  );

  socket.on(
    "dialog:typing",
    safeHandler(ctx, socket, "dialog:typing", typingInput, async ({ dialogId, typing }) => {
      const dialog = messenger.dialogFor(me, dialogId);
      if (!dialog) return { ok: false, error: "dialog_not_found" };
      io.to(userRoom(peerOf(dialog, me))).emit("dialog:typing", { dialogId, typing });
      return { ok: true };
    }),
  );
}
