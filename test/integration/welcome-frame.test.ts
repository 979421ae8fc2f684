// The welcome goes out as a ready WebSocket frame whose tail (the list of who is available) is shared
// by every welcome of one presence snapshot: what a Socket.IO client decodes must be exactly what
// `socket.emit("session:welcome", welcome)` would have sent, whatever the names hold.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { Server } from "socket.io";
import { io as connect, type Socket as ClientSocket } from "socket.io-client";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClientToServerEvents, DialogView, ServerToClientEvents, SocketData, Welcome } from "@/lib/contract/events";
import type { UserProfile } from "@/server/core/types";
import { emitWithSharedTail, textFrameHeader } from "@/server/realtime/shared-tail-frame";
import type { IoServer } from "@/server/realtime/types";
import { welcomeUsers } from "@/server/realtime/welcome-users";

/** ws's own frame builder (what Socket.IO's broadcasts use); @types/ws does not declare it. */
const frame = (WebSocket as unknown as { Sender: { frame: (data: Buffer, options: Record<string, unknown>) => Buffer[] } }).Sender.frame;

describe("textFrameHeader", () => {
  it("is the header ws writes for an unmasked final text frame, at every length class boundary", () => {
    for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 1_000_000]) {
      const [wsHeader] = frame(Buffer.alloc(length), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false });
      expect(textFrameHeader(length).equals(wsHeader ?? Buffer.alloc(0)), `length ${length}`).toBe(true);
    }
  });
});

describe("a welcome with a shared tail, through a real Socket.IO server and client", () => {
  let io: IoServer;
  /** Untyped: it asks for welcomes with an event of its own. */
  let client: ClientSocket;
  /** The next welcome's parts, set by each case before it asks the server for one. */
  let next: { head: Omit<Welcome, "users">; users: UserProfile[] } | null = null;

  beforeAll(async () => {
    const http = createServer();
    io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(http, { transports: ["websocket"] });
    // The client asks for a welcome with any event; the server answers with the one set up.
    io.on("connection", (socket) => {
      socket.onAny(() => {
        if (next) emitWithSharedTail(socket, "session:welcome", next.head, "users", welcomeUsers(next.users));
      });
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    const { port } = http.address() as AddressInfo;
    client = connect(`http://127.0.0.1:${port}`, { transports: ["websocket"] });
    await new Promise<void>((r) => client.once("connect", () => r()));
  });
  afterAll(async () => {
    client.disconnect();
    await io.close();
  });

  const welcome = (head: Omit<Welcome, "users">, users: UserProfile[]) =>
    new Promise<Welcome>((resolve) => {
      next = { head, users };
      client.once("session:welcome", (w: Welcome) => resolve(w));
      client.emit("welcome-me");
    });

  const text = fc.string({ unit: "grapheme", maxLength: 12 });
  const user = fc.record({ id: fc.uuid(), name: text });
  const dialog: fc.Arbitrary<DialogView> = fc.record({ id: fc.uuid(), peer: user });

  it("decodes to the welcome as emitted, for any names, dialogs and list length (empty, small, past 64 KiB)", async () => {
    await fc.assert(
      fc.asyncProperty(
        user,
        fc.array(dialog, { maxLength: 3 }),
        fc.oneof(fc.array(user, { maxLength: 5 }), fc.array(user, { minLength: 1500, maxLength: 1600 })),
        text,
        async (self, dialogs, users, serverId) => {
          const received = await welcome({ self, dialogs, serverId }, users);
          expect(received).toEqual({ self, dialogs, serverId, users: users.map((u) => ({ id: u.id, name: u.name })) });
        },
      ),
      { numRuns: 40 },
    );
  });

  it("encodes one snapshot's list once: every welcome until the next snapshot writes the same bytes", async () => {
    const snapshot: UserProfile[] = [
      { id: "a", name: "Ann" },
      { id: "b", name: "Bén" },
    ];
    expect(welcomeUsers(snapshot)).toBe(welcomeUsers(snapshot));
    expect(welcomeUsers([...snapshot])).not.toBe(welcomeUsers(snapshot));
    const self = { id: "a", name: "Ann" };
    const first = await welcome({ self, dialogs: [], serverId: "s" }, snapshot);
    const second = await welcome({ self: { id: "b", name: "Bén" }, dialogs: [], serverId: "s" }, snapshot);
    expect(first.users).toEqual(snapshot);
    expect(second.users).toEqual(snapshot);
  });
});
