/**
 * The messenger's client protocol, independent of React: turns server events into state, sends each
 * conversation's messages one at a time with acknowledgement and retries (the idempotency key makes
 * a retry harmless, and sending in turn keeps your messages in the order you typed them), and catches
 * up after every (re)connect. The browser hook, the tests and the benchmark all drive this class.
 */
import { ERROR_TEXT, type ErrorCode } from "../contract/errors";
import type { ClientToServerEvents, MessagePage, MessageView, ServerToClientEvents } from "../contract/events";
import { checkMessageBody } from "../contract/message-rules";
import type { Socket } from "socket.io-client";
import { contiguousSeq } from "./message-list-merge";
import { request, type RequestReply } from "./request";
import { MessengerStore } from "./messenger-store";
import { ReadReporter } from "./read-reporter";
import { TypingSender } from "./typing-sender";

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type SendOutcome = { ok: true; clientKey: string } | { ok: false; error: ErrorCode };

export const ACK_TIMEOUT_MS = 5000;
/** How long to wait before asking again after the server said `rate_limited`. */
export const RATE_LIMITED_RETRY_MS = 1000;
/** A message not acknowledged this long after it was typed is shown as failed, with a retry. */
export const SEND_DEADLINE_MS = 8_000;
const HISTORY_PAGE = 50;
/** How often a history request the person did not repeat is tried again by itself. */
const MAX_RETRIES = 5;

export interface ClientHooks {
  /** The session is gone (signed out here or in another tab, or refused): go to sign-in. */
  onSignedOut?: () => void;
  /** A message from someone else just arrived (not history, not a catch-up). */
  onMessage?: (message: MessageView) => void;
  now?: () => number;
  newKey?: () => string;
}

/** Refusals that say "not now" rather than "never": the request is worth making again. */
const transient = (error: ErrorCode) => error === "rate_limited" || error === "internal";

/** The wait before the n-th retry (from 0): RATE_LIMITED_RETRY_MS, doubling, at most 30 s. */
function retryDelay(n: number): number {
  return Math.min(RATE_LIMITED_RETRY_MS * 2 ** n, 30_000);
}

/** Runs `again` after the attempt's delay, for the first few attempts (then a person's next action asks). */
function retryLater(attempt: number, again: () => void): void {
  if (attempt < MAX_RETRIES) setTimeout(again, retryDelay(attempt));
}

const defaultKey = () => globalThis.crypto.randomUUID().replace(/-/g, "");

export class MessengerClient {
  readonly store = new MessengerStore();
  private readonly sending = new Set<string>();
  private readonly loadingOlder = new Set<string>();
  private readonly reads: ReadReporter;
  private readonly typingOut: TypingSender;
  private readonly now: () => number;
  private readonly newKey: () => string;

  constructor(
    readonly socket: ClientSocket,
    private readonly hooks: ClientHooks = {},
  ) {
    this.now = hooks.now ?? Date.now;
    this.newKey = hooks.newKey ?? defaultKey;
    this.reads = new ReadReporter(
      (dialogId, seq) =>
        request(this.socket, "dialog:read", { dialogId, seq }, ACK_TIMEOUT_MS).then(
          (res) => (res.ok ? res.read : null),
          () => null,
        ),
      (dialogId) => this.state.reads[dialogId]?.readSeq ?? 0,
      (read) => this.store.dispatch({ type: "read", read }),
    );
    this.typingOut = new TypingSender((dialogId, typing) => {
      if (this.socket.connected) this.socket.emit("dialog:typing", { dialogId, typing }, () => undefined);
    }, this.now);
    this.wire();
  }

  get state() {
    return this.store.getState();
  }

  openDialog(peerId: string): void {
    const existing = this.state.dialogs.find((d) => d.peer.id === peerId);
    if (existing && !existing.closed) {
      this.store.dispatch({ type: "focus", dialogId: existing.id });
      return;
    }
    this.reopen(peerId, () => {});
  }

