/**
 * Carries out what the replica decided (a dialog opened, a user gone with their dialogs, a jump to a
 * snapshot) for this node's own clients and in the conversation store. Every node does it for its own
 * clients; every node records closings (idempotent), so the record survives any one node dying.
 */
import { peerOf, type Dialog } from "./dialogs";
import type { Messenger, ReplicaRepair, Teardown } from "./messenger";
import type { ConversationStore, DialogSummary, LocalClients, Log } from "./node-ports";
import type { UserId, UserProfile } from "./types";

export class ReplicaEffects {
  constructor(
    private readonly messenger: Messenger,
    private readonly ports: { clients: LocalClients; store: ConversationStore; log: Log },
  ) {}

  opened(dialog: Dialog): void {
    for (const member of dialog.members) this.ports.clients.dialogOpened(member, this.summary(dialog, member));
    this.ports.log.info({ dialogId: dialog.id, members: dialog.members }, "dialog opened");
  }

  tornDown({ user, dialogs }: Teardown): void {
    for (const dialog of dialogs) {
      const peer = this.profileOf(peerOf(dialog, user.id));
      this.ports.clients.dialogClosed(dialog.id, [
        { to: peer.id, reason: "peer_offline", peer: user },
        { to: user.id, reason: "you_offline", peer },
      ]);
    }
    this.ports.log.info({ userId: user.id, dialogs: dialogs.map((d) => d.id) }, "user offline; dialogs torn down");
    this.recordClosed(dialogs);
  }

  /** The replica jumped to the shared state: carried out as the missed events would have been. */
  repaired(repair: ReplicaRepair): void {
    for (const teardown of repair.teardowns) this.tornDown(teardown);
    for (const dialog of repair.closed) {
      // Both members are still here: one of them left and came back unseen. Neither notice blames the peer.
      const [a, b] = dialog.members.map((id) => this.profileOf(id)) as [UserProfile, UserProfile];
      this.ports.clients.dialogClosed(dialog.id, [
        { to: a.id, reason: "you_offline", peer: b },
        { to: b.id, reason: "you_offline", peer: a },
      ]);
    }
    this.recordClosed(repair.closed);
    for (const dialog of repair.opened) this.opened(dialog);
  }

  summary(dialog: Dialog, viewerId: UserId): DialogSummary {
    return { id: dialog.id, peer: this.profileOf(peerOf(dialog, viewerId)) };
  }

  /** Members of an open dialog are always available (teardown removes the dialog first). */
  private profileOf(id: UserId): UserProfile {
    return this.messenger.profile(id) ?? { id, name: "unknown" };
  }

  private recordClosed(dialogs: Dialog[]): void {
    if (dialogs.length === 0) return;
    this.ports.store
      .setOpen(
        dialogs.map((d) => d.id),
        false,
      )
      .catch((err: unknown) => this.ports.log.error({ err, dialogs: dialogs.length }, "could not record closed dialogs"));
  }
}
