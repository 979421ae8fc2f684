/**
 * The embedded SQLite schema and the PostgreSQL schema must describe the same models: the
 * repositories are written once, and the PostgreSQL client is used through the SQLite client's type.
 * Only the generator and datasource blocks may differ; every model, field, attribute and doc comment
 * must be the same. (test/integration/migrations.test.ts checks that each migration folder builds
 * exactly its schema.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Prisma as PostgresPrisma } from "#prisma-postgres";
import { Prisma as SqlitePrisma } from "#prisma-sqlite";
import { PROJECT_ROOT } from "../../server/paths";

/** Each model/enum block of a schema, by name, with plain comments dropped and spacing normalised. */
function blocks(kind: "sqlite" | "postgres"): Map<string, string[]> {
  const text = readFileSync(join(PROJECT_ROOT, "prisma", kind, "schema.prisma"), "utf8");
  const found = new Map<string, string[]>();
  for (const match of text.matchAll(/^(model|enum)\s+(\w+)\s*\{([^}]*)\}/gm)) {
    const [, keyword = "", name = "", body = ""] = match;
    const lines = body
      .split("\n")
      .map((l) => l.replace(/(^|\s)\/\/(?!\/).*$/, "").trim()) // `//` comments go, `///` doc comments stay
      .filter((l) => l !== "")
      .map((l) => l.replace(/\s+/g, " "));
    found.set(`${keyword} ${name}`, lines);
  }
  return found;
}

describe("the SQLite and PostgreSQL Prisma schemas", () => {
  it("have the same models and enums, with the same fields, attributes and doc comments", () => {
    const sqlite = blocks("sqlite");
    const postgres = blocks("postgres");
    expect(sqlite.size).toBeGreaterThanOrEqual(3); // the parser found the models (User, Conversation, Message, ...)
    expect([...postgres.keys()].sort()).toEqual([...sqlite.keys()].sort());
    for (const [name, lines] of sqlite) expect(postgres.get(name), name).toEqual(lines);
  });

  it("generate clients with the same models and fields", () => {
    const shape = (models: readonly { name: string; fields: readonly { name: string; kind: string; type: string }[] }[]) =>
      models.map((m) => ({ name: m.name, fields: m.fields.map((f) => `${f.name}:${f.kind}:${f.type}`) }));
    const sqlite = shape(SqlitePrisma.dmmf.datamodel.models);
    expect(sqlite.length).toBeGreaterThanOrEqual(3);
    expect(shape(PostgresPrisma.dmmf.datamodel.models)).toEqual(sqlite);
  });
});
