/**
 * Open sockets outlive the handshake that checked their session. Every SESSION_RECHECK_MS each node
 * asks storage which of its sockets' sessions are still live (chunked, indexed), and disconnects the
 * rest: a session revoked by a node that crashed before reaching its sockets, a session past its
 * expiry, a user deleted from the database. Sign-out and sign-out-everywhere do not wait for this;
 * they end their sockets at once (node.endSession, on every node).
 */
import type { RealtimeContext } from "./context";

/** How often ended sessions' rows are deleted (they are refused anyway; this keeps the table small). */
const PURGE_EVERY_MS = 3600_000;

export class SessionRecheck {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private purgeAt = 0;

  constructor(
    private readonly ctx: RealtimeContext,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.run(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass; returns how many sessions' sockets were ended. */
  async run(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const now = this.ctx.clock.now();
      if (now >= this.purgeAt) {
        this.purgeAt = now + PURGE_EVERY_MS;
        const purged = await this.ctx.sessions.deleteExpired();
        if (purged > 0) this.ctx.logger.info({ sessions: purged }, "deleted ended sessions");
      }
      const sockets = [...this.ctx.io.of("/").sockets.values()];
      if (sockets.length === 0) return 0;
      const live = await this.ctx.sessions.stillLive([...new Set(sockets.map((s) => s.data.sessionId))]);
      const over = new Map<string, string>(); // session -> user
      for (const s of sockets) if (!live.has(s.data.sessionId) && s.connected) over.set(s.data.sessionId, s.data.userId);
      for (const [sessionId, userId] of over) {
        // Its sockets end here at once (and on other nodes, which would find them on their next pass).
        this.ctx.node
          .endSession(userId, sessionId)
          .catch((err: unknown) => this.ctx.logger.error({ err, userId }, "could not end a session"));
      }
      if (over.size > 0) this.ctx.logger.info({ sessions: over.size }, "ended sockets whose session is over");
      return over.size;
    } catch (err) {
      this.ctx.logger.error({ err }, "session re-check failed");
      return 0;
    } finally {
      this.running = false;
    }
  }
}
