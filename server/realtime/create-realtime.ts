/**
 * The Socket.IO server: one room per user shared by all their tabs, one room per open dialog.
 * A thin adapter around the node service (server/core/node-service.ts): connections and
 * disconnections go to it; what it decides for this node's clients comes back through
 * ./socket-clients.ts; its timed work runs on ./wakeup-timer.ts.
 */
import { randomUUID } from "node:crypto";
import type { Server as HttpServer } from "node:http";
import { Server, type ServerOptions } from "socket.io";
import { NodeService } from "../core/node-service";
import { handshakeOriginAllowed } from "../http/origin";
import { authMiddleware } from "./auth-middleware";
import type { RealtimeContext, RealtimeDeps } from "./context";
import { FrameGuard } from "./frame-guard";
import { registerHandlers } from "./handlers";
import { dialogRoom, userRoom } from "./rooms";
import { SessionRecheck } from "./session-recheck";
import { socketClients } from "./socket-clients";
import type { IoServer, IoSocket } from "./types";
import { dialogView } from "./views";
import { emitWithSharedTail } from "./shared-tail-frame";
import { welcomeUsers } from "./welcome-users";
import { WakeupTimer } from "./wakeup-timer";

export interface Realtime {
  io: IoServer;
  /** This node's service: presence, dialogs, sign-out, the cluster's events. */
  node: NodeService;
  /** Joins the cluster: starts applying its events (and the snapshot of who is online). */
  start(): Promise<void>;
  /** Re-opens the dialogs that were open when the server last stopped. */
  restoreOpenDialogs(): Promise<number>;
  /** Tells every client of this node the server is going away, then closes their connections. */
  close(reconnectInMs?: number): Promise<void>;
}

export interface RealtimeExtras {
  /** e.g. the Redis adapter, when several nodes share rooms. */
  adapter?: ServerOptions["adapter"];
}

export function createRealtime(httpServer: HttpServer, deps: RealtimeDeps, extras: RealtimeExtras = {}): Realtime {
  const io: IoServer = new Server(httpServer, {
    serveClient: false,
    // WebSocket only: no long-polling, so several nodes need no sticky sessions.
    transports: ["websocket"],
    pingInterval: deps.heartbeatIntervalMs,
    pingTimeout: deps.heartbeatTimeoutMs,
    maxHttpBufferSize: 64 * 1024,
    // Same origin only (scheme, host and port): a page on another site must not open a socket with
    // our users' cookies.
    allowRequest: (req, callback) => callback(null, handshakeOriginAllowed(req.headers, deps.publicOrigin)),
    ...(extras.adapter ? { adapter: extras.adapter } : {}),
  });
  const { logger } = deps;
  const timer = new WakeupTimer(deps.clock, () => node.tick());
  const node = new NodeService(
    deps.messenger,
    {
      bus: deps.bus,
      store: deps.conversations,
      clients: socketClients(io),
      wakeups: timer,
      clock: deps.clock,
      newId: randomUUID,
      log: logger,
    },
    { presenceBatchMs: deps.presenceBatchMs, presenceQuietMs: deps.presenceQuietMs, rebuildWindowMs: deps.rebuildWindowMs },
  );

  const ctx: RealtimeContext = {
    ...deps,
    io,
    node,
    charge: async (userId, cost, force) => (await deps.eventBuckets.take(userId, cost, force)).allowed,
  };

  io.use(authMiddleware(ctx));
  const frameGuard = new FrameGuard(deps.eventBuckets.rule, logger);
  const recheck = new SessionRecheck(ctx, deps.sessionRecheckMs);

  io.on("connection", (socket) => {
    const { userId, name } = socket.data;
    // Built when a line is written, not kept per connection (10,000 idle sockets, 10,000 child loggers).
    const log = () => logger.child({ userId, socketId: socket.id });
    frameGuard.watch(socket);
    void socket.join(userRoom(userId));
    const { users, dialogs } = node.connect({ id: userId, name }, socket.id);
    for (const d of dialogs) void socket.join(dialogRoom(d.id));
    // The list of who is available is encoded once per presence snapshot and its bytes shared by
    // every welcome until the next one (./welcome-users.ts).
    emitWithSharedTail(
      socket,
      "session:welcome",
      { self: { id: userId, name }, dialogs: dialogs.map(dialogView), serverId: deps.serverId },
      "users",
      welcomeUsers(users),
    );
    registerHandlers(ctx, socket);
    forgetHandshakeRequest(socket);
    if (logger.isLevelEnabled("info"))
      log().info({ ip: socket.handshake.address, connections: deps.messenger.connectionCount(userId) }, "client connected");

    socket.on("disconnect", (reason) => {
      const { signedOut } = node.disconnect(userId, socket.id, socket.data.sessionId);
      const timedOut = reason === "ping timeout";
      log()[timedOut ? "warn" : "info"](
        { reason, signedOut, connections: deps.messenger.connectionCount(userId) },
        timedOut ? "client timed out" : "client disconnected",
      );
    });
  });

  return {
    io,
    node,
    async start() {
      await node.start();
      recheck.start();
    },
    restoreOpenDialogs: () => node.restoreOpenDialogs(),
    async close(reconnectInMs = 1000, flushMs = 2000) {
      node.stop();
      recheck.stop();
      io.local.emit("server:shutdown", { reconnectInMs });
      // Close each connection at the Engine.IO level: it first sends what is already queued (acks of
      // committed messages, the shutdown notice), and sends no Socket.IO disconnect packet, so clients
      // see a transport close and reconnect instead of taking it for a sign-out. Their users are not
      // reported as gone: other nodes, or this one after a restart, take them back within the grace.
      const conns = [...io.of("/").sockets.values()].map((s) => s.conn);
      const closed = conns.map((c) =>
        c.readyState === "closed" ? Promise.resolve() : new Promise<void>((r) => c.once("close", () => r())),
      );
      for (const c of conns) c.close();
      await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, flushMs).unref())]);
      io.local.disconnectSockets(true); // whatever is left, e.g. a client that stopped reading
      io.engine.close();
      await new Promise((r) => setImmediate(r));
    },
  };
}

/**
 * The handshake's HTTP request is not needed once the socket is connected: Engine.IO's reference is
 * dropped (Socket.IO's memory-usage advice). Engine.IO's upgrade listeners still hold the request
 * itself for the socket's life, so what is large in it goes: the raw header list and the session
 * cookie (read once, by the handshake; a connected socket is identified by socket.data).
 */
function forgetHandshakeRequest(socket: IoSocket): void {
  const req = socket.request as { rawHeaders: string[]; headers: Record<string, unknown> } | undefined;
  (socket.conn as { request: unknown }).request = null;
  if (!req) return;
  req.rawHeaders = [];
  delete req.headers.cookie;
}
