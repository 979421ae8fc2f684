/**
 * Records every server-to-client event of one socket from the moment it is created, so a test can
 * wait for an event that may already have arrived, and assert on what did (or did not) arrive.
 */
import type { Socket } from "socket.io-client";
import type { MessageView, ServerToClientEvents } from "../../lib/contract/events";

export type EventName = keyof ServerToClientEvents;
export type Payload<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];

/**
 * `message:acked` is not an event: it is a stored message this socket sent, as its ack returned it,
 * logged at arrival. The server sends the sending socket no `message:new` for it: the ack is how that
 * tab is shown its own message.
 */
export type LoggedName = EventName | "message:acked";

export interface LoggedEvent {
  event: LoggedName;
  payload: unknown;
}

export class EventLog {
  readonly entries: LoggedEvent[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(socket: Socket<ServerToClientEvents, never>) {
    socket.onAny((event: EventName, payload: unknown) => {
      this.entries.push({ event, payload });
      for (const wake of [...this.waiters]) wake();
    });
  }

  /** Logs a message this socket sent, from its ack (see LoggedName). */
  acked(message: MessageView): void {
    this.entries.push({ event: "message:acked", payload: message });
    for (const wake of [...this.waiters]) wake();
  }

  /** Every message this socket has been shown (`message:new` and its own sends' acks), in arrival order. */
  messages(since = 0): MessageView[] {
    return this.entries
      .slice(since)
      .filter((e) => e.event === "message:new" || e.event === "message:acked")
      .map((e) => e.payload as MessageView);
  }

  /** The first message this socket was shown (see `messages`) that matches, now or within `ms`. */
  waitForMessage(match: (m: MessageView) => boolean, what: string, { since = 0, ms = 10_000 } = {}): Promise<MessageView> {
    return this.until(() => this.messages(since).some(match), what, ms).then(() => this.messages(since).find(match)!);
  }

  /** A position in the log; pass it as `since` to look only at later events. */
  mark(): number {
    return this.entries.length;
  }

  /** Payloads of one event, in arrival order, optionally only those after a mark. */
  of<E extends EventName>(event: E, since = 0): Payload<E>[] {
    return this.entries
      .slice(since)
      .filter((e) => e.event === event)
      .map((e) => e.payload as Payload<E>);
  }

  /**
   * The first payload of `event` (after `since`) that satisfies `match`, whether it has already
   * arrived or arrives within `ms`.
   */
  waitFor<E extends EventName>(
    event: E,
    match: (payload: Payload<E>) => boolean = () => true,
    { since = 0, ms = 10_000 }: { since?: number; ms?: number } = {},
  ): Promise<Payload<E>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.of(event, since).find(match);
        if (found === undefined) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${ms} ms waiting for a matching ${event}`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      const wake = () => void check();
      this.waiters.add(wake);
      check();
    });
  }

  /** Resolves when `predicate` holds over the log (re-checked on every new event), rejects after `ms`. */
  until(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      const wake = () => {
        if (!predicate()) return;
        done();
        resolve();
      };
      this.waiters.add(wake);
      wake();
    });
  }
}
