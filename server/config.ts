/**
 * The environment, validated once at start: a bad value stops the server with a readable message
 * instead of failing later in some handler.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";

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
  DATABASE_SCHEMA: z.preprocess(unsetIfEmpty, z.string().regex(/^[a-z_][a-z0-9_]*$/).optional()),
  REDIS_URL: z.preprocess(unsetIfEmpty, z.string().url().optional()),
  /** Namespace for every Redis key and channel (tests give each run its own). */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/).default("duo"),
  /** With Redis: a node silent this long is dead, and its users are removed. */
  NODE_TTL_MS: int(4000, 300),
  NEXTAUTH_SECRET: z.string().min(32, "NEXTAUTH_SECRET must be at least 32 characters").optional(),
  /** Where a generated development secret is kept, so sessions survive restarts. */
  SECRET_FILE: z.string().default(".data/session-secret"),
  PRESENCE_GRACE_MS: int(3000),
  HEARTBEAT_INTERVAL_MS: int(3000, 100),
  HEARTBEAT_TIMEOUT_MS: int(3000, 100),
  PRESENCE_BATCH_MS: int(250, 1),
  /** After a restart, members of restored dialogs have this long to reconnect. */
  RESTORE_GRACE_MS: int(15000),
  MAX_DIALOGS_PER_USER: int(50, 1),
  MAX_CONNECTIONS_PER_USER: int(20, 1),
  EVENTS_PER_SECOND: int(30, 1),
  EVENTS_BURST: int(60, 1),
  SIGNIN_ATTEMPTS_PER_MINUTE: int(10, 1),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** "dev" runs Next in development mode (hot reload); default serves the production build. */
  NEXT_MODE: z.enum(["dev", "build"]).default("build"),
});

export type Env = z.infer<typeof schema>;

export interface Config extends Omit<Env, "NEXTAUTH_SECRET"> {
  secret: string;
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
  const { secret, source } = resolveSecret(NEXTAUTH_SECRET, rest.NODE_ENV, rest.SECRET_FILE);
  return {
    ...rest,
    secret,
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
