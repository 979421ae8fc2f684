/**
 * The writer thread: owns one SQLite connection and stores the batches the main thread posts, one at a
 * time, in the order posted, answering each with its results or its error. A commit costs the event
 * loop nothing, and while one runs the next batch fills up (group commit that grows with the load).
 * Waiting for a lock here blocks only this thread, so it waits (busy_timeout) instead of failing.
 */
import { parentPort, workerData } from "node:worker_threads";
import Sqlite from "better-sqlite3";
import { prepareMessageWrites } from "./sqlite-message-writes";
import type { WriterReply, WriterRequest } from "./sqlite-writer-thread";

const port = parentPort;
if (!port) throw new Error("sqlite-writer-worker runs as a worker thread");
const db = new Sqlite((workerData as { file: string }).file);
db.pragma("busy_timeout = 5000");
// WAL without an fsync per commit: a process crash loses nothing committed (as the Prisma connection).
db.pragma("synchronous = NORMAL");
db.pragma("foreign_keys = ON");
const write = prepareMessageWrites(db);

port.on("message", (req: WriterRequest | "close") => {
  if (req === "close") {
    db.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    reply = { ok: true, results: write(req.items, req.createdAt) };
  } catch (err) {
    const e = err as { message?: string; code?: string };
    reply = { ok: false, message: e.message ?? String(err), ...(e.code ? { code: e.code } : {}) };
  }
  port.postMessage(reply);
});
