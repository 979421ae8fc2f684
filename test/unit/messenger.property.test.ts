/**
 * Random sequences against the Messenger.
 *
 * 1. The real node service on one node (./support/test-node.ts): connections, disconnects, time,
 *    expiries, opens (also racing ones) and restores, checked after every step against a plain model:
 *    users with their connections and grace deadlines, and one dialog per pair.
 * 2. The replica alone: a random stream of bus events applied in the same order to two Messengers
 *    (different clocks, different local connections) leaves them identical, and as a model predicts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Messenger, type Teardown } from "@/server/core/messenger";
import type { ClusterEvent } from "@/server/core/cluster-bus";
import type { UserProfile } from "@/server/core/types";
import { TestNode, conversationId, replicaState } from "./support/test-node";

const GRACE = 1000;
/** Members of restored dialogs are held longer than the grace period. */
const RESTORE_GRACE = 1500;
const MAX_DIALOGS = 2;
const USERS = ["u0", "u1", "u2", "u3"] as const;
const CONNS = ["c0", "c1", "c2"] as const;

type Op =
  | { kind: "connect"; u: string; c: string }
  | { kind: "disconnect"; u: string; c: string; immediate: boolean }
  | { kind: "advance"; ms: number }
  | { kind: "expire" }
  | { kind: "open"; a: string; b: string }
  /** Both sides open at once: both plans are made before either proposal is applied. */
  | { kind: "race"; a: string; b: string; bFirst: boolean }
  /** restoreOpenDialogs with these stored open conversations. */
  | { kind: "restore"; pairs: [string, string][] };

const user = fc.constantFrom(...USERS);
const conn = fc.constantFrom(...CONNS);
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("connect" as const), u: user, c: conn }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant("disconnect" as const), u: user, c: conn, immediate: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: GRACE * 2 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("expire" as const) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("open" as const), a: user, b: user }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant("race" as const), a: user, b: user, bFirst: fc.boolean() }), weight: 1 },
  {
    arbitrary: fc.record({ kind: fc.constant("restore" as const), pairs: fc.array(fc.tuple(user, user), { minLength: 1, maxLength: 3 }) }),
    weight: 1,
  },
);

const profile = (id: string): UserProfile => ({ id, name: `Name ${id}` });
const connId = (u: string, c: string) => `${u}:${c}`;
const sorted = (xs: Iterable<string>) => [...xs].sort();

class Model {
  readonly users = new Map<string, { conns: Set<string>; deadline: number | null }>();
  readonly dialogs = new Map<string, readonly [string, string]>();

  dialogIdsOf(u: string): string[] {
    return sorted([...this.dialogs].filter(([, m]) => m.includes(u)).map(([id]) => id));
  }

  /** The user goes offline: returns the ids of the dialogs that close. */
  drop(u: string): string[] {
    this.users.delete(u);
    const ids = this.dialogIdsOf(u);
    for (const id of ids) this.dialogs.delete(id);
    return ids;
  }
}

/** How often the interesting paths were reached, so the property is known not to be vacuous. */
const reached = { teardownWithDialogs: 0, concurrentOpen: 0, capRefusal: 0, restoreExpired: 0, restoreKept: 0, longRuns: 0 };

function checkTeardown(t: Teardown | null, left: UserProfile, model: Model): void {
  expect(t).not.toBeNull();
  if (!t) return;
  expect(t.user).toEqual(left);
  expect(t.user).toEqual(profile(t.user.id));
  for (const d of t.dialogs) expect(d.members).toContain(t.user.id);
  const closed = model.drop(t.user.id);
  expect(sorted(t.dialogs.map((d) => d.id))).toEqual(closed);
  if (closed.length > 0) reached.teardownWithDialogs++;
}

