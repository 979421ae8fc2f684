/**
 * The client protocol (MessengerClient) keeps a conversation's whole history reachable when a
 * history answer is lost with its connection: the answer never comes, the tab reconnects, and it must
 * still be able to show every message, oldest first, each once. Real server, real sockets; the fault
 * is an answer that never arrives, then a transport cut (no close frame).
 */
import { io } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MessengerClient, type ClientSocket } from "../../lib/client/messenger-client";
import { destroyTransport, STEADY_HEARTBEAT, startTestServer, waitFor, type TestServer, type TestUser } from "../support/test-server";

let t: TestServer;
const clients: MessengerClient[] = [];

type Answer = { messages?: unknown; more?: unknown; pages?: unknown } | undefined;
/** A history page is the answer with `messages` and `more`; a sync's has `pages`; a send's one `message`. */
const isHistoryPage = (a: Answer) => Array.isArray(a?.messages) && typeof a.more === "boolean";
const isSyncAnswer = (a: Answer) => typeof a?.pages === "object";

/**
 * A tab on its own socket, with faults on demand: `dropNext` makes the next answer of a kind vanish on
 * arrival (as if still on its way when the connection broke), `refuseNext` turns it into a refusal,
 * and `cut()` breaks the connection without a close frame.
 */
function tab(user: TestUser) {
  const socket: ClientSocket = io(t.url, {
    transports: ["websocket"],
    forceNew: true,
    extraHeaders: { cookie: user.cookie },
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
  });
  const fault = { rule: null as null | { match: (a: Answer) => boolean; replace?: unknown }, hits: 0, connects: 0 };
  socket.on("connect", () => fault.connects++);
  // socket.io-client hands every acknowledgement packet to onack.
  const s = socket as unknown as { onack(packet: { data?: unknown[] }): void };
  const onack = s.onack.bind(socket);
  s.onack = (packet) => {
    const rule = fault.rule;
    if (rule?.match(packet.data?.[0] as Answer)) {
      fault.rule = null;
      fault.hits++;
      if (rule.replace === undefined) return;
      packet.data = [rule.replace];
    }
    onack(packet);
  };
  const client = new MessengerClient(socket);
  clients.push(client);
  return {
    client,
    socket,
    fault,
    dropNext: (match: (a: Answer) => boolean) => (fault.rule = { match }),
    refuseNext: (match: (a: Answer) => boolean, error: string) => (fault.rule = { match, replace: { ok: false, error } }),
    /** Cuts the connection (no close frame) and resolves once the tab is back (welcomed again). */
    async cut() {
      const before = fault.connects;
      destroyTransport(socket);
      await waitFor(() => fault.connects > before && client.state.status === "connected", 5000, "reconnected");
    },
  };
}

const seqsOf = (c: MessengerClient) => c.state.dialogs[0]?.messages.map((m) => m.seq) ?? [];
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Pages in older history the way a person scrolling up does, until the tab says there is none. */
async function scrollToTop(c: MessengerClient): Promise<void> {
  await waitFor(
    () => {
      const d = c.state.dialogs[0];
      if (d?.hasOlder) c.loadOlder(d.id);
      return d !== undefined && d.messages.length > 0 && !d.hasOlder;
    },
    10_000,
    "older history paged in",
  );
}

beforeAll(async () => {
  t = await startTestServer({ ...STEADY_HEARTBEAT, PRESENCE_GRACE_MS: "10000" });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(() => t.close());

async function dialogWithHistory(messages: number) {
  const [alice, bob] = [await t.createUser(), await t.createUser()];
  const a = tab(alice).client;
  const bobFirstTab = tab(bob).client; // keeps bob online while his other tab comes and goes
  await waitFor(() => a.state.users.some((u) => u.id === bob.id), 5000, "bob listed");
  a.openDialog(bob.id);
  await waitFor(() => a.state.dialogs.length === 1 && bobFirstTab.state.dialogs.length === 1, 5000, "dialog on both sides");
  const id = a.state.dialogs[0]!.id;
  for (let i = 1; i <= messages; i++) a.send(id, `m${i}`);
  await waitFor(() => a.state.dialogs[0]!.outbox.length === 0, 10_000, "history stored");
  return { a, bob, id };
}

describe("client: history when an answer is lost", () => {
  it("a tab whose newest page was lost, and which got live messages first, still reaches every older message", async () => {
    const { a, bob, id } = await dialogWithHistory(3);
    // Bob opens another tab: its welcome lists the dialog, and it asks for the newest page. The
    // connection is cut as that request goes out, so the page never comes.
    // Bob opens another tab: its welcome lists the dialog, and it asks for the newest page, whose
    // answer is lost. Messages 4 and 5 arrive live meanwhile, then the connection breaks.
    const b = tab(bob);
    b.dropNext(isHistoryPage);
    await waitFor(() => b.fault.hits === 1, 5000, "newest page lost");
    a.send(id, "m4");
    a.send(id, "m5");
    await waitFor(() => seqsOf(b.client).includes(5), 5000, "live messages");
    await b.cut();
    // Back, it holds 4..5: nothing but the seqs themselves says that 1..3 exist.
    expect(seqsOf(b.client)).toEqual([4, 5]);
    await scrollToTop(b.client);
    expect(seqsOf(b.client)).toEqual(oneTo(5));
  });

  it("an older page lost with its connection does not stop the tab from loading older history", async () => {
    const { bob } = await dialogWithHistory(120);
    const b = tab(bob);
    await waitFor(() => (b.client.state.dialogs[0]?.messages.length ?? 0) > 0, 5000, "newest page");
    expect(b.client.state.dialogs[0]!.hasOlder).toBe(true);
    b.dropNext(isHistoryPage);
    b.client.loadOlder(b.client.state.dialogs[0]!.id);
    await waitFor(() => b.fault.hits === 1, 5000, "older page lost");
    await b.cut();
    await scrollToTop(b.client);
    expect(seqsOf(b.client)).toEqual(oneTo(120));
  });

  it("a catch-up the server could not answer (internal) is asked again, and the gap is filled", async () => {
    const { a, bob, id } = await dialogWithHistory(3);
    const b = tab(bob);
    await waitFor(() => seqsOf(b.client).length === 3, 5000, "history");
    // Away while 4..6 are sent; back, its first catch-up is refused.
    b.socket.disconnect();
    for (let i = 4; i <= 6; i++) a.send(id, `m${i}`);
    await waitFor(() => a.state.dialogs[0]!.outbox.length === 0, 5000, "stored");
    b.refuseNext(isSyncAnswer, "internal");
    b.socket.connect();
    await waitFor(() => b.fault.hits === 1, 5000, "catch-up refused");
    await waitFor(() => seqsOf(b.client).length === 6, 5000, "gap filled");
    expect(seqsOf(b.client)).toEqual(oneTo(6));
  });
});
