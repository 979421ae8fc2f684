// Generates both Prisma clients (embedded SQLite and PostgreSQL) from their schemas, offline.
import { execFileSync } from "node:child_process";

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
for (const kind of ["sqlite", "postgres"]) {
  execFileSync("npx", ["--no-install", "prisma", "generate", "--config", `prisma/${kind}/prisma.config.ts`], {
    stdio: ["ignore", "ignore", "inherit"],
    env,
  });
  console.log(`prisma: generated the ${kind} client`);
}
