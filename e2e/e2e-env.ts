/** The server the browser tests run against: its own port and database, short timeouts. */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3217);

export const E2E_TIMEOUTS = {
  graceMs: 1500,
  heartbeatIntervalMs: 1500,
  heartbeatTimeoutMs: 1500,
};

/** Worst case from a client going silent to its user being declared offline. */
export const E2E_DETECTION_MS = E2E_TIMEOUTS.graceMs + E2E_TIMEOUTS.heartbeatIntervalMs + E2E_TIMEOUTS.heartbeatTimeoutMs;

export const E2E_ENV: Record<string, string> = {
  NODE_ENV: "test",
  NEXT_TELEMETRY_DISABLED: "1",
  HOST: "127.0.0.1",
  PORT: String(E2E_PORT),
  DATABASE_URL: "file:.data/e2e/e2e.db",
  REDIS_URL: "",
  DATABASE_SCHEMA: "",
  NEXTAUTH_SECRET: "e2e-secret-e2e-secret-e2e-secret-0123",
  LOG_LEVEL: "warn",
  PRESENCE_GRACE_MS: String(E2E_TIMEOUTS.graceMs),
  HEARTBEAT_INTERVAL_MS: String(E2E_TIMEOUTS.heartbeatIntervalMs),
  HEARTBEAT_TIMEOUT_MS: String(E2E_TIMEOUTS.heartbeatTimeoutMs),
  // Every browser of the suite signs up and in from 127.0.0.1, dozens a minute: per-address limits are
  // raised here (test/integration covers them at their defaults).
  SIGNUPS_PER_IP_PER_MINUTE: "1000",
  SIGNIN_ATTEMPTS_PER_IP_PER_MINUTE: "1000",
};
