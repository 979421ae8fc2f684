// Prisma CLI config for the embedded SQLite schema. The JS engine keeps the CLI offline-capable
// (no native schema engine download). Used only by `prisma generate` and `migrate diff`:
// the app applies migrations itself (server/persistence/migrate.ts). The CLI needs no database
// file for those, so it gets an in-memory one (a file under .data/ failed on a fresh clone).
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "./schema.prisma",
  async adapter() {
    return new PrismaBetterSQLite3({ url: ":memory:" });
  },
});
