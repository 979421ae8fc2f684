/**
 * Presence as a watching client sees it: welcome snapshot plus presence:delta batches. Absence of an
 * event is proven with a witness, never a sleep: a witness user leaves AFTER the moment in question,
 * so by the time the witness's own offline delta arrives, any offline delta the moment could have
 * caused (same grace period, started earlier) would have arrived too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { open, presentIds } from "../support/client";
import {
  STEADY_HEARTBEAT,
  blackhole,
  destroyTransport,
  startTestServer,
  waitFor,
  type Connected,
  type TestServer,
} from "../support/test-server";

const onlineIn = (w: Connected, id: string, since = 0) =>
  w.log.of("presence:delta", since).filter((d) => d.online.some((u) => u.id === id)).length;
const offlineIn = (w: Connected, id: string, since = 0) => w.log.of("presence:delta", since).filter((d) => d.offline.includes(id)).length;
const seesOnline = (w: Connected, id: string, ms?: number) =>
  w.log.waitFor("presence:delta", (d) => d.online.some((u) => u.id === id), { ms });
const seesOffline = (w: Connected, id: string, ms?: number) => w.log.waitFor("presence:delta", (d) => d.offline.includes(id), { ms });

/** A user who connects and leaves now; resolves once `watcher` has seen them go offline. */
async function witnessGrace(t: TestServer, watcher: Connected): Promise<void> {
  const witness = await t.createUser();
  const w = await t.connect(witness);
  await seesOnline(watcher, witness.id);
  w.socket.disconnect();
  await seesOffline(watcher, witness.id);
}

describe("presence (grace 300 ms)", () => {
  let t: TestServer;
  let watcher: Connected;
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT });
    watcher = await t.connect(await t.createUser("watcher"));
  });
  afterAll(() => t.close());

  it("a watcher sees a user appear soon after they connect", async () => {
    const alice = await t.createUser();
    const a = await t.connect(alice);
    const welcomedAt = Date.now();
    await seesOnline(watcher, alice.id);
    // Product goal: within a second. The server batches every 20 ms here, so 1 s is a generous bound
    // even on a loaded machine; it is measured from the server having accepted the connection.
    expect(Date.now() - welcomedAt).toBeLessThan(1000);
    expect(presentIds(watcher).has(alice.id)).toBe(true);
    expect(a.welcome.users.map((u) => u.id)).toContain(watcher.welcome.self.id);
    a.socket.disconnect();
  });

  it("two tabs of one user are one entry", async () => {
    const bob = await t.createUser();
    const since = watcher.log.mark();
    const tab1 = await t.connect(bob);
    await seesOnline(watcher, bob.id);
    const tab2 = await t.connect(bob);
    // Barrier: a later user's arrival is flushed after anything tab2 could have caused.
    const later = await t.createUser();
    const l = await t.connect(later);
    await seesOnline(watcher, later.id);
    expect(onlineIn(watcher, bob.id, since)).toBe(1);

    const fresh = await t.connect(await t.createUser());
    expect(fresh.welcome.users.filter((u) => u.id === bob.id)).toHaveLength(1);
    for (const c of [tab1, tab2, l, fresh]) c.socket.disconnect();
  });

  it("closing one tab keeps the user; closing the last one makes them offline after the grace period", async () => {
    const carol = await t.createUser();
    const tab1 = await t.connect(carol);
    const tab2 = await t.connect(carol);
    await seesOnline(watcher, carol.id);
    const since = watcher.log.mark();

    tab1.socket.disconnect();
    await waitFor(() => t.server.messenger.connectionCount(carol.id) === 1, 10_000, "the server to see tab1 leave");
    await witnessGrace(t, watcher);
    expect(offlineIn(watcher, carol.id, since)).toBe(0);
    expect(presentIds(watcher).has(carol.id)).toBe(true);

    const leftAt = Date.now();
    tab2.socket.disconnect();
    await seesOffline(watcher, carol.id);
    // Lower bound only: the server cannot declare the user offline before the grace period ends.
    expect(Date.now() - leftAt).toBeGreaterThanOrEqual(t.config.PRESENCE_GRACE_MS - 5);
    expect(presentIds(watcher).has(carol.id)).toBe(false);
  });

  it("drops a client whose TCP connection is destroyed without a goodbye", async () => {
    const dave = await t.createUser();
    const d = await t.connect(dave);
    await seesOnline(watcher, dave.id);
    destroyTransport(d.socket);
    await seesOffline(watcher, dave.id);
    expect(t.server.messenger.isAvailable(dave.id)).toBe(false);
  });
});

