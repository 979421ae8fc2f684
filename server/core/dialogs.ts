/**
 * Open dialogs: conversations of exactly two users. At most one per pair; indexed by id, by pair and
 * by user so that opening, authorizing and tearing down are all constant-time per dialog.
 */
import type { DialogId, UserId } from "./types";

export interface Dialog {
  readonly id: DialogId;
  readonly members: readonly [UserId, UserId];
}

export function pairKey(a: UserId, b: UserId): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

export function peerOf(dialog: Dialog, userId: UserId): UserId {
  return dialog.members[0] === userId ? dialog.members[1] : dialog.members[0];
}

export class DialogRegistry {
  private readonly byId = new Map<DialogId, Dialog>();
  private readonly byPair = new Map<string, DialogId>();
  private readonly byUser = new Map<UserId, Set<DialogId>>();

  get(id: DialogId): Dialog | undefined {
    return this.byId.get(id);
  }

  between(a: UserId, b: UserId): Dialog | undefined {
    const id = this.byPair.get(pairKey(a, b));
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** Open dialogs of a user. */
  of(userId: UserId): Dialog[] {
    const ids = this.byUser.get(userId);
    if (!ids) return [];
    return [...ids].map((id) => this.byId.get(id)).filter((d): d is Dialog => d !== undefined);
  }

  countOf(userId: UserId): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  isMember(id: DialogId, userId: UserId): boolean {
    const dialog = this.byId.get(id);
    return dialog !== undefined && dialog.members.includes(userId);
  }

  /** Adds a dialog; if the pair already has one, that one is returned instead. */
  add(id: DialogId, a: UserId, b: UserId): Dialog {
    const existing = this.between(a, b);
    if (existing) return existing;
    const dialog: Dialog = { id, members: [a, b] };
    this.byId.set(id, dialog);
    this.byPair.set(pairKey(a, b), id);
    for (const member of dialog.members) {
      let ids = this.byUser.get(member);
      if (!ids) this.byUser.set(member, (ids = new Set()));
      ids.add(id);
    }
    return dialog;
  }

  all(): Dialog[] {
    return [...this.byId.values()];
  }

  /** Removes every dialog the user is in, on both sides; returns them. */
  removeAllOf(userId: UserId): Dialog[] {
    const removed = this.of(userId);
    for (const dialog of removed) this.remove(dialog);
    return removed;
  }

  remove(dialog: Dialog): void {
    if (this.byId.get(dialog.id) !== dialog) return;
    this.byId.delete(dialog.id);
    this.byPair.delete(pairKey(dialog.members[0], dialog.members[1]));
    for (const member of dialog.members) {
      const ids = this.byUser.get(member);
      ids?.delete(dialog.id);
      if (ids && ids.size === 0) this.byUser.delete(member);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  /** Number of users with at least one open dialog (for leak checks in tests). */
  get indexedUsers(): number {
    return this.byUser.size;
  }
}
