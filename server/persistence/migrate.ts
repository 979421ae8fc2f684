/**
 * Applies the committed SQL migrations (prisma/<kind>/migrations/*.sql, written by
 * `prisma migrate diff`) in name order, each in its own transaction, recording applied ones in
 * _app_migrations. Prisma's own `migrate deploy` cannot run through the PostgreSQL driver adapter
 * (prisma/orm#27403), so one small runner serves both databases.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Sqlite from "better-sqlite3";
import pg from "pg";
import type { DatabaseKind } from "./database";

const root = fileURLToPath(new URL("../../prisma/", import.meta.url));

export interface Migration {
  name: string;
  sql: string;
}

export function migrationsFor(kind: DatabaseKind): Migration[] {
  const dir = join(root, kind, "migrations");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name), "utf8") }));
}

export async function migrate(target: { kind: DatabaseKind; url: string; schema?: string | undefined }): Promise<string[]> {
  const migrations = migrationsFor(target.kind);
  return target.kind === "sqlite" ? migrateSqlite(target.url, migrations) : migratePostgres(target.url, migrations, target.schema);
}

function migrateSqlite(url: string, migrations: Migration[]): string[] {
  const db = new Sqlite(url.replace(/^file:/, ""));
  try {
    db.pragma("journal_mode = WAL"); // persistent in the file: readers never block the writer
    db.exec(`CREATE TABLE IF NOT EXISTS "_app_migrations" ("name" TEXT PRIMARY KEY, "appliedAt" TEXT NOT NULL)`);
    const done = new Set(db.prepare(`SELECT "name" FROM "_app_migrations"`).all().map((r) => (r as { name: string }).name));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare(`INSERT INTO "_app_migrations" ("name", "appliedAt") VALUES (?, ?)`).run(m.name, new Date().toISOString());
      }).immediate();
      applied.push(m.name);
    }
    return applied;
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
    await client.query(`CREATE TABLE IF NOT EXISTS "_app_migrations" ("name" TEXT PRIMARY KEY, "appliedAt" TIMESTAMPTZ NOT NULL)`);
    const done = new Set((await client.query<{ name: string }>(`SELECT "name" FROM "_app_migrations"`)).rows.map((r) => r.name));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query(`INSERT INTO "_app_migrations" ("name", "appliedAt") VALUES ($1, now())`, [m.name]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw err;
      }
      applied.push(m.name);
    }
    await client.query("SELECT pg_advisory_unlock(727274)");
    return applied;
  } finally {
    await client.end();
  }
}
