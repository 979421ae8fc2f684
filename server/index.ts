/**
 * The process: Next (pages, auth routes) and Socket.IO on one port, storage migrated at start,
 * graceful stop on SIGTERM/SIGINT.
 */
import next from "next";
import { buildServer } from "./app";
import { ConfigError, loadConfig } from "./config";
import { createLogger } from "./logger";
import { PROJECT_ROOT } from "./paths";
import { MigrationError } from "./persistence/migrate";
import { keepUpgradesOurs } from "./http/next-upgrades";

async function main() {
  // Stack traces point at the TypeScript sources (the bundle in dist/ carries a source map).
  process.setSourceMapsEnabled(true);
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  if (config.secretSource !== "env") {
    logger.warn(
      { file: config.SECRET_FILE },
      "NEXTAUTH_SECRET not set: using a generated development secret (never do this in production)",
    );
  }
  // next-auth builds its URLs from the request's Host unless NEXTAUTH_URL pins them.
  process.env.AUTH_TRUST_HOST ??= process.env.NEXTAUTH_URL ? undefined : "true";
  process.env.NEXTAUTH_SECRET = config.secret;

  const dev = config.NEXT_MODE === "dev";
  const nextApp = next({ dev, dir: PROJECT_ROOT, hostname: config.HOST, port: config.PORT });
  keepUpgradesOurs(nextApp);
  await nextApp.prepare();
  const handle = nextApp.getRequestHandler();

  const server = await buildServer({ config, logger, httpHandler: (req, res) => void handle(req, res) });
  if (dev) {
    const upgrade = nextApp.getUpgradeHandler();
    server.httpServer.on("upgrade", (req, socket, head) => {
      if (!req.url?.startsWith("/socket.io/")) void upgrade(req, socket, head);
    });
  }
  const port = await server.listen();
  logger.info(
    {
      url: `http://${config.HOST === "0.0.0.0" ? "localhost" : config.HOST}:${port}`,
      database: server.database.kind,
      mode: dev ? "dev" : "build",
    },
    "messenger listening",
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, 8000);
    force.unref();
    server
      .close()
      .then(() => nextApp.close())
      .then(() => {
        logger.info("stopped");
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  // A refusal to start that tells the operator what to do needs no stack trace.
  console.error(err instanceof MigrationError ? err.message : err);
  process.exit(1);
});
