"use client";
/** The one hook that owns the socket: a MessengerClient for this page, its state as React state. */
import { signOut as nextAuthSignOut } from "next-auth/react";
import { useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { io } from "socket.io-client";
import { ERROR_TEXT, type ErrorCode } from "@/lib/contract/errors";
import { LIMITS } from "@/lib/contract/limits";
import { MessengerClient, type ClientSocket } from "@/lib/client/messenger-client";
import { initialState } from "@/lib/client/messenger-state";
import { isAttentive } from "./hooks/use-attention";
import { notify } from "./hooks/use-notification-permission";

export type { SendOutcome } from "@/lib/client/messenger-client";

const toSignIn = () => void nextAuthSignOut({ callbackUrl: "/sign-in" });
const NOTIFIED_CHARS = 200;

/**
 * `keepAliveMs`: how often an open page reads its session, which slides its end (SESSION_IDLE_S)
 * forward, so a tab left open stays signed in while a forgotten cookie does not.
 */
export function useMessenger({ keepAliveMs }: { keepAliveMs: number }) {
  const [client, setClient] = useState<MessengerClient | null>(null);

  useEffect(() => {
    const socket: ClientSocket = io({ transports: ["websocket"], reconnectionDelay: 300, reconnectionDelayMax: 3000 });
    const c: MessengerClient = new MessengerClient(socket, {
      onSignedOut: toSignIn,
      // Someone wrote while you are looking elsewhere: a notification (if you turned them on), which
      // brings you to that conversation when clicked.
      onMessage: (m) => {
        if (!isAttentive()) notify(m.senderName, m.body.slice(0, NOTIFIED_CHARS), m.dialogId, () => c.focus(m.dialogId));
      },
    });
    // The socket is a side effect of mounting; its client reaches render through state, once.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setClient(c);
    const timer = setInterval(() => c.checkDeadlines(), 1000);
    const keepAlive = setInterval(() => void fetch("/api/auth/session", { cache: "no-store" }).catch(() => undefined), keepAliveMs);
    return () => {
      clearInterval(timer);
      clearInterval(keepAlive);
      c.close();
    };
  }, [keepAliveMs]);

  const state = useSyncExternalStore(
    (listener) => client?.store.subscribe(listener) ?? (() => {}),
    () => client?.state ?? initialState,
    () => initialState,
  );

  // Stable for the page's life (one client), so components can depend on them without re-running.
  const actions = useMemo(() => messengerActions(client), [client]);
  return { state, actions };
}

function messengerActions(client: MessengerClient | null) {
  return {
    openDialog: (peerId: string) => client?.openDialog(peerId),
    send: (dialogId: string, body: string) => client?.send(dialogId, body) ?? ({ ok: false, error: "internal" } as const),
    retry: (dialogId: string, clientKey: string) => client?.retry(dialogId, clientKey),
    discard: (dialogId: string, clientKey: string) => client?.discard(dialogId, clientKey),
    loadOlder: (dialogId: string) => client?.loadOlder(dialogId),
    hide: (dialogId: string) => client?.hide(dialogId),
    shown: (dialogId: string, seq: number) => client?.markShown(dialogId, seq),
    typing: (dialogId: string, text: string) => client?.typing(dialogId, text),
    dismissNotice: (id: number) => client?.store.dispatch({ type: "dismiss", id }),
    holdNotices: (held: boolean) => client?.holdNotices(held),
    signOut: () => {
      if (client) void client.signOut().then(toSignIn);
      else toSignIn();
    },
    signOutEverywhere: () => {
      if (client) void client.signOutEverywhere().then(toSignIn);
      else toSignIn();
    },
  };
}

export type MessengerActions = ReturnType<typeof messengerActions>;

export function errorText(code: ErrorCode | "offline"): string {
  if (code === "offline") return "Not sent: you are offline.";
  if (code === "message_too_long") return `That message is too long (the limit is ${LIMITS.messageMaxChars} characters).`;
  return ERROR_TEXT[code];
}
