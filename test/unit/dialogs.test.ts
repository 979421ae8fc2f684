import { describe, expect, it } from "vitest";
import { DialogRegistry, pairKey, peerOf } from "@/server/core/dialogs";
import type { UserProfile } from "@/server/core/types";
import { TestNode, type OpenResult } from "./support/test-node";

const GRACE = 3000;
const user = (id: string): UserProfile => ({ id, name: id.toUpperCase() });

async function setup(maxDialogsPerUser = 10) {
  const node = await TestNode.start({ graceMs: GRACE, maxDialogsPerUser });
  const join = (...ids: string[]) => ids.forEach((id) => node.connect(user(id), `${id}-tab`));
  return { node, messenger: node.messenger, join };
}

function opened(result: OpenResult) {
  if (!result.ok) throw new Error(`open failed: ${result.error}`);
  return result.dialog;
}

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

describe("Messenger.planOpen (single node)", () => {
  it("refuses a dialog with yourself, before and at the bus", async () => {
    const { node, messenger, join } = await setup();
    join("alice");
    expect(messenger.planOpen("alice", "alice")).toEqual({ kind: "refused", error: "self_dialog" });
    expect(await node.open("alice", "alice")).toEqual({ ok: false, error: "self_dialog" });
    expect(messenger.applyDialog("x", "alice", "alice")).toBeNull();
    expect(messenger.stats().openDialogs).toBe(0);
  });

  it("plans a create for two available users and returns the existing dialog in either direction", async () => {
    const { node, messenger, join } = await setup();
    join("alice", "bob");
    expect(messenger.planOpen("alice", "bob")).toEqual({ kind: "create", members: ["alice", "bob"] });
    const result = await node.open("alice", "bob", "d1");
    expect(result).toEqual({ ok: true, created: true, dialog: { id: "d1", members: ["alice", "bob"] } });
    const dialog = opened(result);
    expect(messenger.planOpen("alice", "bob")).toEqual({ kind: "existing", dialog });
    expect(messenger.planOpen("bob", "alice")).toEqual({ kind: "existing", dialog });
    expect(await node.open("bob", "alice", "other")).toEqual({ ok: true, created: false, dialog });
    expect(node.events.filter((e) => e.t === "dialog")).toHaveLength(1);
    expect(messenger.stats()).toEqual({ availableUsers: 2, localUsers: 2, openDialogs: 1, usersWithDialogs: 2 });
  });

  it("peer_unavailable when the peer is offline (never seen, or gone after grace)", async () => {
    const { node, messenger, join } = await setup();
    join("alice", "bob");
    expect(messenger.planOpen("alice", "nobody")).toEqual({ kind: "refused", error: "peer_unavailable" });
    node.disconnect("bob", "bob-tab");
    expect(messenger.planOpen("alice", "bob").kind).toBe("create");
    node.advance(GRACE);
    node.expire();
    expect(messenger.planOpen("alice", "bob")).toEqual({ kind: "refused", error: "peer_unavailable" });
    expect(await node.open("alice", "bob")).toEqual({ ok: false, error: "peer_unavailable" });
  });

  it("peer_unavailable when the requester is not available either", async () => {
    const { messenger, join } = await setup();
    join("bob");
    expect(messenger.planOpen("ghost", "bob")).toEqual({ kind: "refused", error: "peer_unavailable" });
  });

  it("too_many_dialogs when the requester is at the cap", async () => {
    const { node, messenger, join } = await setup(2);
    join("alice", "bob", "carol", "dave");
    opened(await node.open("alice", "bob"));
    opened(await node.open("carol", "alice"));
    expect(messenger.planOpen("alice", "dave")).toEqual({ kind: "refused", error: "too_many_dialogs" });
    expect(await node.open("alice", "dave")).toEqual({ ok: false, error: "too_many_dialogs" });
    // An existing dialog is still returned at the cap.
    expect(messenger.planOpen("alice", "bob").kind).toBe("existing");
    expect(messenger.dialogsOf("alice")).toHaveLength(2);
  });

  it("too_many_dialogs when the peer is at the cap, until the peer's dialog is torn down", async () => {
    const { node, messenger, join } = await setup(1);
    join("alice", "bob", "carol");
    opened(await node.open("alice", "bob"));
    expect(messenger.planOpen("carol", "bob")).toEqual({ kind: "refused", error: "too_many_dialogs" });
    expect(await node.open("carol", "bob")).toEqual({ ok: false, error: "too_many_dialogs" });
    node.disconnect("alice", "alice-tab", true);
    expect(messenger.planOpen("carol", "bob").kind).toBe("create");
    expect(await node.open("carol", "bob")).toMatchObject({ ok: true, created: true });
  });
});

