import { describe, expect, it } from "vitest";
import { DialogRegistry, pairKey, peerOf } from "@/server/core/dialogs";
import { Messenger } from "@/server/core/messenger";
import type { UserProfile } from "@/server/core/types";

const GRACE = 3000;
const user = (id: string): UserProfile => ({ id, name: id.toUpperCase() });

function setup(maxDialogsPerUser = 10) {
  const clock = { t: 0, now: (): number => clock.t };
  const messenger = new Messenger({ clock, graceMs: GRACE, maxDialogsPerUser });
  const join = (...ids: string[]) => ids.forEach((id) => messenger.connect(user(id), `${id}-tab`));
  return { clock, messenger, join };
}

const idFor = (a: string, b: string) => `d-${[a, b].sort().join("-")}`;

describe("DialogRegistry", () => {
  it("pairKey is symmetric and does not confuse different pairs", () => {
    expect(pairKey("a", "b")).toBe(pairKey("b", "a"));
    expect(pairKey("ab", "c")).not.toBe(pairKey("a", "bc"));
  });

  it("peerOf gives the other member from either side", () => {
    const d = { id: "d", members: ["x", "y"] as const };
    expect(peerOf(d, "x")).toBe("y");
    expect(peerOf(d, "y")).toBe("x");
  });

  it("add is one dialog per pair; indexes by id, pair and user", () => {
    const r = new DialogRegistry();
    const d = r.add("d1", "a", "b");
    expect(r.add("d2", "b", "a")).toBe(d);
    expect(r.get("d2")).toBeUndefined();
    expect(r.between("b", "a")).toBe(d);
    expect(r.of("a")).toEqual([d]);
    expect(r.countOf("b")).toBe(1);
    expect(r.isMember("d1", "a")).toBe(true);
    expect(r.isMember("d1", "c")).toBe(false);
    expect(r.isMember("nope", "a")).toBe(false);
    expect(r.size).toBe(1);
    expect(r.indexedUsers).toBe(2);
  });

  it("removeAllOf removes every dialog of the user from every index", () => {
    const r = new DialogRegistry();
    const ab = r.add("ab", "a", "b");
    const ac = r.add("ac", "c", "a");
    const bc = r.add("bc", "b", "c");
    expect(r.removeAllOf("a")).toEqual([ab, ac]);
    expect(r.between("a", "b")).toBeUndefined();
    expect(r.get("ac")).toBeUndefined();
    expect(r.of("b")).toEqual([bc]);
    expect(r.of("a")).toEqual([]);
    expect(r.countOf("a")).toBe(0);
    expect(r.indexedUsers).toBe(2);
    expect(r.removeAllOf("a")).toEqual([]);
    r.removeAllOf("c");
    expect(r.size).toBe(0);
    expect(r.indexedUsers).toBe(0);
    // The pair index is not covered by size/indexedUsers; bracket access reads the private map.
    expect(r["byPair"].size).toBe(0);
  });

  it("a pair can be reopened after teardown, under a new or the same id", () => {
    const r = new DialogRegistry();
    r.add("d1", "a", "b");
    r.removeAllOf("b");
    const again = r.add("d2", "b", "a");
    expect(again).toEqual({ id: "d2", members: ["b", "a"] });
    expect(r.between("a", "b")).toBe(again);
    expect(r["byPair"].size).toBe(1);
  });
});

describe("Messenger.planOpen", () => {
  it("refuses a dialog with yourself", () => {
    const { messenger, join } = setup();
    join("alice");
    expect(messenger.planOpen("alice", "alice")).toEqual({ kind: "refused", error: "self_dialog" });
    expect(messenger.commitOpen("x", "alice", "alice")).toEqual({ ok: false, error: "self_dialog" });
  });

  it("plans a create for two available users and returns the existing dialog in either direction", () => {
    const { messenger, join } = setup();
    join("alice", "bob");
    expect(messenger.planOpen("alice", "bob")).toEqual({ kind: "create", members: ["alice", "bob"] });
    const result = messenger.commitOpen("d1", "alice", "bob");
    expect(result).toEqual({ ok: true, created: true, dialog: { id: "d1", members: ["alice", "bob"] } });
    if (!result.ok) return;
    expect(messenger.planOpen("alice", "bob")).toEqual({ kind: "existing", dialog: result.dialog });
    expect(messenger.planOpen("bob", "alice")).toEqual({ kind: "existing", dialog: result.dialog });
    expect(messenger.commitOpen("d1", "bob", "alice")).toEqual({ ok: true, created: false, dialog: result.dialog });
    expect(messenger.stats()).toEqual({ availableUsers: 2, openDialogs: 1, usersWithDialogs: 2 });
  });

  it("peer_unavailable when the peer is offline (never seen, or gone after grace)", () => {
    const { clock, messenger, join } = setup();
    join("alice", "bob");
    expect(messenger.planOpen("alice", "nobody")).toEqual({ kind: "refused", error: "peer_unavailable" });
    messenger.disconnect("bob", "bob-tab");
    expect(messenger.planOpen("alice", "bob").kind).toBe("create");
    clock.t = GRACE;
    messenger.expire();
    expect(messenger.planOpen("alice", "bob")).toEqual({ kind: "refused", error: "peer_unavailable" });
  });

  it("peer_unavailable when the requester is not available either", () => {
    const { messenger, join } = setup();
    join("bob");
    expect(messenger.planOpen("ghost", "bob")).toEqual({ kind: "refused", error: "peer_unavailable" });
  });

  it("too_many_dialogs when the requester is at the cap", () => {
    const { messenger, join } = setup(2);
    join("alice", "bob", "carol", "dave");
    expect(messenger.commitOpen(idFor("alice", "bob"), "alice", "bob").ok).toBe(true);
    expect(messenger.commitOpen(idFor("alice", "carol"), "carol", "alice").ok).toBe(true);
    expect(messenger.planOpen("alice", "dave")).toEqual({ kind: "refused", error: "too_many_dialogs" });
    expect(messenger.commitOpen("x", "alice", "dave")).toEqual({ ok: false, error: "too_many_dialogs" });
    // An existing dialog is still returned at the cap.
    expect(messenger.planOpen("alice", "bob").kind).toBe("existing");
  });

  it("too_many_dialogs when the peer is at the cap", () => {
    const { messenger, join } = setup(1);
    join("alice", "bob", "carol");
    expect(messenger.commitOpen(idFor("alice", "bob"), "alice", "bob").ok).toBe(true);
    expect(messenger.planOpen("carol", "bob")).toEqual({ kind: "refused", error: "too_many_dialogs" });
    messenger.disconnect("alice", "alice-tab", true);
    expect(messenger.planOpen("carol", "bob").kind).toBe("create");
  });
});

