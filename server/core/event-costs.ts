/**
 * What each client event may cost the server, in tokens of its user's event bucket
 * (`EVENTS_PER_SECOND` back per second, `EVENTS_BURST` at most). One token is about the work of one
 * message:send (parse, validate, one row in a group commit, one broadcast). Reading messages is
 * priced by the size of what is read, which is what costs (materialising rows, serialising the
 * answer): a page of 200 full-length messages is ~40 times a small one. Every event has a bounded
 * worst case, so the most one user can make the server do is `EVENTS_PER_SECOND` tokens' worth of
 * work per second, whatever they send. test/integration/EVENT-COSTS.md lists the budgets; a new
 * client event must be declared here (the map is keyed by the contract: a missing entry does not
 * compile).
 */
import type { ClientToServerEvents } from "../../lib/contract/events";
import type { BucketRule } from "./token-bucket";

/** Everything a client can make the server do: its events, and opening a connection. */
export type ChargedAction = keyof ClientToServerEvents | "connect";

export interface CostRule {
  /** Charged before the payload is parsed, so refused and malformed requests cost it too. */
  base: number;
  /** What the rest of the work costs, on top of `base`: nothing, the messages it reads, or the conversations. */
  variable: "none" | "read" | "sync" | "conversations";
  /** Why it costs that much (shown in EVENT-COSTS.md). */
  why: string;
}

/**
 * One answer carrying messages (a history page, a whole sync) holds at most `chars` characters
 * (bodies plus `rowOverhead` per message for its other fields), read `rowsPerQuery` at a time with
 * the event loop free in between; the rest is answered with `more: true`. A sync queries at most
 * `dialogs` dialogs per answer.
 */
export const ANSWER_BUDGET = {
  chars: 128 * 1024,
  rowOverhead: 256,
  rowsPerQuery: 50,
  dialogs: 20,
} as const;

/** A read-state answer holds at most this many conversations (server/persistence/read-positions.ts), charged per this many. */
export const READ_STATE_MAX = 500;
export const CONVERSATIONS_PER_TOKEN = 25;

export function conversationsCost(conversations: number): number {
  return Math.ceil(conversations / CONVERSATIONS_PER_TOKEN);
}

/** Characters of an answer per token: a page of 50 small messages, or 4 full-length ones. */
export const CHARS_PER_TOKEN = 16 * 1024;

/** What a message adds to an answer. */
export const answerChars = (m: { body: string }) => m.body.length + ANSWER_BUDGET.rowOverhead;

