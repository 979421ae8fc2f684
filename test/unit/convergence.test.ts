/**
 * Convergence after a single fault, with real node services over a model of the Redis state
 * (./support/fake-redis.ts) on a fake clock: after each fault ends, every node's view of who is
 * available and which dialogs are open must equal the truth within NODE_TTL_MS + 5 s, with no
 * restart and no user action. Each test prints how long it took.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { UserProfile } from "@/server/core/types";
import { TestCluster } from "./support/test-cluster";

const TTL = 3000;
const GRACE = 1000;
const BOUND = TTL + 5000;
const user = (id: string): UserProfile => ({ id, name: id.toUpperCase() });

/** Three nodes; on each, two users; a dialog between a user of node 0 and one of node 1, and one within node 2. */
async function populated() {
  const c = await TestCluster.start({ nodes: 3, ttlMs: TTL, graceMs: GRACE });
  for (const [n, ids] of [
    [0, ["a0", "b0"]],
    [1, ["a1", "b1"]],
    [2, ["a2", "b2"]],
  ] as const) {
    for (const id of ids) c.connect(n, user(id), `${id}-tab`);
  }
  await c.run(200);
  expect(await c.open(0, "a0", "a1")).toMatchObject({ ok: true, created: true });
  expect(await c.open(2, "a2", "b2")).toMatchObject({ ok: true, created: true });
  await c.run(200);
  expect(c.differences()).toEqual([]);
  return c;
}

async function converges(c: TestCluster, fault: string): Promise<number> {
  const ms = await c.convergence(BOUND);
  console.log(`convergence (model) after ${fault}: ${ms === null ? "never" : `${ms} ms`}`);
  expect(c.differences()).toEqual([]);
  expect(ms).not.toBeNull();
  return ms ?? Infinity;
}

describe("convergence after a single fault (node services over a model of Redis)", () => {
  it("a node stalled past NODE_TTL_MS: swept, then its users are announced again and everyone sees them", async () => {
    const c = await populated();
    c.node(1).stalled = true;
    await c.run(TTL + 2000);
    expect(c.redis.users.has("a1")).toBe(false); // declared dead and swept
    expect(c.node(0).messenger.dialogsOf("a0")).toEqual([]); // the dialog with a1 was torn down
    c.node(1).stalled = false;
    await converges(c, "a stall past the TTL");
    expect(c.node(0).messenger.isAvailable("b1")).toBe(true);
    expect(await c.open(0, "b0", "b1")).toMatchObject({ ok: true, created: true });
  });

  it("Redis restarted empty: users asserted again, stored open dialogs re-opened, nobody torn down who stayed", async () => {
    const c = await populated();
    const before = [...c.redis.dialogs.keys()].sort();
    c.redis.wipe();
    const ms = await converges(c, "Redis restarted empty");
    expect(ms).toBeGreaterThan(0);
    expect([...c.redis.dialogs.keys()].sort()).toEqual(before);
    for (const n of c.nodes) expect(n.clients.closed).toEqual([]);
    for (const n of c.nodes) expect(n.clients.catchUps).toBeGreaterThan(0);
    expect(await c.open(1, "b1", "a2")).toMatchObject({ ok: true, created: true });
  });

  it("Redis restarted empty while a user left and another arrived: both are seen right, the leaver's dialog closes", async () => {
    const c = await populated();
    c.redis.wipe();
    for (const n of c.nodes) n.bus.reachable = false; // the outage: nothing reaches Redis
    c.disconnect(1, "a1", "a1-tab");
    c.connect(0, user("c0"), "c0-tab");
    await c.run(GRACE + 500); // a1's grace ends during the outage: the departure cannot be reported
    for (const n of c.nodes) n.bus.reachable = true;
    await converges(c, "Redis restarted empty, with a departure and an arrival during the outage");
    expect(c.redis.users.has("a1")).toBe(false);
    expect(c.redis.users.has("c0")).toBe(true);
    expect(c.node(0).messenger.dialogsOf("a0")).toEqual([]);
    expect(c.node(0).clients.closed.map((x) => x.notices.map((n) => n.reason))).toEqual([["peer_offline", "you_offline"]]);
    expect(c.store.isOpen(c.node(2).messenger.dialogsOf("a2")[0]?.id ?? "")).toBe(true);
  });

  it("a lost log entry is noticed at the next one (a gap) and repaired from a snapshot", async () => {
    const c = await populated();
    c.node(2).bus.dropNext = 1;
    c.connect(0, user("c0"), "c0-tab");
    await c.run(100);
    expect(c.node(2).messenger.isAvailable("c0")).toBe(false);
    c.connect(1, user("c1"), "c1-tab");
    await converges(c, "a lost log entry followed by another");
  });

  it("a lost last entry, with nothing after it, is noticed at a heartbeat (the replica stays behind the log)", async () => {
    const c = await populated();
    c.node(2).bus.dropNext = 1;
    c.disconnect(0, "b0", "b0-tab");
    await c.run(GRACE + 100);
    expect(c.node(2).messenger.isAvailable("b0")).toBe(true); // it missed b0's departure
    expect(c.differences()).not.toEqual([]);
    expect(await converges(c, "a lost last log entry")).toBeGreaterThan(0);
  });

  it("a node partitioned from Redis: its reports fail; once back, its record is repaired and it catches up", async () => {
    const c = await populated();
    const n1 = c.node(1);
    n1.bus.reachable = false;
    c.connect(1, user("c1"), "c1-tab");
    c.disconnect(1, "b1", "b1-tab");
    await c.run(GRACE + 200);
    n1.bus.reachable = true;
    n1.bus.relinked();
    await converges(c, "a partition shorter than the TTL");
    expect(c.redis.users.has("c1")).toBe(true);
    expect(c.redis.users.has("b1")).toBe(false);
    expect(c.nodes.every((n) => n.clients.catchUps > 0)).toBe(true);
  });

  it("a node partitioned past the TTL: swept meanwhile, then announced again", async () => {
    const c = await populated();
    c.node(2).bus.reachable = false;
    await c.run(TTL + 1500);
    expect(c.redis.users.has("a2")).toBe(false);
    c.node(2).bus.reachable = true;
    await converges(c, "a partition past the TTL");
  });
});

