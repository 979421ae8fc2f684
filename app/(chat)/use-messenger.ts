"use client";
/**
 * The one hook that owns the socket: it turns server events into state changes, sends with
 * acknowledgement and retries (each message keeps its idempotency key, so a retry is never a
 * duplicate), and catches up after every (re)connect.
 */
import { signOut as nextAuthSignOut } from "next-auth/react";
import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from "react";
import { io, type Socket } from "socket.io-client";
import { ERROR_TEXT, type ErrorCode } from "@/lib/contract/errors";
import type { ClientToServerEvents, MessagePage, ServerToClientEvents } from "@/lib/contract/events";
import { LIMITS } from "@/lib/contract/limits";
import { checkMessageBody } from "@/lib/contract/message-rules";
import { contiguousSeq } from "./message-list-merge";
import { MessengerStore } from "./messenger-store";
import type { MessengerState } from "./messenger-state";

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const ACK_TIMEOUT_MS = 5000;
/** A message not acknowledged this long after it was typed is shown as failed, with a retry. */
export const SEND_DEADLINE_MS = 12_000;

export type SendOutcome = { ok: true } | { ok: false; error: ErrorCode };

export interface MessengerApi {
  state: MessengerState;
  openDialog(peerId: string): void;
  send(dialogId: string, body: string): SendOutcome;
  retry(dialogId: string, clientKey: string): void;
  discard(dialogId: string, clientKey: string): void;
  loadOlder(dialogId: string): void;
  dismissNotice(id: number): void;
  signOut(): void;
}

function newClientKey(): string {
  return crypto.randomUUID().replace(/-/g, "");
}