  /** Asks the server for the dialog with this peer (new, or the open one) and shows it focused. */
  private reopen(peerId: string, then: (dialogId: string) => void): void {
    this.socket.emit("dialog:open", { peerId }, (res) => {
      if (!res.ok) {
        this.store.dispatch({ type: "notice", notice: { key: `error:${res.error}`, text: ERROR_TEXT[res.error] }, now: this.now() });
        return;
      }
      const known = this.state.dialogs.some((d) => d.id === res.dialog.id);
      this.store.dispatch({ type: "dialogOpened", dialog: res.dialog });
      this.store.dispatch({ type: "focus", dialogId: res.dialog.id });
      if (!known) this.loadNewest(res.dialog.id);
      else void this.catchUp([res.dialog.id]);
      this.loadReads([res.dialog.id]);
      then(res.dialog.id);
    });
  }

  /** Queues a message (shown as pending at once) unless its body breaks the rules. */
  send(dialogId: string, body: string): SendOutcome {
    const refused = checkMessageBody(body);
    if (refused) return { ok: false, error: refused };
    const clientKey = this.newKey();
    // The message itself ends "typing" on the peer's side when it arrives.
    this.typingOut.stop(dialogId, false);
    this.store.dispatch({ type: "queue", dialogId, message: { clientKey, body, status: "pending", queuedAt: this.now() } });
    void this.pump(dialogId);
    return { ok: true, clientKey };
  }

  /** Sends a failed message again; in an ended dialog, reopens the conversation first. */
  retry(dialogId: string, clientKey: string): void {
    const dialog = this.state.dialogs.find((d) => d.id === dialogId);
    if (!dialog) return;
    this.store.dispatch({ type: "retry", dialogId, clientKey, queuedAt: this.now() });
    if (dialog.closed) this.reopen(dialog.peer.id, (id) => void this.pump(id));
    else void this.pump(dialogId);
  }

  /** Brings a dialog's pane into view with its prompt focused (e.g. from a notification). */
  focus(dialogId: string): void {
    this.store.dispatch({ type: "focus", dialogId });
  }

  /** Closes the pane in this tab only; the conversation stays open, and comes back when the peer writes. */
  hide(dialogId: string): void {
    this.typingOut.stop(dialogId, true);
    this.store.dispatch({ type: "hide", dialogId });
  }

  /** This tab has shown the conversation up to `seq` to a person looking at it (visible, focused): that is read. */
  markShown(dialogId: string, seq: number): void {
    const dialog = this.state.dialogs.find((d) => d.id === dialogId);
    if (!dialog || dialog.closed || seq <= 0) return;
    this.store.dispatch({ type: "shown", dialogId, seq });
    if (this.socket.connected) this.reads.report(dialogId, seq);
  }

  /** Call on every change of a prompt's text: tells the peer you are typing, sparingly. */
  typing(dialogId: string, text: string): void {
    this.typingOut.changed(dialogId, text);
  }

  /** The person is reading the notices (true) or stopped (false): they do not expire meanwhile. */
  holdNotices(held: boolean): void {
    this.store.dispatch({ type: "holdNotices", held, now: this.now() });
  }

  discard(dialogId: string, clientKey: string): void {
    this.store.dispatch({ type: "discard", dialogId, clientKey });
  }

  /** Asks for the page before the first message held (the person scrolled up to it). */
  loadOlder(dialogId: string): void {
    this.pageOlder(dialogId, 0);
  }

  private pageOlder(dialogId: string, attempt: number): void {
    const d = this.state.dialogs.find((x) => x.id === dialogId);
    const first = d?.messages[0];
    if (!d || d.closed || !first || !d.hasOlder || this.loadingOlder.has(dialogId)) return;
    this.loadingOlder.add(dialogId);
    void this.historyPage({ dialogId, beforeSeq: first.seq, limit: HISTORY_PAGE }).then((done) => {
      this.loadingOlder.delete(dialogId);
      // The pane that asked may not ask again by itself (nothing to scroll yet): try again later.
      if (!done) retryLater(attempt, () => this.pageOlder(dialogId, attempt + 1));
    });
  }

  /** Pending messages past their deadline become failed, notices and "typing" expire; call about once a second. */
  checkDeadlines(): void {
    const now = this.now();
    this.store.dispatch({ type: "tick", now });
    for (const d of this.state.dialogs) {
      for (const o of d.outbox) {
        if (o.status === "pending" && now - o.queuedAt > SEND_DEADLINE_MS) {
          this.store.dispatch({
            type: "failed",
            dialogId: d.id,
            clientKey: o.clientKey,
            error: this.socket.connected ? "internal" : "offline",
          });
        }
      }
    }
  }

