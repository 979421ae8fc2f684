/**
 * Several nodes on PostgreSQL and Redis: presence, dialogs, messages and teardown across nodes, and a
 * node killed with SIGKILL. Runs when DATABASE_URL (PostgreSQL) and REDIS_URL point at live services
 * (.ci/run sets both); otherwise reported as skipped, with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PresenceDelta } from "../../lib/contract/events";
import { clusterServices, startCluster, type Cluster } from "../support/cluster";
import { nextEvent, waitFor, type ClientSocket } from "../support/test-server";

const services = clusterServices();
if ("skip" in services)
  console.warn(
    `\n*** SKIPPING multi-node tests: ${services.skip}. Set DATABASE_URL=postgresql://... and REDIS_URL=redis://... to run them. ***\n`,
  );

/** Tracks one client's view of who is available. */
function watch(socket: ClientSocket, initial: { id: string }[]) {
  const online = new Set(initial.map((u) => u.id));
  const offlineEvents: string[] = [];
  socket.on("presence:delta", (d: PresenceDelta) => {
    for (const u of d.online) online.add(u.id);
    for (const id of d.offline) {
      online.delete(id);
      offlineEvents.push(id);
    }
  });
  return { online, offlineEvents };
}

describe.skipIf("skip" in services)("multi-node (PostgreSQL + Redis)", () => {
  let c: Cluster;
  beforeAll(async () => {
    if ("skip" in services) return;
    c = await startCluster(3, services);
  }, 60_000);
  afterAll(async () => {
    if ("skip" in services) return;
    await c.close();
  }, 30_000);

  it("one user with tabs on two nodes is one available user, offline only when the last tab anywhere leaves", async () => {
    const [a, watcher] = [await c.createUser(), await c.createUser()];
    const w = await c.connect(2, watcher);
    const view = watch(w.socket, w.welcome.users);
    const tab1 = await c.connect(0, a);
    const tab2 = await c.connect(1, a);
    await waitFor(() => view.online.has(a.id), 5000, "watcher sees A");
    expect(tab2.welcome.users.map((u) => u.id)).toContain(watcher.id);
    tab1.socket.disconnect();
    await new Promise((r) => setTimeout(r, 1200)); // well past the grace period
    expect(view.online.has(a.id)).toBe(true);
    expect(view.offlineEvents).not.toContain(a.id);
    tab2.socket.disconnect();
    await waitFor(() => !view.online.has(a.id), 5000, "watcher sees A leave");
  });

  it("dialogs, messages both ways and teardown work across nodes, in every tab", async () => {
    const [a, b] = [await c.createUser(), await c.createUser()];
    const A = await c.connect(0, a);
    const listA = watch(A.socket, A.welcome.users);
    const B1 = await c.connect(1, b);
    const B2 = await c.connect(2, b);
    // As a person would: A clicks B once B is in A's list (B's arrival has reached A's node).
    await waitFor(() => listA.online.has(b.id), 5000, "A sees B");
    const openedB1 = nextEvent(B1.socket, "dialog:opened");
    const openedB2 = nextEvent(B2.socket, "dialog:opened");
    const res = await A.socket.emitWithAck("dialog:open", { peerId: b.id });
    expect(res).toMatchObject({ ok: true, created: true });
    if (!res.ok) return;
    expect((await openedB1).dialog.id).toBe(res.dialog.id);
    expect((await openedB2).dialog.id).toBe(res.dialog.id);
    const again = await B2.socket.emitWithAck("dialog:open", { peerId: a.id });
    expect(again.ok && !again.created && again.dialog.id === res.dialog.id).toBe(true);

    const seen = new Map<ClientSocket, number[]>([A, B1, B2].map((x) => [x.socket, [] as number[]]));
    for (const [s, list] of seen) s.on("message:new", (m) => list.push(m.seq));
    const sends = [];
    // A sending tab is shown its own message by the ack (the server sends it no message:new for it).
    const send = (tab: ClientSocket, clientKey: string, body: string) =>
      tab.emitWithAck("message:send", { dialogId: res.dialog.id, clientKey, body }).then((ack) => {
        if (ack.ok) seen.get(tab)?.push(ack.message.seq);
        return ack;
      });
    for (let i = 0; i < 20; i++) {
      sends.push(send(A.socket, `a-key-${i}-xxxx`, `from a ${i}`));
      sends.push(send(B1.socket, `b-key-${i}-xxxx`, `from b ${i}`));
    }
    const acks = await Promise.all(sends);
    expect(acks.every((x) => x.ok)).toBe(true);
    await waitFor(() => [...seen.values()].every((l) => l.length === 40), 5000, "every tab has every message");
    // Seq order is the conversation's order; each tab sorts by it (the client does), so check the set.
    for (const list of seen.values()) expect([...list].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));

    const closed = nextEvent(A.socket, "dialog:closed", 5000);
    B1.socket.disconnect();
    B2.socket.disconnect();
    expect(await closed).toMatchObject({ dialogId: res.dialog.id, reason: "peer_offline" });
    const post = await A.socket.emitWithAck("message:send", { dialogId: res.dialog.id, clientKey: "after-teardown", body: "x" });
    expect(post).toEqual({ ok: false, error: "dialog_not_found" });
  });

  it("a node killed with SIGKILL: its users leave everyone's list, their dialogs close, and they can reconnect elsewhere", async () => {
    const cluster = await startCluster(3, services as { pg: string; redis: string });
    try {
      const [a, b] = [await cluster.createUser(), await cluster.createUser()];
      const A = await cluster.connect(0, a);
      await cluster.connect(1, b);
      const view = watch(A.socket, A.welcome.users);
      await waitFor(() => view.online.has(b.id), 5000, "A sees B");
      const res = await A.socket.emitWithAck("dialog:open", { peerId: b.id });
      expect(res.ok).toBe(true);

      const closed = nextEvent(A.socket, "dialog:closed", 10_000);
      const killedAt = Date.now();
      await cluster.nodes[1]!.kill();
      expect(await closed).toMatchObject({ reason: "peer_offline" });
      await waitFor(() => !view.online.has(b.id), 10_000, "B leaves A's list");
      const detectionMs = Date.now() - killedAt;
      // NODE_TTL_MS is 1500 here; the sweep runs every ttl/4. Generous bound for a loaded machine.
      expect(detectionMs).toBeLessThan(1500 + 5000);

      const B = await cluster.connect(2, b);
      await waitFor(() => view.online.has(b.id), 5000, "B back, through another node");
      expect(B.welcome.users.map((u) => u.id)).toContain(a.id);
      const reopened = await B.socket.emitWithAck("dialog:open", { peerId: a.id });
      expect(reopened.ok && res.ok && reopened.dialog.id === res.dialog.id).toBe(true);
    } finally {
      await cluster.close();
    }
  }, 60_000);

  it("sign-out is cluster-wide and immediate: the same browser session on two nodes ends on both, no grace period", async () => {
    const GRACE = 10_000;
    const cluster = await startCluster(3, services as { pg: string; redis: string }, { PRESENCE_GRACE_MS: String(GRACE) });
    try {
      const [a, watcher] = [await cluster.createUser(), await cluster.createUser()];
      const w = await cluster.connect(2, watcher);
      const view = watch(w.socket, w.welcome.users);
      const tab0 = await cluster.connect(0, a); // the same cookie, so the same browser session
      const tab1 = await cluster.connect(1, a);
      await waitFor(() => view.online.has(a.id), 5000, "watcher sees A");
      const ended = new Promise<string>((resolve) => tab1.socket.once("disconnect", resolve));
      const started = Date.now();
      expect(await tab0.socket.emitWithAck("session:signout", {})).toEqual({ ok: true });
      expect(await ended).toBe("io server disconnect"); // ended by node 1, not by its own hand
      await waitFor(() => !view.online.has(a.id), 5000, "A to leave the watcher's list");
      const ms = Date.now() - started;
      console.log(`cluster-wide sign-out: gone from a third node's list in ${ms} ms (grace period ${GRACE} ms)`);
      expect(ms).toBeLessThan(GRACE / 2);
    } finally {
      await cluster.close();
    }
  }, 60_000);
});