describe("a proposal is applied later than it was planned (the open awaits storage in between)", () => {
  it("peer left between plan and apply -> refused at the bus, nothing opened, the stored flag cleared", async () => {
    const { node, messenger, join } = await setup();
    join("alice", "bob");
    const release = node.store.pause();
    const pending = node.open("alice", "bob", "d1");
    await Promise.resolve();
    node.disconnect("bob", "bob-tab", true);
    release();
    expect(await pending).toEqual({ ok: false, error: "peer_unavailable" });
    expect(node.events.filter((e) => e.t === "dialog")).toEqual([]);
    expect(node.store.isOpen("d1")).toBe(false);
    expect(messenger.dialogsOf("alice")).toEqual([]);
    expect(messenger.stats()).toMatchObject({ openDialogs: 0, usersWithDialogs: 0 });
  });

  it("requester left between plan and apply -> refused at the bus, nothing opened", async () => {
    const { node, messenger, join } = await setup();
    join("alice", "bob");
    const release = node.store.pause();
    const pending = node.open("alice", "bob", "d1");
    await Promise.resolve();
    node.disconnect("alice", "alice-tab");
    node.advance(GRACE);
    node.expire();
    release();
    expect(await pending).toEqual({ ok: false, error: "peer_unavailable" });
    expect(node.store.isOpen("d1")).toBe(false);
    expect(messenger.dialogsOf("bob")).toEqual([]);
  });

  it("another open of the same pair won the race -> the same dialog, created:false; each member told once", async () => {
    const { node, messenger, join } = await setup();
    join("alice", "bob");
    const release = node.store.pause();
    const first = node.open("bob", "alice", "d1");
    const second = node.open("alice", "bob");
    await Promise.resolve();
    release();
    const results = await Promise.all([first, second]);
    // Whichever proposal the bus applied first created it; the other gets that same dialog.
    const [winner, loser] = results[0].ok && results[0].created ? results : [results[1], results[0]];
    expect(winner).toMatchObject({ ok: true, created: true, dialog: { id: "d1" } });
    expect(loser).toMatchObject({ ok: true, created: false });
    expect(loser.ok && winner.ok && loser.dialog).toBe(winner.ok && winner.dialog);
    expect(node.events.filter((e) => e.t === "dialog")).toHaveLength(2);
    expect(node.clients.opened.map((o) => o.userId).sort()).toEqual(["alice", "bob"]);
    expect(messenger.stats().openDialogs).toBe(1);
  });

  // The cap against abuse must hold however the opens interleave: two tabs (or two nodes) can both
  // plan "create" below the cap, and both proposals then reach the bus. Only the replica, at its
  // point of the order, can refuse the one that would cross the cap.
  it("opens racing to the cap: the proposal applied after the cap is reached is refused", async () => {
    const { node, messenger, join } = await setup(1);
    join("alice", "bob", "carol");
    const release = node.store.pause();
    const ab = node.open("alice", "bob", "ab");
    const ac = node.open("alice", "carol", "ac");
    await Promise.resolve();
    expect(node.events.filter((e) => e.t === "dialog")).toEqual([]);
    release();
    expect(await ab).toMatchObject({ ok: true, created: true });
    expect(await ac).toEqual({ ok: false, error: "too_many_dialogs" });
    expect(node.store.isOpen("ac")).toBe(false);
    expect(messenger.dialogsOf("alice").map((d) => d.id)).toEqual(["ab"]);
    expect(messenger.dialogsOf("carol")).toEqual([]);
  });
});

describe("Messenger.dialogFor", () => {
  it("members get the dialog; non-members and unknown ids get null", async () => {
    const { node, messenger, join } = await setup();
    join("alice", "bob", "carol");
    const d = opened(await node.open("alice", "bob", "d1"));
    expect(messenger.dialogFor("alice", "d1")).toBe(d);
    expect(messenger.dialogFor("bob", "d1")).toBe(d);
    expect(messenger.dialogFor("carol", "d1")).toBeNull();
    expect(messenger.dialogFor("alice", "d2")).toBeNull();
    expect(messenger.dialogFor("alice", "")).toBeNull();
  });
});

describe("teardown (single node)", () => {
  it("going offline removes every dialog of the user on both sides", async () => {
    const { node, messenger, join } = await setup();
    join("alice", "bob", "carol");
    opened(await node.open("alice", "bob", "ab"));
    opened(await node.open("carol", "alice", "ac"));
    const bc = opened(await node.open("bob", "carol", "bc"));
    node.disconnect("alice", "alice-tab");
    node.advance(GRACE);
    const { left, teardowns } = node.expire();
    expect(left).toEqual([user("alice")]);
    const [teardown, ...rest] = teardowns;
    expect(rest).toEqual([]);
    expect(teardown?.user.id).toBe("alice");
    expect(teardown?.dialogs.map((d) => d.id).sort()).toEqual(["ab", "ac"]);
    expect(messenger.dialogsOf("bob")).toEqual([bc]);
    expect(messenger.dialogsOf("carol")).toEqual([bc]);
    expect(messenger.dialogsOf("alice")).toEqual([]);
    expect(messenger.dialogFor("bob", "ab")).toBeNull();
    expect(messenger.planOpen("bob", "alice")).toEqual({ kind: "refused", error: "peer_unavailable" });
  });

  it("a pair torn down can be opened again, under the same stored id", async () => {
    const { node, messenger, join } = await setup();
    join("alice", "bob");
    const first = opened(await node.open("alice", "bob"));
    node.disconnect("bob", "bob-tab", true);
    join("bob");
    const again = await node.open("bob", "alice");
    expect(again).toMatchObject({ ok: true, created: true, dialog: { id: first.id } });
    expect(messenger.dialogsOf("alice")).toHaveLength(1);
  });

  it("stats return to zero after everyone leaves (no leaked index entries)", async () => {
    const { node, messenger, join } = await setup();
    join("alice", "bob", "carol");
    node.connect(user("alice"), "alice-tab2");
    opened(await node.open("alice", "bob"));
    opened(await node.open("bob", "carol"));
    opened(await node.open("alice", "carol"));
    expect(messenger.stats()).toEqual({ availableUsers: 3, localUsers: 3, openDialogs: 3, usersWithDialogs: 3 });
    node.disconnect("alice", "alice-tab");
    node.disconnect("alice", "alice-tab2");
    node.disconnect("bob", "bob-tab", true);
    node.disconnect("carol", "carol-tab");
    node.advance(GRACE);
    node.expire();
    expect(messenger.stats()).toEqual({ availableUsers: 0, localUsers: 0, openDialogs: 0, usersWithDialogs: 0 });
    expect(messenger.available()).toEqual([]);
    expect(messenger.nextWakeAt()).toBeNull();
  });
});
