/**
 * The messenger's domain, with no I/O. Two halves:
 *
 * - Local presence: this node's connections per user, with a grace period after the last one
 *   closes. Its transitions ("came online here", "went offline here") are reported to a cluster bus.
 * - The replica: who is available and which dialogs are open, cluster-wide. It changes only by
 *   applying the bus's events, in the bus's order, so every node holds the same replica. On one node
 *   the bus is in-process and applies at once; on several it is ordered through Redis.
 *
 * Every method returns its decision as a value; the transport layer carries it out. Time comes from
 * the injected clock; dialog ids come from the caller (they are the stored conversations' ids, so a
 * dialog reopened later finds its history).
 */
import type { DialogRecord } from "./cluster-bus";
import { DialogRegistry, pairKey, peerOf, type Dialog } from "./dialogs";
import { Presence } from "./presence";
import { PresenceFeed } from "./presence-feed";
import type { Clock, ConnectionId, DialogId, UserId, UserProfile } from "./types";

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

/** What a replica changed to match a snapshot of the shared state, to carry out like applied events. */
export interface ReplicaRepair {
  /** Users who were gone, with the dialogs that closed with them. */
  teardowns: Teardown[];
  /** Dialogs that were closed while both members stayed (one of them left and came back unseen). */
  closed: Dialog[];
  opened: Dialog[];
}

export type OpenError = "self_dialog" | "peer_unavailable" | "too_many_dialogs";

export type OpenPlan =
  { kind: "existing"; dialog: Dialog } | { kind: "create"; members: readonly [UserId, UserId] } | { kind: "refused"; error: OpenError };

export class Messenger {
  private readonly local: Presence;
  private readonly users = new Map<UserId, UserProfile>();
  private readonly dialogs = new DialogRegistry();
  /** Replica changes not yet sent to this node's clients, coalesced. */
  readonly feed = new PresenceFeed();

  constructor(private readonly options: MessengerOptions) {
    this.local = new Presence(options.graceMs);
  }

  // ---- local presence (this node's connections) ----

  /** A client connected here. `cameOnline`: the user had no connection or grace here before. */
  connect(profile: UserProfile, connectionId: ConnectionId): { cameOnline: boolean; dialogs: Dialog[] } {
    return { cameOnline: this.local.connect(profile, connectionId), dialogs: this.dialogs.of(profile.id) };
  }

  /**
   * A client went away. On sign-out (`immediate`) a user left with no connection here is gone at once;
   * otherwise after the grace period, through `expire`. Returns the user when they left this node now.
   */
  disconnect(userId: UserId, connectionId: ConnectionId, immediate = false): UserProfile | null {
    return this.local.disconnect(userId, connectionId, this.options.clock.now(), immediate);
  }

  /** Users whose grace period here has run out: they have left this node. Call at `nextWakeAt`. */
  expire(): UserProfile[] {
    return this.local.expire(this.options.clock.now());
  }

  nextWakeAt(): number | null {
    return this.local.nextExpiry();
  }

  /**
   * Holds a member of a dialog restored after a restart who is not connected anywhere yet, as if
   * they had just disconnected here. Returns true when the hold is new (report them online).
   */
  hold(profile: UserProfile): boolean {
    if (this.local.isAvailable(profile.id)) return false;
    this.local.hold(profile, this.options.clock.now(), this.options.restoreGraceMs ?? this.options.graceMs);
    return true;
  }

  connectionCount(userId: UserId): number {
    return this.local.connectionCount(userId);
  }

  /** Everyone this node has (connected here, or in grace or a restore hold here). */
  localUsers(): UserProfile[] {
    return this.local.available();
  }

  // ---- the replica (cluster-wide), changed only by bus events ----

  applyOnline(profile: UserProfile): void {
    this.users.set(profile.id, profile);
    this.feed.online(profile);
  }