describe("a silent client (heartbeat 1000 + 1000 ms, grace 300 ms)", () => {
  // Heartbeats short enough to keep the test quick, long enough that a stalled event loop on a busy
  // machine does not drop the healthy clients of this test too.
  let t: TestServer;
  let watcher: Connected;
  beforeAll(async () => {
    t = await startTestServer({ HEARTBEAT_INTERVAL_MS: "1000", HEARTBEAT_TIMEOUT_MS: "1000" });
    watcher = await t.connect(await t.createUser("watcher"));
  });
  afterAll(() => t.close());

  it("declares a silent (blackholed) client offline via the heartbeat and tears down its dialogs", async () => {
    const erin = await t.createUser();
    const frank = await t.createUser();
    const e = await t.connect(erin);
    const f = await t.connect(frank);
    const dialogId = await open(f, erin.id);
    await e.log.waitFor("dialog:opened");

    const silencedAt = Date.now();
    blackhole(e.socket);
    const closed = await f.log.waitFor("dialog:closed", (c) => c.dialogId === dialogId, { ms: 20_000 });
    await seesOffline(watcher, erin.id, 20_000);
    // Worst case by design: heartbeat interval + timeout + grace (2.3 s here). The 5 s margin absorbs
    // a slow, shared machine; the point is that it is detected at all, in bounded time.
    expect(Date.now() - silencedAt).toBeLessThan(t.config.abandonDetectionMs + 5000);
    expect(closed).toEqual({ dialogId, reason: "peer_offline", peer: { id: erin.id, name: erin.name } });
    expect(t.server.messenger.dialogsOf(frank.id)).toEqual([]);
    try {
      destroyTransport(e.socket);
    } catch {
      /* already gone */
    }
    f.socket.disconnect();
  });
});

describe("presence across a page reload (grace 3 s so a reload on a slow machine fits in it)", () => {
  let t: TestServer;
  let watcher: Connected;
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT, PRESENCE_GRACE_MS: "3000" });
    watcher = await t.connect(await t.createUser("watcher"));
  });
  afterAll(() => t.close());

  it("a user who reconnects within the grace period never flaps offline", async () => {
    const alice = await t.createUser();
    const bob = await t.createUser();
    const first = await t.connect(alice);
    const b = await t.connect(bob);
    const dialogId = await open(b, alice.id);
    await seesOnline(watcher, alice.id);
    const since = watcher.log.mark();

    first.socket.disconnect(); // the reload
    await waitFor(() => t.server.messenger.connectionCount(alice.id) === 0, 10_000, "the server to see the reload's disconnect");
    expect(t.server.messenger.isAvailable(alice.id)).toBe(true);
    const second = await t.connect(alice);
    expect(second.welcome.dialogs).toEqual([{ id: dialogId, peer: { id: bob.id, name: bob.name } }]);

    await witnessGrace(t, watcher);
    expect(offlineIn(watcher, alice.id, since)).toBe(0);
    expect(onlineIn(watcher, alice.id, since)).toBe(0);
    expect(b.log.of("dialog:closed")).toEqual([]);
    expect(t.server.messenger.dialogsOf(bob.id).map((d) => d.id)).toEqual([dialogId]);
    second.socket.disconnect();
    b.socket.disconnect();
  });
});
