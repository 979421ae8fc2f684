/**
 * Follows the cluster's event log (a Redis stream) on its own connection: a blocking read from the
 * last entry seen, so a dropped connection resumes where it stopped instead of losing events. Each
 * entry carries its position (epoch, seq); repeats and jumps are the node service's business.
 */
import type { createClient } from "redis";
import type { ClusterEvent, Position } from "../core/cluster-bus";
import type { Logger } from "../logger";
import { pairsOf } from "./redis-replies";

type Redis = ReturnType<typeof createClient>;
type Entry = [id: string, fields: string[]];
type Reply = [stream: string, entries: Entry[]][] | null;

const BLOCK_MS = 1000;
const BATCH = 1000;
const RETRY_MS = 200;

export class EventLogReader {
  private cursor = "0-0";
  private running = false;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly logger: Logger,
    private readonly deliver: (event: ClusterEvent, at: Position) => void,
  ) {}

  /** Reads on from this stream id (a snapshot's): what came before it is in the snapshot. */
  moveTo(id: string): void {
    this.cursor = id;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.running = false;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let reply: Reply;
      try {
        reply = await this.redis.sendCommand<Reply>([
          "XREAD",
          "COUNT",
          String(BATCH),
          "BLOCK",
          String(BLOCK_MS),
          "STREAMS",
          this.key,
          this.cursor,
        ]);
      } catch (err) {
        if (this.stopped()) return;
        this.logger.warn({ err }, "reading the cluster's event log failed; retrying");
        await new Promise((r) => setTimeout(r, RETRY_MS));
        continue;
      }
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          this.cursor = id;
          this.handle(id, fields);
        }
      }
    }
  }

  /** A method, not the field: the loop's condition would narrow the field for the type checker. */
  private stopped(): boolean {
    return !this.running;
  }

  private handle(id: string, fields: string[]): void {
    const f = new Map(pairsOf(fields));
    const epoch = f.get("e");
    const seq = Number(f.get("s"));
    const value = f.get("v");
    if (epoch === undefined || !Number.isInteger(seq) || value === undefined) {
      this.logger.error({ id }, "malformed entry in the cluster's event log; skipped");
      return;
    }
    try {
      this.deliver(JSON.parse(value) as ClusterEvent, { epoch, seq });
    } catch (err) {
      this.logger.error({ err, id }, "applying an event of the cluster's log failed");
    }
  }
}
