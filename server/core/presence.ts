/**
 * Who is available. A user is available while at least one of their connections is open, and for a
 * grace period after the last one closes, so a page reload does not make them flap offline and online
 * for everyone. Pure state: the caller supplies the time and asks when to call `expire` next.
 */
import { Deadlines } from "./deadlines";
import type { ConnectionId, UserId, UserProfile } from "./types";

interface Entry {
  profile: UserProfile;
  connections: Set<ConnectionId>;
}

export class Presence {
  private readonly entries = new Map<UserId, Entry>();
  /**
   * Users with a pending offline moment, by that moment. Usually few; all of a node's users when its
   * connections drop together, so the earliest is kept in order, not searched for (./deadlines.ts).
   */
  private readonly inGrace = new Deadlines<UserId>();

  constructor(private readonly graceMs: number) {}

  /** Returns true when this connection made the user available (they were not before). */
  connect(profile: UserProfile, connectionId: ConnectionId): boolean {
    const entry = this.entries.get(profile.id);
    if (entry) {
      entry.connections.add(connectionId);
      this.inGrace.delete(profile.id);
      entry.profile = profile;
      return false;
    }
    this.entries.set(profile.id, { profile, connections: new Set([connectionId]) });
    return true;
  }

  /**
   * Forget one connection. With `immediate` (sign-out) a user left with no connection is gone at once;
   * otherwise they are held for the grace period. Returns the profile when the user went offline now.
   */
  disconnect(userId: UserId, connectionId: ConnectionId, now: number, immediate: boolean): UserProfile | null {
    const entry = this.entries.get(userId);
    if (!entry || !entry.connections.delete(connectionId) || entry.connections.size > 0) return null;
    if (immediate) {
      this.entries.delete(userId);
      this.inGrace.delete(userId);
      return entry.profile;
    }
    this.inGrace.set(userId, now + this.graceMs);
    return null;
  }

  /**
   * Hold a user who has no connection on this server yet (e.g. a dialog restored after a restart):
   * they count as available for `holdMs` (one grace period by default), then expire unless they connect.
   */
  hold(profile: UserProfile, now: number, holdMs = this.graceMs): void {
    if (this.entries.has(profile.id)) return;
    this.entries.set(profile.id, { profile, connections: new Set() });
    this.inGrace.set(profile.id, now + holdMs);
  }

  /** Declare offline every user whose grace period has run out; returns them. */
  expire(now: number): UserProfile[] {
    const gone: UserProfile[] = [];
    // A user in grace has no connection (connecting takes them out of it).
    for (const id of this.inGrace.due(now)) {
      const entry = this.entries.get(id);
      if (!entry) continue;
      this.entries.delete(id);
      gone.push(entry.profile);
    }
    return gone;
  }

  /** The earliest pending offline moment, or null when nobody is in a grace period. */
  nextExpiry(): number | null {
    return this.inGrace.next();
  }

  isAvailable(userId: UserId): boolean {
    return this.entries.has(userId);
  }

  profile(userId: UserId): UserProfile | undefined {
    return this.entries.get(userId)?.profile;
  }

  connectionCount(userId: UserId): number {
    return this.entries.get(userId)?.connections.size ?? 0;
  }

  available(): UserProfile[] {
    return [...this.entries.values()].map((e) => e.profile);
  }

  get size(): number {
    return this.entries.size;
  }
}
