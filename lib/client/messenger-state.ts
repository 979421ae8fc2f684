/** The chat page's state and every way it changes: a pure reducer, driven by the socket hook. */
import type { ErrorCode } from "../contract/errors";
import type { DialogView, MessagePage, MessageView, PresenceDelta, UserView, Welcome } from "../contract/events";
import { mergeMessages } from "./message-list-merge";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "signed_out" | "refused";

export interface OutgoingMessage {
  clientKey: string;
  body: string;
  status: "pending" | "failed";
  /** Why it failed; "offline" when no answer came because the connection was down. */
  error?: ErrorCode | "offline";
  queuedAt: number;
}

export interface DialogState {
  id: string;
  peer: UserView;
  messages: MessageView[];
  /** Your messages not yet acknowledged (pending) or refused (failed), oldest first. */
  outbox: OutgoingMessage[];
  /** Older history exists beyond the first message held. */
  hasOlder: boolean;
  /** The newest page has been loaded (or synced) at least once. */
  loaded: boolean;
  /**
   * The server closed this dialog while you still had unsent messages: it stays on screen, ended,
   * so nothing you typed is lost; retrying reopens it (same conversation, same id).
   */
  closed: boolean;
}

export interface Notice {
  id: number;
  text: string;
}

export interface MessengerState {
  status: ConnectionStatus;
  self: UserView | null;
  users: UserView[];
  dialogs: DialogState[];
  notices: Notice[];
  /** The dialog whose prompt should take focus; the nonce changes on every request. */
  focus: { dialogId: string; nonce: number } | null;
  nextNoticeId: number;
}

export const initialState: MessengerState = {
  status: "connecting",
  self: null,
  users: [],
  dialogs: [],
  notices: [],
  focus: null,
  nextNoticeId: 1,
};

export type Action =
  | { type: "status"; status: ConnectionStatus }
  | { type: "welcome"; welcome: Welcome }
  | { type: "presence"; delta: PresenceDelta }
  | { type: "dialogOpened"; dialog: DialogView }
  | { type: "dialogClosed"; dialogId: string; text: string }
  | { type: "messages"; dialogId: string; messages: MessageView[] }
  | { type: "page"; dialogId: string; page: MessagePage; direction: "older" | "newer" }
  | { type: "queue"; dialogId: string; message: OutgoingMessage }
  | { type: "sent"; dialogId: string; message: MessageView }
  | { type: "failed"; dialogId: string; clientKey: string; error: ErrorCode | "offline" }
  | { type: "retry"; dialogId: string; clientKey: string; queuedAt: number }
  | { type: "discard"; dialogId: string; clientKey: string }
  | { type: "focus"; dialogId: string }
  | { type: "notice"; text: string }
  | { type: "dismiss"; id: number };

const MAX_NOTICES = 5;
const byName = (a: UserView, b: UserView) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" });

function newDialog(view: DialogView): DialogState {
  return { id: view.id, peer: view.peer, messages: [], outbox: [], hasOlder: false, loaded: false, closed: false };
}

function updateDialog(state: MessengerState, id: string, fn: (d: DialogState) => DialogState): MessengerState {
  let changed = false;
  const dialogs = state.dialogs.map((d) => {
    if (d.id !== id) return d;
    changed = true;
    return fn(d);
  });
  return changed ? { ...state, dialogs } : state;
}

/** Adds messages and drops any pending copy of yours they confirm (keys are unique per sender only). */
function receive(d: DialogState, messages: MessageView[], selfId: string | undefined): DialogState {
  const keys = new Set(messages.filter((m) => m.senderId === selfId).map((m) => m.clientKey));
  return {
    ...d,
    messages: mergeMessages(d.messages, messages),
    outbox: d.outbox.some((o) => keys.has(o.clientKey)) ? d.outbox.filter((o) => !keys.has(o.clientKey)) : d.outbox,
  };
}

/** A dialog the server closed: gone, unless it holds unsent messages, which are kept as failed. */
function closeDialog(d: DialogState): DialogState | null {
  if (d.outbox.length === 0) return null;
  return { ...d, closed: true, outbox: d.outbox.map((o) => ({ ...o, status: "failed", error: "dialog_not_found" })) };
}

/** An ended dialog stays on screen only while it holds unsent messages. */
function dropIfEnded(state: MessengerState, id: string): MessengerState {
  const d = state.dialogs.find((x) => x.id === id);
  return d?.closed && d.outbox.length === 0 ? { ...state, dialogs: state.dialogs.filter((x) => x !== d) } : state;
}