/** Compared as one value per step (one `expect` per step keeps long runs fast). */
function checkInvariants(node: TestNode, model: Model, viewer: Set<string>): void {
  const m = node.messenger;
  const observed = (u: string) => {
    const dialogs = m.dialogsOf(u);
    return {
      available: m.isAvailable(u),
      connections: m.connectionCount(u),
      profile: m.profile(u),
      dialogs: sorted(dialogs.map((d) => d.id)),
      // Every open dialog has both members available, and is authorized for its members only.
      dialogsConsistent: dialogs.every(
        (d) =>
          d.members.includes(u) &&
          m.isAvailable(d.members[0]) &&
          m.isAvailable(d.members[1]) &&
          m.dialogFor(u, d.id) === d &&
          USERS.every((x) => d.members.includes(x) || m.dialogFor(x, d.id) === null),
      ),
    };
  };
  const expected = (u: string) => {
    const mu = model.users.get(u);
    return {
      // Available iff a connection is open here, or the user is in a grace period / restore hold
      // (a deadline that expire has not acted on yet).
      available: mu !== undefined && (mu.conns.size > 0 || mu.deadline !== null),
      connections: mu?.conns.size ?? 0,
      profile: mu ? profile(u) : undefined,
      dialogs: model.dialogIdsOf(u),
      dialogsConsistent: true,
    };
  };
  const deadlines = [...model.users.values()].flatMap((mu) => (mu.deadline === null ? [] : [mu.deadline]));
  const members = new Set([...model.dialogs.values()].flat());
  expect({
    available: sorted(m.available().map((u) => u.id)),
    users: Object.fromEntries(USERS.map((u) => [u, observed(u)])),
    // The cap holds (restored conversations are generated within it, as stored ones were).
    maxDialogs: Math.max(...USERS.map((u) => m.dialogsOf(u).length)) <= MAX_DIALOGS,
    nextWakeAt: m.nextWakeAt(),
    stats: m.stats(),
    viewer: sorted(viewer),
  }).toEqual({
    available: sorted(model.users.keys()),
    users: Object.fromEntries(USERS.map((u) => [u, expected(u)])),
    maxDialogs: true,
    nextWakeAt: deadlines.length === 0 ? null : Math.min(...deadlines),
    stats: {
      availableUsers: model.users.size,
      localUsers: model.users.size,
      openDialogs: model.dialogs.size,
      usersWithDialogs: members.size,
    },
    viewer: sorted(model.users.keys()),
  });
  // The model itself never holds a user with no connection and no deadline.
  for (const [u, mu] of model.users)
    if (mu.conns.size === 0 && mu.deadline === null) throw new Error(`model: ${u} has no connection and no deadline`);
}

