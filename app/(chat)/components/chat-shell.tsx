"use client";

import { useMessenger } from "../use-messenger";
import { DialogPanel } from "./dialog-panel";
import { Notices } from "./notices";
import { UserList } from "./user-list";

const STATUS_TEXT = {
  connecting: "Connecting…",
  connected: "Online",
  reconnecting: "Reconnecting…",
  signed_out: "Signed out",
  refused: "Too many open tabs: close one and reload.",
} as const;

export function ChatShell({ selfName }: { selfName: string }) {
  const m = useMessenger();
  const { state } = m;
  const dialogPeers = new Set(state.dialogs.filter((d) => !d.closed).map((d) => d.peer.id));
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Duo</span>
        <span className={`status status-${state.status}`} data-testid="connection-status">
          {STATUS_TEXT[state.status]}
        </span>
        <span className="me">
          Signed in as <strong data-testid="self-name">{state.self?.name ?? selfName}</strong>
        </span>
        <button type="button" className="link" onClick={m.signOut}>
          Sign out
        </button>
      </header>
      <aside className={state.status === "connected" ? "sidebar" : "sidebar stale"}>
        <UserList users={state.users} withDialog={dialogPeers} onPick={m.openDialog} ready={state.status === "connected"} />
      </aside>
      <main className="dialogs">
        <Notices notices={state.notices} onDismiss={m.dismissNotice} />
        {state.dialogs.length === 0 ? (
          <p className="empty-hint">Pick someone from the list to start a conversation.</p>
        ) : (
          <div className="dialog-grid">
            {state.dialogs.map((d) => (
              <DialogPanel
                key={d.id}
                dialog={d}
                selfId={state.self?.id ?? ""}
                focusNonce={state.focus?.dialogId === d.id ? state.focus.nonce : 0}
                online={state.status === "connected"}
                onSend={(body) => m.send(d.id, body)}
                onRetry={(key) => m.retry(d.id, key)}
                onDiscard={(key) => m.discard(d.id, key)}
                onLoadOlder={() => m.loadOlder(d.id)}
              />
            ))}
          </div>
        )}
      </main>
    </div>
  );
}
