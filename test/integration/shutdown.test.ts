/**
 * Graceful shutdown as a client sees it: it is told (server:shutdown), and what the server already
 * sent it (messages, acks) is not thrown away, even when its connection is momentarily backed up.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ask, newKey, open, shownSeqs, send } from "../support/client";
import { STEADY_HEARTBEAT, startTestServer, stopReading, waitFor, type TestServer } from "../support/test-server";

let t: TestServer;
afterEach(() => t.close());

/** Server-side view of one user's connections: how many packets wait in Engine.IO's write buffer. */
function backlog(t: TestServer, userId: string): number {
  let n = 0;
  for (const s of t.server.realtime.io.sockets.sockets.values()) {
    if (s.data.userId === userId) n += (s.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
  }
  return n;
}

describe("graceful shutdown", () => {
  it("tells an idle client the server is going away, and lets it reconnect", async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT });
    const a = await t.connect(await t.createUser());
    const reason = new Promise<string>((r) => a.socket.once("disconnect", r));
    await t.server.close();
    expect(await a.log.waitFor("server:shutdown")).toEqual({ reconnectInMs: expect.any(Number) as number });
    // "io server disconnect" is what a sign-out looks like: the client (lib/client/messenger-client.ts)
    // would show the sign-in page and never reconnect. A restart must end the connection otherwise.
    expect(await reason).not.toBe("io server disconnect");
  });

  it("delivers what it already sent to a client whose connection is backed up, including the shutdown notice", async () => {
    // A slow heartbeat: the paused client must not be dropped for missing pongs during the test.
    t = await startTestServer({
      EVENTS_PER_SECOND: "100000",
      EVENTS_BURST: "100000",
      HEARTBEAT_INTERVAL_MS: "30000",
      HEARTBEAT_TIMEOUT_MS: "30000",
    });
    const alice = await t.createUser();
    const bob = await t.createUser();
    const a = await t.connect(alice);
    const b = await t.connect(bob);
    const id = await open(b, alice.id);
    const body = "😀".repeat(2000); // 8000 bytes of UTF-8
    const big = await Promise.all(Array.from({ length: 100 }, () => ask(b, "message:send", { dialogId: id, clientKey: newKey(), body })));
    expect(big.every((r) => r.ok)).toBe(true);
    await a.log.until(() => shownSeqs(a, id).length === 100, "alice to receive the big messages");

    // Alice's link stalls (she still sends). She asks for history pages of ~800 kB each until the
    // server holds answers for her that the kernel would not take yet (Engine.IO's buffer is not empty).
    const resume = stopReading(a.socket);
    const pages: Promise<unknown>[] = [];
    for (let i = 0; i < 40 && backlog(t, alice.id) === 0; i++) {
      pages.push(ask(a, "dialog:history", { dialogId: id, limit: 100 }, 60_000));
      // Give the server a moment to answer before asking again (a bounded poll, not an assertion).
      await waitFor(() => backlog(t, alice.id) > 0, 300).catch(() => undefined);
    }
    const settled = Promise.allSettled(pages);
    expect(backlog(t, alice.id)).toBeGreaterThan(0); // precondition: the server has a backlog for alice
    const last = await send(b, id, "sent while alice's link was stalled");

    // Shut down, and let alice's link recover at once: everything already sent must reach her.
    const closing = t.server.close();
    resume();
    await closing;
    await waitFor(() => !a.socket.connected, 30_000, "alice's connection to end");
    const answered = (await settled).filter((r) => r.status === "fulfilled").length;
    expect({ answered, lastMessage: shownSeqs(a, id).includes(last.seq), notice: a.log.of("server:shutdown").length }).toEqual({
      answered: pages.length,
      lastMessage: true,
      notice: 1,
    });
  });
});