  /** Ends this browser session on the server (its cookie opens nothing any more, in any tab), then resolves. */
  async signOut(): Promise<void> {
    if (!this.socket.connected) return;
    await request(this.socket, "session:signout", {}, 2000).catch(() => undefined);
  }

  /** Ends every session of this user, on every device; resolves true once the server has done it. */
  async signOutEverywhere(): Promise<boolean> {
    if (!this.socket.connected) return false;
    const res = await request(this.socket, "session:signout-everywhere", {}, ACK_TIMEOUT_MS).catch(() => null);
    return res?.ok ?? false;
  }

  close(): void {
    this.typingOut.reset();
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }

  private wire(): void {
    const { socket, store } = this;
    socket.on("session:welcome", (welcome) => {
      store.dispatch({ type: "welcome", welcome, now: this.now() });
      this.typingOut.reset();
      void this.catchUp();
      this.loadReads();
      for (const d of store.getState().dialogs) void this.pump(d.id);
    });
    socket.on("presence:delta", (delta) => store.dispatch({ type: "presence", delta }));
    socket.on("dialog:opened", ({ dialog }) => {
      const known = store.getState().dialogs.some((d) => d.id === dialog.id);
      store.dispatch({ type: "dialogOpened", dialog });
      if (!known) {
        this.loadNewest(dialog.id);
        this.loadReads([dialog.id]);
      }
    });
    socket.on("dialog:closed", ({ dialogId, reason, peer }) =>
      store.dispatch({
        type: "dialogClosed",
        dialogId,
        text:
          reason === "peer_offline"
            ? `${peer.name} went offline. The conversation was closed.`
            : `Your conversation with ${peer.name} has ended.`,
        now: this.now(),
      }),
    );
    socket.on("message:new", (message) => {
      store.dispatch({ type: "messages", dialogId: message.dialogId, messages: [message], live: true });
      if (message.senderId !== store.getState().self?.id) this.hooks.onMessage?.(message);
    });
    socket.on("dialog:read", (read) => store.dispatch({ type: "read", read }));
    socket.on("dialog:seen", ({ dialogId, seq }) => store.dispatch({ type: "seen", dialogId, seq }));
    socket.on("dialog:typing", ({ dialogId, typing }) => store.dispatch({ type: "typing", dialogId, typing, now: this.now() }));
    socket.on("server:shutdown", () => store.dispatch({ type: "status", status: "reconnecting" }));
    socket.on("session:catch-up", () => void this.catchUp());
    socket.on("disconnect", (reason) => {
      // The server ends a socket itself only when this browser session signed out (maybe in another tab).
      if (reason === "io server disconnect") {
        store.dispatch({ type: "status", status: "signed_out" });
        this.hooks.onSignedOut?.();
      } else store.dispatch({ type: "status", status: "reconnecting" });
    });
    socket.on("connect_error", (err) => {
      const code = (err as Error & { data?: { code?: string } }).data?.code;
      if (code === "unauthorized") {
        store.dispatch({ type: "status", status: "signed_out" });
        this.hooks.onSignedOut?.();
      } else store.dispatch({ type: "status", status: code === "too_many_connections" ? "refused" : "reconnecting" });
    });
  }

  /**
   * Read state from the server: of the named dialogs, or (after a (re)connect) of every open one and
   * every conversation with unread messages. Positions this tab showed meanwhile are sent again.
   */
  private loadReads(dialogIds?: string[], attempt = 0): void {
    // Refused for being too fast, or unanswered: tried again a little later (counts matter, not at once).
    const again = () => {
      if (attempt < 3 && this.socket.connected) setTimeout(() => this.loadReads(dialogIds, attempt + 1), 1000 * (attempt + 1));
    };
    request(this.socket, "dialog:read-state", dialogIds ? { dialogIds } : {}, ACK_TIMEOUT_MS).then((res) => {
      if (!res.ok) {
        if (res.error === "rate_limited") again();
        return;
      }
      this.store.dispatch({ type: "reads", conversations: res.conversations, complete: !dialogIds });
      for (const d of this.state.dialogs) if (d.shownSeq > (this.state.reads[d.id]?.readSeq ?? 0)) this.markShown(d.id, d.shownSeq);
    }, again);
  }

