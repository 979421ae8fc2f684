/** The node service's LocalClients port on Socket.IO: this node's sockets only (`io.local`). */
import type { LocalClients } from "../core/node-ports";
import { dialogRoom, userRoom } from "./rooms";
import type { IoServer } from "./types";
import { dialogView, userView } from "./views";

export function socketClients(io: IoServer): LocalClients {
  return {
    dialogOpened(userId, dialog) {
      io.local.in(userRoom(userId)).socketsJoin(dialogRoom(dialog.id));
      io.local.to(userRoom(userId)).emit("dialog:opened", { dialog: dialogView(dialog) });
    },
    dialogClosed(dialogId, notices) {
      for (const n of notices) io.local.to(userRoom(n.to)).emit("dialog:closed", { dialogId, reason: n.reason, peer: userView(n.peer) });
      io.local.in(dialogRoom(dialogId)).socketsLeave(dialogRoom(dialogId));
    },
    presenceChanged(batch) {
      io.local.emit("presence:delta", { online: batch.online.map(userView), offline: batch.offline });
    },
    catchUp() {
      io.local.emit("session:catch-up");
    },
    endSession(userId, sessionId) {
      // On the next turn: the sign-out request that started this gets its answer before its socket goes.
      setImmediate(() => {
        const nsp = io.of("/");
        for (const id of [...(nsp.adapter.rooms.get(userRoom(userId)) ?? [])]) {
          const socket = nsp.sockets.get(id);
          if (socket?.data.sessionId === sessionId) socket.disconnect(true);
        }
      });
    },
  };
}
