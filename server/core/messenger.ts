/**
 * The messenger's domain: presence, dialogs of two, and teardown, with no I/O. Every method returns
 * its decision as a value; the transport layer carries it out (emits, room joins, storage writes,
 * timers). Time comes from the injected clock; dialog ids come from the caller (they are the ids of
 * the stored conversations, so a dialog reopened later finds its history).
 */
import { DialogRegistry, peerOf, type Dialog } from "./dialogs";
import { Presence } from "./presence";
import { PresenceFeed } from "./presence-feed";
import type { Clock, ConnectionId, DialogId, Result, UserId, UserProfile } from "./types";

export interface MessengerOptions {
  clock: Clock;
  /** How long a user with no connection stays available (reloads, brief network cuts). */
  graceMs: number;
  /** Open dialogs per user, a cap against abuse. */
  maxDialogsPerUser: number;
  /**
   * How long members of dialogs restored after a restart have to reconnect. Longer than the grace
   * period: every client of the server reconnects at once, with backoff, while the server warms up.
   */
  restoreGraceMs?: number;
}

/** A user went offline: these dialogs are closed on both sides. */
export interface Teardown {
  user: UserProfile;
  dialogs: Dialog[];
}

export type OpenError = "self_dialog" | "peer_unavailable" | "too_many_dialogs";

export type OpenPlan =
  | { kind: "existing"; dialog: Dialog }
  | { kind: "create"; members: readonly [UserId, UserId] }
  | { kind: "refused"; error: OpenError };

export class Messenger {
  private readonly presence: Presence;
  private readonly dialogs = new DialogRegistry();
  readonly feed = new PresenceFeed();

  constructor(private readonly options: MessengerOptions) {
    this.presence = new Presence(options.graceMs);
  }

  /** A client connected. Returns the user's open dialogs, which this connection must join. */
  connect(profile: UserProfile, connectionId: ConnectionId): Dialog[] {
    if (this.presence.connect(profile, connectionId)) this.feed.online(profile);
    return this.dialogs.of(profile.id);
  }

  /**
   * A client went away. On sign-out (`immediate`) a user left with no connection goes offline now;
   * otherwise after the grace period, through `expire`.
   */
  disconnect(userId: UserId, connectionId: ConnectionId, immediate = false): Teardown | null {
    const gone = this.presence.disconnect(userId, connectionId, this.options.clock.now(), immediate);
    return gone ? this.teardown(gone) : null;
  }

  /** Declares offline everyone whose grace period has run out. Call at `nextWakeAt`. */
  expire(): Teardown[] {
    return this.presence.expire(this.options.clock.now()).map((user) => this.teardown(user));
  }

  nextWakeAt(): number | null {
    return this.presence.nextExpiry();
  }

  /** First half of opening a dialog: reuse, refuse, or ask the caller to create a stored conversation. */
  planOpen(requesterId: UserId, peerId: UserId): OpenPlan {
    if (requesterId === peerId) return { kind: "refused", error: "self_dialog" };
    const existing = this.dialogs.between(requesterId, peerId);
    if (existing) return { kind: "existing", dialog: existing };
    if (!this.presence.isAvailable(peerId) || !this.presence.isAvailable(requesterId)) {
      return { kind: "refused", error: "peer_unavailable" };
    }
    const max = this.options.maxDialogsPerUser;
    if (this.dialogs.countOf(requesterId) >= max || this.dialogs.countOf(peerId) >= max) {
      return { kind: "refused", error: "too_many_dialogs" };
    }
    return { kind: "create", members: [requesterId, peerId] };
  }

  /**
   * Second half, after the conversation was stored: checks again, since either user may have left
   * or another tab may have opened the same dialog while the caller waited.
   */
  commitOpen(dialogId: DialogId, requesterId: UserId, peerId: UserId): Result<{ dialog: Dialog; created: boolean }, OpenError> {
    const plan = this.planOpen(requesterId, peerId);
    if (plan.kind === "refused") return { ok: false, error: plan.error };
    if (plan.kind === "existing") return { ok: true, dialog: plan.dialog, created: false };
    return { ok: true, dialog: this.dialogs.add(dialogId, requesterId, peerId), created: true };
  }

  /**
   * Re-opens a dialog that was open before a restart. Members not connected yet are held for
   * `restoreGraceMs`, as if they had just disconnected: they come back, or the dialog is torn down.
   */
  restore(dialogId: DialogId, a: UserProfile, b: UserProfile): Dialog {
    const now = this.options.clock.now();
    const holdMs = this.options.restoreGraceMs ?? this.options.graceMs;
    this.presence.hold(a, now, holdMs);
    this.presence.hold(b, now, holdMs);
    return this.dialogs.add(dialogId, a.id, b.id);
  }

  /** The dialog, if it is open and the user is one of its two members; null otherwise. */
  dialogFor(userId: UserId, dialogId: DialogId): Dialog | null {
    const dialog = this.dialogs.get(dialogId);
    return dialog && dialog.members.includes(userId) ? dialog : null;
  }

  dialogsOf(userId: UserId): Dialog[] {
    return this.dialogs.of(userId);
  }

  isAvailable(userId: UserId): boolean {
    return this.presence.isAvailable(userId);
  }

  profile(userId: UserId): UserProfile | undefined {
    return this.presence.profile(userId);
  }

  connectionCount(userId: UserId): number {
    return this.presence.connectionCount(userId);
  }

  /** Everyone available, optionally without one user (the viewer never sees themselves). */
  available(excluding?: UserId): UserProfile[] {
    const all = this.presence.available();
    return excluding === undefined ? all : all.filter((u) => u.id !== excluding);
  }

  /** Sizes of the internal indexes, for leak checks. */
  stats(): { availableUsers: number; openDialogs: number; usersWithDialogs: number } {
    return {
      availableUsers: this.presence.size,
      openDialogs: this.dialogs.size,
      usersWithDialogs: this.dialogs.indexedUsers,
    };
  }

  private teardown(user: UserProfile): Teardown {
    this.feed.offline(user.id);
    return { user, dialogs: this.dialogs.removeAllOf(user.id) };
  }
}

export { peerOf };
export type { Dialog };
