import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@/server/config";

let dir = "";
let secretFile = "";
const SECRET = "s".repeat(32);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "config-test-"));
  secretFile = join(dir, "nested", "session-secret");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The environment as given, NODE_ENV included only when set (Next types it as always present). */
const asEnv = (vars: Record<string, string>) => vars as NodeJS.ProcessEnv;
/** loadConfig with a private secret file; nothing is read from process.env or written to the project. */
const load = (env: Record<string, string> = {}) => loadConfig(asEnv({ SECRET_FILE: secretFile, ...env }));

function configError(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe("defaults", () => {
  it("an empty environment gives the documented defaults", () => {
    const c = load();
    expect(c).toMatchObject({
      NODE_ENV: "development",
      HOST: "127.0.0.1",
      PORT: 3000,
      DATABASE_URL: "file:.data/messenger.db",
      PRESENCE_GRACE_MS: 3000,
      HEARTBEAT_INTERVAL_MS: 3000,
      HEARTBEAT_TIMEOUT_MS: 3000,
      PRESENCE_BATCH_MS: 1000,
      PRESENCE_QUIET_MS: 50,
      COMMIT_WINDOW_MS: 2,
      RESTORE_GRACE_MS: 15000,
      MAX_DIALOGS_PER_USER: 50,
      MAX_CONNECTIONS_PER_USER: 20,
      EVENTS_PER_SECOND: 30,
      EVENTS_BURST: 60,
      SIGNIN_ATTEMPTS_PER_IP_PER_MINUTE: 30,
      SIGNIN_ATTEMPTS_PER_NAME_AND_IP: 10,
      SIGNIN_ATTEMPTS_PER_NAME_PER_HOUR: 100,
      SIGNUPS_PER_IP_PER_MINUTE: 10,
      SESSION_IDLE_S: 86_400,
      SESSION_MAX_AGE_S: 604_800,
      SESSION_REFRESH_S: 3600,
      SESSION_RECHECK_MS: 5000,
      publicOrigin: null,
      LOG_LEVEL: "info",
      NEXT_MODE: "build",
      abandonDetectionMs: 9000,
    });
    expect(c.DATABASE_SCHEMA).toBeUndefined();
    expect(c.REDIS_URL).toBeUndefined();
    expect(c).not.toHaveProperty("NEXTAUTH_SECRET");
  });

  it("numbers are coerced from strings", () => {
    expect(load({ PORT: "8080", MAX_DIALOGS_PER_USER: "3" })).toMatchObject({ PORT: 8080, MAX_DIALOGS_PER_USER: 3 });
  });

  it("abandonDetectionMs = heartbeat interval + heartbeat timeout + presence grace", () => {
    const c = load({ HEARTBEAT_INTERVAL_MS: "1000", HEARTBEAT_TIMEOUT_MS: "250", PRESENCE_GRACE_MS: "40" });
    expect(c.abandonDetectionMs).toBe(1290);
  });
});

describe("sessions and origin", () => {
  it("a session lifetime that cannot work is refused: refresh not below idle, idle above the maximum age", () => {
    expect(configError({ SESSION_REFRESH_S: "3600", SESSION_IDLE_S: "3600" }).message).toContain("  SESSION_REFRESH_S: ");
    expect(configError({ SESSION_IDLE_S: "7200", SESSION_MAX_AGE_S: "3600" }).message).toContain("  SESSION_IDLE_S: ");
    expect(configError({ SESSION_IDLE_S: "59" }).message).toContain("  SESSION_IDLE_S: ");
  });

  it("the public origin is PUBLIC_ORIGIN, else NEXTAUTH_URL's, as scheme, host and port", () => {
    expect(load({ PUBLIC_ORIGIN: "https://Chat.Example.com/some/path" }).publicOrigin).toBe("https://chat.example.com");
    expect(load({ NEXTAUTH_URL: "https://chat.example.com:8443/" }).publicOrigin).toBe("https://chat.example.com:8443");
    expect(load({ PUBLIC_ORIGIN: "https://a.example", NEXTAUTH_URL: "https://b.example" }).publicOrigin).toBe("https://a.example");
    expect(configError({ PUBLIC_ORIGIN: "ftp://chat.example.com" }).message).toContain("  PUBLIC_ORIGIN: ");
  });
});

describe("session secret", () => {
  it("from the environment when given; no file is written", () => {
    const c = load({ NEXTAUTH_SECRET: SECRET });
    expect(c.secret).toBe(SECRET);
    expect(c.secretSource).toBe("env");
    expect(existsSync(secretFile)).toBe(false);
  });

  it("in development, generated once into SECRET_FILE (mode 600) and read back on the next start", () => {
    const first = load();
    expect(first.secretSource).toBe("generated");
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(secretFile, "utf8")).toBe(first.secret + "\n");
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const second = load();
    expect(second.secretSource).toBe("file");
    expect(second.secret).toBe(first.secret);
  });

  it("a stored secret is trimmed", () => {
    const stored = join(dir, "stored");
    writeFileSync(stored, `  ${SECRET}  \n`);
    expect(loadConfig(asEnv({ SECRET_FILE: stored }))).toMatchObject({ secret: SECRET, secretSource: "file" });
  });

  it("production without NEXTAUTH_SECRET throws a ConfigError that says how to set it, and writes nothing", () => {
    const err = configError({ NODE_ENV: "production" });
    expect(err.message).toContain("NEXTAUTH_SECRET is not set");
    expect(err.message).toContain("openssl rand");
    expect(existsSync(secretFile)).toBe(false);
  });

  it("production with a secret works", () => {
    expect(load({ NODE_ENV: "production", NEXTAUTH_SECRET: SECRET })).toMatchObject({ secret: SECRET, secretSource: "env" });
  });

  it("a secret shorter than 32 characters is refused", () => {
    expect(configError({ NEXTAUTH_SECRET: "short" }).message).toContain("NEXTAUTH_SECRET must be at least 32 characters");
  });

  it("an empty or short stored secret is not used as the session secret", () => {
    // The 32-character minimum applies to NEXTAUTH_SECRET only: a truncated/empty file gives "" today.
    const stored = join(dir, "empty");
    writeFileSync(stored, "\n");
    let secret: string | null = null;
    try {
      secret = loadConfig(asEnv({ SECRET_FILE: stored })).secret;
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
    }
    if (secret !== null) expect(secret.length).toBeGreaterThanOrEqual(32);
  });
});

