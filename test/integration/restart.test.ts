/**
 * A server restart on the same database: open dialogs come back for one grace period, history and
 * sequence numbers carry on, every acknowledged message survives, and a member who does not return
 * gets the dialog torn down.
 */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { MessageView } from "../../lib/contract/events";
import { ask, newKey, open, range, shownSeqs, send } from "../support/client";
import { STEADY_HEARTBEAT, startTestServer, waitFor, type Connected, type TestServer, type TestUser } from "../support/test-server";

const servers: TestServer[] = [];
async function start(env: Record<string, string>, reuse?: { dir: string; port?: number }) {
  const t = await startTestServer({ ...STEADY_HEARTBEAT, ...env }, reuse);
  servers.push(t);
  return t;
}
afterEach(async () => {
  const dirs = new Set(servers.map((s) => s.dir));
  for (const s of servers.splice(0)) await s.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Two users in an open dialog on server `t`. */
async function pair(t: TestServer) {
  const alice = await t.createUser();
  const bob = await t.createUser();
  const a = await t.connect(alice);
  const b = await t.connect(bob);
  const id = await open(a, bob.id);
  await b.log.waitFor("dialog:opened");
  return { alice, bob, a, b, id };
}

/**
 * Stops the server the way a deploy does (the server closes the connections and tells the clients),
 * then starts a new one on the same database and port. `notice`: check that every connected client
 * was told (only reliable when the server is idle; see shutdown.test.ts for the busy case).
 */
async function restart(t: TestServer, clients: Connected[], env: Record<string, string>, notice = true): Promise<TestServer> {
  const connected = clients.filter((c) => c.socket.connected);
  const gone = connected.map((c) => new Promise((r) => c.socket.once("disconnect", r)));
  await t.server.close();
  await Promise.all(gone);
  if (notice) for (const c of connected) expect(c.log.of("server:shutdown")).toEqual([{ reconnectInMs: expect.any(Number) as number }]);
  return start(env, { dir: t.dir, port: t.port });
}

const peerView = (u: TestUser) => ({ id: u.id, name: u.name });

describe("restart", () => {
  it("restores the dialog for members who return within grace; sync returns what was missed; seq continues", async () => {
    // Grace 5 s on both servers: bob's absence before the stop and the reconnects after it fit easily.
    const env = { PRESENCE_GRACE_MS: "5000" };
    const t1 = await start(env);
    const { alice, bob, a, b, id } = await pair(t1);
    const seen: MessageView[] = [];
    for (let i = 1; i <= 3; i++) seen.push(await send(i % 2 ? a : b, id, `before ${i}`));
    await b.log.until(() => shownSeqs(b, id).length === 3, "bob to see the first three");

    b.socket.disconnect(); // bob's tab is away (within grace) when the server stops
    await waitFor(() => t1.server.messenger.connectionCount(bob.id) === 0, 10_000, "bob's tab to leave");
    const missed = [await send(a, id, "while bob was away 1"), await send(a, id, "while bob was away 2")];

    const t2 = await restart(t1, [a], env);
    expect(t2.server.serverId).not.toBe(t1.server.serverId);
    const a2 = await t2.connect(alice);
    const b2 = await t2.connect(bob);
    expect(a2.welcome.dialogs).toEqual([{ id, peer: peerView(bob) }]);
    expect(b2.welcome.dialogs).toEqual([{ id, peer: peerView(alice) }]);
    expect(a2.welcome.serverId).toBe(t2.server.serverId);

    const sync = await ask(b2, "dialog:sync", { dialogs: [{ dialogId: id, afterSeq: 3 }] });
    expect(sync).toEqual({ ok: true, pages: { [id]: { messages: missed, more: false } } });
    const history = await ask(a2, "dialog:history", { dialogId: id });
    expect(history).toEqual({ ok: true, messages: [...seen, ...missed], more: false });

    const next = await send(b2, id, "after the restart");
    expect(next.seq).toBe(6);
    expect(await a2.log.waitFor("message:new")).toEqual(next);

    // The restored dialog is live, not a ghost: nobody is torn down once both are back.
    const retried = await send(a2, id, "while bob was away 1", missed[0]!.clientKey);
    expect(retried).toEqual(missed[0]);
    expect(t2.server.messenger.dialogsOf(alice.id).map((d) => d.id)).toEqual([id]);
  });

  it("tears the restored dialog down after the restore grace period when only one member returns", async () => {
    const t1 = await start({});
    const { alice, bob, a, b, id } = await pair(t1);
    await send(a, id, "hello");

    // Restored members are held for RESTORE_GRACE_MS (longer than the reload grace in production).
    const grace = 1500;
    const t2 = await restart(t1, [a, b], { RESTORE_GRACE_MS: String(grace) });
    const a2 = await t2.connect(alice);
    expect(a2.welcome.dialogs).toEqual([{ id, peer: peerView(bob) }]);
    expect(a2.welcome.users.map((u) => u.id)).toContain(bob.id); // held for the grace period

    const closed = await a2.log.waitFor("dialog:closed", () => true, { ms: grace + 10_000 });
    expect(closed).toEqual({ dialogId: id, reason: "peer_offline", peer: peerView(bob) });
    await a2.log.waitFor("presence:delta", (d) => d.offline.includes(bob.id));
    expect(await ask(a2, "message:send", { dialogId: id, clientKey: newKey(), body: "too late" })).toEqual({
      ok: false,
      error: "dialog_not_found",
    });

    // The closed state is stored: a further restart does not bring the dialog back.
    const db = t2.server.database.db;
    for (let i = 0; (await db.conversation.findUniqueOrThrow({ where: { id } })).open; i++) {
      if (i > 500) throw new Error("the closed dialog was never recorded as closed");
      await new Promise((r) => setTimeout(r, 20));
    }
    const t3 = await restart(t2, [a2], {});
    expect(t3.server.messenger.stats().openDialogs).toBe(0);
    const a3 = await t3.connect(alice);
    expect(a3.welcome.dialogs).toEqual([]);
  });

  it("keeps every acknowledged message through a shutdown in the middle of a burst; retries fill in the rest once", async () => {
    // No rate limit in the way; a slow heartbeat so the busy event loop drops nobody during the burst.
    const env = { EVENTS_PER_SECOND: "100000", EVENTS_BURST: "100000", HEARTBEAT_INTERVAL_MS: "10000", HEARTBEAT_TIMEOUT_MS: "10000" };
    const t1 = await start(env);
    const { alice, bob, a, id } = await pair(t1);
    const N = 200;
    const keys = range(N).map(() => newKey());
    const pending = keys.map((clientKey, i) => ask(a, "message:send", { dialogId: id, clientKey, body: `burst ${i}` }));
    const settling = Promise.allSettled(pending); // some acks may never come: the connection ends
    await pending[0]; // the server is busy with the burst
    const t2 = await restart(t1, [a], env, false);
    const acked = (await settling).flatMap((r) => (r.status === "fulfilled" && r.value.ok ? [r.value.message] : []));
    expect(acked.length).toBeGreaterThanOrEqual(1);

    const a2 = await t2.connect(alice);
    await t2.connect(bob);
    const stored = await ask(a2, "dialog:history", { dialogId: id, limit: 200 });
    if (!stored.ok) throw new Error(stored.error);
    for (const m of acked) expect(stored.messages).toContainEqual(m);

    // The client retries everything it has no ack for (or all of it): nothing is stored twice.
    const again: MessageView[] = [];
    for (const [i, clientKey] of keys.entries()) again.push(await send(a2, id, `burst ${i}`, clientKey));
    for (const m of acked) expect(again).toContainEqual(m);
    const final = await ask(a2, "dialog:history", { dialogId: id, limit: 200 });
    expect(final.ok && final.messages.map((m) => m.seq)).toEqual(range(N));
    expect(final.ok && new Set(final.messages.map((m) => m.clientKey)).size).toBe(N);
  });
});
