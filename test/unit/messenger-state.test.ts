import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contiguousSeq } from "@/lib/client/message-list-merge";
import { initialState, reducer, type Action, type MessengerState, type OutgoingMessage } from "@/lib/client/messenger-state";
import { NOTICE_RESUME_MS, NOTICE_TTL_MS } from "@/lib/client/notices";
import type { MessageView, UserView } from "@/lib/contract/events";

const me: UserView = { id: "me", name: "Me" };
const ann: UserView = { id: "ann", name: "ann" };
const bob: UserView = { id: "bob", name: "Bob" };
const cy: UserView = { id: "cy", name: "Cy" };

const run = (state: MessengerState, ...actions: Action[]) => actions.reduce(reducer, state);
const welcome = (dialogs: { id: string; peer: UserView }[], users: UserView[] = [me, bob, ann]): Action => ({
  type: "welcome",
  welcome: { self: me, users, dialogs, serverId: "s1" },
  now: 0,
});
const message = (seq: number, clientKey: string, senderId = "me"): MessageView => ({
  id: `m${seq}`,
  dialogId: "d1",
  seq,
  senderId,
  senderName: senderId,
  body: `b${seq}`,
  clientKey,
  sentAt: seq,
});
const outgoing = (clientKey: string): OutgoingMessage => ({ clientKey, body: `text ${clientKey}`, status: "pending", queuedAt: 5 });

/** Signed in with one open dialog d1 with bob. */
const connected = () => run(initialState, welcome([{ id: "d1", peer: bob }]));
const dialog = (s: MessengerState, id = "d1") => {
  const d = s.dialogs.find((x) => x.id === id);
  if (!d) throw new Error(`no dialog ${id}`);
  return d;
};

describe("welcome", () => {
  it("connects, sets self and the users without self, sorted by name case-insensitively", () => {
    const s = connected();
    expect(s.status).toBe("connected");
    expect(s.self).toEqual(me);
    expect(s.users).toEqual([ann, bob]);
    expect(s.dialogs).toEqual([
      { id: "d1", peer: bob, messages: [], outbox: [], hasOlder: false, loaded: false, closed: false, hidden: false, shownSeq: 0 },
    ]);
    expect(s.notices).toEqual([]);
  });

  it("drops dialogs the server no longer has, with a notice, and keeps the state of those it has", () => {
    let s = run(connected(), { type: "dialogOpened", dialog: { id: "d2", peer: cy } });
    s = run(s, { type: "messages", dialogId: "d2", messages: [message(1, "k1")] });
    s = run(s, welcome([{ id: "d2", peer: { id: "cy", name: "Cy Renamed" } }]));
    expect(s.dialogs.map((d) => d.id)).toEqual(["d2"]);
    expect(dialog(s, "d2").messages.map((m) => m.seq)).toEqual([1]);
    expect(dialog(s, "d2").peer.name).toBe("Cy Renamed");
    expect(s.notices).toEqual([
      { id: 2, key: "closed:d1", text: "Your conversation with Bob has ended.", about: "bob", expiresAt: NOTICE_TTL_MS },
    ]);
    expect(s.announcements).toEqual([{ id: 1, text: "Your conversation with Bob has ended." }]);
  });
});

describe("presence", () => {
  it("adds online users sorted, removes offline ones, never adds self", () => {
    const s = run(connected(), { type: "presence", delta: { online: [cy, me], offline: ["ann"] } });
    expect(s.users).toEqual([bob, cy]);
  });

  it("is idempotent: applying the same delta twice equals applying it once", () => {
    const delta = { online: [cy, { id: "bob", name: "Bob2" }], offline: ["ann", "nobody"] };
    const once = run(connected(), { type: "presence", delta });
    const twice = run(once, { type: "presence", delta });
    expect(twice.users).toEqual(once.users);
    expect(once.users).toEqual([{ id: "bob", name: "Bob2" }, cy]);
  });

  it("property: any delta sequence keeps users unique, sorted, without self; re-applying the last is a no-op", () => {
    const id = fc.constantFrom("me", "ann", "bob", "cy", "dee");
    const delta = fc.record({
      online: fc.array(id.map((x) => ({ id: x, name: x === "bob" ? "Bob" : x }))),
      offline: fc.array(id),
    });
    fc.assert(
      fc.property(fc.array(delta, { minLength: 1, maxLength: 8 }), (deltas) => {
        const s = deltas.reduce((acc, d) => reducer(acc, { type: "presence", delta: d }), connected());
        const ids = s.users.map((u) => u.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).not.toContain("me");
        const names = s.users.map((u) => u.name.toLowerCase());
        expect(names).toEqual([...names].sort());
        const last = deltas[deltas.length - 1]!;
        expect(reducer(s, { type: "presence", delta: last }).users).toEqual(s.users);
        for (const u of last.online) if (u.id !== "me" && !last.offline.includes(u.id)) expect(ids).toContain(u.id);
        for (const gone of last.offline) if (!last.online.some((u) => u.id === gone)) expect(ids).not.toContain(gone);
      }),
    );
  });
});