export function useMessenger(): MessengerApi {
  const store = useMemo(() => new MessengerStore(), []);
  const state = useSyncExternalStore(store.subscribe, store.getState, store.getState);
  const socketRef = useRef<ClientSocket | null>(null);
  const inFlight = useRef(new Set<string>());
  const loadingOlder = useRef(new Set<string>());

  const transmit = useCallback(
    async (dialogId: string, clientKey: string) => {
      if (inFlight.current.has(clientKey)) return;
      inFlight.current.add(clientKey);
      try {
        for (;;) {
          const socket = socketRef.current;
          const item = store.getState().dialogs.find((d) => d.id === dialogId)?.outbox.find((o) => o.clientKey === clientKey);
          // Gone (sent, discarded, dialog closed), given up on, or offline: the next welcome resends pending ones.
          if (!socket?.connected || !item || item.status !== "pending") return;
          let result;
          try {
            result = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("message:send", { dialogId, clientKey, body: item.body });
          } catch {
            continue; // no answer in time: same key again, the server answers with the original if it was stored
          }
          if (result.ok) store.dispatch({ type: "sent", dialogId, message: result.message });
          else if (result.error === "rate_limited") await new Promise((r) => setTimeout(r, 1000));
          else store.dispatch({ type: "failed", dialogId, clientKey, error: result.error });
          if (result.ok || result.error !== "rate_limited") return;
        }
      } finally {
        inFlight.current.delete(clientKey);
      }
    },
    [store],
  );

  const catchUp = useCallback(
    async (socket: ClientSocket) => {
      const { dialogs } = store.getState();
      const cursors = dialogs.filter((d) => d.messages.length > 0).map((d) => ({ dialogId: d.id, afterSeq: contiguousSeq(d.messages) }));
      for (const d of dialogs) {
        if (d.messages.length > 0) continue;
        socket.emit("dialog:history", { dialogId: d.id, limit: 50 }, (res) => {
          if (res.ok) store.dispatch({ type: "page", dialogId: d.id, page: res, direction: "older" });
        });
      }
      let pending = cursors;
      while (pending.length > 0 && socket.connected) {
        const res = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("dialog:sync", { dialogs: pending }).catch(() => null);
        if (!res?.ok) return;
        const again: typeof pending = [];
        for (const [dialogId, page] of Object.entries<MessagePage>(res.pages)) {
          store.dispatch({ type: "page", dialogId, page, direction: "newer" });
          const last = page.messages[page.messages.length - 1];
          if (page.more && last) again.push({ dialogId, afterSeq: last.seq });
        }
        pending = again;
      }
    },
    [store],
  );

  useEffect(() => {
    const socket: ClientSocket = io({ transports: ["websocket"], reconnectionDelay: 300, reconnectionDelayMax: 3000 });
    socketRef.current = socket;
    const goToSignIn = () => {
      store.dispatch({ type: "status", status: "signed_out" });
      void nextAuthSignOut({ callbackUrl: "/sign-in" });
    };

    socket.on("session:welcome", (welcome) => {
      store.dispatch({ type: "welcome", welcome });
      void catchUp(socket);
      for (const d of store.getState().dialogs) {
        for (const o of d.outbox) if (o.status === "pending") void transmit(d.id, o.clientKey);
      }
    });
    socket.on("presence:delta", (delta) => store.dispatch({ type: "presence", delta }));
    socket.on("dialog:opened", ({ dialog }) => {
      store.dispatch({ type: "dialogOpened", dialog });
      socket.emit("dialog:history", { dialogId: dialog.id, limit: 50 }, (res) => {
        if (res.ok) store.dispatch({ type: "page", dialogId: dialog.id, page: res, direction: "older" });
      });
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
      // The server ends a socket itself only when this browser signed out (maybe in another tab).
      if (reason === "io server disconnect") goToSignIn();
      else store.dispatch({ type: "status", status: "reconnecting" });
    });
    socket.on("connect_error", (err) => {
      const code = (err as Error & { data?: { code?: string } }).data?.code;
      if (code === "unauthorized") goToSignIn();
      else if (code === "too_many_connections") store.dispatch({ type: "status", status: "refused" });
      else store.dispatch({ type: "status", status: "reconnecting" });
    });
    return () => {
      socket.removeAllListeners();
      socket.disconnect();
      socketRef.current = null;
    };
  }, [store, catchUp, transmit]);

  // Pending messages past their deadline become failed (the user can retry); checked once a second.
  useEffect(() => {
    const timer = setInterval(() => {
      const now = Date.now();
      for (const d of store.getState().dialogs) {
        for (const o of d.outbox) {
          if (o.status === "pending" && now - o.queuedAt > SEND_DEADLINE_MS) {
            store.dispatch({ type: "failed", dialogId: d.id, clientKey: o.clientKey, error: socketRef.current?.connected ? "internal" : "offline" });
          }
        }
      }
    }, 1000);
    return () => clearInterval(timer);
  }, [store]);

  const openDialog = useCallback(
    (peerId: string) => {
      const existing = store.getState().dialogs.find((d) => d.peer.id === peerId);
      if (existing) return store.dispatch({ type: "focus", dialogId: existing.id });
      socketRef.current?.emit("dialog:open", { peerId }, (res) => {
        if (!res.ok) return store.dispatch({ type: "notice", text: errorText(res.error) });
        store.dispatch({ type: "dialogOpened", dialog: res.dialog });
        store.dispatch({ type: "focus", dialogId: res.dialog.id });
      });
    },
    [store],
  );

  const send = useCallback(
    (dialogId: string, body: string): SendOutcome => {
      const refused = checkMessageBody(body);
      if (refused) return { ok: false, error: refused };
      const clientKey = newClientKey();
      store.dispatch({ type: "queue", dialogId, message: { clientKey, body, status: "pending", queuedAt: Date.now() } });
      void transmit(dialogId, clientKey);
      return { ok: true };
    },
    [store, transmit],
  );

  const retry = useCallback(
    (dialogId: string, clientKey: string) => {
      store.dispatch({ type: "retry", dialogId, clientKey });
      void transmit(dialogId, clientKey);
    },
    [store, transmit],
  );

  const loadOlder = useCallback(
    (dialogId: string) => {
      const d = store.getState().dialogs.find((x) => x.id === dialogId);
      const first = d?.messages[0];
      if (!d || !first || !d.hasOlder || loadingOlder.current.has(dialogId)) return;
      loadingOlder.current.add(dialogId);
      socketRef.current?.emit("dialog:history", { dialogId, beforeSeq: first.seq, limit: 50 }, (res) => {
        loadingOlder.current.delete(dialogId);
        if (res.ok) store.dispatch({ type: "page", dialogId, page: res, direction: "older" });
      });
    },
    [store],
  );

  const signOut = useCallback(() => {
    const socket = socketRef.current;
    const done = () => void nextAuthSignOut({ callbackUrl: "/sign-in" });
    if (!socket?.connected) return done();
    socket.timeout(2000).emit("session:signout", {}, () => done());
  }, []);

  return {
    state,
    openDialog,
    send,
    retry,
    discard: (dialogId, clientKey) => store.dispatch({ type: "discard", dialogId, clientKey }),
    loadOlder,
    dismissNotice: (id) => store.dispatch({ type: "dismiss", id }),
    signOut,
  };
}

export function errorText(code: ErrorCode | "offline"): string {
  if (code === "offline") return "Not sent: you are offline.";
  if (code === "message_too_long") return `That message is too long (the limit is ${LIMITS.messageMaxChars} characters).`;
  return ERROR_TEXT[code];
}
