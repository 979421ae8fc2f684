/**
 * The messenger's client protocol, independent of React: turns server events into state, sends each
 * conversation's messages one at a time with acknowledgement and retries (the idempotency key makes
 * a retry harmless, and sending in turn keeps your messages in the order you typed them), and catches
 * up after every (re)connect. The browser hook, the tests and the benchmark all drive this class.
 */
import { ERROR_TEXT, type ErrorCode } from "../contract/errors";
import type { ClientToServerEvents, MessagePage, ServerToClientEvents } from "../contract/events";
import { checkMessageBody } from "../contract/message-rules";
import type { Socket } from "socket.io-client";
import { contiguousSeq } from "./message-list-merge";
import { MessengerStore } from "./messenger-store";

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type SendOutcome = { ok: true; clientKey: string } | { ok: false; error: ErrorCode };

export const ACK_TIMEOUT_MS = 5000;
/** A message not acknowledged this long after it was typed is shown as failed, with a retry. */
export const SEND_DEADLINE_MS = 8_000;
const HISTORY_PAGE = 50;

export interface ClientHooks {
  /** The session is gone (signed out here or in another tab, or refused): go to sign-in. */
  onSignedOut?(): void;
  now?(): number;
  newKey?(): string;
}

const defaultKey = () => globalThis.crypto.randomUUID().replace(/-/g, "");

export class MessengerClient {
  readonly store = new MessengerStore();
  private readonly sending = new Set<string>();
  private readonly loadingOlder = new Set<string>();
  private readonly now: () => number;
  private readonly newKey: () => string;

  constructor(
    readonly socket: ClientSocket,
    private readonly hooks: ClientHooks = {},
  ) {
    this.now = hooks.now ?? Date.now;
    this.newKey = hooks.newKey ?? defaultKey;
    this.wire();
  }

  get state() {
    return this.store.getState();
  }

  openDialog(peerId: string): void {
    const existing = this.state.dialogs.find((d) => d.peer.id === peerId);
    if (existing && !existing.closed) return this.store.dispatch({ type: "focus", dialogId: existing.id });
    this.reopen(peerId, () => {});
  }

  /** Asks the server for the dialog with this peer (new, or the open one) and shows it focused. */
  private reopen(peerId: string, then: (dialogId: string) => void): void {
    this.socket.emit("dialog:open", { peerId }, (res) => {
      if (!res.ok) return this.store.dispatch({ type: "notice", text: ERROR_TEXT[res.error] });
      const known = this.state.dialogs.some((d) => d.id === res.dialog.id);
      this.store.dispatch({ type: "dialogOpened", dialog: res.dialog });
      this.store.dispatch({ type: "focus", dialogId: res.dialog.id });
      if (!known) this.loadNewest(res.dialog.id);
      else void this.catchUp([res.dialog.id]);
      then(res.dialog.id);
    });
  }

  /** Queues a message (shown as pending at once) unless its body breaks the rules. */
  send(dialogId: string, body: string): SendOutcome {
    const refused = checkMessageBody(body);
    if (refused) return { ok: false, error: refused };
    const clientKey = this.newKey();
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

  discard(dialogId: string, clientKey: string): void {
    this.store.dispatch({ type: "discard", dialogId, clientKey });
  }

  loadOlder(dialogId: string): void {
    const d = this.state.dialogs.find((x) => x.id === dialogId);
    const first = d?.messages[0];
    if (!d || !first || !d.hasOlder || this.loadingOlder.has(dialogId)) return;
    this.loadingOlder.add(dialogId);
    this.socket.emit("dialog:history", { dialogId, beforeSeq: first.seq, limit: HISTORY_PAGE }, (res) => {
      this.loadingOlder.delete(dialogId);
      if (res.ok) this.store.dispatch({ type: "page", dialogId, page: res, direction: "older" });
    });
  }

  /** Pending messages past their deadline become failed; call about once a second. */
  checkDeadlines(): void {
    const now = this.now();
    for (const d of this.state.dialogs) {
      for (const o of d.outbox) {
        if (o.status === "pending" && now - o.queuedAt > SEND_DEADLINE_MS) {
          this.store.dispatch({ type: "failed", dialogId: d.id, clientKey: o.clientKey, error: this.socket.connected ? "internal" : "offline" });
        }
      }
    }
  }

  /** Ends this browser session's sockets on the server (every tab), then resolves. */
  async signOut(): Promise<void> {
    if (!this.socket.connected) return;
    await this.socket.timeout(2000).emitWithAck("session:signout", {}).catch(() => undefined);
  }

  close(): void {
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }

  private wire(): void {
    const { socket, store } = this;
    socket.on("session:welcome", (welcome) => {
      store.dispatch({ type: "welcome", welcome });
      void this.catchUp();
      for (const d of store.getState().dialogs) void this.pump(d.id);
    });
    socket.on("presence:delta", (delta) => store.dispatch({ type: "presence", delta }));
    socket.on("dialog:opened", ({ dialog }) => {
      const known = store.getState().dialogs.some((d) => d.id === dialog.id);
      store.dispatch({ type: "dialogOpened", dialog });
      if (!known) this.loadNewest(dialog.id);
    });
    socket.on("dialog:closed", ({ dialogId, reason, peer }) =>
      store.dispatch({
        type: "dialogClosed",
        dialogId,
        text: reason === "peer_offline" ? `${peer.name} went offline. The conversation was closed.` : `Your conversation with ${peer.name} has ended.`,
      }),
    );
    socket.on("message:new", (message) => store.dispatch({ type: "messages", dialogId: message.dialogId, messages: [message] }));
    socket.on("server:shutdown", () => store.dispatch({ type: "status", status: "reconnecting" }));
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

  private loadNewest(dialogId: string): void {
    this.socket.emit("dialog:history", { dialogId, limit: HISTORY_PAGE }, (res) => {
      if (res.ok) this.store.dispatch({ type: "page", dialogId, page: res, direction: "older" });
    });
  }

  /** After a (re)connect: everything after the last gap-free message of each dialog; the newest page for empty ones. */
  private async catchUp(only?: string[]): Promise<void> {
    const dialogs = this.state.dialogs.filter((d) => !d.closed && (!only || only.includes(d.id)));
    for (const d of dialogs) if (d.messages.length === 0) this.loadNewest(d.id);
    let pending = dialogs.filter((d) => d.messages.length > 0).map((d) => ({ dialogId: d.id, afterSeq: contiguousSeq(d.messages) }));
    while (pending.length > 0 && this.socket.connected) {
      const res = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("dialog:sync", { dialogs: pending }).catch(() => null);
      if (!res?.ok) return;
      const again: typeof pending = [];
      for (const [dialogId, page] of Object.entries<MessagePage>(res.pages)) {
        this.store.dispatch({ type: "page", dialogId, page, direction: "newer" });
        const last = page.messages[page.messages.length - 1];
        if (page.more && last) again.push({ dialogId, afterSeq: last.seq });
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
        let res;
        try {
          res = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("message:send", { dialogId, clientKey: head.clientKey, body: head.body });
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
