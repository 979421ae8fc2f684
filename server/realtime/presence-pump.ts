/**
 * Drives the core's time-based work: flushes coalesced presence batches to this node's clients every
 * PRESENCE_BATCH_MS, and wakes at the next grace-period deadline to report users who left this node.
 */
import type { Messenger } from "../core/messenger";
import type { Clock, UserProfile } from "../core/types";
import type { IoServer } from "./types";
import { userView } from "./views";

export class PresencePump {
  private flushTimer: NodeJS.Timeout | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt: number | null = null;
  private stopped = false;

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
    // Every node tells its own clients; the replica it drains from is the same everywhere.
    if (batch) this.io.local.emit("presence:delta", { online: batch.online.map(userView), offline: batch.offline });
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
