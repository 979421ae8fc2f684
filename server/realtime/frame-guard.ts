/**
 * The events' token bucket is charged after Socket.IO has decoded a frame, and unknown events are
 * never charged at all; decoding is work too. This guard counts every frame and its size per user on
 * this node, before decoding, and closes the connection of a user who sends far more than the event
 * limiter could ever let through (frameBudget). The client reconnects, and reconnecting costs
 * tokens, so a flood of garbage frames is bounded like everything else.
 */
import { frameBudget } from "../core/event-costs";
import type { BucketRule } from "../core/token-bucket";
import type { Logger } from "../logger";
import { MemoryBuckets } from "../rate-limits";
import type { IoSocket } from "./types";

export class FrameGuard {
  private readonly frames: MemoryBuckets;
  private readonly bytes: MemoryBuckets;

  constructor(
    events: BucketRule,
    private readonly logger: Logger,
  ) {
    const budget = frameBudget(events);
    this.frames = new MemoryBuckets(budget.frames);
    this.bytes = new MemoryBuckets(budget.bytes);
  }

  watch(socket: IoSocket): void {
    const userId = socket.data.userId;
    const onPacket = (packet: { type: string; data?: unknown }) => {
      if (packet.type !== "message") return;
      const { data } = packet;
      const size = typeof data === "string" ? data.length : Buffer.isBuffer(data) ? data.byteLength : 0;
      if (this.frames.takeNow(userId, 1).allowed && this.bytes.takeNow(userId, size).allowed) return;
      socket.conn.off("packet", onPacket);
      this.logger.warn({ userId, socketId: socket.id }, "connection closed: frames far beyond the event limit");
      // A transport close, not a sign-out: the client reconnects (paying the connect cost).
      socket.conn.close();
    };
    socket.conn.on("packet", onPacket);
  }
}
