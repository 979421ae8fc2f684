// `npm run db:migration -- <name>`: writes the next migration for BOTH databases from their schemas.
//
// Each database keeps, beside its migrations, `migrated.prisma`: the schema its migrations build. The
// new migration is Prisma's diff from that to today's `schema.prisma` (offline: Prisma's WebAssembly
// engine compares two datamodels), written as NNNN_<name>.sql in prisma/sqlite/migrations and
// prisma/postgres/migrations with the same number; then `migrated.prisma` is brought up to date.
// The tests check that the migrations really build each schema and that both schemas agree.
import { execFileSync } from "node:child_process";
import { copyFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const KINDS = ["sqlite", "postgres"];
const { values, positionals } = parseArgs({ allowPositionals: true, options: { dir: { type: "string", default: "prisma" } } });
const name = positionals[0] ?? "";
if (!/^[a-z0-9_]{1,60}$/.test(name)) {
  console.error("usage: npm run db:migration -- <name>   (lower-case letters, digits and _; e.g. add_read_positions)");
  process.exit(2);
}

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
/** Prisma's SQL from one datamodel to another; "" when they are the same. */
function diff(kind, from, to) {
  const sql = execFileSync(
    "npx",
    [
      "--no-install",
      "prisma",
      "migrate",
      "diff",
      "--config",
      join("prisma", kind, "prisma.config.ts"),
      "--from-schema-datamodel",
      from,
      "--to-schema-datamodel",
      to,
      "--script",
    ],
    { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  const meaningful = sql.split("\n").some((line) => line.trim() !== "" && !line.trim().startsWith("--"));
  return meaningful ? sql : "";
}

const changes = KINDS.map((kind) => {
  const dir = join(values.dir, kind);
  return { kind, dir, sql: diff(kind, join(dir, "migrations", "migrated.prisma"), join(dir, "schema.prisma")) };
});
const changed = changes.filter((c) => c.sql);
if (changed.length === 0) {
  console.error("Both schema.prisma files match what their migrations build: there is nothing to migrate.");
  process.exit(1);
}
if (changed.length !== KINDS.length) {
  console.error(
    `Only ${changed.map((c) => c.kind).join(", ")} changed. The SQLite and PostgreSQL schemas must have the same models: ` +
      "make the same change in both schema.prisma files, then run this again.",
  );
  process.exit(1);
}

const numbers = KINDS.flatMap((kind) =>
  readdirSync(join(values.dir, kind, "migrations"))
    .map((f) => /^(\d+)_.*\.sql$/.exec(f)?.[1])
    .filter(Boolean)
    .map(Number),
);
const next = String(Math.max(0, ...numbers) + 1).padStart(4, "0");
for (const { kind, dir, sql } of changes) {
  const file = join(dir, "migrations", `${next}_${name}.sql`);
  writeFileSync(file, `-- ${name} (${kind}), written by npm run db:migration from schema.prisma\n${sql}`);
  copyFileSync(join(dir, "schema.prisma"), join(dir, "migrations", "migrated.prisma"));
  console.log(`wrote ${file}`);
}
