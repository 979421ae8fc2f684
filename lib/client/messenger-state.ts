/** The chat page's state and every way it changes: a pure reducer, driven by the socket hook. */
import type { ErrorCode } from "../contract/errors";
import type {
  ConversationReadView,
  DialogView,
  MessagePage,
  MessageView,
  PresenceDelta,
  ReadView,
  UserView,
  Welcome,
} from "../contract/events";
import { TYPING } from "../contract/limits";
import { announce, messageAnnouncement, presenceAnnouncements, type Announcement } from "./announcements";
import { mergeMessages } from "./message-list-merge";
import { addNotice, dropNoticesAbout, expireNotices, resumeNotices, type Notice, type NoticeInput } from "./notices";
import { mergeConversation, mergeRead, type ConversationRead } from "./read-state";

export type { Announcement, ConversationRead, Notice };

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
  /**
   * Older history exists beyond the first message held. A conversation's seqs start at 1 and have no
   * gaps, so this is known from the first message held alone: it stays right whatever answer was lost
   * (a newest page that never came back, live messages that arrived first).
   */
  hasOlder: boolean;
  /** The newest page has been loaded (or synced) at least once. */
  loaded: boolean;
  /**
   * The server closed this dialog while you still had unsent messages: it stays on screen, ended,
   * so nothing you typed is lost; retrying reopens it (same conversation, same id).
   */
  closed: boolean;
  /** Closed by the person in this tab: out of sight until they pick the peer again or the peer writes. */
  hidden: boolean;
  /** The newest seq this tab has put on screen while the person was looking (reported as read). */
  shownSeq: number;
}

export interface MessengerState {
  status: ConnectionStatus;
  self: UserView | null;
  users: UserView[];
  dialogs: DialogState[];
  notices: Notice[];
  /** The person is reading the notices (pointer or focus on them): none expires meanwhile. */
  noticesHeld: boolean;
  /** Read state by conversation id: open dialogs, and closed conversations with unread messages. */
  reads: Record<string, ConversationRead>;
  /** Dialogs whose peer is typing, until when (ms since the epoch). */
  typing: Record<string, number>;
  /** The latest things said to screen readers, newest last. */
  announcements: Announcement[];
  /** The dialog whose prompt should take focus; the nonce changes on every request. */
  focus: { dialogId: string; nonce: number } | null;
  /** Ids for notices and announcements. */
  nextId: number;
}

export const initialState: MessengerState = {
  status: "connecting",
  self: null,
  users: [],
  dialogs: [],
  notices: [],
  noticesHeld: false,
  reads: {},
  typing: {},
  announcements: [],
  focus: null,
  nextId: 1,
};

export type Action =
  | { type: "status"; status: ConnectionStatus }
  | { type: "welcome"; welcome: Welcome; now: number }
  | { type: "presence"; delta: PresenceDelta }
  | { type: "dialogOpened"; dialog: DialogView }
  | { type: "dialogClosed"; dialogId: string; text: string; now: number }
  /** `live`: just sent by someone (message:new), as opposed to a page of history or a catch-up. */
  | { type: "messages"; dialogId: string; messages: MessageView[]; live?: boolean }
  /** History or a catch-up: a page of messages, from either end. */
  | { type: "page"; dialogId: string; page: MessagePage }
  | { type: "queue"; dialogId: string; message: OutgoingMessage }
  | { type: "sent"; dialogId: string; message: MessageView }
  | { type: "failed"; dialogId: string; clientKey: string; error: ErrorCode | "offline" }
  | { type: "retry"; dialogId: string; clientKey: string; queuedAt: number }
  | { type: "discard"; dialogId: string; clientKey: string }
  | { type: "focus"; dialogId: string }
  | { type: "hide"; dialogId: string }
  | { type: "shown"; dialogId: string; seq: number }
  | { type: "reads"; conversations: ConversationReadView[]; complete: boolean }
  | { type: "read"; read: ReadView }
  | { type: "seen"; dialogId: string; seq: number }
  | { type: "typing"; dialogId: string; typing: boolean; now: number }
  | { type: "notice"; notice: NoticeInput; now: number }
  | { type: "dismiss"; id: number }
  | { type: "holdNotices"; held: boolean; now: number }
  /** Time passes: notices and typing indicators expire. */
  | { type: "tick"; now: number };

const byName = (a: UserView, b: UserView) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" });