  /** The user left the whole cluster: their dialogs close on both sides. */
  applyOffline(userId: UserId): Teardown | null {
    const user = this.users.get(userId);
    if (!user) return null;
    this.users.delete(userId);
    this.feed.offline(userId);
    return { user, dialogs: this.dialogs.removeAllOf(userId) };
  }

  /**
   * A dialog was opened somewhere in the cluster. Refused (null) if a member is not available or at the
   * dialog cap at this point of the event order; `created` is false when the pair already had it.
   */
  applyDialog(id: DialogId, a: UserId, b: UserId): { dialog: Dialog; created: boolean } | null {
    if (a === b || !this.users.has(a) || !this.users.has(b)) return null;
    const existing = this.dialogs.between(a, b);
    if (existing) return { dialog: existing, created: false };
    // Checked again here, in the event order: opens racing past planOpen must not exceed the cap.
    const max = this.options.maxDialogsPerUser;
    if (this.dialogs.countOf(a) >= max || this.dialogs.countOf(b) >= max) return null;
    return { dialog: this.dialogs.add(id, a, b), created: true };
  }

  /**
   * Makes the replica equal to the shared state at some position, as if the events this node missed
   * had been applied. The shared state is the truth here: no cap is checked again.
   */
  resetReplica(users: readonly UserProfile[], dialogs: readonly DialogRecord[]): ReplicaRepair {
    const repair: ReplicaRepair = { teardowns: [], closed: [], opened: [] };
    const present = new Set(users.map((u) => u.id));
    for (const id of [...this.users.keys()]) {
      const teardown = present.has(id) ? null : this.applyOffline(id);
      if (teardown) repair.teardowns.push(teardown);
    }
    for (const u of users) if (this.users.get(u.id)?.name !== u.name) this.applyOnline(u);
    const wanted = new Map(dialogs.map((d) => [d.id, pairKey(d.a, d.b)]));
    for (const d of this.dialogs.all()) {
      if (wanted.get(d.id) === pairKey(d.members[0], d.members[1])) continue;
      this.dialogs.remove(d);
      repair.closed.push(d);
    }
    for (const d of dialogs) {
      if (this.dialogs.get(d.id) || d.a === d.b || !this.users.has(d.a) || !this.users.has(d.b)) continue;
      const other = this.dialogs.between(d.a, d.b);
      if (other) {
        this.dialogs.remove(other);
        repair.closed.push(other);
      }
      repair.opened.push(this.dialogs.add(d.id, d.a, d.b));
    }
    return repair;
  }

  /** Whether to reuse, refuse, or create (after storing the conversation) a dialog. */
  planOpen(requesterId: UserId, peerId: UserId): OpenPlan {
    if (requesterId === peerId) return { kind: "refused", error: "self_dialog" };
    const existing = this.dialogs.between(requesterId, peerId);
    if (existing) return { kind: "existing", dialog: existing };
    if (!this.users.has(peerId) || !this.users.has(requesterId)) return { kind: "refused", error: "peer_unavailable" };
    const max = this.options.maxDialogsPerUser;
    if (this.dialogs.countOf(requesterId) >= max || this.dialogs.countOf(peerId) >= max) {
      return { kind: "refused", error: "too_many_dialogs" };
    }
    return { kind: "create", members: [requesterId, peerId] };
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
    return this.users.has(userId);
  }

  profile(userId: UserId): UserProfile | undefined {
    return this.users.get(userId);
  }

  /** Everyone available, optionally without one user (the viewer never sees themselves). */
  available(excluding?: UserId): UserProfile[] {
    const all = [...this.users.values()];
    return excluding === undefined ? all : all.filter((u) => u.id !== excluding);
  }

  /** Sizes of the internal indexes, for leak checks. */
  stats(): { availableUsers: number; localUsers: number; openDialogs: number; usersWithDialogs: number } {
    return {
      availableUsers: this.users.size,
      localUsers: this.local.size,
      openDialogs: this.dialogs.size,
      usersWithDialogs: this.dialogs.indexedUsers,
    };
  }
}

export { peerOf };
export type { Dialog };
