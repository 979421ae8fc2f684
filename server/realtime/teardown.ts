/** Carries out, for this node's sockets, the replica's decision that a user went offline. */
import { peerOf } from "../core/dialogs";
import type { Teardown } from "../core/messenger";
import type { Logger } from "../logger";
import type { ConversationRepository } from "../persistence/conversation-repository";
import { dialogRoom, userRoom } from "./rooms";
import type { IoServer } from "./types";
import { userView } from "./views";

export function carryOutTeardown(
  deps: { io: IoServer; conversations: ConversationRepository; logger: Logger; peerProfile(id: string): { id: string; name: string } },
  teardown: Teardown,
): void {
  const { io, logger } = deps;
  const { user, dialogs } = teardown;
  for (const dialog of dialogs) {
    const peer = deps.peerProfile(peerOf(dialog, user.id));
    io.local.to(userRoom(peer.id)).emit("dialog:closed", { dialogId: dialog.id, reason: "peer_offline", peer: userView(user) });
    io.local.to(userRoom(user.id)).emit("dialog:closed", { dialogId: dialog.id, reason: "you_offline", peer: userView(peer) });
    io.local.in(dialogRoom(dialog.id)).socketsLeave(dialogRoom(dialog.id));
  }
  logger.info({ userId: user.id, dialogs: dialogs.map((d) => d.id) }, "user offline; dialogs torn down");
  if (dialogs.length > 0) {
    // Every node records it (idempotent), so the record survives any one node dying.
    deps.conversations.setOpen(dialogs.map((d) => d.id), false).catch((err: unknown) => {
      logger.error({ err, userId: user.id }, "could not record closed dialogs");
    });
  }
}