async function run(ops: Op[]): Promise<void> {
  const node = await TestNode.start({ graceMs: GRACE, maxDialogsPerUser: MAX_DIALOGS, restoreGraceMs: RESTORE_GRACE });
  const m = node.messenger;
  const model = new Model();
  const restoredHeld = new Set<string>();
  // A client that took a snapshot and then applies every drained batch.
  const viewer = new Set<string>();
  const applyFeed = () => {
    const batch = m.feed.drain();
    if (!batch) return;
    for (const id of batch.offline) viewer.delete(id);
    for (const u of batch.online) viewer.add(u.id);
  };
  const count = (u: string) => model.dialogIdsOf(u).length;

  for (const o of ops) {
    switch (o.kind) {
      case "connect": {
        const { cameOnline, dialogs } = node.connect(profile(o.u), connId(o.u, o.c));
        expect(cameOnline).toBe(!model.users.has(o.u));
        expect(sorted(dialogs.map((d) => d.id))).toEqual(model.dialogIdsOf(o.u));
        if (restoredHeld.delete(o.u) && dialogs.length > 0) reached.restoreKept++;
        const mu = model.users.get(o.u) ?? { conns: new Set<string>(), deadline: null };
        mu.conns.add(o.c);
        mu.deadline = null;
        model.users.set(o.u, mu);
        break;
      }
      case "disconnect": {
        const mu = model.users.get(o.u);
        const last = mu !== undefined && mu.conns.has(o.c) && mu.conns.size === 1;
        const { left, teardown } = node.disconnect(o.u, connId(o.u, o.c), o.immediate);
        if (mu?.conns.delete(o.c) && mu.conns.size === 0 && !o.immediate) mu.deadline = node.now + GRACE;
        if (last && o.immediate) {
          expect(left).toEqual(profile(o.u));
          checkTeardown(teardown, profile(o.u), model);
        } else {
          expect(left).toBeNull();
          expect(teardown).toBeNull();
        }
        break;
      }
      case "advance":
        node.advance(o.ms);
        break;
      case "expire": {
        const due = sorted(
          [...model.users].filter(([, mu]) => mu.conns.size === 0 && mu.deadline !== null && mu.deadline <= node.now).map(([u]) => u),
        );
        const { left, teardowns } = node.expire();
        expect(sorted(left.map((u) => u.id))).toEqual(due);
        expect(teardowns).toHaveLength(left.length);
        left.forEach((u, i) => {
          if (restoredHeld.delete(u.id) && model.dialogIdsOf(u.id).length > 0) reached.restoreExpired++;
          checkTeardown(teardowns[i] ?? null, u, model);
        });
        const next = m.nextWakeAt();
        if (next !== null) expect(next).toBeGreaterThan(node.now);
        break;
      }
      case "open": {
        const id = conversationId(o.a, o.b);
        const existing = model.dialogs.has(id);
        const result = await node.open(o.a, o.b);
        if (o.a === o.b) expect(result).toEqual({ ok: false, error: "self_dialog" });
        else if (existing) expect(result).toMatchObject({ ok: true, created: false, dialog: { id } });
        else if (!model.users.has(o.a) || !model.users.has(o.b)) expect(result).toEqual({ ok: false, error: "peer_unavailable" });
        else if (count(o.a) >= MAX_DIALOGS || count(o.b) >= MAX_DIALOGS) {
          expect(result).toEqual({ ok: false, error: "too_many_dialogs" });
          reached.capRefusal++;
        } else {
          expect(result).toEqual({ ok: true, created: true, dialog: { id, members: [o.a, o.b] } });
          model.dialogs.set(id, [o.a, o.b]);
        }
        break;
      }
      case "race": {
        const id = conversationId(o.a, o.b);
        const p1 = m.planOpen(o.a, o.b);
        const p2 = m.planOpen(o.b, o.a);
        if (p1.kind !== "create" || p2.kind !== "create") break; // other outcomes: see "open"
        expect(model.dialogs.has(id)).toBe(false);
        // Both requests plan "create" and then wait for storage; both proposals reach the bus.
        const [x, y] = o.bFirst ? [o.b, o.a] : [o.a, o.b];
        const release = node.store.pause();
        const pending = [node.open(x, y), node.open(y, x)];
        await Promise.resolve();
        release();
        const results = await Promise.all(pending);
        const winner = results.find((r) => r.ok && r.created);
        const loser = results.find((r) => r.ok && !r.created);
        expect(winner?.ok && winner.dialog.id).toBe(id);
        expect(loser?.ok && loser.dialog).toBe(winner?.ok && winner.dialog);
        if (winner?.ok) model.dialogs.set(id, winner.dialog.members);
        reached.concurrentOpen++;
        break;
      }
      case "restore": {
        // Stored open conversations: distinct users, one per pair, and (as when they were opened)
        // within the cap. Pairs that do not fit are not stored, so they are not restored.
        const counts = new Map(USERS.map((u) => [u as string, count(u)]));
        const stored: { id: string; a: UserProfile; b: UserProfile }[] = [];
        for (const [a, b] of o.pairs) {
          const id = conversationId(a, b);
          if (a === b || stored.some((c) => c.id === id)) continue;
          if (!model.dialogs.has(id)) {
            if ((counts.get(a) ?? 0) >= MAX_DIALOGS || (counts.get(b) ?? 0) >= MAX_DIALOGS) continue;
            counts.set(a, (counts.get(a) ?? 0) + 1);
            counts.set(b, (counts.get(b) ?? 0) + 1);
          }
          stored.push({ id, a: profile(a), b: profile(b) });
        }
        const results = await node.restore(...stored);
        for (const c of stored) {
          for (const u of [c.a.id, c.b.id]) {
            if (model.users.has(u)) continue;
            model.users.set(u, { conns: new Set(), deadline: node.now + RESTORE_GRACE });
            restoredHeld.add(u);
          }
        }
        stored.forEach((c, i) => {
          const r = results[i];
          if (model.dialogs.has(c.id)) {
            expect(r).toMatchObject({ created: false, dialog: { id: c.id } });
          } else {
            expect(r).toEqual({ created: true, dialog: { id: c.id, members: [c.a.id, c.b.id] } });
            model.dialogs.set(c.id, [c.a.id, c.b.id]);
          }
        });
        break;
      }
    }
    applyFeed();
    checkInvariants(node, model, viewer);
  }
  if (ops.length >= 60) reached.longRuns++;

  // Another node that applied the same events in the same order holds the same replica.
  expect(replicaState(node.replay(), USERS)).toEqual(replicaState(m, USERS));

  // Everyone leaves; after the (longest) grace period nothing is left behind.
  for (const [u, mu] of model.users) for (const c of [...mu.conns]) expect(node.disconnect(u, connId(u, c)).left).toBeNull();
  node.advance(Math.max(GRACE, RESTORE_GRACE));
  const { left, teardowns } = node.expire();
  expect(sorted(left.map((u) => u.id))).toEqual(sorted(model.users.keys()));
  expect(teardowns).toHaveLength(left.length);
  applyFeed();
  expect(m.stats()).toEqual({ availableUsers: 0, localUsers: 0, openDialogs: 0, usersWithDialogs: 0 });
  expect(m.available()).toEqual([]);
  expect(m.nextWakeAt()).toBeNull();
  expect(viewer.size).toBe(0);
}

