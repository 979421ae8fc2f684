/**
 * Drives the core's time-based work: flushes coalesced presence batches to this node's clients every
 * PRESENCE_BATCH_MS, and wakes at the next grace-period deadline to report users who left this node.
 */
import type { Messenger } from "../core/messenger";
import type { Clock, UserProfile } from "../core/types";
import type { IoServer } from "./types";
import type { UserView } from "../../lib/contract/events";
import { userView } from "./views";

export class PresencePump {
  private flushTimer: NodeJS.Timeout | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt: number | null = null;
  private stopped = false;
  /** Everyone available, as views, cached until the next flush: the snapshot every new client gets. */
  private snapshotCache: UserView[] | null = null;

  constructor(
    private readonly io: IoServer,
    private readonly messenger: Messenger,
    private readonly clock: Clock,
    private readonly batchMs: number,
    private readonly onLeft: (user: UserProfile) => void,
  ) {}

  /** Call after anything that may have changed presence or deadlines. */
  poke(): void {
    if (this.stopped) return;
    if (!this.messenger.feed.isEmpty && !this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.batchMs);
    }
    const next = this.messenger.nextWakeAt();
    if (next !== this.wakeAt) {
      if (this.wakeTimer) clearTimeout(this.wakeTimer);
      this.wakeTimer = null;
      this.wakeAt = next;
      if (next !== null) this.wakeTimer = setTimeout(() => this.wake(), Math.max(0, next - this.clock.now()));
    }
  }

  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const batch = this.messenger.feed.drain();
    if (!batch) return;
    // A snapshot is only valid with the deltas after it: rebuild it on the next welcome.
    this.snapshotCache = null;
    // Every node tells its own clients; the replica it drains from is the same everywhere.
    this.io.local.emit("presence:delta", { online: batch.online.map(userView), offline: batch.offline });
  }

  /**
   * Who is available, for a new client's welcome. Cached between flushes, so a login storm does not
   * rebuild the list per connection. Any change since the cache was built is still in the feed, and
   * the next delta (which carries each touched user's final state) brings the client up to date.
   */
  snapshot(): UserView[] {
    this.snapshotCache ??= this.messenger.available().map(userView);
    return this.snapshotCache;
  }

  stop(): void {
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
  }

  private wake(): void {
    this.wakeTimer = null;
    this.wakeAt = null;
    for (const user of this.messenger.expire()) this.onLeft(user);
    this.poke();
  }
}
