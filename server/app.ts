/**
 * Builds the whole server from a config: storage, accounts, the domain core and Socket.IO on an
 * HTTP server. Next is optional (passed as the HTTP handler) so integration tests can start the real
 * realtime stack without building pages.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type RequestListener, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Accounts } from "./auth/accounts";
import { buildAuthOptions } from "./auth/auth-options";
import { BucketSignInLimiter, SignUpLimiter } from "./auth/sign-in-limiter";
import type { Config } from "./config";
import { Messenger } from "./core/messenger";
import { HANDSHAKE_MISSES } from "./core/event-costs";
import { signInRules } from "./core/sign-in-policy";
import type { Clock } from "./core/types";
import type { Logger } from "./logger";
import { ConversationRepository } from "./persistence/conversation-repository";
import { openDatabase, type Database } from "./persistence/database";
import { MessageStore } from "./persistence/message-store";
import { PrismaBatchWriter } from "./persistence/prisma-batch-writer";
import { ReadPositionRepository } from "./persistence/read-positions";
import { SqliteBatchWriter } from "./persistence/sqlite-batch-writer";
import { SqliteCheckpointer } from "./persistence/sqlite-checkpointer";
import { timeOrderedId } from "./persistence/time-ordered-id";
import { SessionRepository } from "./persistence/session-repository";
import { UserRepository } from "./persistence/user-repository";
import { connectRedis, type RedisWiring } from "./cluster/redis";
import { LocalBus } from "./core/local-bus";
import { createRealtime, type Realtime } from "./realtime/create-realtime";
import { checkRequest, refuse } from "./http/request-gate";
import { memoryBuckets } from "./rate-limits";
import { createMetrics, type Metrics } from "./observability/metrics";
import { answerOps } from "./observability/ops-routes";
import { clientAddress } from "./http/client-ip";
import { registerServices, type AppServices } from "./services";

export interface MessengerServer {
  httpServer: HttpServer;
  realtime: Realtime;
  messenger: Messenger;
  database: Database;
  services: AppServices;
  metrics: Metrics;
  serverId: string;
  /** Resolves with the port once listening. */
  listen(): Promise<number>;
  /** Graceful stop: refuse new connections, tell clients, finish writes, close storage. */
  close(): Promise<void>;
}

export interface BuildOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** Handles every HTTP request that is not Socket.IO (Next's request handler in production). */
  httpHandler?: RequestListener;
}

const systemClock: Clock = { now: () => Date.now() };

