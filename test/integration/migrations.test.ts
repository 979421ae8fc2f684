/**
 * Issue 10: the migration runner and `npm run db:migration`.
 * - Each database's committed migrations build exactly what its schema.prisma describes (compared
 *   table by table, column by column, index by index against a database made from the schema).
 * - The runner records a checksum per applied migration, refuses to start on an edited or unknown
 *   one with a message saying what to do, and adopts rows recorded before checksums existed.
 * - db:migration writes the next migration for both databases, and the runner applies it.
 * PostgreSQL cases run against DATABASE_URL when it points at PostgreSQL (CI sets it), each in a
 * schema of its own that is dropped afterwards.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../server/paths";
import { MigrationError, migrate, migrationsFor, type Migration } from "../../server/persistence/migrate";

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
const prisma = (args: string[]) =>
  execFileSync("npx", ["--no-install", "prisma", ...args], { cwd: PROJECT_ROOT, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
/** The SQL that builds a schema from nothing, as Prisma writes it. */
const fromEmpty = (kind: "sqlite" | "postgres", schemaFile = join(PROJECT_ROOT, "prisma", kind, "schema.prisma")) =>
  prisma([
    "migrate",
    "diff",
    "--config",
    `prisma/${kind}/prisma.config.ts`,
    "--from-empty",
    "--to-schema-datamodel",
    schemaFile,
    "--script",
  ]);