describe("dialogs", () => {
  it("dialogOpened adds once", () => {
    const s = run(
      connected(),
      { type: "dialogOpened", dialog: { id: "d2", peer: cy } },
      { type: "dialogOpened", dialog: { id: "d2", peer: cy } },
    );
    expect(s.dialogs.map((d) => d.id)).toEqual(["d1", "d2"]);
  });

  it("dialogClosed removes the dialog, adds the notice and clears its focus", () => {
    const s = run(connected(), { type: "focus", dialogId: "d1" }, { type: "dialogClosed", dialogId: "d1", text: "Bob left.", now: 0 });
    expect(s.dialogs).toEqual([]);
    expect(s.notices).toMatchObject([{ text: "Bob left.", key: "closed:d1", about: "bob" }]);
    expect(s.focus).toBeNull();
  });

  it("dialogClosed keeps a dialog with unsent messages, ended, its outbox failed; once only", () => {
    let s = run(
      connected(),
      { type: "queue", dialogId: "d1", message: outgoing("k1") },
      { type: "dialogClosed", dialogId: "d1", text: "ended", now: 0 },
    );
    expect(dialog(s)).toMatchObject({ closed: true, outbox: [{ ...outgoing("k1"), status: "failed", error: "dialog_not_found" }] });
    expect(reducer(s, { type: "dialogClosed", dialogId: "d1", text: "again", now: 0 })).toBe(s);
    s = run(s, { type: "dialogOpened", dialog: { id: "d1", peer: bob } });
    expect(dialog(s).closed).toBe(false);
    expect(dialog(s).outbox).toHaveLength(1);
  });

  it("discarding the last unsent message of an ended dialog removes it", () => {
    const s = run(
      connected(),
      { type: "queue", dialogId: "d1", message: outgoing("k1") },
      { type: "queue", dialogId: "d1", message: outgoing("k2") },
      { type: "dialogClosed", dialogId: "d1", text: "ended", now: 0 },
      { type: "discard", dialogId: "d1", clientKey: "k1" },
    );
    expect(dialog(s).outbox.map((o) => o.clientKey)).toEqual(["k2"]);
    expect(run(s, { type: "discard", dialogId: "d1", clientKey: "k2" }).dialogs).toEqual([]);
  });

  it("a late ack that empties an ended dialog's outbox removes the dialog too", () => {
    // The server stored the message, then closed the dialog before the ack reached this tab.
    const s = run(
      connected(),
      { type: "queue", dialogId: "d1", message: outgoing("k1") },
      { type: "dialogClosed", dialogId: "d1", text: "ended", now: 0 },
      { type: "sent", dialogId: "d1", message: message(1, "k1") },
    );
    expect(s.dialogs.filter((d) => d.closed && d.outbox.length === 0)).toEqual([]);
  });

  it("welcome keeps an ended dialog that holds unsent messages, with one notice across welcomes", () => {
    let s = run(connected(), { type: "queue", dialogId: "d1", message: outgoing("k1") }, welcome([]));
    expect(dialog(s)).toMatchObject({ closed: true, outbox: [{ status: "failed", error: "dialog_not_found" }] });
    s = run(s, welcome([]));
    expect(s.notices.map((n) => n.text)).toEqual(["Your conversation with Bob has ended."]);
    s = run(s, welcome([{ id: "d1", peer: bob }]));
    expect(dialog(s).closed).toBe(false);
  });

  it("dialogClosed of an unknown dialog changes nothing", () => {
    const before = connected();
    expect(reducer(before, { type: "dialogClosed", dialogId: "zz", text: "x", now: 0 })).toBe(before);
  });

  it("focus bumps the nonce every time", () => {
    const s = run(connected(), { type: "focus", dialogId: "d1" }, { type: "focus", dialogId: "d1" });
    expect(s.focus).toEqual({ dialogId: "d1", nonce: 2 });
  });
});

