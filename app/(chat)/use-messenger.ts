"use client";
/** The one hook that owns the socket: a MessengerClient for this page, its state as React state. */
import { signOut as nextAuthSignOut } from "next-auth/react";
import { useEffect, useState, useSyncExternalStore } from "react";
import { io } from "socket.io-client";
import { ERROR_TEXT, type ErrorCode } from "@/lib/contract/errors";
import { LIMITS } from "@/lib/contract/limits";
import { MessengerClient, type ClientSocket } from "@/lib/client/messenger-client";
import { initialState } from "@/lib/client/messenger-state";

export type { SendOutcome } from "@/lib/client/messenger-client";

const toSignIn = () => void nextAuthSignOut({ callbackUrl: "/sign-in" });

export function useMessenger() {
  const [client, setClient] = useState<MessengerClient | null>(null);

  useEffect(() => {
    const socket: ClientSocket = io({ transports: ["websocket"], reconnectionDelay: 300, reconnectionDelayMax: 3000 });
    const c = new MessengerClient(socket, { onSignedOut: toSignIn });
    setClient(c);
    const timer = setInterval(() => c.checkDeadlines(), 1000);
    return () => {
      clearInterval(timer);
      c.close();
    };
  }, []);

  const state = useSyncExternalStore(
    (listener) => client?.store.subscribe(listener) ?? (() => {}),
    () => client?.state ?? initialState,
    () => initialState,
  );

  return {
    state,
    openDialog: (peerId: string) => client?.openDialog(peerId),
    send: (dialogId: string, body: string) => client?.send(dialogId, body) ?? ({ ok: false, error: "internal" } as const),
    retry: (dialogId: string, clientKey: string) => client?.retry(dialogId, clientKey),
    discard: (dialogId: string, clientKey: string) => client?.discard(dialogId, clientKey),
    loadOlder: (dialogId: string) => client?.loadOlder(dialogId),
    dismissNotice: (id: number) => client?.store.dispatch({ type: "dismiss", id }),
    signOut: () => void (client ? client.signOut().then(toSignIn) : toSignIn()),
  };
}

export function errorText(code: ErrorCode | "offline"): string {
  if (code === "offline") return "Not sent: you are offline.";
  if (code === "message_too_long") return `That message is too long (the limit is ${LIMITS.messageMaxChars} characters).`;
  return ERROR_TEXT[code];
}
