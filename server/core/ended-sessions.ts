/**
 * Browser sessions that signed out, remembered for a while: their sockets' departures skip the grace
 * period. Long enough for every node to end the session's sockets; after that the cookie may sign in
 * again (revoking it for good is the handshake's business).
 */
import type { Clock } from "./types";

export class EndedSessions {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly memoryMs = 10_000,
  ) {}

  remember(sessionId: string): void {
    const now = this.clock.now();
    for (const [id, t] of this.until) if (t <= now) this.until.delete(id);
    this.until.set(sessionId, now + this.memoryMs);
  }

  has(sessionId: string): boolean {
    const t = this.until.get(sessionId);
    return t !== undefined && t > this.clock.now();
  }
}
