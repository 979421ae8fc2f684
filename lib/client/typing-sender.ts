/**
 * Says "typing" for this tab, sparingly: on the first key, again at most every `TYPING.refreshMs`
 * while keys keep coming, and "stopped" `TYPING.idleMs` after the last one or when the text is
 * cleared. Sending the message ends it silently: the message itself ends "typing" where it arrives.
 */
import { TYPING } from "../contract/limits";

export class TypingSender {
  /** Per dialog: when "typing" was last said, and the timer that will say "stopped". */
  private readonly active = new Map<string, { saidAt: number; stop: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly say: (dialogId: string, typing: boolean) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The prompt's text changed. */
  changed(dialogId: string, text: string): void {
    if (text.trim() === "") {
      this.stop(dialogId, true);
      return;
    }
    const current = this.active.get(dialogId);
    const now = this.now();
    const refresh = !current || now - current.saidAt >= TYPING.refreshMs;
    if (refresh) this.say(dialogId, true);
    if (current) clearTimeout(current.stop);
    this.active.set(dialogId, {
      saidAt: refresh ? now : current.saidAt,
      stop: setTimeout(() => this.stop(dialogId, true), TYPING.idleMs),
    });
  }

  /** Ends "typing" in a dialog; `tell` says "stopped" to the peer (not needed when a message follows). */
  stop(dialogId: string, tell: boolean): void {
    const current = this.active.get(dialogId);
    if (!current) return;
    clearTimeout(current.stop);
    this.active.delete(dialogId);
    if (tell) this.say(dialogId, false);
  }

  /** Forgets everything without a word (a new connection; the server relayed nothing stale). */
  reset(): void {
    for (const { stop } of this.active.values()) clearTimeout(stop);
    this.active.clear();
  }
}
