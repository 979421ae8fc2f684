/**
 * The SQLite message writer as seen from the event loop: batches go to a worker thread
 * (./sqlite-writer-worker.ts) that commits them, and come back as stored views. The thread answers in
 * the order it was asked; a failed batch rejects with the database's error (the store then retries
 * each message alone, as with any writer).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { PROJECT_ROOT } from "../paths";
import type { Appended, BatchWriter, Pending } from "./message-store";
import type { WriteItem, WriteResult } from "./sqlite-message-writes";

export interface WriterRequest {
  items: WriteItem[];
  createdAt: string;
}
export type WriterReply = { ok: true; results: WriteResult[] } | { ok: false; message: string; code?: string };

/**
 * Compiled beside the server bundle (dist/server/) by `npm run build`. From the sources (tsx, tests),
 * the thread registers tsx first: a worker does not inherit the main thread's module hooks.
 */
function startWorker(file: string): Worker {
  const compiled = fileURLToPath(new URL("./sqlite-writer-worker.js", import.meta.url));
  if (existsSync(compiled)) return new Worker(compiled, { workerData: { file } });
  const source = join(PROJECT_ROOT, "server/persistence/sqlite-writer-worker.ts");
  // tsx's require hook works per thread (its ESM loader hooks do not reach workers on Node 20).
  const tsx = createRequire(import.meta.url).resolve("tsx/cjs/api");
  const boot = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`;
  return new Worker(boot, { eval: true, workerData: { file } });
}

export class SqliteWriterThread implements BatchWriter {
  private readonly worker: Worker;
  private readonly waiting: { resolve: (r: WriterReply) => void; reject: (err: unknown) => void }[] = [];
  private failure: Error | null = null;

  constructor(
    file: string,
    private readonly newId: () => string,
  ) {
    this.worker = startWorker(file);
    this.worker.on("message", (reply: WriterReply) => this.waiting.shift()?.resolve(reply));
    const fail = (err: Error) => {
      this.failure = err;
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => fail(new Error(`the SQLite writer thread exited (code ${code})`)));
  }

  async write(batch: readonly Pending[], createdAt: Date): Promise<Appended[]> {
    if (this.failure) throw this.failure;
    // The same text format Prisma writes for DateTime on SQLite.
    const stamp = createdAt.toISOString().replace("Z", "+00:00");
    const request: WriterRequest = {
      items: batch.map((p) => [p.dialogId, p.senderId, p.clientKey, p.body, this.newId()]),
      createdAt: stamp,
    };
    const reply = await new Promise<WriterReply>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(request);
    });
    if (!reply.ok) throw Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {});
    if (reply.results.length !== batch.length)
      throw new Error(`the writer thread answered ${reply.results.length} of ${batch.length} messages`);
    return batch.map((p, i) => {
      const [id, seq, body, stored, created] = reply.results[i] as WriteResult;
      const message = {
        id,
        dialogId: p.dialogId,
        seq,
        senderId: p.senderId,
        senderName: p.senderName,
        body,
        clientKey: p.clientKey,
        sentAt: Date.parse(stored),
      };
      return { message, created };
    });
  }

  /** Closes the connection and ends the thread, once every batch asked for has been answered. */
  async close(): Promise<void> {
    if (this.failure) return;
    const exited = new Promise((r) => this.worker.once("exit", r));
    this.worker.postMessage("close");
    await exited;
  }
}
