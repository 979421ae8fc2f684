/**
 * Random operation sequences against the Messenger, checked after every step against a plain model:
 * users with their connections and grace deadlines, and one dialog per pair.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Messenger, type Dialog, type Teardown } from "@/server/core/messenger";
import type { UserProfile } from "@/server/core/types";

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
  | { kind: "restore"; a: string; b: string };

const user = fc.constantFrom(...USERS);
const conn = fc.constantFrom(...CONNS);
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("connect" as const), u: user, c: conn }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant("disconnect" as const), u: user, c: conn, immediate: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: GRACE * 2 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("expire" as const) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("open" as const), a: user, b: user }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant("restore" as const), a: user, b: user }), weight: 1 },
);

const profile = (id: string): UserProfile => ({ id, name: `Name ${id}` });
const connId = (u: string, c: string) => `${u}:${c}`;
const idFor = (a: string, b: string) => `d:${[a, b].sort().join(":")}`;
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

  hold(u: string, now: number): void {
    if (!this.users.has(u)) this.users.set(u, { conns: new Set(), deadline: now + RESTORE_GRACE });
  }
}

function checkTeardown(t: Teardown, model: Model): void {
  for (const d of t.dialogs) expect(d.members).toContain(t.user.id);
  expect(sorted(t.dialogs.map((d) => d.id))).toEqual(model.drop(t.user.id));
  expect(t.user).toEqual(profile(t.user.id));
}

function checkInvariants(m: Messenger, model: Model, viewer: Set<string>): void {
  expect(sorted(m.available().map((u) => u.id))).toEqual(sorted(model.users.keys()));
  let wake: number | null = null;
  for (const u of USERS) {
    const mu = model.users.get(u);
    expect(m.isAvailable(u)).toBe(mu !== undefined);
    expect(m.connectionCount(u)).toBe(mu?.conns.size ?? 0);
    // Never offline while a connection is live; never present with no connection and no deadline.
    if ((mu?.conns.size ?? 0) > 0) expect(m.isAvailable(u)).toBe(true);
    if (mu && mu.conns.size === 0) expect(mu.deadline).not.toBeNull();
    if (mu?.deadline != null && (wake === null || mu.deadline < wake)) wake = mu.deadline;
    const dialogs = m.dialogsOf(u);
    expect(sorted(dialogs.map((d) => d.id))).toEqual(model.dialogIdsOf(u));
    for (const d of dialogs) {
      expect(m.isAvailable(d.members[0]) && m.isAvailable(d.members[1])).toBe(true);
      expect(m.dialogFor(u, d.id)).toBe(d);
      const outsider = USERS.find((x) => !d.members.includes(x));
      if (outsider) expect(m.dialogFor(outsider, d.id)).toBeNull();
    }
  }
  expect(m.nextWakeAt()).toBe(wake);
  const members = new Set([...model.dialogs.values()].flat());
  expect(m.stats()).toEqual({ availableUsers: model.users.size, openDialogs: model.dialogs.size, usersWithDialogs: members.size });
  expect(sorted(viewer)).toEqual(sorted(model.users.keys()));
}

function run(ops: Op[]): void {
  const clock = { t: 0, now: (): number => clock.t };
  const m = new Messenger({ clock, graceMs: GRACE, maxDialogsPerUser: MAX_DIALOGS, restoreGraceMs: RESTORE_GRACE });
  const model = new Model();
  // A client that took a snapshot and then applies every drained batch.
  const viewer = new Set<string>();
  const applyFeed = () => {
    const batch = m.feed.drain();
    if (!batch) return;
    for (const id of batch.offline) viewer.delete(id);
    for (const u of batch.online) viewer.add(u.id);
  };

  for (const o of ops) {
    switch (o.kind) {
      case "connect": {
        const dialogs = m.connect(profile(o.u), connId(o.u, o.c));
        expect(sorted(dialogs.map((d: Dialog) => d.id))).toEqual(model.dialogIdsOf(o.u));
        const mu = model.users.get(o.u) ?? { conns: new Set<string>(), deadline: null };
        mu.conns.add(o.c);
        mu.deadline = null;
        model.users.set(o.u, mu);
        break;
      }
      case "disconnect": {
        const mu = model.users.get(o.u);
        const last = mu !== undefined && mu.conns.has(o.c) && mu.conns.size === 1;
        const result = m.disconnect(o.u, connId(o.u, o.c), o.immediate);
        if (mu?.conns.delete(o.c) && mu.conns.size === 0 && !o.immediate) mu.deadline = clock.t + GRACE;
        if (last && o.immediate) {
          expect(result).not.toBeNull();
          if (result) checkTeardown(result, model);
        } else {
          expect(result).toBeNull();
        }
        break;
      }
      case "advance":
        clock.t += o.ms;
        break;
      case "expire": {
        const due = sorted([...model.users].filter(([, mu]) => mu.conns.size === 0 && mu.deadline !== null && mu.deadline <= clock.t).map(([u]) => u));
        const teardowns = m.expire();
        expect(sorted(teardowns.map((t) => t.user.id))).toEqual(due);
        for (const t of teardowns) checkTeardown(t, model);
        const next = m.nextWakeAt();
        if (next !== null) expect(next).toBeGreaterThan(clock.t);
        break;
      }
      case "open": {
        const existing = model.dialogs.get(idFor(o.a, o.b));
        const plan = m.planOpen(o.a, o.b);
        const count = (u: string) => model.dialogIdsOf(u).length;
        if (o.a === o.b) expect(plan).toEqual({ kind: "refused", error: "self_dialog" });
        else if (existing) expect(plan).toMatchObject({ kind: "existing", dialog: { id: idFor(o.a, o.b) } });
        else if (!model.users.has(o.a) || !model.users.has(o.b)) expect(plan).toEqual({ kind: "refused", error: "peer_unavailable" });
        else if (count(o.a) >= MAX_DIALOGS || count(o.b) >= MAX_DIALOGS) expect(plan).toEqual({ kind: "refused", error: "too_many_dialogs" });
        else expect(plan).toEqual({ kind: "create", members: [o.a, o.b] });
        if (plan.kind === "refused") break;
        const result = m.commitOpen(idFor(o.a, o.b), o.a, o.b);
        expect(result).toMatchObject({ ok: true, created: plan.kind === "create", dialog: { id: idFor(o.a, o.b) } });
        if (!existing) model.dialogs.set(idFor(o.a, o.b), [o.a, o.b]);
        break;
      }
      case "restore": {
        if (o.a === o.b) break;
        const d = m.restore(idFor(o.a, o.b), profile(o.a), profile(o.b));
        expect(d.id).toBe(idFor(o.a, o.b));
        model.hold(o.a, clock.t);
        model.hold(o.b, clock.t);
        if (!model.dialogs.has(d.id)) model.dialogs.set(d.id, [o.a, o.b]);
        // Restores happen at start-up, before clients connect: they begin from a fresh snapshot.
        viewer.clear();
        for (const u of m.available()) viewer.add(u.id);
        break;
      }
    }
    applyFeed();
    checkInvariants(m, model, viewer);
  }

  // Everyone leaves; after the (longest) grace period nothing is left behind.
  for (const [u, mu] of model.users) for (const c of [...mu.conns]) m.disconnect(u, connId(u, c));
  clock.t += Math.max(GRACE, RESTORE_GRACE);
  m.expire();
  applyFeed();
  expect(m.stats()).toEqual({ availableUsers: 0, openDialogs: 0, usersWithDialogs: 0 });
  expect(m.available()).toEqual([]);
  expect(m.nextWakeAt()).toBeNull();
  expect(viewer.size).toBe(0);
}

describe("Messenger model-based property", () => {
  it("keeps presence, dialogs, deadlines and the feed consistent with the model", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80, size: "max" }), (ops) => run(ops)),
      { numRuns: 200 },
    );
  }, 30_000);

  it("the model check is not vacuous: a known sequence reaches dialogs, caps and teardowns", () => {
    run([
      { kind: "connect", u: "u0", c: "c0" },
      { kind: "connect", u: "u1", c: "c0" },
      { kind: "connect", u: "u2", c: "c0" },
      { kind: "connect", u: "u3", c: "c0" },
      { kind: "open", a: "u0", b: "u1" },
      { kind: "open", a: "u0", b: "u2" },
      { kind: "open", a: "u0", b: "u3" },
      { kind: "open", a: "u3", b: "u0" },
      { kind: "disconnect", u: "u0", c: "c0", immediate: false },
      { kind: "advance", ms: GRACE },
      { kind: "expire" },
      { kind: "open", a: "u3", b: "u1" },
      { kind: "disconnect", u: "u1", c: "c0", immediate: true },
    ]);
  });
});
