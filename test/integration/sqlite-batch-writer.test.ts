// The message store on the embedded database, with its prepared-statement writer: the guarantees the
// handlers rely on (order, gap-free seqs, idempotent keys, one bad message not sinking its batch).
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../server/persistence/database";
import { ConversationRepository } from "../../server/persistence/conversation-repository";
import { MessageStore, type Appended, type BatchWriter } from "../../server/persistence/message-store";
import { SqliteBatchWriter } from "../../server/persistence/sqlite-batch-writer";
import { SqliteCheckpointer } from "../../server/persistence/sqlite-checkpointer";
import { createLogger } from "../../server/logger";
import { waitFor } from "../support/test-server";
import { UserRepository } from "../../server/persistence/user-repository";

let dir: string;
let database: Database;
let writer: SqliteBatchWriter;
let store: MessageStore;
let users: { id: string; name: string }[];
let dialogs: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "duo-writer-"));
  database = await openDatabase(`file:${join(dir, "duo.db")}`);
  const repo = new UserRepository(database.db);
  users = [];
  for (const name of ["ann", "ben", "cat"]) {
    const u = await repo.create(name, "not-a-real-hash");
    if (!u) throw new Error("could not create a user");
    users.push({ id: u.id, name });
  }
  const conversations = new ConversationRepository(database.db);
  dialogs = [await conversations.ensure(users[0]!.id, users[1]!.id), await conversations.ensure(users[0]!.id, users[2]!.id)];
  writer = new SqliteBatchWriter(database.sqliteFile!, randomUUID);
  store = new MessageStore(database.db, { now: () => Date.now() }, writer);
});

afterAll(async () => {
  writer.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

const msg = (dialog: number, sender: number, clientKey: string, body = clientKey) => ({
  dialogId: dialogs[dialog]!,
  senderId: users[sender]!.id,
  senderName: users[sender]!.name,
  clientKey,
  body,
});

describe("the SQLite batch writer behind the message store", () => {
  it("stores concurrent sends gap-free per conversation and resolves them in the order they were accepted", async () => {
    const resolved: Appended[] = [];
    const sends = Array.from({ length: 300 }, (_, i) => {
      const p = store.append(msg(i % 2, i % 2 === 0 ? (i % 4 === 0 ? 0 : 1) : 2, `key-${i.toString().padStart(4, "0")}`));
      void p.then((r) => resolved.push(r));
      return p;
    });
    const results = await Promise.all(sends);
    expect(results.every((r) => r.created)).toBe(true);
    for (const d of [0, 1]) {
      const seqs = results.filter((r) => r.message.dialogId === dialogs[d]).map((r) => r.message.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // in acceptance order, no gaps
    }
    expect(resolved.map((r) => r.message.clientKey)).toEqual(results.map((r) => r.message.clientKey));
    const page = await store.after(dialogs[0]!, 0, 200);
    expect(page.messages.map((m) => m.clientKey)).toEqual(
      results.filter((r) => r.message.dialogId === dialogs[0]).map((r) => r.message.clientKey),
    );
  });

  it("answers a key sent again, in flight or long committed, with the original message", async () => {
    const [first, twin] = await Promise.all([store.append(msg(0, 0, "again-0001", "one")), store.append(msg(0, 0, "again-0001", "two"))]);
    const later = await store.append(msg(0, 0, "again-0001", "three"));
    expect(first.created).toBe(true);
    expect(twin).toEqual({ message: first.message, created: false });
    expect(later).toEqual({ message: first.message, created: false });
    // The same key from the other member is another message.
    const other = await store.append(msg(0, 1, "again-0001", "ben's"));
    expect(other.created).toBe(true);
    expect(other.message.seq).toBe(first.message.seq + 1);
  });

  it("refuses a message to a conversation that does not exist without losing the ones committed with it", async () => {
    const good = [store.append(msg(1, 2, "good-0001")), store.append(msg(1, 0, "good-0002"))];
    const bad = store.append({ ...msg(1, 2, "bad-00001"), dialogId: "no-such-conversation" });
    await expect(bad).rejects.toThrow(/does not exist|FOREIGN KEY/);
    const stored = await Promise.all(good);
    expect(stored.map((r) => r.message.seq)).toEqual([stored[0]!.message.seq, stored[0]!.message.seq + 1]);
    const page = await store.before(dialogs[1]!, undefined, 2);
    expect(page.messages.map((m) => m.clientKey)).toEqual(["good-0001", "good-0002"]);
  });

  it("never copies the WAL back inside a commit; the checkpoint thread does, and stops when asked", async () => {
    const file = database.sqliteFile!;
    const sizeBefore = statSync(file).size;
    // Many small commits, as a server under a steady load makes them.
    for (let c = 0; c < 400; c++) {
      await Promise.all(Array.from({ length: 8 }, (_, i) => store.append(msg(i % 2, 0, `bulk-${c}-${i}`, "x".repeat(200)))));
    }
    // Well past SQLite's own threshold (1,000 pages), and still all in the log: no commit checkpointed.
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(1000 * 4096);
    expect(statSync(file).size).toBe(sizeBefore);
    const checkpointer = new SqliteCheckpointer(file, createLogger("silent"));
    await waitFor(() => statSync(file).size > sizeBefore + 600 * 1024, 5_000, "the checkpoint thread to copy the log back");
    await checkpointer.stop();
    const page = await store.before(dialogs[0]!, undefined, 1);
    expect(page.messages[0]?.clientKey).toBe("bulk-399-6");
  });

  it("commits at once when idle, and at most once per commit window when busy, with every send that came meanwhile", async () => {
    const nextTurn = () => new Promise((r) => setImmediate(r));
    // Sends in separate turns of the event loop right after a commit: what a busy server sees.
    const batchesWith = async (windowMs: number, run: string) => {
      const batches: string[][] = [];
      const spy: BatchWriter = {
        write: (batch, createdAt) => {
          batches.push(batch.map((p) => p.clientKey));
          return writer.write(batch, createdAt);
        },
      };
      const windowed = new MessageStore(database.db, { now: () => Date.now() }, spy, undefined, windowMs);
      const started = performance.now();
      await windowed.append(msg(1, 2, `${run}-a`));
      const idleCommitMs = performance.now() - started;
      const rest: Promise<Appended>[] = [];
      for (const k of ["b", "c", "d"]) {
        rest.push(windowed.append(msg(1, 2, `${run}-${k}`)));
        await nextTurn();
      }
      await Promise.all(rest);
      return { batches, idleCommitMs };
    };
    const windowed = await batchesWith(300, "window");
    const unwindowed = await batchesWith(0, "nowindow");
    console.log(
      `commit window 300 ms: batches ${JSON.stringify(windowed.batches.map((b) => b.length))}, idle send committed in ${windowed.idleCommitMs.toFixed(1)} ms; ` +
        `no window: ${JSON.stringify(unwindowed.batches.map((b) => b.length))}`,
    );
    expect(windowed.batches).toEqual([["window-a"], ["window-b", "window-c", "window-d"]]);
    expect(windowed.idleCommitMs).toBeLessThan(300); // the first send did not wait for a window
    expect(unwindowed.batches).toEqual([["nowindow-a"], ["nowindow-b"], ["nowindow-c"], ["nowindow-d"]]);
  });
});