export async function buildServer({ config, logger, clock = systemClock, httpHandler }: BuildOptions): Promise<MessengerServer> {
  const serverId = randomUUID();
  const messenger = new Messenger({
    clock,
    graceMs: config.PRESENCE_GRACE_MS,
    maxDialogsPerUser: config.MAX_DIALOGS_PER_USER,
    restoreGraceMs: config.RESTORE_GRACE_MS,
  });
  // Readiness: from the end of start-up until a stop begins.
  let state: "starting" | "ready" | "stopping" = "starting";
  let io: Realtime["io"] | null = null;
  const metrics = createMetrics({
    connections: () => io?.engine.clientsCount ?? 0,
    usersOnline: () => messenger.stats().availableUsers,
    localUsers: () => messenger.stats().localUsers,
    openDialogs: () => messenger.stats().openDialogs,
    ready: () => state === "ready",
  });
  const database = await openDatabase(config.DATABASE_URL, { schema: config.DATABASE_SCHEMA });
  const users = new UserRepository(database.db);
  const conversations = new ConversationRepository(database.db);
  const sqliteWriter = database.sqliteFile ? new SqliteBatchWriter(database.sqliteFile, () => timeOrderedId()) : null;
  const checkpointer = database.sqliteFile ? new SqliteCheckpointer(database.sqliteFile, logger) : null;
  const messages = new MessageStore(
    database.db,
    clock,
    sqliteWriter ?? new PrismaBatchWriter(database.db, () => timeOrderedId()),
    metrics,
    config.COMMIT_WINDOW_MS,
  );
  const accounts = new Accounts(users);
  const sessions = new SessionRepository(
    database.db,
    clock,
    { idleMs: config.SESSION_IDLE_S * 1000, maxAgeMs: config.SESSION_MAX_AGE_S * 1000, refreshMs: config.SESSION_REFRESH_S * 1000 },
    database.kind === "postgres" ? { pgSchema: config.DATABASE_SCHEMA ?? "public" } : { sqliteFile: database.sqliteFile },
  );
  const redis: RedisWiring | null = config.REDIS_URL
    ? await connectRedis({
        url: config.REDIS_URL,
        prefix: config.REDIS_PREFIX,
        nodeId: serverId,
        nodeTtlMs: config.NODE_TTL_MS,
        maxDialogsPerUser: config.MAX_DIALOGS_PER_USER,
        logger,
      })
    : null;
  // Limits are shared by all nodes when there are several (an attacker cannot spread guesses over nodes).
  const buckets = redis?.buckets ?? memoryBuckets;
  const signInLimiter = new BucketSignInLimiter(
    buckets,
    signInRules({
      attemptsPerAddressPerMinute: config.SIGNIN_ATTEMPTS_PER_IP_PER_MINUTE,
      attemptsPerNameAtAddress: config.SIGNIN_ATTEMPTS_PER_NAME_AND_IP,
      attemptsPerNamePerHour: config.SIGNIN_ATTEMPTS_PER_NAME_PER_HOUR,
    }),
  );
  const signUpLimiter = new SignUpLimiter(buckets, config.SIGNUPS_PER_IP_PER_MINUTE);
  const services: AppServices = {
    accounts,
    authOptions: buildAuthOptions({ accounts, limiter: signInLimiter, sessions, secret: config.secret }),
    signUpLimiter,
    sessions,
  };
  registerServices(services);

  const handler = httpHandler ?? notFound;
  const ops = { serverId, ready: () => state === "ready", metrics, metricsToken: config.METRICS_TOKEN };
  const httpServer = createServer((req, res) => {
    if (answerOps(req, res, ops)) return;
    const refusal = checkRequest(req, config.publicOrigin);
    if (refusal) {
      refuse(req, res, refusal);
      return;
    }
    // The client's address for per-IP limits: the TCP peer, or what a trusted proxy says it is.
    // Never a client's own copy of this header.
    req.headers["x-client-ip"] = clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], config.trustedProxies);
    handler(req, res);
  });
  const realtime = createRealtime(
    httpServer,
    {
      logger,
      clock,
      messenger,
      conversations,
      messages,
      reads: new ReadPositionRepository(database.db),
      sessions,
      sessionRecheckMs: config.SESSION_RECHECK_MS,
      secret: config.secret,
      publicOrigin: config.publicOrigin,
      serverId,
      bus: redis?.bus ?? new LocalBus(),
      rebuildWindowMs: config.NODE_TTL_MS,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
      heartbeatTimeoutMs: config.HEARTBEAT_TIMEOUT_MS,
      presenceBatchMs: config.PRESENCE_BATCH_MS,
      presenceQuietMs: config.PRESENCE_QUIET_MS,
      maxConnectionsPerUser: config.MAX_CONNECTIONS_PER_USER,
      eventBuckets: buckets("events", { perSecond: config.EVENTS_PER_SECOND, burst: config.EVENTS_BURST }),
      handshakeMisses: buckets("handshake-misses", HANDSHAKE_MISSES),
      metrics,
    },
    redis ? { adapter: redis.adapter } : {},
  );
  io = realtime.io;
  await realtime.start();
  await realtime.restoreOpenDialogs();
  state = "ready";

  let closing: Promise<void> | null = null;
  return {
    httpServer,
    realtime,
    messenger,
    database,
    services,
    metrics,
    serverId,
    listen: () =>
      new Promise((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(config.PORT, config.HOST, () => resolve((httpServer.address() as AddressInfo).port));
      }),
    close: () =>
      (closing ??= (async () => {
        state = "stopping"; // /readyz answers 503 from now on
        // Give a load balancer time to see it and send new clients elsewhere (0 on a single node).
        if (config.SHUTDOWN_DRAIN_MS > 0) await new Promise((r) => setTimeout(r, config.SHUTDOWN_DRAIN_MS));
        httpServer.close(); // stop accepting; open sockets are closed below
        await messages.drain(); // every send already accepted is committed and acknowledged
        await realtime.close();
        await messages.drain();
        httpServer.closeAllConnections();
        await redis?.close();
        sqliteWriter?.close();
        await checkpointer?.stop();
        sessions.close();
        await database.close();
      })()),
  };
}

function notFound(_req: IncomingMessage, res: ServerResponse) {
  res.writeHead(404, { "content-type": "text/plain" });
  res.end("not found");
}