function addNotice(state: MessengerState, text: string): MessengerState {
  const notices = [...state.notices, { id: state.nextNoticeId, text }].slice(-MAX_NOTICES);
  return { ...state, notices, nextNoticeId: state.nextNoticeId + 1 };
}

export function reducer(state: MessengerState, action: Action): MessengerState {
  switch (action.type) {
    case "status":
      return { ...state, status: action.status };
    case "welcome": {
      const { welcome } = action;
      const open = new Map(welcome.dialogs.map((d) => [d.id, d]));
      // Dialogs you had that the server no longer has were closed while you were away.
      let next: MessengerState = state;
      const ended: DialogState[] = [];
      for (const d of state.dialogs) {
        if (open.has(d.id)) continue;
        if (!d.closed) next = addNotice(next, `Your conversation with ${d.peer.name} has ended.`);
        const kept = closeDialog(d);
        if (kept) ended.push(kept);
      }
      const known = new Map(state.dialogs.map((d) => [d.id, d]));
      return {
        ...next,
        status: "connected",
        self: welcome.self,
        users: welcome.users.filter((u) => u.id !== welcome.self.id).sort(byName),
        dialogs: [...welcome.dialogs.map((v) => ({ ...(known.get(v.id) ?? newDialog(v)), peer: v.peer, closed: false })), ...ended],
      };
    }
    case "presence": {
      const gone = new Set(action.delta.offline);
      const users = new Map(state.users.filter((u) => !gone.has(u.id)).map((u) => [u.id, u]));
      for (const u of action.delta.online) if (u.id !== state.self?.id) users.set(u.id, u);
      return { ...state, users: [...users.values()].sort(byName) };
    }
    case "dialogOpened": {
      const existing = state.dialogs.find((d) => d.id === action.dialog.id);
      if (!existing) return { ...state, dialogs: [...state.dialogs, newDialog(action.dialog)] };
      return existing.closed ? updateDialog(state, existing.id, (d) => ({ ...d, closed: false })) : state;
    }
    case "dialogClosed": {
      const dialog = state.dialogs.find((d) => d.id === action.dialogId && !d.closed);
      if (!dialog) return state;
      const next = addNotice(state, action.text);
      const kept = closeDialog(dialog);
      return {
        ...next,
        dialogs: kept ? next.dialogs.map((d) => (d.id === dialog.id ? kept : d)) : next.dialogs.filter((d) => d.id !== dialog.id),
        focus: next.focus?.dialogId === action.dialogId ? null : next.focus,
      };
    }
    case "messages":
      return dropIfEnded(updateDialog(state, action.dialogId, (d) => receive(d, action.messages, state.self?.id)), action.dialogId);
    case "page":
      return updateDialog(state, action.dialogId, (d) => {
        const received = receive(d, action.page.messages, state.self?.id);
        if (action.direction === "older") return { ...received, hasOlder: action.page.more, loaded: true };
        // A first sync of an empty tab tells us nothing about older history; keep what we knew.
        return { ...received, loaded: true };
      });
    case "queue":
      return updateDialog(state, action.dialogId, (d) => ({ ...d, outbox: [...d.outbox, action.message] }));
    case "sent":
      return dropIfEnded(updateDialog(state, action.dialogId, (d) => receive(d, [action.message], state.self?.id)), action.dialogId);
    case "failed":
      return updateDialog(state, action.dialogId, (d) => ({
        ...d,
        outbox: d.outbox.map((o) => (o.clientKey === action.clientKey ? { ...o, status: "failed", error: action.error } : o)),
      }));
    case "retry":
      return updateDialog(state, action.dialogId, (d) => ({
        ...d,
        outbox: d.outbox.map((o) => (o.clientKey === action.clientKey ? { clientKey: o.clientKey, body: o.body, status: "pending", queuedAt: action.queuedAt } : o)),
      }));
    case "discard": {
      const next = updateDialog(state, action.dialogId, (d) => ({ ...d, outbox: d.outbox.filter((o) => o.clientKey !== action.clientKey) }));
      // An ended dialog stays only while it holds unsent messages.
      return { ...next, dialogs: next.dialogs.filter((d) => !d.closed || d.outbox.length > 0) };
    }
    case "focus":
      return { ...state, focus: { dialogId: action.dialogId, nonce: (state.focus?.nonce ?? 0) + 1 } };
    case "notice":
      return addNotice(state, action.text);
    case "dismiss":
      return { ...state, notices: state.notices.filter((n) => n.id !== action.id) };
  }
}
