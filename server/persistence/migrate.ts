/**
 * Applies the committed SQL migrations (prisma/<kind>/migrations/*.sql, written by
 * `npm run db:migration`) in name order, each in its own transaction, recording each applied one
 * with the SHA-256 of its text in _app_migrations. Prisma's own `migrate deploy` cannot run through
 * the PostgreSQL driver adapter (prisma/orm#27403), so one small runner serves both databases.
 *
 * Before applying anything it checks the history: a migration that was edited after it was applied,
 * or one the database has but this code does not, stops the start with a message saying what to do
 * (a silently ignored edit would leave databases that differ while their records say they match).
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { PROJECT_ROOT } from "../paths";
import type { DatabaseKind } from "./database";

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

interface Applied {
  name: string;
  checksum: string | null;
}

/** The database's migration history does not match the migration files: the server must not start. */
export class MigrationError extends Error {}

/** Line endings do not count: a checkout with CRLF is the same migration. */
export const checksumOf = (sql: string) => createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex");

export function migrationsDir(kind: DatabaseKind): string {
  return join(PROJECT_ROOT, "prisma", kind, "migrations");
}

export function migrationsFor(kind: DatabaseKind, dir = migrationsDir(kind)): Migration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name), "utf8");
      return { name, sql, checksum: checksumOf(sql) };
    });
}

/** Names of the migrations still to apply, after checking that the applied ones are unchanged. */
export function pending(migrations: readonly Migration[], applied: readonly Applied[]): Migration[] {
  const known = new Map(migrations.map((m) => [m.name, m]));
  for (const a of applied) {
    const m = known.get(a.name);
    if (!m) {
      throw new MigrationError(
        `The database has migration ${a.name} applied, but this version of the app has no such file. ` +
          `Run the version of the app that wrote it, or restore the file in prisma/*/migrations/.`,
      );
    }
    if (a.checksum !== null && a.checksum !== m.checksum) {
      throw new MigrationError(
        `Migration ${a.name} was changed after it was applied (applied sha256 ${a.checksum.slice(0, 12)}…, ` +
          `file sha256 ${m.checksum.slice(0, 12)}…). Restore the original file and put the change in a new ` +
          `migration: npm run db:migration -- <name>.`,
      );
    }
  }
  const done = new Set(applied.map((a) => a.name));
  return migrations.filter((m) => !done.has(m.name));
}

export async function migrate(target: {
  kind: DatabaseKind;
  url: string;
  schema?: string | undefined;
  /** The migrations to apply; the committed ones by default. */
  migrations?: Migration[];
}): Promise<string[]> {
  const migrations = target.migrations ?? migrationsFor(target.kind);
  return target.kind === "sqlite" ? migrateSqlite(target.url, migrations) : migratePostgres(target.url, migrations, target.schema);
}

function migrateSqlite(url: string, migrations: Migration[]): string[] {
  const db = new Sqlite(url.replace(/^file:/, ""));
  try {
    db.pragma("journal_mode = WAL"); // persistent in the file: readers never block the writer
    db.exec(`CREATE TABLE IF NOT EXISTS "_app_migrations" ("name" TEXT PRIMARY KEY, "appliedAt" TEXT NOT NULL, "checksum" TEXT)`);
    const columns = db.prepare(`PRAGMA table_info("_app_migrations")`).all() as { name: string }[];
    // Databases made before checksums were recorded: their rows are adopted below.
    if (!columns.some((c) => c.name === "checksum")) db.exec(`ALTER TABLE "_app_migrations" ADD COLUMN "checksum" TEXT`);
    const applied = db.prepare(`SELECT "name", "checksum" FROM "_app_migrations"`).all() as Applied[];
    const todo = pending(migrations, applied);
    for (const m of unrecorded(applied, migrations)) {
      db.prepare(`UPDATE "_app_migrations" SET "checksum" = ? WHERE "name" = ?`).run(m.checksum, m.name);
    }
    for (const m of todo) {
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare(`INSERT INTO "_app_migrations" ("name", "appliedAt", "checksum") VALUES (?, ?, ?)`).run(
          m.name,
          new Date().toISOString(),
          m.checksum,
        );
      }).immediate();
    }
    return todo.map((m) => m.name);
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, migrations: Migration[], schema: string | undefined): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (schema) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replace(/"/g, "")}"`);
      await client.query(`SET search_path TO "${schema.replace(/"/g, "")}"`);
    }
    // Several nodes may start at once: one migrates, the others wait on the advisory lock.
    await client.query("SELECT pg_advisory_lock(727274)");
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS "_app_migrations" ("name" TEXT PRIMARY KEY, "appliedAt" TIMESTAMPTZ NOT NULL, "checksum" TEXT)`,
      );
      await client.query(`ALTER TABLE "_app_migrations" ADD COLUMN IF NOT EXISTS "checksum" TEXT`);
      const applied = (await client.query<Applied>(`SELECT "name", "checksum" FROM "_app_migrations"`)).rows;
      const todo = pending(migrations, applied);
      for (const m of unrecorded(applied, migrations)) {
        await client.query(`UPDATE "_app_migrations" SET "checksum" = $1 WHERE "name" = $2`, [m.checksum, m.name]);
      }
      for (const m of todo) {
        await client.query("BEGIN");
        try {
          await client.query(m.sql);
          await client.query(`INSERT INTO "_app_migrations" ("name", "appliedAt", "checksum") VALUES ($1, now(), $2)`, [
            m.name,
            m.checksum,
          ]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK");
          throw err;
        }
      }
      return todo.map((m) => m.name);
    } finally {
      await client.query("SELECT pg_advisory_unlock(727274)");
    }
  } finally {
    await client.end();
  }
}

/** Rows recorded before checksums existed: they take the checksum of today's file (trust on first sight). */
function unrecorded(applied: readonly Applied[], migrations: readonly Migration[]): Migration[] {
  const legacy = new Set(applied.filter((a) => a.checksum === null).map((a) => a.name));
  return migrations.filter((m) => legacy.has(m.name));
}