describe("Messenger.commitOpen re-checks", () => {
  it("peer left between plan and commit -> peer_unavailable, nothing opened", () => {
    const { messenger, join } = setup();
    join("alice", "bob");
    expect(messenger.planOpen("alice", "bob").kind).toBe("create");
    messenger.disconnect("bob", "bob-tab", true);
    expect(messenger.commitOpen("d1", "alice", "bob")).toEqual({ ok: false, error: "peer_unavailable" });
    expect(messenger.dialogsOf("alice")).toEqual([]);
    expect(messenger.stats().openDialogs).toBe(0);
  });

  it("another open won the race -> existing dialog, created:false", () => {
    const { messenger, join } = setup();
    join("alice", "bob");
    expect(messenger.planOpen("alice", "bob").kind).toBe("create");
    expect(messenger.planOpen("bob", "alice").kind).toBe("create");
    const winner = messenger.commitOpen("d1", "bob", "alice");
    const loser = messenger.commitOpen("d1", "alice", "bob");
    expect(winner).toMatchObject({ ok: true, created: true });
    expect(loser).toMatchObject({ ok: true, created: false });
    if (!winner.ok || !loser.ok) return;
    expect(loser.dialog).toBe(winner.dialog);
    expect(messenger.stats().openDialogs).toBe(1);
  });
});

describe("Messenger.dialogFor", () => {
  it("members get the dialog; non-members and unknown ids get null", () => {
    const { messenger, join } = setup();
    join("alice", "bob", "carol");
    const r = messenger.commitOpen("d1", "alice", "bob");
    if (!r.ok) throw new Error("open failed");
    expect(messenger.dialogFor("alice", "d1")).toBe(r.dialog);
    expect(messenger.dialogFor("bob", "d1")).toBe(r.dialog);
    expect(messenger.dialogFor("carol", "d1")).toBeNull();
    expect(messenger.dialogFor("alice", "d2")).toBeNull();
    expect(messenger.dialogFor("alice", "")).toBeNull();
  });
});

describe("teardown", () => {
  it("going offline removes every dialog of the user on both sides", () => {
    const { clock, messenger, join } = setup();
    join("alice", "bob", "carol");
    const ab = messenger.commitOpen("ab", "alice", "bob");
    const ca = messenger.commitOpen("ac", "carol", "alice");
    const bc = messenger.commitOpen("bc", "bob", "carol");
    if (!ab.ok || !ca.ok || !bc.ok) throw new Error("open failed");
    messenger.disconnect("alice", "alice-tab");
    clock.t = GRACE;
    const [teardown, ...rest] = messenger.expire();
    expect(rest).toEqual([]);
    expect(teardown?.user.id).toBe("alice");
    expect(teardown?.dialogs.map((d) => d.id).sort()).toEqual(["ab", "ac"]);
    expect(messenger.dialogsOf("bob")).toEqual([bc.dialog]);
    expect(messenger.dialogsOf("carol")).toEqual([bc.dialog]);
    expect(messenger.dialogsOf("alice")).toEqual([]);
    expect(messenger.dialogFor("bob", "ab")).toBeNull();
    expect(messenger.planOpen("bob", "alice")).toEqual({ kind: "refused", error: "peer_unavailable" });
  });

  it("stats return to zero after everyone leaves (no leaked index entries)", () => {
    const { clock, messenger, join } = setup();
    join("alice", "bob", "carol");
    messenger.connect(user("alice"), "alice-tab2");
    messenger.commitOpen("ab", "alice", "bob");
    messenger.commitOpen("bc", "bob", "carol");
    messenger.commitOpen("ac", "alice", "carol");
    expect(messenger.stats()).toEqual({ availableUsers: 3, openDialogs: 3, usersWithDialogs: 3 });
    messenger.disconnect("alice", "alice-tab");
    messenger.disconnect("alice", "alice-tab2");
    messenger.disconnect("bob", "bob-tab", true);
    messenger.disconnect("carol", "carol-tab");
    clock.t = GRACE;
    messenger.expire();
    expect(messenger.stats()).toEqual({ availableUsers: 0, openDialogs: 0, usersWithDialogs: 0 });
    expect(messenger.available()).toEqual([]);
    expect(messenger.nextWakeAt()).toBeNull();
  });
});
