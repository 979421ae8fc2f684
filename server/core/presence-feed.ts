/**
 * Coalesces presence changes into batches, so a login storm costs each client O(changes) events
 * instead of a full list per login. A batch carries every user touched since the last drain in their
 * final state; applying it is idempotent, so it is safe on top of a snapshot taken mid-batch.
 */
import type { UserId, UserProfile } from "./types";

export interface PresenceBatch {
  online: UserProfile[];
  offline: UserId[];
}

export class PresenceFeed {
  /** userId -> profile when last seen online in this batch, null when last seen going offline. */
  private readonly pending = new Map<UserId, UserProfile | null>();
  /** Counts changes, so a caller can tell whether anything happened since it last looked. */
  version = 0;

  online(profile: UserProfile): void {
    this.pending.set(profile.id, profile);
    this.version++;
  }

  offline(userId: UserId): void {
    this.pending.set(userId, null);
    this.version++;
  }

  get isEmpty(): boolean {
    return this.pending.size === 0;
  }

  drain(): PresenceBatch | null {
    if (this.pending.size === 0) return null;
    const batch: PresenceBatch = { online: [], offline: [] };
    for (const [id, profile] of this.pending) {
      if (profile) batch.online.push(profile);
      else batch.offline.push(id);
    }
    this.pending.clear();
    return batch;
  }
}
