/**
 * Baseline 1 — a raw `ws` relay: the least any WebSocket chat server can do per message. A user
 * connects to `/?id=N`; each frame is JSON `{"e":"message:send","a":ackId,"d":{dialogId,clientKey,body}}`;
 * the relay forwards `{"e":"message:new","d":{dialogId,senderId,clientKey,body}}` to the peer
 * (N xor 1) and answers the sender `{"a":ackId,"d":{"ok":true}}`. No auth, no storage, no heartbeat.
 * Run: PORT=4000 node --import tsx bench/baselines/ws-relay.ts
 */
import { WebSocketServer, type WebSocket } from "ws";
import { httpServer, listen, peerOf, type Relayed } from "./common";

interface Inbound {
  e?: string;
  a?: number;
  d?: { dialogId: string; clientKey: string; body: string };
}

const users = new Map<string, WebSocket>();
const server = httpServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false });

wss.on("connection", (ws, req) => {
  const id = new URL(req.url ?? "/", "http://relay").searchParams.get("id");
  if (!id) {
    ws.close(1008, "id required");
    return;
  }
  users.set(id, ws);
  const peer = peerOf(id);
  ws.on("message", (data: Buffer) => {
    let m: Inbound;
    try {
      m = JSON.parse(data.toString()) as Inbound;
    } catch {
      return;
    }
    if (m.e !== "message:send" || !m.d) return;
    const out: Relayed = { dialogId: m.d.dialogId, senderId: id, clientKey: m.d.clientKey, body: m.d.body };
    users.get(peer)?.send(JSON.stringify({ e: "message:new", d: out }));
    if (m.a !== undefined) ws.send(JSON.stringify({ a: m.a, d: { ok: true } }));
  });
  ws.on("close", () => {
    if (users.get(id) === ws) users.delete(id);
  });
  ws.on("error", () => {});
});

listen(server, "ws-relay", () => {
  for (const ws of users.values()) ws.terminate();
});
