/**
 * The Socket.IO server: one room per user shared by all their tabs, one room per open dialog.
 * A thin adapter: this node's connections go to the core's local presence, whose transitions go to
 * the cluster bus; the bus's ordered events change the replica, and each node carries out the
 * replica's decisions for its own sockets (emits, room changes, storage writes).
 */
import { randomUUID } from "node:crypto";
import type { Server as HttpServer } from "node:http";
import { RateLimiterRes } from "rate-limiter-flexible";
import { Server, type ServerOptions } from "socket.io";
import type { Dialog } from "../core/dialogs";
import type { UserProfile } from "../core/types";
import { authMiddleware } from "./auth-middleware";
import type { ClusterEvent } from "./cluster-bus";
import type { RealtimeContext, RealtimeDeps } from "./context";
import { registerHandlers } from "./handlers";
import { PresencePump } from "./presence-pump";
import { dialogRoom, userRoom } from "./rooms";
import { carryOutTeardown } from "./teardown";
import type { IoServer } from "./types";
import { dialogView } from "./views";

export interface Realtime {
  io: IoServer;
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

export function createRealtime(httpServer: HttpServer, deps: RealtimeDeps, extras: RealtimeExtras = {}): Realtime {
  const io: IoServer = new Server(httpServer, {
    serveClient: false,
    // WebSocket only: no long-polling, so several nodes need no sticky sessions.
    transports: ["websocket"],
    pingInterval: deps.heartbeatIntervalMs,
    pingTimeout: deps.heartbeatTimeoutMs,
    maxHttpBufferSize: 64 * 1024,
    allowRequest: (req, callback) => callback(null, sameOrigin(req.headers)),
    ...(extras.adapter ? { adapter: extras.adapter } : {}),
  });
  const { messenger, logger, bus } = deps;
  const arrivals = new Map<string, Promise<void>>();
  const proposals = new Map<string, (result: { dialog: Dialog; created: boolean } | null) => void>();

  const arrive = (user: UserProfile) => {
    const p = bus.userArrived(user).catch((err: unknown) => logger.error({ err, userId: user.id }, "could not announce arrival"));
    arrivals.set(user.id, p);
    void p.then(() => {
      if (arrivals.get(user.id) === p) arrivals.delete(user.id);
    });
  };
  const leave = (user: UserProfile) => {
    bus.userLeft(user.id).catch((err: unknown) => logger.error({ err, userId: user.id }, "could not announce departure"));
  };

  const ctx: RealtimeContext = {
    ...deps,
    io,
    signingOut: new Set(),
    allowEvent: (userId) =>
      deps.eventLimiter.consume(userId).then(
        () => true,
        (err: unknown) => {
          if (err instanceof RateLimiterRes) return false;
          throw err;
        },
      ),
    ready: async (userId) => {
      await arrivals.get(userId);
    },
    proposeDialog: async (id, a, b) => {
      const op = randomUUID();
      const applied = new Promise<{ dialog: Dialog; created: boolean } | null>((resolve) => proposals.set(op, resolve));
      try {
        if (!(await bus.proposeDialog({ t: "dialog", id, a, b, op }))) return null;
        return await applied;
      } finally {
        proposals.delete(op);
      }
    },
  };

  const peerProfile = (id: string) => messenger.profile(id) ?? { id, name: "unknown" };
  const pump = new PresencePump(io, messenger, deps.clock, deps.presenceBatchMs, leave);

  const onDialogOpened = (dialog: Dialog) => {
    for (const member of dialog.members) {
      io.local.in(userRoom(member)).socketsJoin(dialogRoom(dialog.id));
      io.local.to(userRoom(member)).emit("dialog:opened", { dialog: dialogView(messenger, dialog, member) });
    }
    logger.info({ dialogId: dialog.id, members: dialog.members }, "dialog opened");
  };

  const apply = (event: ClusterEvent) => {
    switch (event.t) {
      case "online":
        messenger.applyOnline(event.user);
        break;
      case "offline": {
        const teardown = messenger.applyOffline(event.userId);
        if (teardown) carryOutTeardown({ io, conversations: deps.conversations, logger, peerProfile }, teardown);
        break;
      }
      case "dialog": {
        const result = messenger.applyDialog(event.id, event.a, event.b);
        if (result?.created) onDialogOpened(result.dialog);
        proposals.get(event.op)?.(result);
        break;
      }
    }
    pump.poke();
  };

  io.use(authMiddleware(ctx));

  io.on("connection", (socket) => {
    const { userId, name } = socket.data;
    const log = logger.child({ userId, socketId: socket.id });
    void socket.join(userRoom(userId));
    const { cameOnline, dialogs } = messenger.connect({ id: userId, name }, socket.id);
    if (cameOnline) arrive({ id: userId, name });
    for (const d of dialogs) void socket.join(dialogRoom(d.id));
    socket.emit("session:welcome", {
      self: { id: userId, name },
      users: pump.snapshot().filter((u) => u.id !== userId),
      dialogs: dialogs.map((d) => dialogView(messenger, d, userId)),
      serverId: deps.serverId,
    });
    registerHandlers(ctx, socket);
    log.info({ ip: socket.handshake.address, connections: messenger.connectionCount(userId) }, "client connected");
    pump.poke();

    socket.on("disconnect", (reason) => {
      const immediate = ctx.signingOut.has(socket.data.sessionId);
      const left = messenger.disconnect(userId, socket.id, immediate);
      const timedOut = reason === "ping timeout";
      log[timedOut ? "warn" : "info"]({ reason, signedOut: immediate, connections: messenger.connectionCount(userId) }, timedOut ? "client timed out" : "client disconnected");
      if (left) leave(left);
      pump.poke();
    });
  });

  return {
    io,
    start: () => bus.start(apply),
    async restoreOpenDialogs() {
      let open = await deps.conversations.listOpen();
      if (bus.coldStart()) {
        // The whole service is starting: every member gets time to come back.
        for (const c of open) {
          for (const member of [c.a, c.b]) {
            if (!messenger.isAvailable(member.id) && messenger.hold(member)) await bus.userArrived(member);
          }
        }
      } else {
        // Other nodes kept running: a dialog whose member is gone is a stale record, not a live dialog.
        const stale = open.filter((c) => !messenger.isAvailable(c.a.id) || !messenger.isAvailable(c.b.id));
        await deps.conversations.setOpen(stale.map((c) => c.id), false);
        open = open.filter((c) => !stale.includes(c));
      }
      for (const c of open) await ctx.proposeDialog(c.id, c.a.id, c.b.id);
      pump.poke();
      if (open.length > 0) logger.info({ dialogs: open.length }, "restored open dialogs; absent members have RESTORE_GRACE_MS to return");
      return open.length;
    },
    async close(reconnectInMs = 1000, flushMs = 2000) {
      pump.stop();
      io.local.emit("server:shutdown", { reconnectInMs });
      // Close each connection at the Engine.IO level: it first sends what is already queued (acks of
      // committed messages, the shutdown notice), and sends no Socket.IO disconnect packet, so clients
      // see a transport close and reconnect instead of taking it for a sign-out. Their users are not
      // reported as gone: other nodes, or this one after a restart, take them back within the grace.
      const conns = [...io.of("/").sockets.values()].map((s) => s.conn);
      const closed = conns.map((c) => (c.readyState === "closed" ? Promise.resolve() : new Promise<void>((r) => c.once("close", () => r()))));
      for (const c of conns) c.close();
      await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, flushMs).unref())]);
      io.local.disconnectSockets(true); // whatever is left, e.g. a client that stopped reading
      io.engine.close();
      await new Promise((r) => setImmediate(r));
    },
  };
}
