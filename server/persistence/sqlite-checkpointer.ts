/**
 * Copies the SQLite write-ahead log back into the database file from a thread of its own. Left to
 * SQLite, the commit that crosses 1,000 WAL pages does it, on the event loop, fsync included: measured
 * on this schema, that made 1 commit in 1,000 take 5 ms or more (up to 10 ms) and doubled the commit
 * time overall. The server's connections turn that off (`wal_autocheckpoint = 0`); this thread runs a
 * PASSIVE checkpoint every few hundred milliseconds, which never blocks a writer or a reader.
 *
 * The worker's code is a short script evaluated in the thread (CommonJS, no imports of ours), so it runs
 * the same from the sources under tsx and from the compiled bundle, with no build step of its own.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Logger } from "../logger";

/** How often the log is copied back: at 2,000 messages a second, a few MiB of WAL at most in between. */
const CHECKPOINT_EVERY_MS = 200;

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Sqlite = require(workerData.driver);
const db = new Sqlite(workerData.file);
db.pragma("busy_timeout = 1000");
db.pragma("wal_autocheckpoint = 0");
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message) });
  }
}, workerData.everyMs);
parentPort.on("message", (m) => {
  if (m !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class SqliteCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(file: string, logger: Logger) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER, { eval: true, workerData: { file, driver, everyMs: CHECKPOINT_EVERY_MS } });
    this.worker.on("message", (m: { error: string }) => logger.warn({ error: m.error }, "WAL checkpoint failed; will retry"));
    this.worker.on("error", (err) => logger.error({ err }, "the WAL checkpoint thread failed"));
    this.exited = new Promise((resolve) => this.worker.once("exit", () => resolve()));
    // It must not keep a stopping process alive.
    this.worker.unref();
  }

  async stop(): Promise<void> {
    this.worker.postMessage("stop");
    await this.exited;
  }
}
