/** Domain values as the contract shows them to one viewer. */
import type { DialogView, UserView } from "../../lib/contract/events";
import { peerOf, type Dialog } from "../core/dialogs";
import type { Messenger } from "../core/messenger";
import type { UserProfile } from "../core/types";

export const userView = (p: UserProfile): UserView => ({ id: p.id, name: p.name });

export function dialogView(messenger: Messenger, dialog: Dialog, viewerId: string): DialogView {
  const peerId = peerOf(dialog, viewerId);
  // Members of an open dialog are always available (teardown removes the dialog first).
  const peer = messenger.profile(peerId) ?? { id: peerId, name: "unknown" };
  return { id: dialog.id, peer: userView(peer) };
}