function newDialog(view: DialogView): DialogState {
  return {
    id: view.id,
    peer: view.peer,
    messages: [],
    outbox: [],
    hasOlder: false,
    loaded: false,
    closed: false,
    hidden: false,
    shownSeq: 0,
  };
}

function updateDialog(state: MessengerState, id: string, fn: (d: DialogState) => DialogState): MessengerState {
  if (!state.dialogs.some((d) => d.id === id)) return state;
  return { ...state, dialogs: state.dialogs.map((d) => (d.id === id ? fn(d) : d)) };
}

/** Adds messages and drops any pending copy of yours they confirm (keys are unique per sender only). */
function receive(d: DialogState, messages: MessageView[], selfId: string | undefined): DialogState {
  const keys = new Set(messages.filter((m) => m.senderId === selfId).map((m) => m.clientKey));
  const merged = mergeMessages(d.messages, messages);
  return {
    ...d,
    messages: merged,
    hasOlder: (merged[0]?.seq ?? 1) > 1,
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

function notify(state: MessengerState, notice: NoticeInput, now: number): MessengerState {
  const next = say(state, [notice.text]);
  return { ...next, notices: addNotice(state.notices, notice, next.nextId, now), nextId: next.nextId + 1 };
}

/** Tells screen readers (the notices themselves are not a live region: this is the one voice). */
function say(state: MessengerState, texts: string[]): MessengerState {
  if (texts.length === 0) return state;
  return { ...state, announcements: announce(state.announcements, texts, state.nextId), nextId: state.nextId + texts.length };
}

const endedNotice = (d: DialogState): NoticeInput => ({
  key: `closed:${d.id}`,
  text: `Your conversation with ${d.peer.name} has ended.`,
  about: d.peer.id,
});

function withoutKey<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!(key in record)) return record;
  const { [key]: _, ...rest } = record;
  return rest;
}