describe("invalid values", () => {
  it.each([
    ["PORT", "abc"],
    ["PORT", "3.5"],
    ["PORT", "-1"],
    ["PRESENCE_GRACE_MS", "soon"],
    ["HEARTBEAT_INTERVAL_MS", "99"],
    ["MAX_DIALOGS_PER_USER", "0"],
    ["NODE_ENV", "staging"],
    ["LOG_LEVEL", "loud"],
    ["NEXT_MODE", "prod"],
    ["REDIS_URL", "not a url"],
    ["DATABASE_SCHEMA", "Bad-Schema"],
    ["HOST", ""],
  ])("%s=%j throws a ConfigError naming the variable", (name, value) => {
    const err = configError({ [name]: value });
    expect(err.message).toMatch(/^Invalid environment:/);
    expect(err.message).toContain(`  ${name}: `);
  });

  it("every invalid variable is reported at once", () => {
    const err = configError({ PORT: "x", LOG_LEVEL: "y", EVENTS_BURST: "0" });
    for (const name of ["PORT", "LOG_LEVEL", "EVENTS_BURST"]) expect(err.message).toContain(`  ${name}: `);
  });

  it("a port above 65535 is refused at start, not when listening", () => {
    configError({ PORT: "70000" });
  });

  it.each(["PORT", "PRESENCE_GRACE_MS", "MAX_DIALOGS_PER_USER"])("an empty %s is the default or an error, never a silent 0", (name) => {
    let value: unknown = "error";
    try {
      value = load({ [name]: "" })[name as "PORT"];
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
    }
    expect(value).not.toBe(0);
  });
});
