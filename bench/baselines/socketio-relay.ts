/**
 * Baseline 2 — a bare Socket.IO server (the socket.io version Duo uses, WebSocket transport only,
 * default heartbeat): what Socket.IO itself costs per message, before any of Duo's work. A user
 * connects with `?id=N`; `message:send` {dialogId, clientKey, body} is emitted to the peer's socket
 * (N xor 1) as `message:new` {dialogId, senderId, clientKey, body} and acked `{ok: true}`. No auth,
 * no storage, no rooms.
 * Run: PORT=4001 node --import tsx bench/baselines/socketio-relay.ts
 */
import { Server, type Socket } from "socket.io";
import { httpServer, listen, peerOf, type Relayed } from "./common";

interface SendInput {
  dialogId: string;
  clientKey: string;
  body: string;
}

const users = new Map<string, Socket>();
const server = httpServer();
const io = new Server(server, { serveClient: false, transports: ["websocket"], maxHttpBufferSize: 64 * 1024 });

io.on("connection", (socket) => {
  const id = socket.handshake.query.id;
  if (typeof id !== "string") return void socket.disconnect(true);
  users.set(id, socket);
  const peer = peerOf(id);
  socket.on("message:send", (m: SendInput, ack?: (reply: { ok: true }) => void) => {
    const out: Relayed = { dialogId: m.dialogId, senderId: id, clientKey: m.clientKey, body: m.body };
    users.get(peer)?.emit("message:new", out);
    if (typeof ack === "function") ack({ ok: true });
  });
  socket.on("disconnect", () => {
    if (users.get(id) === socket) users.delete(id);
  });
});

listen(server, "socketio-relay", () => {
  void io.close();
});
