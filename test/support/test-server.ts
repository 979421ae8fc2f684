/**
 * Starts the real server stack (storage, auth, core, Socket.IO) on a random loopback port with its own
 * temporary SQLite file, and connects real socket.io-client clients to it with real session cookies.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode, type JWT } from "next-auth/jwt";
import { randomUUID } from "node:crypto";
import { io as connectClient, type Socket } from "socket.io-client";
import { EventLog } from "./event-log";
import type { ClientToServerEvents, ServerToClientEvents, Welcome } from "../../lib/contract/events";
import { buildServer, type MessengerServer } from "../../server/app";
import { loadConfig, type Config } from "../../server/config";
import { createLogger } from "../../server/logger";

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export const TEST_SECRET = "integration-test-secret-0123456789abcdef";

export interface TestUser {
  id: string;
  name: string;
  cookie: string;
}

export interface Connected {
  socket: ClientSocket;
  welcome: Welcome;
  /** Every event this socket received, recorded from before the handshake (nothing is missed). */
  log: EventLog;
}

export interface ConnectOptions {
  /** Overrides the user's cookie ("" sends no Cookie header at all). */
  cookie?: string;
  /** Further request headers for the handshake (e.g. Origin). */
  headers?: Record<string, string>;
}

/** A refused handshake as the client sees it: connect_error with the server's code in `data`. */
export type ConnectError = Error & { data?: { code?: string } };

export interface TestServer {
  url: string;
  port: number;
  server: MessengerServer;
  config: Config;
  dbFile: string;
  /** The temporary directory holding the database; pass it back as `{ dir }` to restart on the same data. */
  dir: string;
  createUser(name?: string): Promise<TestUser>;
  /** A fresh browser session (new sid, stored like a sign-in's) for an existing user. */
  session(user: TestUser): Promise<TestUser>;
  /**
   * A session cookie with exactly these claims (encoded as next-auth does). With `store`, the `sid`
   * gets a Session row for `sub` first, as a real sign-in makes.
   */
  cookie(claims: JWT, options?: { secret?: string; maxAge?: number; store?: boolean }): Promise<string>;
  /** Connects a client; `user` null (with no cookie option) connects without any session cookie. */
  connect(user: TestUser | null, options?: ConnectOptions): Promise<Connected>;
  /** Connects expecting a refusal; resolves with the connect_error's `data.code` (rejects if welcomed). */
  refused(user: TestUser | null, options?: ConnectOptions): Promise<string | undefined>;
  /** Stops the server (graceful) but keeps the database, for restart tests. */
  stop(): Promise<void>;
  /** Stops the server and deletes its database. */
  close(): Promise<void>;
}

/**
 * Heartbeat settings for tests that are not about heartbeats: a busy, shared machine can stall the
 * event loop (which runs both server and clients) for longer than the default 300 + 300 ms, and a
 * client dropped for a missed ping would make an unrelated test fail.
 */
export const STEADY_HEARTBEAT = { HEARTBEAT_INTERVAL_MS: "5000", HEARTBEAT_TIMEOUT_MS: "5000" } as const;

let counter = 0;
export const uniqueName = (prefix = "user") => `${prefix}${process.pid % 1000}x${++counter}${Math.random().toString(36).slice(2, 6)}`;

