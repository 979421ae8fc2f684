/**
 * The Socket.IO server: one room per user shared by all their tabs, one room per open dialog.
 * A thin adapter: connection lifecycle and events go to the core; its decisions come back as emits,
 * room changes and storage writes.
 */
import type { Server as HttpServer } from "node:http";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { Server } from "socket.io";
import type { Teardown } from "../core/messenger";
import { authMiddleware } from "./auth-middleware";
import type { RealtimeContext, RealtimeDeps } from "./context";
import { registerHandlers } from "./handlers";
import { PresencePump } from "./presence-pump";
import { dialogRoom, userRoom } from "./rooms";
import { carryOutTeardown } from "./teardown";
import type { IoServer } from "./types";
import { dialogView, userView } from "./views";

export interface Realtime {
  io: IoServer;
  /** Re-opens the dialogs that were open when the server last stopped. */
  restoreOpenDialogs(): Promise<number>;
  /** Tells every client the server is going away, then closes every connection. */
  close(reconnectInMs?: number): Promise<void>;
}

/** Same-origin only: a page on another site must not open a socket with our users' cookies. */
function sameOrigin(headers: Record<string, string | string[] | undefined>): boolean {
  const origin = headers.origin;
  if (typeof origin !== "string") return true; // non-browser clients send no Origin
  try {
    return new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}

export function createRealtime(httpServer: HttpServer, deps: RealtimeDeps): Realtime {
  const io: IoServer = new Server(httpServer, {
    serveClient: false,
    // WebSocket only: no long-polling, so several nodes need no sticky sessions.
    transports: ["websocket"],
    pingInterval: deps.heartbeatIntervalMs,
    pingTimeout: deps.heartbeatTimeoutMs,
    maxHttpBufferSize: 64 * 1024,
    allowRequest: (req, callback) => callback(null, sameOrigin(req.headers)),
  });
  const limiter = new RateLimiterMemory({ keyPrefix: "events", points: deps.eventsBurst, duration: Math.max(1, Math.ceil(deps.eventsBurst / deps.eventsPerSecond)) });
  const ctx: RealtimeContext = {
    ...deps,
    io,
    signingOut: new Set(),
    allowEvent: (userId) =>
      limiter.consume(userId).then(
        () => true,
        (err: unknown) => {
          if (err instanceof RateLimiterRes) return false;
          throw err;
        },
      ),
  };
  const { messenger, logger } = deps;
  const onTeardown = (t: Teardown) =>
    carryOutTeardown({ io, conversations: deps.conversations, logger, peerProfile: (id) => messenger.profile(id) ?? { id, name: "unknown" } }, t);
  const pump = new PresencePump(io, messenger, deps.clock, deps.presenceBatchMs, onTeardown);

  io.use(authMiddleware(ctx));

  io.on("connection", (socket) => {
    const { userId, name } = socket.data;
    const log = logger.child({ userId, socketId: socket.id });
    void socket.join(userRoom(userId));
    const dialogs = messenger.connect({ id: userId, name }, socket.id);
    for (const d of dialogs) void socket.join(dialogRoom(d.id));
    socket.emit("session:welcome", {
      self: { id: userId, name },
      users: messenger.available(userId).map(userView),
      dialogs: dialogs.map((d) => dialogView(messenger, d, userId)),
      serverId: deps.serverId,
    });
    registerHandlers(ctx, socket);
    log.info({ ip: socket.handshake.address, connections: messenger.connectionCount(userId) }, "client connected");
    pump.poke();

    socket.on("disconnect", (reason) => {
      const immediate = ctx.signingOut.has(socket.data.sessionId);
      const teardown = messenger.disconnect(userId, socket.id, immediate);
      const level = reason === "ping timeout" ? "warn" : "info";
      log[level]({ reason, signedOut: immediate, connections: messenger.connectionCount(userId) }, reason === "ping timeout" ? "client timed out" : "client disconnected");
      if (teardown) onTeardown(teardown);
      pump.poke();
    });
  });

  return {
    io,
    async restoreOpenDialogs() {
      const open = await deps.conversations.listOpen();
      for (const c of open) messenger.restore(c.id, c.a, c.b);
      pump.poke();
      if (open.length > 0) logger.info({ dialogs: open.length }, "restored open dialogs; members have one grace period to return");
      return open.length;
    },
    async close(reconnectInMs = 1000) {
      pump.stop();
      io.emit("server:shutdown", { reconnectInMs });
      // Close every client's transport ourselves: io.close() would also close the HTTP server,
      // which the process entry owns.
      io.disconnectSockets(true);
      io.engine.close();
      await new Promise((r) => setImmediate(r));
    },
  };
}
