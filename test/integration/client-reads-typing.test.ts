/**
 * The client protocol (MessengerClient, as the page drives it) over real sockets: reading coalesces
 * into few requests and ends at the right position on both sides; typing is said sparingly and
 * stopped by itself; counts and "seen" are what the other side's state shows.
 */
import { io } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MessengerClient, type ClientSocket } from "../../lib/client/messenger-client";
import { unreadCount } from "../../lib/client/read-state";
import { TYPING } from "../../lib/contract/limits";
import { sleep } from "../support/hostile";
import { STEADY_HEARTBEAT, startTestServer, waitFor, type TestServer, type TestUser } from "../support/test-server";

let t: TestServer;
const clients: MessengerClient[] = [];

/** A tab: a MessengerClient on its own socket, with every event it sends recorded. */
async function tab(user: TestUser) {
  const socket: ClientSocket = io(t.url, { transports: ["websocket"], forceNew: true, extraHeaders: { cookie: user.cookie } });
  const sent: { event: string; payload: unknown }[] = [];
  socket.onAnyOutgoing((event: string, payload: unknown) => sent.push({ event, payload }));
  const client = new MessengerClient(socket);
  clients.push(client);
  await waitFor(() => client.state.status === "connected", 5000, "welcome");
  return { client, sent };
}

const unreadOf = (c: MessengerClient, id: string) => {
  const d = c.state.dialogs.find((x) => x.id === id);
  return unreadCount(c.state.reads[id], d?.messages ?? [], c.state.self?.id, d?.shownSeq);
};

beforeAll(async () => {
  t = await startTestServer({ ...STEADY_HEARTBEAT, PRESENCE_GRACE_MS: "5000" });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(() => t.close());

async function pair() {
  const [alice, bob] = [await t.createUser(), await t.createUser()];
  const a = await tab(alice);
  const b = await tab(bob);
  await waitFor(() => a.client.state.users.some((u) => u.id === bob.id), 5000, "bob listed");
  a.client.openDialog(bob.id);
  await waitFor(() => b.client.state.dialogs.length === 1 && a.client.state.dialogs.length === 1, 5000, "dialog on both sides");
  const id = a.client.state.dialogs[0]!.id;
  await waitFor(() => a.client.state.reads[id] !== undefined && b.client.state.reads[id] !== undefined, 5000, "read state");
  return { a, b, id };
}

describe("client: reading", () => {
  it("counts what arrives, and reading 30 messages one by one takes a few requests and ends at 30 on both sides", async () => {
    const { a, b, id } = await pair();
    for (let i = 1; i <= 30; i++) b.client.send(id, `m${i}`);
    await waitFor(() => (a.client.state.dialogs[0]?.messages.length ?? 0) === 30, 10_000, "30 messages at alice");
    expect(unreadOf(a.client, id)).toBe(30);
    expect(unreadOf(b.client, id)).toBe(0); // your own messages are never unread

    for (let seq = 1; seq <= 30; seq++) a.client.markShown(id, seq); // as fast as a scroll would report them
    expect(unreadOf(a.client, id)).toBe(0); // cleared at once in the tab that showed them
    await waitFor(() => a.client.state.reads[id]?.readSeq === 30, 5000, "alice at 30");
    await waitFor(() => b.client.state.reads[id]?.peerReadSeq === 30, 5000, "bob sees 30");
    const requests = a.sent.filter((e) => e.event === "dialog:read").length;
    console.log(`client reads: 30 positions shown, ${requests} dialog:read requests sent`);
    expect(requests).toBeLessThanOrEqual(3);
  });
});

describe("client: typing", () => {
  it("says typing on the first key, again at most every refresh while typing, and stopped after the idle time", async () => {
    const { a, b, id } = await pair();
    const started = Date.now();
    let text = "";
    while (Date.now() - started < 2500) {
      text += "x";
      a.client.typing(id, text);
      if (text.length === 1) await waitFor(() => b.client.state.typing[id] !== undefined, 2000, "typing shown at bob");
      await sleep(50);
    }
    const lastKey = Date.now();
    const says = () => a.sent.filter((e) => e.event === "dialog:typing").map((e) => (e.payload as { typing: boolean }).typing);
    expect(says()).toEqual([true, true]); // at 0 and after refreshMs, for 2.5 s of keys
    await waitFor(() => b.client.state.typing[id] === undefined, TYPING.idleMs + 2000, "typing gone at bob");
    const goneAfter = Date.now() - lastKey;
    console.log(
      `client typing: ${text.length} keys in 2.5 s -> ${says().length} events; gone at the peer ${goneAfter} ms after the last key`,
    );
    expect(says()).toEqual([true, true, false]);
    expect(goneAfter).toBeGreaterThanOrEqual(TYPING.idleMs - 100);

    // Sending ends it without a word: the message itself clears it at the peer.
    a.client.typing(id, "hello");
    await waitFor(() => b.client.state.typing[id] !== undefined, 2000, "typing again");
    a.client.send(id, "hello");
    await waitFor(() => b.client.state.typing[id] === undefined, 2000, "cleared by the message");
    await sleep(TYPING.idleMs + 200);
    expect(says()).toEqual([true, true, false, true]);
  });
});
