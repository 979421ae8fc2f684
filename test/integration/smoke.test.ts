import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextEvent, startTestServer, type TestServer } from "../support/test-server";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

describe("smoke", () => {
  it("two users see each other, open a dialog, exchange a message", async () => {
    const alice = await t.createUser();
    const bob = await t.createUser();
    const a = await t.connect(alice);
    const delta = nextEvent(a.socket, "presence:delta");
    const b = await t.connect(bob);
    expect(b.welcome.users.map((u) => u.id)).toContain(alice.id);
    expect((await delta).online.map((u) => u.id)).toContain(bob.id);
    const opened = nextEvent(b.socket, "dialog:opened");
    const res = await a.socket.emitWithAck("dialog:open", { peerId: bob.id });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect((await opened).dialog.peer.id).toBe(alice.id);
    const got = nextEvent(b.socket, "message:new");
    const sent = await a.socket.emitWithAck("message:send", { dialogId: res.dialog.id, clientKey: "key-00000001", body: "hello" });
    expect(sent.ok).toBe(true);
    expect((await got).body).toBe("hello");
  });
});