describe("single node: model-based property", () => {
  it("keeps presence, dialogs, deadlines and the feed consistent with the model", async () => {
    for (const k of Object.keys(reached) as (keyof typeof reached)[]) reached[k] = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 100, size: "max" }), (ops) => run(ops)),
      { numRuns: 300 },
    );
    // Every interesting path was taken by some run.
    for (const [path, n] of Object.entries(reached)) expect(n, path).toBeGreaterThan(0);
  }, 60_000);

  it("the model check is not vacuous: a known sequence reaches dialogs, caps, races, restores and teardowns", async () => {
    for (const k of Object.keys(reached) as (keyof typeof reached)[]) reached[k] = 0;
    await run([
      { kind: "restore", pairs: [["u2", "u3"]] },
      { kind: "connect", u: "u0", c: "c0" },
      { kind: "connect", u: "u1", c: "c0" },
      { kind: "connect", u: "u2", c: "c0" },
      { kind: "race", a: "u0", b: "u1", bFirst: true },
      { kind: "open", a: "u0", b: "u2" },
      { kind: "open", a: "u0", b: "u3" },
      { kind: "open", a: "u3", b: "u0" },
      { kind: "disconnect", u: "u0", c: "c0", immediate: false },
      { kind: "advance", ms: GRACE },
      { kind: "expire" },
      { kind: "advance", ms: RESTORE_GRACE - GRACE },
      { kind: "expire" },
      { kind: "open", a: "u2", b: "u1" },
      { kind: "disconnect", u: "u1", c: "c0", immediate: true },
    ]);
    // Each counter is bumped only where the run checked that path against the model.
    expect(reached).toEqual({
      restoreKept: 1, // u2 connects while held for the restored u2-u3
      concurrentOpen: 1, // u0 and u1 open each other at once: one dialog
      capRefusal: 2, // u0 at the cap of 2: u0->u3 and u3->u0 refused
      teardownWithDialogs: 3, // u0 expires (u0-u1, u0-u2), u3 expires (u2-u3), u1 signs out (u2-u1)
      restoreExpired: 1, // u3 never comes back: u2-u3 torn down after RESTORE_GRACE
      longRuns: 0,
    });
  });
});

// ---- the replica alone ----

const RUSERS = ["r0", "r1", "r2", "r3", "r4"] as const;
const ruser = fc.constantFrom(...RUSERS);

/** The events that change the replica. */
type ReplicaEvent = Extract<ClusterEvent, { t: "online" | "offline" | "dialog" }>;

type Step =
  | { on: "bus"; event: ReplicaEvent }
  /** Something local to one of the two nodes only (never announced): must not change the replica. */
  | { on: "local"; node: 0 | 1; u: string; c: string; connect: boolean; immediate: boolean };

const busEvent: fc.Arbitrary<ReplicaEvent> = fc.oneof(
  {
    arbitrary: fc.record({ t: fc.constant("online" as const), user: fc.record({ id: ruser, name: fc.constantFrom("A", "B") }) }),
    weight: 4,
  },
  { arbitrary: fc.record({ t: fc.constant("offline" as const), userId: ruser }), weight: 2 },
  {
    // Ids as stored: one per pair; sometimes another one for the same pair (a stale proposal).
    arbitrary: fc.record({ a: ruser, b: ruser, alt: fc.boolean() }).map(({ a, b, alt }) => ({
      t: "dialog" as const,
      id: conversationId(a, b) + (alt ? "#2" : ""),
      a,
      b,
      op: "op",
    })),
    weight: 5,
  },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: busEvent.map((event) => ({ on: "bus" as const, event })), weight: 5 },
  {
    arbitrary: fc.record({
      on: fc.constant("local" as const),
      node: fc.constantFrom(0 as const, 1 as const),
      u: ruser,
      c: fc.constantFrom("x", "y"),
      connect: fc.boolean(),
      immediate: fc.boolean(),
    }),
    weight: 1,
  },
);

/** Deep equality with a fast path (these streams are long); `expect` reports any difference. */
function same(actual: unknown, expected: unknown): void {
  const json = (x: unknown) => JSON.stringify(x, (_k, v: unknown) => (v === undefined ? "<undefined>" : v));
  if (json(actual) !== json(expected)) expect(actual).toEqual(expected);
}