describe("outbox", () => {
  const queued = () =>
    run(
      connected(),
      { type: "queue", dialogId: "d1", message: outgoing("k1") },
      { type: "queue", dialogId: "d1", message: outgoing("k2") },
    );

  it("sent removes the pending entry with the same clientKey and adds the message", () => {
    const s = run(queued(), { type: "sent", dialogId: "d1", message: message(1, "k2") });
    expect(dialog(s).outbox.map((o) => o.clientKey)).toEqual(["k1"]);
    expect(dialog(s).messages).toEqual([message(1, "k2")]);
  });

  it("messages (e.g. echoed from another tab or a sync) also confirm pending entries", () => {
    const s = run(queued(), { type: "messages", dialogId: "d1", messages: [message(2, "k1"), message(1, "other")] });
    expect(dialog(s).outbox.map((o) => o.clientKey)).toEqual(["k2"]);
    expect(dialog(s).messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it("a page confirms pending entries; hasOlder says whether history starts before the first message held", () => {
    let s = run(queued(), { type: "page", dialogId: "d1", page: { messages: [message(3, "k1")], more: true } });
    expect(dialog(s)).toMatchObject({ loaded: true, hasOlder: true });
    expect(dialog(s).outbox.map((o) => o.clientKey)).toEqual(["k2"]);
    s = run(s, { type: "page", dialogId: "d1", page: { messages: [message(2, "x")], more: true } });
    expect(dialog(s).hasOlder).toBe(true);
    s = run(s, { type: "messages", dialogId: "d1", messages: [message(1, "y")] });
    expect(dialog(s).hasOlder).toBe(false);
    expect(dialog(s).messages.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("a tab that got live messages before (or instead of) its first page still knows older history exists", () => {
    // The newest page's answer was lost with its connection; messages 4 and 5 came live meanwhile.
    const s = run(connected(), { type: "messages", dialogId: "d1", messages: [message(4, "a"), message(5, "b")], live: true });
    expect(dialog(s)).toMatchObject({ hasOlder: true, loaded: false });
  });

  it("a peer's message that happens to carry the same clientKey does not confirm your pending entry", () => {
    // clientKeys are unique per sender only (the server deduplicates by dialog + sender + clientKey).
    const s = run(queued(), { type: "messages", dialogId: "d1", messages: [message(1, "k1", "bob")] });
    expect(dialog(s).outbox.map((o) => o.clientKey)).toEqual(["k1", "k2"]);
  });

  it("failed marks only that entry failed with the error; retry makes it pending again, requeued, without an error", () => {
    let s = run(queued(), { type: "failed", dialogId: "d1", clientKey: "k1", error: "rate_limited" });
    expect(dialog(s).outbox).toEqual([{ ...outgoing("k1"), status: "failed", error: "rate_limited" }, outgoing("k2")]);
    s = run(s, { type: "retry", dialogId: "d1", clientKey: "k1", queuedAt: 99 });
    expect(dialog(s).outbox[0]).toStrictEqual({ ...outgoing("k1"), queuedAt: 99 });
    expect(dialog(s).outbox[0]).not.toHaveProperty("error");
    expect(dialog(s).outbox[1]).toStrictEqual(outgoing("k2"));
  });

  it("discard removes only that entry", () => {
    const s = run(
      queued(),
      { type: "failed", dialogId: "d1", clientKey: "k2", error: "offline" },
      { type: "discard", dialogId: "d1", clientKey: "k2" },
    );
    expect(dialog(s).outbox).toEqual([outgoing("k1")]);
  });

  it("actions on an unknown dialog return the same state", () => {
    const before = queued();
    expect(reducer(before, { type: "sent", dialogId: "nope", message: message(1, "k1") })).toBe(before);
    expect(reducer(before, { type: "queue", dialogId: "nope", message: outgoing("k9") })).toBe(before);
  });
});

describe("notices", () => {
  const notice = (key: string, now = 0, about?: string): Action => ({
    type: "notice",
    notice: { key, text: `text of ${key}`, ...(about ? { about } : {}) },
    now,
  });

  it("keeps only the latest 3, each event once; dismiss removes one", () => {
    let s = connected();
    for (let i = 1; i <= 5; i++) s = reducer(s, notice(`n${i}`));
    expect(s.notices.map((n) => n.key)).toEqual(["n3", "n4", "n5"]);
    s = reducer(s, { type: "dismiss", id: s.notices[1]!.id });
    expect(s.notices.map((n) => n.key)).toEqual(["n3", "n5"]);
  });

  it("a repeated event refreshes its notice instead of stacking another (five sign-outs, one notice)", () => {
    let s = connected();
    for (let i = 0; i < 5; i++) s = reducer(s, notice("closed:d1", i * 1000));
    expect(s.notices).toHaveLength(1);
    expect(s.notices[0]!.expiresAt).toBe(4000 + NOTICE_TTL_MS);
  });

  it("expires by itself, but not while held (hovered or focused), and gets time to finish after", () => {
    let s = run(connected(), notice("a", 0), notice("b", 5000));
    s = reducer(s, { type: "tick", now: NOTICE_TTL_MS });
    expect(s.notices.map((n) => n.key)).toEqual(["b"]);
    s = run(s, { type: "holdNotices", held: true, now: NOTICE_TTL_MS }, { type: "tick", now: 60_000 });
    expect(s.notices.map((n) => n.key)).toEqual(["b"]);
    s = run(s, { type: "holdNotices", held: false, now: 60_000 }, { type: "tick", now: 60_001 });
    expect(s.notices.map((n) => n.key)).toEqual(["b"]);
    expect(reducer(s, { type: "tick", now: 60_000 + NOTICE_RESUME_MS }).notices).toEqual([]);
  });

  it("a tick that changes nothing returns the same state (no re-render every second)", () => {
    const s = run(connected(), notice("a", 0));
    expect(reducer(s, { type: "tick", now: 1 })).toBe(s);
  });

  it("a notice about a person goes when a conversation with them opens again", () => {
    let s = run(connected(), notice("closed:d9", 0, "cy"), notice("other", 0));
    s = reducer(s, { type: "dialogOpened", dialog: { id: "d9", peer: cy } });
    expect(s.notices.map((n) => n.key)).toEqual(["other"]);
  });

  it("status changes only the status", () => {
    const before = connected();
    expect(reducer(before, { type: "status", status: "reconnecting" })).toEqual({ ...before, status: "reconnecting" });
  });
});

describe("history a tab holds", () => {
  /** What reaches a tab: live messages, pages from either end, and reconnects; any answer may be lost. */
  const arrival = (n: number) =>
    fc.oneof(
      fc.record({ kind: fc.constant("live" as const), seq: fc.integer({ min: 1, max: n }) }),
      fc.record({ kind: fc.constant("page" as const), from: fc.integer({ min: 1, max: n }), size: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ kind: fc.constant("welcome" as const) }),
    );
  const conversation = fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(fc.constant(n), fc.array(arrival(n), { maxLength: 30 })));

  it("property: every message a tab lacks is reachable: older than its first (hasOlder) or after its gap-free cursor (catch-up)", () => {
    fc.assert(
      fc.property(conversation, ([n, arrivals]) => {
        let s = connected();
        for (const a of arrivals) {
          if (a.kind === "live")
            s = run(s, { type: "messages", dialogId: "d1", messages: [message(a.seq, `k${a.seq}`, "bob")], live: true });
          else if (a.kind === "welcome") s = run(s, welcome([{ id: "d1", peer: bob }]));
          else {
            const page = { messages: [] as MessageView[], more: a.from + a.size <= n };
            for (let q = a.from; q < Math.min(n + 1, a.from + a.size); q++) page.messages.push(message(q, `k${q}`, "bob"));
            s = run(s, { type: "page", dialogId: "d1", page });
          }
          const d = dialog(s);
          const first = d.messages[0]?.seq;
          expect(d.hasOlder).toBe(first !== undefined && first > 1);
          const held = new Set(d.messages.map((m) => m.seq));
          const cursor = contiguousSeq(d.messages);
          for (let q = 1; q <= n; q++) {
            if (held.has(q) || first === undefined) continue;
            if (q < first) expect(d.hasOlder).toBe(true);
            else expect(q).toBeGreaterThan(cursor);
          }
        }
        // And the client's two ways back (catch-up after the cursor, older pages while hasOlder)
        // bring the whole conversation, in order, each message once.
        for (let rounds = 0; rounds < 2 * n + 2; rounds++) {
          const d = dialog(s);
          const cursor = contiguousSeq(d.messages);
          const after = [];
          for (let q = cursor + 1; q <= Math.min(n, cursor + 5); q++) after.push(message(q, `k${q}`, "bob"));
          s = run(s, { type: "page", dialogId: "d1", page: { messages: after, more: cursor + 5 < n } });
          const first = dialog(s).messages[0]?.seq ?? n + 1;
          if (dialog(s).hasOlder || dialog(s).messages.length === 0) {
            const before = [];
            for (let q = Math.max(1, first - 5); q < first; q++) before.push(message(q, `k${q}`, "bob"));
            s = run(s, { type: "page", dialogId: "d1", page: { messages: before, more: first - 5 > 1 } });
          }
        }
        expect(dialog(s).messages.map((m) => m.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
        expect(dialog(s).hasOlder).toBe(false);
      }),
    );
  });
});