/** Tokens for an answer of `chars` characters, charged once it is read. */
export function readCost(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * Frames a user may send per node, counted before they are decoded (decoding is work the event bucket
 * never sees: it charges decoded events, and unknown events not at all). Generous in count (ten times
 * the event rate, twenty times the bucket: a client that keeps sending refused events is answered
 * cheaply) and tight in size, where decoding costs: 16 Ki characters per token per second, 32 Ki per
 * token of burst (a message frame is at most ~4 Ki characters). Only a flood meets it.
 */
export function frameBudget(events: BucketRule): { frames: BucketRule; bytes: BucketRule } {
  return {
    frames: { perSecond: 10 * events.perSecond, burst: 20 * events.burst },
    bytes: { perSecond: CHARS_PER_TOKEN * events.perSecond, burst: 2 * CHARS_PER_TOKEN * events.burst },
  };
}

/**
 * Handshakes whose session lookup failed, per session id: a signed-out cookie replayed in a loop
 * gets five lookups, then one a second; the rest are refused before the query.
 */
export const HANDSHAKE_MISSES: BucketRule = { perSecond: 1, burst: 5 };

export const EVENT_COSTS = {
  connect: { base: 4, variable: "none", why: "session lookup, JWT decode, presence snapshot, room joins" },
  "message:send": { base: 1, variable: "none", why: "one row in a group commit and one broadcast (the unit)" },
  "dialog:open": { base: 4, variable: "none", why: "up to three queries (find or create, mark open) and a cluster proposal" },
  "dialog:history": {
    base: 1,
    variable: "read",
    why: `+ 1 per ${CHARS_PER_TOKEN / 1024} Ki characters returned (≤ ${ANSWER_BUDGET.chars / 1024} Ki per answer)`,
  },
  "dialog:sync": {
    base: 1,
    variable: "sync",
    why:
      `+ 1 per distinct open dialog queried (≤ ${ANSWER_BUDGET.dialogs} per answer) ` +
      `+ 1 per ${CHARS_PER_TOKEN / 1024} Ki characters returned (≤ ${ANSWER_BUDGET.chars / 1024} Ki per answer)`,
  },
  "dialog:read": { base: 2, variable: "none", why: "up to four queries (conversation, raise, position, unread count) and two emits" },
  "dialog:read-state": {
    base: 2,
    variable: "conversations",
    why: `two queries; + 1 per ${CONVERSATIONS_PER_TOKEN} conversations returned (≤ ${READ_STATE_MAX} per answer)`,
  },
  "dialog:typing": { base: 1, variable: "none", why: "one emit to the peer's tabs, nothing stored" },
  "session:signout": { base: 2, variable: "none", why: "one delete and a cluster-wide sign-out" },
  "session:signout-everywhere": { base: 4, variable: "none", why: "one lookup and delete of all sessions and a cluster-wide sign-out" },
} as const satisfies Record<ChargedAction, CostRule>;

export interface SyncEntry {
  dialogId: string;
  afterSeq: number;
}

export interface SyncPlan {
  /** Distinct dialogs of the caller to query now, in request order. */
  query: SyncEntry[];
  /** The caller's dialogs beyond this answer's budget: answered `{ messages: [], more: true }`. */
  deferred: SyncEntry[];
  /** Tokens for the queries, charged before they run (what they read is charged after). */
  cost: number;
}

/**
 * De-duplicates a sync request (a repeated id asks for the earliest position once), drops dialogs
 * that are not the caller's (answered by their absence), and keeps the first `ANSWER_BUDGET.dialogs`.
 */
export function planSync(entries: readonly SyncEntry[], isMine: (dialogId: string) => boolean): SyncPlan {
  const wanted = new Map<string, number>();
  for (const { dialogId, afterSeq } of entries) {
    const seen = wanted.get(dialogId);
    if (seen === undefined ? isMine(dialogId) : afterSeq < seen) wanted.set(dialogId, afterSeq);
  }
  const mine = [...wanted].map(([dialogId, afterSeq]) => ({ dialogId, afterSeq }));
  const query = mine.slice(0, ANSWER_BUDGET.dialogs);
  return { query, deferred: mine.slice(ANSWER_BUDGET.dialogs), cost: query.length };
}

/**
 * What is left of one answer's budget as messages are added to it. The first message always fits
 * (an answer never comes back empty while messages remain), so every page makes progress.
 */
export class AnswerBudget {
  private used = 0;
  private count = 0;

  /** Adds the message if it fits; false when the answer is full. */
  add(message: { body: string }): boolean {
    const chars = answerChars(message);
    if (this.count > 0 && this.used + chars > ANSWER_BUDGET.chars) return false;
    this.used += chars;
    this.count++;
    return true;
  }

  get full(): boolean {
    return this.used >= ANSWER_BUDGET.chars;
  }

  get chars(): number {
    return this.used;
  }
}

/** The most tokens one request of this kind can ever cost, all parts included. */
export function worstCost(action: ChargedAction): number {
  const rule: CostRule = EVENT_COSTS[action];
  // An answer never goes past its budget (its first message always fits, and is far smaller).
  const readMost = readCost(ANSWER_BUDGET.chars);
  switch (rule.variable) {
    case "none":
      return rule.base;
    case "read":
      return rule.base + readMost;
    case "sync":
      return rule.base + ANSWER_BUDGET.dialogs + readMost;
    case "conversations":
      return rule.base + conversationsCost(READ_STATE_MAX);
  }
}