type Op =
  | { kind: "connect"; node: number; u: string }
  | { kind: "disconnect"; node: number; u: string }
  | { kind: "open"; node: number; a: string; b: string }
  | { kind: "wait"; ms: number };

type Fault = "stall" | "partition" | "wipe" | "lose-entries";

const USERS = ["u0", "u1", "u2", "u3", "u4"];
const nodeIx = fc.integer({ min: 0, max: 2 });
const uid = fc.constantFrom(...USERS);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("connect" as const), node: nodeIx, u: uid }),
  fc.record({ kind: fc.constant("disconnect" as const), node: nodeIx, u: uid }),
  fc.record({ kind: fc.constant("open" as const), node: nodeIx, a: uid, b: uid }),
  fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 1500 }) }),
);

async function play(c: TestCluster, ops: Op[]): Promise<void> {
  for (const o of ops) {
    if (o.kind === "connect") c.connect(o.node, user(o.u), `${o.u}@${o.node}`);
    else if (o.kind === "disconnect") c.disconnect(o.node, o.u, `${o.u}@${o.node}`);
    else if (o.kind === "open") {
      // Only as a client could: a user opens from a node they are connected to.
      if (c.node(o.node).messenger.connectionCount(o.a) > 0) await c.open(o.node, o.a, o.b);
    } else await c.run(o.ms);
  }
}

describe("convergence: random activity around one random fault", () => {
  it("every node's view returns to the truth within NODE_TTL_MS + 5 s after the fault ends", async () => {
    let worst = 0;
    const repaired: Record<Fault, number> = { stall: 0, partition: 0, wipe: 0, "lose-entries": 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 15 }),
        fc.constantFrom<Fault>("stall", "partition", "wipe", "lose-entries"),
        nodeIx,
        fc.integer({ min: 500, max: TTL * 2 }),
        fc.array(op, { maxLength: 15 }),
        fc.array(op, { maxLength: 10 }),
        async (before, fault, victim, length, during, after) => {
          const c = await TestCluster.start({ nodes: 3, ttlMs: TTL, graceMs: GRACE, maxDialogsPerUser: 2 });
          await play(c, before);
          const v = c.node(victim);
          if (fault === "stall") v.stalled = true;
          if (fault === "partition") v.bus.reachable = false;
          if (fault === "wipe") c.redis.wipe();
          if (fault === "lose-entries") v.bus.dropNext = 3;
          // A stalled node's clients cannot act either; anyone else's can.
          await play(
            c,
            during.filter((o) => !(fault === "stall" && "node" in o && o.node === victim)),
          );
          await c.run(length);
          v.stalled = false;
          v.bus.reachable = true;
          if (fault === "partition") v.bus.relinked();
          await play(c, after);
          const ms = await c.convergence(BOUND);
          expect(c.differences()).toEqual([]);
          worst = Math.max(worst, ms ?? Infinity);
          if ((ms ?? 0) > 0) repaired[fault]++;
        },
      ),
      { numRuns: 150 },
    );
    console.log(
      `convergence (model), random activity around one fault: worst ${worst} ms (bound ${BOUND} ms); runs needing repair: ${JSON.stringify(repaired)}`,
    );
    // Not vacuous: every kind of fault left something to repair in some runs.
    for (const [fault, n] of Object.entries(repaired)) expect(n, fault).toBeGreaterThan(0);
  }, 120_000);
});