export async function startTestServer(env: Record<string, string> = {}, reuse?: { dir: string; port?: number }): Promise<TestServer> {
  const dir = reuse?.dir ?? mkdtempSync(join(tmpdir(), "duo-it-"));
  const dbFile = join(dir, "test.db");
  const config = loadConfig({
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: String(reuse?.port ?? 0),
    DATABASE_URL: `file:${dbFile}`,
    NEXTAUTH_SECRET: TEST_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    PRESENCE_GRACE_MS: "300",
    HEARTBEAT_INTERVAL_MS: "300",
    HEARTBEAT_TIMEOUT_MS: "300",
    PRESENCE_BATCH_MS: "20",
    ...env,
  });
  const server = await buildServer({ config, logger: createLogger(config.LOG_LEVEL) });
  const port = await server.listen();
  const url = `http://127.0.0.1:${port}`;
  const sockets = new Set<ClientSocket>();

  const cookie: TestServer["cookie"] = async (claims, options = {}) => {
    if (options.store && claims.sid && claims.sub) await server.services.sessions.create(claims.sid, claims.sub);
    const token = await encode({
      token: claims,
      secret: options.secret ?? TEST_SECRET,
      ...(options.maxAge !== undefined ? { maxAge: options.maxAge } : {}),
    });
    return `next-auth.session-token=${token}`;
  };
  const mint = (id: string, name: string) => cookie({ sub: id, name, sid: randomUUID() }, { store: true });

  const stop = async () => {
    for (const s of sockets) s.disconnect();
    await server.close();
  };

  function connect(user: TestUser | null, options: ConnectOptions = {}): Promise<Connected> {
    const cookie = options.cookie ?? user?.cookie ?? "";
    const socket: ClientSocket = connectClient(url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      extraHeaders: { ...(cookie ? { cookie } : {}), ...options.headers },
    });
    sockets.add(socket);
    const log = new EventLog(socket);
    return new Promise<Connected>((resolve, reject) => {
      socket.once("session:welcome", (welcome) => resolve({ socket, welcome, log }));
      socket.once("connect_error", (err) => {
        socket.disconnect();
        reject(err);
      });
    });
  }

  return {
    url,
    port,
    server,
    config,
    dbFile,
    dir,
    async createUser(name = uniqueName()) {
      const result = await server.services.accounts.register({ username: name, password: "correct horse battery" });
      if (!result.ok) throw new Error(`could not create ${name}: ${result.error}`);
      return { id: result.user.id, name: result.user.name, cookie: await mint(result.user.id, result.user.name) };
    },
    async session(user) {
      return { ...user, cookie: await mint(user.id, user.name) };
    },
    cookie,
    connect,
    async refused(user, options) {
      try {
        const { socket } = await connect(user, options);
        socket.disconnect();
      } catch (err) {
        return (err as ConnectError).data?.code;
      }
      throw new Error("expected the handshake to be refused, but the client was welcomed");
    },
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves with the next event of that name (rejects after `ms`). */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
  ms = 5000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), ms);
    socket.once(event, ((payload: Parameters<ServerToClientEvents[E]>[0]) => {
      clearTimeout(timer);
      resolve(payload);
    }) as never);
  });
}

/** Polls until the predicate holds (rejects after `ms`). */
export async function waitFor(predicate: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The underlying TCP socket of a connected client (Node's ws transport). */
function tcpOf(socket: ClientSocket): import("node:net").Socket {
  const transport = (socket.io.engine as unknown as { transport: { ws?: { _socket?: import("node:net").Socket } } }).transport;
  const tcp = transport.ws?._socket;
  if (!tcp) throw new Error("no underlying TCP socket (is the transport websocket?)");
  return tcp;
}

/** Cuts the connection abruptly: the TCP socket is destroyed, no WebSocket close frame is sent. */
export function destroyTransport(socket: ClientSocket): void {
  tcpOf(socket).destroy();
}

/**
 * Stops reading from the connection (like a client on a slow link): the server's writes pile up in the
 * kernel and then in the server's own buffers. Returns a function that starts reading again.
 */
export function stopReading(socket: ClientSocket): () => void {
  const tcp = tcpOf(socket);
  tcp.pause();
  return () => void tcp.resume();
}

/**
 * Makes a client go silent like a frozen tab or a cut network: nothing more is read or written, and the
 * connection is not closed, so only the server's heartbeat timeout can find it.
 */
export function blackhole(socket: ClientSocket): void {
  const tcp = tcpOf(socket);
  tcp.pause();
  tcp.write = () => true;
  // The client's own heartbeat check would otherwise close the connection politely; silence it too.
  socket.io.engine.removeAllListeners("close");
  (socket.io.engine as unknown as { _resetPingTimeout?: () => void })._resetPingTimeout = () => {};
  (socket.io.engine as unknown as { resetPingTimeout?: () => void }).resetPingTimeout = () => {};
}
