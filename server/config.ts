/**
 * The environment, validated once at start: a bad value stops the server with a readable message
 * instead of failing later in some handler.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { parseTrustedProxies, type ProxyList } from "./http/client-ip";

// An empty value (`PORT=` in a .env file) means "not set", not 0.
const unsetIfEmpty = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(unsetIfEmpty, z.coerce.number().int().min(min).max(max).default(fallback));

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: int(3000, 0, 65535),
  DATABASE_URL: z.preprocess(unsetIfEmpty, z.string().min(1).default("file:.data/messenger.db")),
  /** Only for PostgreSQL: the schema to use (tests give each run its own). */
  DATABASE_SCHEMA: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/)
      .optional(),
  ),
  REDIS_URL: z.preprocess(unsetIfEmpty, z.url({ protocol: /^rediss?$/ }).optional()),
  /** Namespace for every Redis key and channel (tests give each run its own). */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default("duo"),
  /** With Redis: a node silent this long is dead, and its users are removed. */
  NODE_TTL_MS: int(4000, 300),
  NEXTAUTH_SECRET: z.string().min(32, "NEXTAUTH_SECRET must be at least 32 characters").optional(),
  /** Where a generated development secret is kept, so sessions survive restarts. */
  SECRET_FILE: z.string().default(".data/session-secret"),
  PRESENCE_GRACE_MS: int(3000),
  HEARTBEAT_INTERVAL_MS: int(3000, 100),
  HEARTBEAT_TIMEOUT_MS: int(3000, 100),
  /** Presence changes go out once none came for PRESENCE_QUIET_MS, and never later than PRESENCE_BATCH_MS. */
  PRESENCE_BATCH_MS: int(1000, 1),
  PRESENCE_QUIET_MS: int(50, 1),
  /** A busy server commits messages at most once per this many ms, each commit taking all that came
   * meanwhile (group commit; an idle server commits at once). 0: every turn of the event loop. */
  COMMIT_WINDOW_MS: int(2, 0, 50),
  /** After a restart, members of restored dialogs have this long to reconnect. */
  RESTORE_GRACE_MS: int(15000),
  MAX_DIALOGS_PER_USER: int(50, 1),
  MAX_CONNECTIONS_PER_USER: int(20, 1),
  /** The per-user event token bucket: tokens back per second, and its size (server/core/event-costs.ts). */
  EVENTS_PER_SECOND: int(30, 1),
  EVENTS_BURST: int(60, 1),
  /** Sign-in attempts per client address (IPv6: per /64), whatever the name. */
  SIGNIN_ATTEMPTS_PER_IP_PER_MINUTE: int(30, 1),
  /** Sign-in attempts per (name, address) until one succeeds; the allowance comes back over 15 minutes. */
  SIGNIN_ATTEMPTS_PER_NAME_AND_IP: int(10, 1),
  /** Sign-in attempts per name from addresses that never signed in as it, all together, per hour. */
  SIGNIN_ATTEMPTS_PER_NAME_PER_HOUR: int(100, 1),
  SIGNUPS_PER_IP_PER_MINUTE: int(10, 1),
  /** A session unused this long ends (sliding: every use moves it forward). */
  SESSION_IDLE_S: int(24 * 3600, 60),
  /** A session ends this long after sign-in, however much it is used. */
  SESSION_MAX_AGE_S: int(7 * 24 * 3600, 60),
  /** A session's expiry is moved forward at most this often (one write per session per period). */
  SESSION_REFRESH_S: int(3600, 1),
  /** How often each node re-checks the sessions of its open sockets (revoked, expired, user deleted). */
  SESSION_RECHECK_MS: int(5000, 100),
  /**
   * The origin browsers use to reach the app (scheme, host and port), e.g. behind a reverse proxy
   * `https://chat.example.com`. Defaults to NEXTAUTH_URL's origin, else http:// and the request's Host.
   */
  PUBLIC_ORIGIN: z.preprocess(unsetIfEmpty, z.url({ protocol: /^https?$/ }).optional()),
  NEXTAUTH_URL: z.preprocess(unsetIfEmpty, z.url({ protocol: /^https?$/ }).optional()),
  /**
   * Proxies and load balancers in front of the server (addresses or CIDR ranges, comma-separated):
   * their X-Forwarded-For names the client, for per-address limits. Unset: the TCP peer is the client.
   */
  TRUSTED_PROXIES: z.preprocess(unsetIfEmpty, z.string().max(2000).optional()),
  /** When set, /metrics also answers non-loopback clients that send `Authorization: Bearer <token>`. */
  METRICS_TOKEN: z.preprocess(unsetIfEmpty, z.string().min(16, "METRICS_TOKEN must be at least 16 characters").optional()),
  /** On SIGTERM, /readyz turns 503 this long before the node stops, so a load balancer drains it first. */
  SHUTDOWN_DRAIN_MS: int(0, 0, 60_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** "dev" runs Next in development mode (hot reload); default serves the production build. */
  NEXT_MODE: z.enum(["dev", "build"]).default("build"),
});