/** Everything a replica answers, in the order it answers it (available() order included). */
function view(m: Messenger) {
  return {
    state: replicaState(m, RUSERS),
    available: sorted(m.available().map((u) => u.id)),
    availableExcluding: Object.fromEntries(RUSERS.map((u) => [u, m.available(u)])),
    profiles: Object.fromEntries(RUSERS.map((u) => [u, m.profile(u)])),
    dialogIds: Object.fromEntries(RUSERS.map((u) => [u, sorted(m.dialogsOf(u).map((d) => d.id))])),
    plans: RUSERS.map((u) => RUSERS.map((v) => m.planOpen(u, v))),
  };
}

function applyTo(m: Messenger, e: ReplicaEvent): unknown {
  if (e.t === "online") {
    m.applyOnline(e.user);
    return;
  }
  if (e.t === "offline") return m.applyOffline(e.userId);
  return m.applyDialog(e.id, e.a, e.b);
}

describe("the replica: same events, same order, same state", () => {
  it("two replicas applying a random event stream agree with each other and with a model", () => {
    const applied = { created: 0, concurrent: 0, refused: 0, teardowns: 0 };
    fc.assert(
      fc.property(fc.array(step, { maxLength: 100, size: "max" }), (steps) => {
        // Different nodes: different clocks and grace periods, different local connections. The cap
        // is cluster-wide configuration, the same everywhere (high here: these streams ignore it).
        const clocks = [{ now: () => 0 }, { now: () => 123_456 }];
        const replicas = [
          new Messenger({ clock: clocks[0]!, graceMs: 10, maxDialogsPerUser: 100 }),
          new Messenger({ clock: clocks[1]!, graceMs: 99_999, maxDialogsPerUser: 100 }),
        ] as const;
        const users = new Map<string, UserProfile>();
        const dialogs = new Map<string, { id: string; members: [string, string] }>(); // by pair
        for (const s of steps) {
          if (s.on === "local") {
            const m = replicas[s.node];
            if (s.connect) m.connect(profile(s.u), s.c);
            else m.disconnect(s.u, s.c, s.immediate);
            m.expire();
            continue;
          }
          const e = s.event;
          const [r0, r1] = replicas.map((m) => applyTo(m, e));
          same(r1, r0);
          // The model's prediction of what the replica answers.
          if (e.t === "online") {
            users.set(e.user.id, e.user);
          } else if (e.t === "offline") {
            const had = users.get(e.userId);
            const closed = [...dialogs].filter(([, d]) => d.members.includes(e.userId));
            for (const [pair] of closed) dialogs.delete(pair);
            users.delete(e.userId);
            const byId = (ds: readonly { id: string }[]) => [...ds].sort((x, y) => (x.id < y.id ? -1 : 1));
            const t = r0 as Teardown | null;
            same(t && { user: t.user, dialogs: byId(t.dialogs) }, had ? { user: had, dialogs: byId(closed.map(([, d]) => d)) } : null);
            if (had) applied.teardowns++;
          } else {
            const pair = sorted([e.a, e.b]).join("|");
            const existing = dialogs.get(pair);
            if (e.a === e.b || !users.has(e.a) || !users.has(e.b)) {
              same(r0, null);
              applied.refused++;
            } else if (existing) {
              same(r0, { dialog: existing, created: false });
              applied.concurrent++;
            } else {
              const d = { id: e.id, members: [e.a, e.b] as [string, string] };
              same(r0, { dialog: d, created: true });
              dialogs.set(pair, d);
              applied.created++;
            }
          }
          // Identical replicas, as the model says.
          const [v0, v1] = replicas.map(view) as [ReturnType<typeof view>, ReturnType<typeof view>];
          same(v1, v0);
          same(
            {
              available: v0.available,
              profiles: v0.profiles,
              dialogIds: v0.dialogIds,
              availableUsers: v0.state.stats.availableUsers,
              openDialogs: v0.state.stats.openDialogs,
            },
            {
              available: sorted(users.keys()),
              profiles: Object.fromEntries(RUSERS.map((u) => [u, users.get(u)])),
              dialogIds: Object.fromEntries(
                RUSERS.map((u) => [u, sorted([...dialogs.values()].filter((d) => d.members.includes(u)).map((d) => d.id))]),
              ),
              availableUsers: users.size,
              openDialogs: dialogs.size,
            },
          );
          same(replicas[1].feed.drain(), replicas[0].feed.drain());
        }
      }),
      { numRuns: 200 },
    );
    for (const [path, n] of Object.entries(applied)) expect(n, path).toBeGreaterThan(0);
  }, 60_000);
});
