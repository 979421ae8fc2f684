/**
 * Reports read positions to the server: one request per dialog at a time; positions shown meanwhile
 * wait, and only the newest of them is sent when the answer comes. Nothing at or below the position
 * the server already holds is sent.
 */
import type { ReadView } from "../contract/events";

export class ReadReporter {
  private readonly inFlight = new Set<string>();
  private readonly waiting = new Map<string, number>();

  constructor(
    /** Sends one position; resolves with the server's answer, or null when there was none. */
    private readonly send: (dialogId: string, seq: number) => Promise<ReadView | null>,
    /** The position the server is known to hold. */
    private readonly held: (dialogId: string) => number,
    private readonly answered: (read: ReadView) => void,
  ) {}

  report(dialogId: string, seq: number): void {
    if (seq <= this.held(dialogId)) return;
    if (this.inFlight.has(dialogId)) {
      if (seq > (this.waiting.get(dialogId) ?? 0)) this.waiting.set(dialogId, seq);
      return;
    }
    this.inFlight.add(dialogId);
    void this.send(dialogId, seq)
      .then((read) => {
        if (read) this.answered(read);
      })
      .finally(() => {
        this.inFlight.delete(dialogId);
        const next = this.waiting.get(dialogId);
        this.waiting.delete(dialogId);
        if (next !== undefined) this.report(dialogId, next);
      });
  }
}
