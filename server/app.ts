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
import { RateLimitedSignIn } from "./auth/sign-in-limiter";
import type { Config } from "./config";
import { Messenger } from "./core/messenger";
import type { Clock } from "./core/types";
import type { Logger } from "./logger";
import { ConversationRepository } from "./persistence/conversation-repository";
import { openDatabase, type Database } from "./persistence/database";
import { MessageStore } from "./persistence/message-store";
import { PrismaBatchWriter } from "./persistence/prisma-batch-writer";
import { SqliteBatchWriter } from "./persistence/sqlite-batch-writer";
import { CachedUserLookup } from "./persistence/user-cache";
import { UserRepository } from "./persistence/user-repository";
import { connectRedis, type RedisWiring } from "./cluster/redis";
import { LocalBus } from "./realtime/cluster-bus";
import { createRealtime, type Realtime } from "./realtime/create-realtime";
import { eventLimiter, memoryLimiters } from "./rate-limits";
import { registerServices, type AppServices } from "./services";

export interface MessengerServer {
  httpServer: HttpServer;
  realtime: Realtime;
  messenger: Messenger;
  database: Database;
  services: AppServices;
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
  const database = await openDatabase(config.DATABASE_URL, { schema: config.DATABASE_SCHEMA });
  const users = new UserRepository(database.db);
  const conversations = new ConversationRepository(database.db);
  const sqliteWriter = database.sqliteFile ? new SqliteBatchWriter(database.sqliteFile, randomUUID) : null;
  const messages = new MessageStore(database.db, clock, sqliteWriter ?? new PrismaBatchWriter(database.db, randomUUID));
  const accounts = new Accounts(users);
  const redis: RedisWiring | null = config.REDIS_URL
    ? await connectRedis({ url: config.REDIS_URL, prefix: config.REDIS_PREFIX, nodeId: serverId, nodeTtlMs: config.NODE_TTL_MS, logger })
    : null;
  // Limits are shared by all nodes when there are several (an attacker cannot spread guesses over nodes).
  const limiters = redis?.limiter ?? memoryLimiters;
  const signInLimiter = RateLimitedSignIn.create(limiters, "signin", config.SIGNIN_ATTEMPTS_PER_MINUTE);
  const signUpLimiter = RateLimitedSignIn.create(limiters, "signup", config.SIGNIN_ATTEMPTS_PER_MINUTE);
  const services: AppServices = {
    accounts,
    authOptions: buildAuthOptions({ accounts, limiter: signInLimiter, secret: config.secret }),
    signUpLimiter,
  };
  registerServices(services);

  const messenger = new Messenger({
    clock,
    graceMs: config.PRESENCE_GRACE_MS,
    maxDialogsPerUser: config.MAX_DIALOGS_PER_USER,
    restoreGraceMs: config.RESTORE_GRACE_MS,
  });
  const handler = httpHandler ?? notFound;
  const httpServer = createServer((req, res) => {
    if (req.url === "/healthz") return health(res, serverId);
    // The client's address, as this server saw it, for per-IP limits. Never trust a client's copy.
    req.headers["x-client-ip"] = req.socket.remoteAddress ?? "unknown";
    void handler(req, res);
  });
  const realtime = createRealtime(httpServer, {
    logger,
    clock,
    messenger,
    conversations,
    messages,
    users: new CachedUserLookup(users),
    secret: config.secret,
    serverId,
    bus: redis?.bus ?? new LocalBus(),
    heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
    heartbeatTimeoutMs: config.HEARTBEAT_TIMEOUT_MS,
    presenceBatchMs: config.PRESENCE_BATCH_MS,
    maxConnectionsPerUser: config.MAX_CONNECTIONS_PER_USER,
    eventLimiter: eventLimiter(limiters, config.EVENTS_PER_SECOND, config.EVENTS_BURST),
  }, redis ? { adapter: redis.adapter } : {});
  await realtime.start();
  await realtime.restoreOpenDialogs();

  let closing: Promise<void> | null = null;
  return {
    httpServer,
    realtime,
    messenger,
    database,
    services,
    serverId,
    listen: () =>
      new Promise((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(config.PORT, config.HOST, () => resolve((httpServer.address() as AddressInfo).port));
      }),
    close: () =>
      (closing ??= (async () => {
        httpServer.close(); // stop accepting; open sockets are closed below
        await messages.drain(); // every send already accepted is committed and acknowledged
        await realtime.close();
        await messages.drain();
        httpServer.closeAllConnections();
        await redis?.close();
        sqliteWriter?.close();
        await database.close();
      })()),
  };
}

function health(res: ServerResponse, serverId: string) {
  res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify({ ok: true, serverId }));
}

function notFound(_req: IncomingMessage, res: ServerResponse) {
  res.writeHead(404, { "content-type": "text/plain" });
  res.end("not found");
}
