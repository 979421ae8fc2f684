"use client";

import { useEffect } from "react";
import { unreadCount } from "@/lib/client/read-state";
import type { MessengerState } from "@/lib/client/messenger-state";
import { useMessenger } from "../use-messenger";
import { Announcer } from "./announcer";
import { DialogPanel } from "./dialog-panel";
import { NotificationToggle } from "./notification-toggle";
import { Notices } from "./notices";
import { UserList } from "./user-list";

const STATUS_TEXT = {
  connecting: "Connecting…",
  connected: "Online",
  reconnecting: "Reconnecting…",
  signed_out: "Signed out",
  refused: "Too many open tabs: close one and reload.",
} as const;

/** Unread messages per conversation id, and per person (the list shows them on the person). */
function unreadTotals(state: MessengerState) {
  const byDialog = new Map<string, number>();
  const byPeer = new Map<string, number>();
  for (const [id, read] of Object.entries(state.reads)) {
    const d = state.dialogs.find((x) => x.id === id);
    const n = unreadCount(read, d?.messages ?? [], state.self?.id, d?.shownSeq);
    byDialog.set(id, n);
    byPeer.set(read.peer.id, (byPeer.get(read.peer.id) ?? 0) + n);
  }
  let total = 0;
  for (const n of byDialog.values()) total += n;
  return { byDialog, byPeer, total };
}

export function ChatShell({ selfName, keepAliveMs }: { selfName: string; keepAliveMs: number }) {
  const { state, actions: m } = useMessenger({ keepAliveMs });
  const openPeers = new Set(state.dialogs.filter((d) => !d.closed).map((d) => d.peer.id));
  const unread = unreadTotals(state);
  const selfId = state.self?.id ?? "";
  const visible = state.dialogs.filter((d) => !d.hidden);

  useEffect(() => {
    document.title = unread.total > 0 ? `(${unread.total}) Duo` : "Duo";
  }, [unread.total]);

  return (
    <div className="shell">
      <header className="topbar">
        <h1 className="brand">Duo</h1>
        <span className={`status status-${state.status}`} role="status" data-testid="connection-status">
          {STATUS_TEXT[state.status]}
        </span>
        <div className="topbar-actions">
          <NotificationToggle />
          <span className="me">
            <span className="me-label">Signed in as </span>
            <strong data-testid="self-name">{state.self?.name ?? selfName}</strong>
          </span>
          <button type="button" className="link" onClick={m.signOut}>
            Sign out
          </button>
          <button type="button" className="link" onClick={m.signOutEverywhere} title="Ends your sessions on every device and browser">
            Sign out everywhere
          </button>
        </div>
      </header>
      <aside className={state.status === "connected" ? "sidebar" : "sidebar stale"}>
        <UserList users={state.users} open={openPeers} unread={unread.byPeer} onPick={m.openDialog} ready={state.status === "connected"} />
      </aside>
      <main className="dialogs" id="conversations" tabIndex={-1} aria-label="Conversations">
        <Notices notices={state.notices} onDismiss={m.dismissNotice} onHold={m.holdNotices} />
        {visible.length === 0 && (
          <p className="empty-hint">
            {state.dialogs.length === 0
              ? "Pick someone from the list to start a conversation."
              : "Your conversations are closed. Pick someone from the list to open one again."}
          </p>
        )}
        {/* Closed panes stay mounted (hidden), so what you had typed is still there when they come back. */}
        {state.dialogs.length > 0 && (
          <div className="panes" hidden={visible.length === 0}>
            {state.dialogs.map((d) => (
              <DialogPanel
                key={d.id}
                dialog={d}
                selfId={selfId}
                selfName={state.self?.name ?? selfName}
                read={state.reads[d.id]}
                unread={unread.byDialog.get(d.id) ?? 0}
                peerTyping={state.typing[d.id] !== undefined}
                focusNonce={state.focus?.dialogId === d.id ? state.focus.nonce : 0}
                online={state.status === "connected"}
                messenger={m}
              />
            ))}
          </div>
        )}
      </main>
      <Announcer items={state.announcements} />
    </div>
  );
}