  /** The newest page of a dialog this tab holds nothing of yet. */
  private loadNewest(dialogId: string, attempt = 0): void {
    const wanted = () => this.state.dialogs.some((d) => d.id === dialogId && !d.closed && !d.loaded);
    void this.historyPage({ dialogId, limit: HISTORY_PAGE }).then((done) => {
      // Lost with its connection: the next welcome's catch-up asks again. Refused for now, or
      // unanswered on a live connection: asked again here.
      if (!done && this.socket.connected) retryLater(attempt, () => wanted() && this.loadNewest(dialogId, attempt + 1));
    });
  }

  /**
   * One page of a dialog's history, into the state. True when that is settled: the page came, or was
   * refused for a reason asking again cannot change. A request, not a plain ack: an answer lost with
   * its connection ends the wait (a plain ack would wait forever, and this tab never ask again).
   */
  private async historyPage(input: { dialogId: string; beforeSeq?: number; limit: number }): Promise<boolean> {
    const res = await request(this.socket, "dialog:history", input, ACK_TIMEOUT_MS).catch(() => null);
    if (res?.ok) this.store.dispatch({ type: "page", dialogId: input.dialogId, page: res });
    return res !== null && (res.ok || !transient(res.error));
  }

  /** After a (re)connect: everything after the last gap-free message of each dialog; the newest page for empty ones. */
  private async catchUp(only?: string[]): Promise<void> {
    const dialogs = this.state.dialogs.filter((d) => !d.closed && (!only || only.includes(d.id)));
    for (const d of dialogs) if (d.messages.length === 0) this.loadNewest(d.id);
    let pending = dialogs.filter((d) => d.messages.length > 0).map((d) => ({ dialogId: d.id, afterSeq: contiguousSeq(d.messages) }));
    let failures = 0;
    while (pending.length > 0 && this.socket.connected) {
      const res = await request(this.socket, "dialog:sync", { dialogs: pending }, ACK_TIMEOUT_MS).catch(() => null);
      // Refused for now, or no answer in time on a live connection (a busy server): ask again a
      // little later, later each time; a gap left unfilled would stay until the next reconnect. A lost
      // connection ends this loop, and the next welcome starts another.
      if (!res || (!res.ok && transient(res.error))) {
        await new Promise((r) => setTimeout(r, retryDelay(failures++)));
        continue;
      }
      if (!res.ok) return;
      failures = 0;
      const asked = new Map(pending.map((p) => [p.dialogId, p.afterSeq]));
      const again: typeof pending = [];
      for (const [dialogId, page] of Object.entries<MessagePage>(res.pages)) {
        this.store.dispatch({ type: "page", dialogId, page });
        // An answer is bounded: `more` (even on an empty page, for a dialog it had no room for) means ask again.
        const from = page.messages[page.messages.length - 1]?.seq ?? asked.get(dialogId);
        if (page.more && from !== undefined) again.push({ dialogId, afterSeq: from });
      }
      pending = again;
    }
  }

  /**
   * Sends a dialog's pending messages in order, one at a time. An unanswered send is repeated with the
   * same key (the server answers with the original if it was stored); a disconnect pauses the queue
   * until the next welcome.
   */
  private async pump(dialogId: string): Promise<void> {
    if (this.sending.has(dialogId)) return;
    this.sending.add(dialogId);
    try {
      for (;;) {
        const dialog = this.state.dialogs.find((d) => d.id === dialogId);
        const head = dialog?.closed ? undefined : dialog?.outbox.find((o) => o.status === "pending");
        if (!head || !this.socket.connected) return;
        let res: RequestReply<"message:send">;
        try {
          res = await request(this.socket, "message:send", { dialogId, clientKey: head.clientKey, body: head.body }, ACK_TIMEOUT_MS);
        } catch {
          continue;
        }
        if (res.ok) this.store.dispatch({ type: "sent", dialogId, message: res.message });
        else if (res.error === "rate_limited") await new Promise((r) => setTimeout(r, 1000));
        else this.store.dispatch({ type: "failed", dialogId, clientKey: head.clientKey, error: res.error });
      }
    } finally {
      this.sending.delete(dialogId);
    }
  }
}
