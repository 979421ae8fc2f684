/**
 * One Prisma client per process, on the embedded SQLite file by default or on PostgreSQL when
 * DATABASE_URL says so. Both generated clients come from schemas with identical models, so the
 * repositories are typed once, against the SQLite client.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as SqliteClient } from "#prisma-sqlite";
import { PrismaClient as PostgresClient } from "#prisma-postgres";
import { migrate } from "./migrate";

export type Db = SqliteClient;
export type DatabaseKind = "sqlite" | "postgres";

export interface Database {
  kind: DatabaseKind;
  db: Db;
  /** The SQLite file, for the fast message writer (embedded default only). */
  sqliteFile?: string;
  close(): Promise<void>;
}

export function databaseKind(url: string): DatabaseKind {
  return /^postgres(ql)?:\/\//.test(url) ? "postgres" : "sqlite";
}

/** `file:relative/path.db` resolves against the working directory, as SQLite tools do. */
export function sqliteFilePath(url: string): string {
  return resolve(url.replace(/^file:/, ""));
}

/** Opens the database, creating and migrating it first if needed. */
export async function openDatabase(url: string, options: { schema?: string } = {}): Promise<Database> {
  const kind = databaseKind(url);
  if (kind === "sqlite") {
    const file = sqliteFilePath(url);
    mkdirSync(dirname(file), { recursive: true });
    await migrate({ kind, url: `file:${file}` });
    const db = new SqliteClient({ adapter: new PrismaBetterSQLite3({ url: `file:${file}` }) });
    // Per-connection settings: wait for a lock instead of failing; WAL without an fsync per commit
    // (a process crash loses nothing committed; only an OS crash could lose the last moments).
    await db.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
    await db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
    await db.$queryRawUnsafe("PRAGMA foreign_keys = ON");
    // No checkpoint inside a commit on the event loop: ./sqlite-checkpointer.ts does it on its own thread.
    await db.$queryRawUnsafe("PRAGMA wal_autocheckpoint = 0");
    return { kind, db, sqliteFile: file, close: () => db.$disconnect() };
  }
  await migrate({ kind, url, schema: options.schema });
  const adapter = new PrismaPg({ connectionString: url }, options.schema ? { schema: options.schema } : undefined);
  // The two generated clients expose the same model API (identical models); only the provider differs.
  const db = new PostgresClient({ adapter }) as unknown as Db;
  return { kind, db, close: () => db.$disconnect() };
}
