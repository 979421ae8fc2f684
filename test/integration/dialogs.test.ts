/**
 * Dialogs of two: opening (every tab of both users hears of it, once), refusals, late tabs, teardown
 * when a member goes offline, and reopening the same stored conversation with its history.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ask, open, send } from "../support/client";
import { STEADY_HEARTBEAT, startTestServer, waitFor, type Connected, type TestServer, type TestUser } from "../support/test-server";

let t: TestServer;
const live: Connected[] = [];
const connect = async (user: TestUser) => {
  const c = await t.connect(user);
  live.push(c);
  return c;
};

beforeAll(async () => {
  t = await startTestServer({ ...STEADY_HEARTBEAT });
});
afterEach(() => {
  for (const c of live.splice(0)) c.socket.disconnect();
});
afterAll(() => t.close());

describe("opening a dialog", () => {
  it("tells every tab of both users once; opening again from either side reuses it", async () => {
    const alice = await t.createUser();
    const bob = await t.createUser();
    const [a1, a2, b1, b2] = [await connect(alice), await connect(alice), await connect(bob), await connect(bob)];

    const res = await ask(a1, "dialog:open", { peerId: bob.id });
    expect(res).toMatchObject({ ok: true, created: true, dialog: { peer: { id: bob.id, name: bob.name } } });
    if (!res.ok) return;
    const id = res.dialog.id;
    for (const [tab, peer] of [
      [a1, bob],
      [a2, bob],
      [b1, alice],
      [b2, alice],
    ] as const) {
      const opened = await tab.log.waitFor("dialog:opened");
      expect(opened.dialog).toEqual({ id, peer: { id: peer.id, name: peer.name } });
    }

    const again = await ask(a2, "dialog:open", { peerId: bob.id });
    expect(again).toEqual({ ok: true, created: false, dialog: { id, peer: { id: bob.id, name: bob.name } } });
    const fromBob = await ask(b2, "dialog:open", { peerId: alice.id });
    expect(fromBob).toEqual({ ok: true, created: false, dialog: { id, peer: { id: alice.id, name: alice.name } } });

    // Barrier: a message sent now arrives after any dialog:opened the re-opens could have caused.
    const m = await send(b1, id, "barrier");
    for (const tab of [a1, a2, b1, b2]) {
      await tab.log.waitForMessage((x) => x.id === m.id, "the barrier");
      expect(tab.log.of("dialog:opened")).toHaveLength(1);
    }
  });

  it("from both sides at the same time makes one dialog", async () => {
    const alice = await t.createUser();
    const bob = await t.createUser();
    const [a, b] = [await connect(alice), await connect(bob)];
    const [ra, rb] = await Promise.all([ask(a, "dialog:open", { peerId: bob.id }), ask(b, "dialog:open", { peerId: alice.id })]);
    if (!ra.ok || !rb.ok) throw new Error(`refused: ${JSON.stringify([ra, rb])}`);
    expect(ra.dialog.id).toBe(rb.dialog.id);
    expect([ra.created, rb.created].sort()).toEqual([false, true]);
    const m = await send(a, ra.dialog.id, "barrier");
    for (const tab of [a, b]) {
      await tab.log.waitForMessage((x) => x.id === m.id, "the barrier");
      expect(tab.log.of("dialog:opened")).toHaveLength(1);
    }
  });

  it("refuses a dialog with yourself and with someone who is not online", async () => {
    const alice = await t.createUser();
    const away = await t.createUser(); // exists, never connected
    const a = await connect(alice);
    expect(await ask(a, "dialog:open", { peerId: alice.id })).toEqual({ ok: false, error: "self_dialog" });
    expect(await ask(a, "dialog:open", { peerId: away.id })).toEqual({ ok: false, error: "peer_unavailable" });
    expect(await ask(a, "dialog:open", { peerId: "no-such-user" })).toEqual({ ok: false, error: "peer_unavailable" });
    expect(a.log.of("dialog:opened")).toEqual([]);
  });

  it("lists the open dialog in the welcome of a tab that connects later, and delivers to it", async () => {
    const alice = await t.createUser();
    const bob = await t.createUser();
    const [a, b] = [await connect(alice), await connect(bob)];
    const id = await open(a, bob.id);
    const late = await connect(bob);
    expect(late.welcome.dialogs).toEqual([{ id, peer: { id: alice.id, name: alice.name } }]);
    const m = await send(a, id, "to the late tab");
    expect((await late.log.waitFor("message:new")).id).toBe(m.id);
    await b.log.waitFor("message:new", (x) => x.id === m.id);
  });
});

describe("teardown and reopening", () => {
  it("closes the dialog for all of A's tabs when B's last tab leaves, and reopens it with its history", async () => {
    const alice = await t.createUser();
    const bob = await t.createUser();
    const [a1, a2, b1, b2] = [await connect(alice), await connect(alice), await connect(bob), await connect(bob)];
    const id = await open(a1, bob.id);
    const first = await send(a1, id, "one");
    const second = await send(b1, id, "two");

    b1.socket.disconnect();
    await waitFor(() => t.server.messenger.connectionCount(bob.id) === 1, 10_000, "bob's first tab to leave");
    b2.socket.disconnect();
    for (const tab of [a1, a2]) {
      const closed = await tab.log.waitFor("dialog:closed");
      expect(closed).toEqual({ dialogId: id, reason: "peer_offline", peer: { id: bob.id, name: bob.name } });
    }
    expect(await ask(a2, "message:send", { dialogId: id, clientKey: "after-close-1", body: "anyone?" })).toEqual({
      ok: false,
      error: "dialog_not_found",
    });
    expect(await ask(a1, "dialog:history", { dialogId: id })).toEqual({ ok: false, error: "dialog_not_found" });

    const back = await connect(bob);
    expect(back.welcome.dialogs).toEqual([]);
    const mark = a2.log.mark();
    const reopened = await ask(a1, "dialog:open", { peerId: bob.id });
    expect(reopened).toMatchObject({ ok: true, created: true, dialog: { id } });
    await back.log.waitFor("dialog:opened", (o) => o.dialog.id === id);
    await a2.log.waitFor("dialog:opened", (o) => o.dialog.id === id, { since: mark });

    const history = await ask(back, "dialog:history", { dialogId: id });
    expect(history).toEqual({ ok: true, messages: [first, second], more: false });
    const third = await send(back, id, "three");
    expect(third.seq).toBe(3);
    await a2.log.waitFor("message:new", (x) => x.id === third.id);
  });

  it("closes every dialog of a user who leaves, and leaves no trace in the server's indexes", async () => {
    const hub = await t.createUser();
    const peers = [await t.createUser(), await t.createUser(), await t.createUser()];
    const h = await connect(hub);
    const conns: Connected[] = [];
    for (const p of peers) conns.push(await connect(p));
    const ids: string[] = [];
    for (const p of peers) ids.push(await open(h, p.id));
    h.socket.disconnect();
    for (const [i, c] of conns.entries()) {
      expect(await c.log.waitFor("dialog:closed")).toEqual({
        dialogId: ids[i],
        reason: "peer_offline",
        peer: { id: hub.id, name: hub.name },
      });
    }
    for (const c of conns) c.socket.disconnect();
    await waitFor(() => !peers.some((p) => t.server.messenger.isAvailable(p.id)), 10_000, "everyone to be offline");
    for (const u of [hub, ...peers]) expect(t.server.messenger.dialogsOf(u.id)).toEqual([]);
  });
});

describe("dialog cap", () => {
  let capped: TestServer;
  beforeAll(async () => {
    capped = await startTestServer({ ...STEADY_HEARTBEAT, MAX_DIALOGS_PER_USER: "1" });
  });
  afterAll(() => capped.close());

  it("refuses a dialog beyond MAX_DIALOGS_PER_USER for either member", async () => {
    const [alice, bob, carol] = [await capped.createUser(), await capped.createUser(), await capped.createUser()];
    const [a, b, c] = [await capped.connect(alice), await capped.connect(bob), await capped.connect(carol)];
    await open(a, bob.id);
    expect(await ask(a, "dialog:open", { peerId: carol.id })).toEqual({ ok: false, error: "too_many_dialogs" });
    expect(await ask(c, "dialog:open", { peerId: bob.id })).toEqual({ ok: false, error: "too_many_dialogs" });
    expect(await ask(b, "dialog:open", { peerId: alice.id })).toMatchObject({ ok: true, created: false });
    for (const x of [a, b, c]) x.socket.disconnect();
  });
});