/** Live messages from the peer: announced, they end the peer's "typing", and bring a closed pane back. */
function receiveLive(state: MessengerState, dialogId: string, messages: MessageView[]): MessengerState {
  const fromPeer = messages.filter((m) => m.senderId !== state.self?.id);
  if (fromPeer.length === 0) return state;
  const next = say(state, fromPeer.map(messageAnnouncement));
  return {
    ...updateDialog(next, dialogId, (d) => (d.hidden ? { ...d, hidden: false } : d)),
    typing: withoutKey(next.typing, dialogId),
  };
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
        if (!d.closed) next = notify(next, endedNotice(d), action.now);
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
        typing: {},
      };
    }
    case "presence": {
      const told = say(state, presenceAnnouncements(action.delta, state.users, state.self?.id));
      const gone = new Set(action.delta.offline);
      const users = new Map(state.users.filter((u) => !gone.has(u.id)).map((u) => [u.id, u]));
      for (const u of action.delta.online) if (u.id !== state.self?.id) users.set(u.id, u);
      return { ...told, users: [...users.values()].sort(byName) };
    }
    case "dialogOpened": {
      // A conversation with them is open again: what was said about them is past.
      const next = { ...state, notices: dropNoticesAbout(state.notices, action.dialog.peer.id) };
      const existing = next.dialogs.find((d) => d.id === action.dialog.id);
      if (!existing) return { ...next, dialogs: [...next.dialogs, newDialog(action.dialog)] };
      if (!existing.closed) return next.notices === state.notices ? state : next;
      return updateDialog(next, existing.id, (d) => ({ ...d, closed: false, hidden: false }));
    }
    case "dialogClosed": {
      const dialog = state.dialogs.find((d) => d.id === action.dialogId && !d.closed);
      if (!dialog) return state;
      const next = notify(state, { key: `closed:${dialog.id}`, text: action.text, about: dialog.peer.id }, action.now);
      const kept = closeDialog(dialog);
      return {
        ...next,
        dialogs: kept ? next.dialogs.map((d) => (d.id === dialog.id ? kept : d)) : next.dialogs.filter((d) => d.id !== dialog.id),
        focus: next.focus?.dialogId === action.dialogId ? null : next.focus,
        typing: withoutKey(next.typing, action.dialogId),
      };
    }
    case "messages": {
      const next = dropIfEnded(
        updateDialog(state, action.dialogId, (d) => receive(d, action.messages, state.self?.id)),
        action.dialogId,
      );
      return action.live && next.dialogs.some((d) => d.id === action.dialogId) ? receiveLive(next, action.dialogId, action.messages) : next;
    }
    case "page":
      return updateDialog(state, action.dialogId, (d) => ({ ...receive(d, action.page.messages, state.self?.id), loaded: true }));
    case "queue":
      return updateDialog(state, action.dialogId, (d) => ({ ...d, outbox: [...d.outbox, action.message] }));
    case "sent":
      return dropIfEnded(
        updateDialog(state, action.dialogId, (d) => receive(d, [action.message], state.self?.id)),
        action.dialogId,
      );
    case "failed":
      return updateDialog(state, action.dialogId, (d) => ({
        ...d,
        outbox: d.outbox.map((o) => (o.clientKey === action.clientKey ? { ...o, status: "failed", error: action.error } : o)),
      }));
    case "retry":
      return updateDialog(state, action.dialogId, (d) => ({
        ...d,
        outbox: d.outbox.map((o) =>
          o.clientKey === action.clientKey ? { clientKey: o.clientKey, body: o.body, status: "pending", queuedAt: action.queuedAt } : o,
        ),
      }));
    case "discard": {
      const next = updateDialog(state, action.dialogId, (d) => ({
        ...d,
        outbox: d.outbox.filter((o) => o.clientKey !== action.clientKey),
      }));
      // An ended dialog stays only while it holds unsent messages.
      return { ...next, dialogs: next.dialogs.filter((d) => !d.closed || d.outbox.length > 0) };
    }
    case "focus":
      return {
        ...updateDialog(state, action.dialogId, (d) => (d.hidden ? { ...d, hidden: false } : d)),
        focus: { dialogId: action.dialogId, nonce: (state.focus?.nonce ?? 0) + 1 },
      };
    case "hide":
      return {
        ...updateDialog(state, action.dialogId, (d) => ({ ...d, hidden: true })),
        focus: state.focus?.dialogId === action.dialogId ? null : state.focus,
      };
    case "shown":
      return updateDialog(state, action.dialogId, (d) => (action.seq > d.shownSeq ? { ...d, shownSeq: action.seq } : d));
    case "reads": {
      const listed = new Set(action.conversations.map((c) => c.dialogId));
      const open = new Set(state.dialogs.map((d) => d.id));
      // Left out of a full answer: read meanwhile, and not open here.
      const reads = action.complete
        ? Object.fromEntries(Object.entries(state.reads).filter(([id]) => listed.has(id) || open.has(id)))
        : { ...state.reads };
      for (const c of action.conversations) reads[c.dialogId] = mergeConversation(reads[c.dialogId], c);
      return { ...state, reads };
    }
    case "read": {
      const id = action.read.dialogId;
      const current = state.reads[id];
      const peer = current?.peer ?? state.dialogs.find((d) => d.id === id)?.peer;
      if (!peer) return state;
      const merged = mergeRead(current, action.read, peer);
      return merged === current ? state : { ...state, reads: { ...state.reads, [id]: merged } };
    }
    case "seen": {
      const current = state.reads[action.dialogId];
      if (!current || action.seq <= current.peerReadSeq) return state;
      return { ...state, reads: { ...state.reads, [action.dialogId]: { ...current, peerReadSeq: action.seq } } };
    }
    case "typing": {
      if (!state.dialogs.some((d) => d.id === action.dialogId && !d.closed)) return state;
      if (!action.typing) return { ...state, typing: withoutKey(state.typing, action.dialogId) };
      return { ...state, typing: { ...state.typing, [action.dialogId]: action.now + TYPING.ttlMs } };
    }
    case "notice":
      return notify(state, action.notice, action.now);
    case "dismiss": {
      const notices = state.notices.filter((n) => n.id !== action.id);
      // The last one gone, nothing is being read any more (its pointer or focus left with it).
      return { ...state, notices, noticesHeld: notices.length > 0 && state.noticesHeld };
    }
    case "holdNotices":
      if (action.held === state.noticesHeld) return state;
      return { ...state, noticesHeld: action.held, notices: action.held ? state.notices : resumeNotices(state.notices, action.now) };
    case "tick": {
      const notices = state.noticesHeld ? state.notices : expireNotices(state.notices, action.now);
      const due = Object.entries(state.typing).filter(([, until]) => until <= action.now);
      if (notices === state.notices && due.length === 0) return state;
      let typing = state.typing;
      for (const [id] of due) typing = withoutKey(typing, id);
      return { ...state, notices, typing };
    }
  }
}
