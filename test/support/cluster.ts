/**
 * Several real server processes sharing PostgreSQL and Redis, for multi-node tests. Each cluster gets
 * its own PostgreSQL schema and Redis key prefix, removed at the end, so runs can overlap.
 */
import { createClient } from "redis";
import { io } from "socket.io-client";
import { MessengerClient } from "../../lib/client/messenger-client";
import type { Welcome } from "../../lib/contract/events";
import { Accounts } from "../../server/auth/accounts";
import { openDatabase, type Database } from "../../server/persistence/database";
import { UserRepository } from "../../server/persistence/user-repository";
import { ChildServer, freePort } from "./child-server";
import { storedSessionCookie } from "./session-cookie";
import type { ClientSocket, TestUser } from "./test-server";

const SECRET = "cluster-test-secret-cluster-test-secret-01";

/** The live services from the environment, or the reason multi-node tests cannot run. */
export function clusterServices(): { pg: string; redis: string } | { skip: string } {
  const pg = process.env.DATABASE_URL ?? "";
  const redis = process.env.REDIS_URL ?? "";
  if (!/^postgres(ql)?:\/\//.test(pg)) return { skip: "DATABASE_URL does not point at PostgreSQL" };
  if (!/^redis:\/\//.test(redis)) return { skip: "REDIS_URL is not set" };
  return { pg, redis };
}

/** One browser tab: the real client protocol (MessengerClient) on its own socket. */
export interface Tab {
  user: TestUser;
  client: MessengerClient;
  /** The serverId of every welcome, in order (a tab that moved has several). */
  servedBy: string[];
}

export interface Cluster {
  /** The PostgreSQL schema and Redis key prefix of this cluster. */
  id: string;
  nodes: ChildServer[];
  env: Record<string, string>;
  db: Database;
  createUser(): Promise<TestUser>;
  connect(node: number, user: TestUser): Promise<{ socket: ClientSocket; welcome: Welcome }>;
  /** A tab on a node (by index) or at a URL (a load balancer); with `reconnect`, it comes back on its own as a browser does. */
  tab(target: number | string, user: TestUser, options?: { reconnect?: boolean }): Promise<Tab>;
  close(): Promise<void>;
}

export async function startCluster(
  size: number,
  services: { pg: string; redis: string },
  env: Record<string, string> = {},
): Promise<Cluster> {
  const id = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const base = {
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    DATABASE_URL: services.pg,
    DATABASE_SCHEMA: id,
    REDIS_URL: services.redis,
    REDIS_PREFIX: id,
    NEXTAUTH_SECRET: SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "error",
    PRESENCE_GRACE_MS: "400",
    HEARTBEAT_INTERVAL_MS: "500",
    HEARTBEAT_TIMEOUT_MS: "500",
    PRESENCE_BATCH_MS: "20",
    NODE_TTL_MS: "1500",
    ...env,
  };
  const nodes: ChildServer[] = [];
  for (let i = 0; i < size; i++) nodes.push(new ChildServer({ ...base, PORT: String(await freePort()) }));
  // The first node migrates the schema; the others then start together.
  await nodes[0]!.start();
  await Promise.all(nodes.slice(1).map((n) => n.start()));
  const db: Database = await openDatabase(services.pg, { schema: id });
  const accounts = new Accounts(new UserRepository(db.db));
  const sockets: ClientSocket[] = [];
  let count = 0;

  return {
    id,
    nodes,
    env: base,
    db,
    async createUser() {
      const r = await accounts.register({ username: `u${++count}${id.slice(-6)}`, password: "correct horse battery" });
      if (!r.ok) throw new Error(`could not create user: ${r.error}`);
      return { ...r.user, cookie: await storedSessionCookie(db.db, r.user, SECRET) };
    },
    connect(node, user) {
      const socket: ClientSocket = io(nodes[node]!.url, {
        transports: ["websocket"],
        forceNew: true,
        reconnection: false,
        extraHeaders: { cookie: user.cookie },
      });
      sockets.push(socket);
      return new Promise((resolve, reject) => {
        socket.once("session:welcome", (welcome) => resolve({ socket, welcome }));
        socket.once("connect_error", reject);
      });
    },
    tab(target, user, options = {}) {
      const url = typeof target === "number" ? nodes[target]!.url : target;
      const socket: ClientSocket = io(url, {
        transports: ["websocket"],
        forceNew: true,
        reconnection: options.reconnect ?? false,
        reconnectionDelay: 200,
        reconnectionDelayMax: 1000,
        extraHeaders: { cookie: user.cookie },
      });
      sockets.push(socket);
      const tab: Tab = { user, client: new MessengerClient(socket), servedBy: [] };
      return new Promise((resolve, reject) => {
        socket.on("session:welcome", (w) => {
          tab.servedBy.push(w.serverId);
          resolve(tab);
        });
        socket.once("connect_error", reject);
      });
    },
    async close() {
      for (const s of sockets) s.disconnect();
      await Promise.all(nodes.map((n) => n.kill()));
      await db.db.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${id}" CASCADE`);
      await db.close();
      const redis = createClient({ url: services.redis });
      await redis.connect();
      for await (const keys of redis.scanIterator({ MATCH: `${id}*`, COUNT: 500 })) {
        const list = ([] as string[]).concat(keys);
        if (list.length > 0) await redis.del(list);
      }
      await redis.quit();
    },
  };
}