export type Env = z.infer<typeof schema>;

/** Every variable the server reads (the README's configuration table documents each one). */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as (keyof Env)[];

export interface Config extends Omit<Env, "NEXTAUTH_SECRET"> {
  secret: string;
  /** PUBLIC_ORIGIN or NEXTAUTH_URL as an origin (no path); null: same as the request's Host, over http. */
  publicOrigin: string | null;
  /** TRUSTED_PROXIES, parsed; null when none. */
  trustedProxies: ProxyList;
  secretSource: "env" | "file" | "generated";
  /** Worst case from a client going silent to its user being declared offline. */
  abandonDetectionMs: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join("\n")}`);
  }
  const { NEXTAUTH_SECRET, ...rest } = parsed.data;
  let trustedProxies: ProxyList;
  try {
    trustedProxies = parseTrustedProxies(rest.TRUSTED_PROXIES);
  } catch (err) {
    throw new ConfigError(`Invalid environment:\n  TRUSTED_PROXIES: ${(err as Error).message}`);
  }
  const problems = [
    rest.SESSION_REFRESH_S >= rest.SESSION_IDLE_S && "  SESSION_REFRESH_S: must be less than SESSION_IDLE_S",
    rest.SESSION_IDLE_S > rest.SESSION_MAX_AGE_S && "  SESSION_IDLE_S: must not be more than SESSION_MAX_AGE_S",
  ].filter((p): p is string => typeof p === "string");
  if (problems.length > 0) throw new ConfigError(`Invalid environment:\n${problems.join("\n")}`);
  const { secret, source } = resolveSecret(NEXTAUTH_SECRET, rest.NODE_ENV, rest.SECRET_FILE);
  const origin = rest.PUBLIC_ORIGIN ?? rest.NEXTAUTH_URL;
  return {
    ...rest,
    secret,
    publicOrigin: origin ? new URL(origin).origin : null,
    trustedProxies,
    secretSource: source,
    abandonDetectionMs: rest.HEARTBEAT_INTERVAL_MS + rest.HEARTBEAT_TIMEOUT_MS + rest.PRESENCE_GRACE_MS,
  };
}

function resolveSecret(fromEnv: string | undefined, nodeEnv: Env["NODE_ENV"], file: string) {
  if (fromEnv) return { secret: fromEnv, source: "env" as const };
  if (nodeEnv === "production") {
    throw new ConfigError(
      "NEXTAUTH_SECRET is not set. In production the session secret must be given explicitly, e.g.\n" +
        "  NEXTAUTH_SECRET=$(openssl rand -base64 32) NODE_ENV=production npm start",
    );
  }
  const path = resolve(file);
  if (existsSync(path)) {
    const secret = readFileSync(path, "utf8").trim();
    if (secret.length < 32) throw new ConfigError(`The session secret in ${path} is too short. Delete the file to generate a new one.`);
    return { secret, source: "file" as const };
  }
  const secret = randomBytes(32).toString("base64url");
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, secret + "\n", { mode: 0o600 });
  return { secret, source: "generated" as const };
}
