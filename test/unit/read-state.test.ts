/**
 * Unread counts, "seen", typing, closing panes and announcements on the client: the reducer and the
 * selectors, driven directly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { initialState, reducer, type Action, type MessengerState } from "@/lib/client/messenger-state";
import { seenMarkSeq, unreadCount } from "@/lib/client/read-state";
import type { ConversationReadView, MessageView, UserView } from "@/lib/contract/events";
import { TYPING } from "@/lib/contract/limits";

const me: UserView = { id: "me", name: "Me" };
const bob: UserView = { id: "bob", name: "Bob" };
const cy: UserView = { id: "cy", name: "Cy" };
const run = (state: MessengerState, ...actions: Action[]) => actions.reduce(reducer, state);
const connected = () =>
  run(initialState, {
    type: "welcome",
    welcome: { self: me, users: [me, bob], dialogs: [{ id: "d1", peer: bob }], serverId: "s" },
    now: 0,
  });
const msg = (seq: number, senderId: string): MessageView => ({
  id: `m${seq}`,
  dialogId: "d1",
  seq,
  senderId,
  senderName: senderId,
  body: `b${seq}`,
  clientKey: `k${seq}`,
  sentAt: seq,
});
const view = (over: Partial<ConversationReadView> = {}): ConversationReadView => ({
  dialogId: "d1",
  peer: bob,
  readSeq: 0,
  unread: 0,
  countedSeq: 0,
  peerReadSeq: 0,
  ...over,
});
const unreadOf = (s: MessengerState, id = "d1") => {
  const d = s.dialogs.find((x) => x.id === id);
  return unreadCount(s.reads[id], d?.messages ?? [], s.self?.id, d?.shownSeq);
};

describe("unread counts", () => {
  it("the server's count up to countedSeq, plus the peer's messages held after it; never your own", () => {
    let s = run(connected(), { type: "reads", conversations: [view({ readSeq: 2, unread: 3, countedSeq: 6 })], complete: true });
    expect(unreadOf(s)).toBe(3);
    s = run(s, {
      type: "messages",
      dialogId: "d1",
      messages: [msg(5, "bob"), msg(6, "bob"), msg(7, "bob"), msg(8, "me"), msg(9, "bob")],
      live: true,
    });
    expect(unreadOf(s)).toBe(5);
  });

  it("clears as soon as this tab shows everything counted, and counts only what came after", () => {
    let s = run(connected(), { type: "reads", conversations: [view({ unread: 2, countedSeq: 2 })], complete: true });
    s = run(s, { type: "messages", dialogId: "d1", messages: [msg(1, "bob"), msg(2, "bob"), msg(3, "bob")] });
    expect(unreadOf(s)).toBe(3);
    s = reducer(s, { type: "shown", dialogId: "d1", seq: 2 });
    expect(unreadOf(s)).toBe(1);
    s = reducer(s, { type: "read", read: { dialogId: "d1", readSeq: 3, unread: 0, countedSeq: 3 } });
    s = reducer(s, { type: "shown", dialogId: "d1", seq: 3 });
    expect(unreadOf(s)).toBe(0);
  });

  it("a position or count older than the one held is ignored, whatever order they arrive in", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ readSeq: fc.nat(20), extra: fc.nat(5) }), { minLength: 1, maxLength: 12 }), (updates) => {
        let s = connected();
        for (const u of updates) {
          s = reducer(s, { type: "read", read: { dialogId: "d1", readSeq: u.readSeq, unread: u.extra, countedSeq: u.readSeq + u.extra } });
        }
        const best = Math.max(...updates.map((u) => u.readSeq));
        expect(s.reads.d1?.readSeq).toBe(best);
      }),
    );
  });

  it("a full answer drops conversations read elsewhere that are not open here, and keeps open ones", () => {
    let s = run(connected(), {
      type: "reads",
      conversations: [view(), view({ dialogId: "old", peer: cy, unread: 4, countedSeq: 4 })],
      complete: true,
    });
    expect(Object.keys(s.reads).sort()).toEqual(["d1", "old"]);
    s = reducer(s, { type: "reads", conversations: [], complete: true });
    expect(Object.keys(s.reads)).toEqual(["d1"]);
  });
});

describe("seen", () => {
  it("marks your last message the peer has seen, and moves only forward", () => {
    const messages = [msg(1, "me"), msg(2, "bob"), msg(3, "me"), msg(4, "me")];
    expect(seenMarkSeq(messages, "me", 0)).toBeNull();
    expect(seenMarkSeq(messages, "me", 2)).toBe(1);
    expect(seenMarkSeq(messages, "me", 3)).toBe(3);
    let s = run(connected(), { type: "reads", conversations: [view()], complete: true }, { type: "seen", dialogId: "d1", seq: 3 });
    expect(s.reads.d1?.peerReadSeq).toBe(3);
    s = reducer(s, { type: "seen", dialogId: "d1", seq: 2 });
    expect(s.reads.d1?.peerReadSeq).toBe(3);
  });
});

describe("typing", () => {
  it("shows until stopped, until the peer's message arrives, or until it is not refreshed in time", () => {
    let s = reducer(connected(), { type: "typing", dialogId: "d1", typing: true, now: 1000 });
    expect(s.typing.d1).toBe(1000 + TYPING.ttlMs);
    expect(reducer(s, { type: "typing", dialogId: "d1", typing: false, now: 1500 }).typing).toEqual({});
    expect(reducer(s, { type: "messages", dialogId: "d1", messages: [msg(1, "bob")], live: true }).typing).toEqual({});
    expect(reducer(s, { type: "messages", dialogId: "d1", messages: [msg(1, "me")], live: true }).typing.d1).toBeDefined();
    expect(reducer(s, { type: "tick", now: 1000 + TYPING.ttlMs - 1 }).typing.d1).toBeDefined();
    s = reducer(s, { type: "tick", now: 1000 + TYPING.ttlMs });
    expect(s.typing).toEqual({});
  });

  it("is ignored for dialogs that are not open here", () => {
    const s = connected();
    expect(reducer(s, { type: "typing", dialogId: "elsewhere", typing: true, now: 0 })).toBe(s);
  });
});

describe("closing a pane", () => {
  it("hides it in this tab; the peer's next message or picking the peer brings it back", () => {
    let s = run(connected(), { type: "focus", dialogId: "d1" }, { type: "hide", dialogId: "d1" });
    expect(s.dialogs[0]?.hidden).toBe(true);
    expect(s.focus).toBeNull();
    expect(run(s, { type: "messages", dialogId: "d1", messages: [msg(1, "me")], live: true }).dialogs[0]?.hidden).toBe(true);
    expect(run(s, { type: "messages", dialogId: "d1", messages: [msg(1, "bob")] }).dialogs[0]?.hidden).toBe(true); // history
    expect(run(s, { type: "messages", dialogId: "d1", messages: [msg(1, "bob")], live: true }).dialogs[0]?.hidden).toBe(false);
    s = reducer(s, { type: "focus", dialogId: "d1" });
    expect(s.dialogs[0]?.hidden).toBe(false);
  });
});

describe("announcements", () => {
  it("tells who came and went, and what the peer wrote, but not your own messages or history", () => {
    let s = run(connected(), { type: "presence", delta: { online: [cy, me], offline: ["bob"] } });
    expect(s.announcements.map((a) => a.text)).toEqual(["Cy is online", "Bob went offline"]);
    s = run(
      s,
      { type: "messages", dialogId: "d1", messages: [msg(1, "bob")] },
      { type: "messages", dialogId: "d1", messages: [msg(2, "me")], live: true },
      { type: "messages", dialogId: "d1", messages: [msg(3, "bob")], live: true },
    );
    expect(s.announcements.at(-1)?.text).toBe("bob: b3");
    expect(s.announcements).toHaveLength(3);
  });

  it("sums up a crowd instead of reading every name", () => {
    const crowd = Array.from({ length: 10 }, (_, i) => ({ id: `u${i}`, name: `u${i}` }));
    const s = reducer(connected(), { type: "presence", delta: { online: crowd, offline: [] } });
    expect(s.announcements.map((a) => a.text)).toEqual(["10 people came online"]);
  });
});
