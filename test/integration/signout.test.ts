/**
 * Signing out ends every socket of that browser session (its tabs share the cookie), not the user's
 * other sessions; when nothing of the user is left, they are offline at once, with no grace period.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ask, open, send } from "../support/client";
import { STEADY_HEARTBEAT, startTestServer, type Connected, type TestServer, type TestUser } from "../support/test-server";

/** The disconnect reason of a socket, once it is disconnected. */
const ended = (c: Connected) => new Promise<string>((resolve) => c.socket.once("disconnect", (reason) => resolve(reason)));

describe("session:signout", () => {
  let t: TestServer;
  let watcher: Connected;
  beforeAll(async () => {
    // A grace period far longer than any wait below: going offline within it proves there was no grace.
    t = await startTestServer({ ...STEADY_HEARTBEAT, PRESENCE_GRACE_MS: "60000" });
    watcher = await t.connect(await t.createUser("watcher"));
  });
  afterAll(() => t.close());

  /** Alice in two browsers (the first with two tabs), in a dialog with Bob. */
  async function scene() {
    const alice = await t.createUser();
    const bob = await t.createUser();
    const laptop: TestUser = alice;
    const phone = await t.session(alice);
    const tab1 = await t.connect(laptop);
    const tab2 = await t.connect(laptop);
    const other = await t.connect(phone);
    const b = await t.connect(bob);
    const id = await open(b, alice.id);
    for (const c of [tab1, tab2, other]) await c.log.waitFor("dialog:opened");
    await watcher.log.waitFor("presence:delta", (d) => d.online.some((u) => u.id === alice.id));
    return { alice, bob, tab1, tab2, other, b, id };
  }

  it("disconnects every tab of that browser session, and only those", async () => {
    const { alice, tab1, tab2, other, b, id } = await scene();
    const since = watcher.log.mark();
    const reasons = [ended(tab1), ended(tab2)];
    expect(await ask(tab2, "session:signout", {})).toEqual({ ok: true });
    // The reason the client reads as "signed out" (as opposed to a lost connection it would retry).
    expect(await Promise.all(reasons)).toEqual(["io server disconnect", "io server disconnect"]);

    // The other browser is untouched: still connected, still in the dialog.
    expect(other.socket.connected).toBe(true);
    const m = await send(other, id, "still here on my phone");
    expect((await b.log.waitFor("message:new", (x) => x.id === m.id)).senderId).toBe(alice.id);
    expect(b.log.of("dialog:closed")).toEqual([]);

    // Alice stayed online throughout. Barrier: a later arrival is flushed after anything the sign-out caused.
    const later = await t.connect(await t.createUser());
    await watcher.log.waitFor("presence:delta", (d) => d.online.some((u) => u.id === later.welcome.self.id), { since });
    expect(watcher.log.of("presence:delta", since).some((d) => d.offline.includes(alice.id))).toBe(false);
    for (const c of [other, b, later]) c.socket.disconnect();
  });

  it("signing out the last session makes the user offline at once and closes their dialogs", async () => {
    const { alice, tab1, tab2, other, b, id } = await scene();
    const gone = [ended(tab1), ended(tab2), ended(other)];
    expect(await ask(tab1, "session:signout", {})).toEqual({ ok: true });
    expect(await ask(other, "session:signout", {})).toEqual({ ok: true });
    await Promise.all(gone);

    // Well within the 60 s grace period: the sign-out skipped it.
    await watcher.log.waitFor("presence:delta", (d) => d.offline.includes(alice.id), { ms: 10_000 });
    expect(await b.log.waitFor("dialog:closed", () => true, { ms: 10_000 })).toEqual({
      dialogId: id,
      reason: "peer_offline",
      peer: { id: alice.id, name: alice.name },
    });
    expect(await ask(b, "message:send", { dialogId: id, clientKey: "after-signout-1", body: "hello?" })).toEqual({
      ok: false,
      error: "dialog_not_found",
    });
    expect(await ask(b, "dialog:open", { peerId: alice.id })).toEqual({ ok: false, error: "peer_unavailable" });
    b.socket.disconnect();
  });

  it("signing out one user does not touch another user's sessions", async () => {
    const carol = await t.createUser();
    const dave = await t.createUser();
    const c = await t.connect(carol);
    const d = await t.connect(dave);
    const gone = ended(c);
    expect(await ask(c, "session:signout", {})).toEqual({ ok: true });
    await gone;
    expect(d.socket.connected).toBe(true);
    expect(await ask(d, "dialog:history", { dialogId: "none-such" })).toEqual({ ok: false, error: "dialog_not_found" });
    await watcher.log.waitFor("presence:delta", (x) => x.offline.includes(carol.id));
    expect(watcher.log.of("presence:delta").some((x) => x.offline.includes(dave.id))).toBe(false);
    d.socket.disconnect();
  });
});
