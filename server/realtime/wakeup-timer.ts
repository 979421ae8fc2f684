/** The node service's Wakeups port: one timer, re-armed to the moment the service asks for. */
import type { Wakeups } from "../core/node-ports";
import type { Clock } from "../core/types";

export class WakeupTimer implements Wakeups {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly onWake: () => void,
  ) {}

  wakeAt(at: number | null): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = at === null ? null : setTimeout(this.onWake, Math.max(0, at - this.clock.now()));
  }
}