const dir = mkdtempSync(join(tmpdir(), "duo-migrations-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Tables, columns, indexes and foreign keys of a SQLite file, in a comparable form (the runner's own table left out). */
function sqliteShape(file: string): unknown {
  const db = new Sqlite(file, { readonly: true });
  try {
    const tables = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name`).all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    return tables.map((t) => ({
      table: t,
      columns: db.prepare(`PRAGMA table_info("${t}")`).all(),
      indexes: (db.prepare(`PRAGMA index_list("${t}")`).all() as { name: string; unique: number }[])
        .map((i) => ({
          unique: i.unique,
          columns: (db.prepare(`PRAGMA index_info("${i.name}")`).all() as { name: string }[]).map((c) => c.name),
        }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      foreignKeys: db.prepare(`PRAGMA foreign_key_list("${t}")`).all(),
    }));
  } finally {
    db.close();
  }
}

describe("SQLite migrations", () => {
  it("build exactly what prisma/sqlite/schema.prisma describes", async () => {
    const migrated = join(dir, "migrated.db");
    expect(await migrate({ kind: "sqlite", url: `file:${migrated}` })).toEqual(migrationsFor("sqlite").map((m) => m.name));
    const fromSchema = join(dir, "from-schema.db");
    const db = new Sqlite(fromSchema);
    db.exec(fromEmpty("sqlite"));
    db.close();
    const shape = sqliteShape(migrated);
    expect((shape as unknown[]).length).toBeGreaterThanOrEqual(3);
    expect(shape).toEqual(sqliteShape(fromSchema));
  });

  it("record a checksum per migration; a second run applies nothing", async () => {
    const file = join(dir, "checksums.db");
    const migrations = migrationsFor("sqlite");
    await migrate({ kind: "sqlite", url: `file:${file}` });
    expect(await migrate({ kind: "sqlite", url: `file:${file}` })).toEqual([]);
    const db = new Sqlite(file, { readonly: true });
    const rows = db.prepare(`SELECT "name", "checksum" FROM "_app_migrations" ORDER BY "name"`).all();
    db.close();
    expect(rows).toEqual(migrations.map((m) => ({ name: m.name, checksum: m.checksum })));
  });

  it("refuse to start when an applied migration was edited, or is unknown to this code, and say what to do", async () => {
    const file = join(dir, "edited.db");
    const migrations = migrationsFor("sqlite");
    await migrate({ kind: "sqlite", url: `file:${file}` });
    const edited: Migration[] = migrations.map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: "0".repeat(64) } : m));
    const refusal = migrate({ kind: "sqlite", url: `file:${file}`, migrations: edited });
    await expect(refusal).rejects.toThrow(MigrationError);
    await expect(refusal).rejects.toThrow(/was changed after it was applied.*new migration: npm run db:migration/);
    await expect(migrate({ kind: "sqlite", url: `file:${file}`, migrations: migrations.slice(1) })).rejects.toThrow(/has no such file/);
  });

  it("adopt the history of a database made before checksums were recorded", async () => {
    const file = join(dir, "legacy.db");
    const [first] = migrationsFor("sqlite");
    if (!first) throw new Error("no migrations");
    const db = new Sqlite(file);
    db.exec(`CREATE TABLE "_app_migrations" ("name" TEXT PRIMARY KEY, "appliedAt" TEXT NOT NULL)`);
    db.exec(first.sql);
    db.prepare(`INSERT INTO "_app_migrations" VALUES (?, ?)`).run(first.name, new Date().toISOString());
    db.close();
    const applied = await migrate({ kind: "sqlite", url: `file:${file}` });
    expect(applied).not.toContain(first.name);
    const check = new Sqlite(file, { readonly: true });
    expect(check.prepare(`SELECT "checksum" FROM "_app_migrations" WHERE "name" = ?`).get(first.name)).toEqual({
      checksum: first.checksum,
    });
    check.close();
  });
});

describe("npm run db:migration", () => {
  it("writes the next migration for both databases from the schemas, and the runner applies it", { timeout: 60_000 }, async () => {
    const copy = join(dir, "prisma");
    cpSync(join(PROJECT_ROOT, "prisma"), copy, { recursive: true });
    for (const kind of ["sqlite", "postgres"]) {
      const schema = join(copy, kind, "schema.prisma");
      writeFileSync(schema, readFileSync(schema, "utf8").replace(/(model Conversation \{\n)/, "$1  title     String?\n"));
    }
    const out = execFileSync("node", ["scripts/new-migration.mjs", "--dir", copy, "add_title"], {
      cwd: PROJECT_ROOT,
      env,
      encoding: "utf8",
    });
    // After the highest number (numbers are handed out per branch, so there may be gaps).
    const highest = Math.max(...migrationsFor("sqlite").map((m) => Number(/^(\d+)_/.exec(m.name)?.[1] ?? 0)));
    const next = String(highest + 1).padStart(4, "0");
    expect(out).toContain(`${next}_add_title.sql`);
    for (const kind of ["sqlite", "postgres"] as const) {
      const written = readFileSync(join(copy, kind, "migrations", `${next}_add_title.sql`), "utf8");
      expect(written).toMatch(/ALTER TABLE "Conversation" ADD COLUMN\s+"title" TEXT/);
      expect(readFileSync(join(copy, kind, "migrations", "migrated.prisma"), "utf8")).toEqual(
        readFileSync(join(copy, kind, "schema.prisma"), "utf8"),
      );
    }
    const file = join(dir, "with-title.db");
    const applied = await migrate({
      kind: "sqlite",
      url: `file:${file}`,
      migrations: migrationsFor("sqlite", join(copy, "sqlite", "migrations")),
    });
    expect(applied.at(-1)).toBe(`${next}_add_title.sql`);
    const db = new Sqlite(file, { readonly: true });
    expect((db.prepare(`PRAGMA table_info("Conversation")`).all() as { name: string }[]).map((c) => c.name)).toContain("title");
    db.close();
    // Run again with nothing changed: it refuses to write an empty migration.
    expect(() =>
      execFileSync("node", ["scripts/new-migration.mjs", "--dir", copy, "again"], { cwd: PROJECT_ROOT, env, stdio: "pipe" }),
    ).toThrow(/nothing to migrate/);
  });
});

const pgUrl = process.env.DATABASE_URL ?? "";
const havePg = /^postgres(ql)?:\/\//.test(pgUrl);
if (!havePg) console.warn("migrations.test.ts: DATABASE_URL does not point at PostgreSQL; the PostgreSQL migration checks are skipped");

describe.skipIf(!havePg)("PostgreSQL migrations", () => {
  const schemas = [`mig_a_${process.pid}_${Date.now().toString(36)}`, `mig_b_${process.pid}_${Date.now().toString(36)}`];
  const client = new pg.Client({ connectionString: pgUrl });
  beforeAll(() => client.connect());
  afterAll(async () => {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await client.end();
  });

  /** Columns, constraints and indexes of one schema, with the schema's name taken out. */
  async function pgShape(schema: string): Promise<unknown> {
    const q = async (sql: string) => (await client.query(sql, [schema])).rows as Record<string, unknown>[];
    const columns = await q(
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema = $1 AND table_name NOT LIKE '\\_%' ORDER BY table_name, column_name`,
    );
    const constraints = await q(
      `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
       JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND conname NOT LIKE '\\_%' ORDER BY conname`,
    );
    const indexes = await q(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename NOT LIKE '\\_%' ORDER BY indexname`,
    );
    return JSON.parse(JSON.stringify({ columns, constraints, indexes }).replaceAll(`"${schema}".`, "").replaceAll(`${schema}.`, ""));
  }

  it("build exactly what prisma/postgres/schema.prisma describes, and record checksums", async () => {
    const [viaMigrations = "", viaSchema = ""] = schemas;
    await migrate({ kind: "postgres", url: pgUrl, schema: viaMigrations });
    expect(await migrate({ kind: "postgres", url: pgUrl, schema: viaMigrations })).toEqual([]);
    await client.query(`CREATE SCHEMA "${viaSchema}"`);
    await client.query(`SET search_path TO "${viaSchema}"`);
    await client.query(fromEmpty("postgres"));
    const shape = (await pgShape(viaMigrations)) as { columns: unknown[] };
    expect(shape.columns.length).toBeGreaterThan(10);
    expect(shape).toEqual(await pgShape(viaSchema));
    const rows = (await client.query(`SELECT "name", "checksum" FROM "${viaMigrations}"."_app_migrations" ORDER BY "name"`)).rows;
    expect(rows).toEqual(migrationsFor("postgres").map((m) => ({ name: m.name, checksum: m.checksum })));
    const edited = migrationsFor("postgres").map((m, i) => (i === 0 ? { ...m, checksum: "f".repeat(64) } : m));
    await expect(migrate({ kind: "postgres", url: pgUrl, schema: viaMigrations, migrations: edited })).rejects.toThrow(
      /was changed after it was applied/,
    );
  });
});
