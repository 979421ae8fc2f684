/**
 * The realtime server (storage, auth, core, Socket.IO; no pages) as a child process, so tests can
 * kill it with SIGKILL and start it again on the same database and port. Configured by environment;
 * prints one JSON line {"port": n} when listening.
 */
import { buildServer } from "../../server/app";
import { loadConfig } from "../../server/config";
import { createLogger } from "../../server/logger";

const config = loadConfig(process.env);
const server = await buildServer({ config, logger: createLogger(config.LOG_LEVEL) });
const port = await server.listen();
process.stdout.write(JSON.stringify({ port, serverId: server.serverId }) + "\n");
const stop = () => void server.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
