// `npm run build`: the pages (next build) and the server, compiled and bundled into
// dist/server/index.js (esbuild; packages and the generated Prisma clients stay external, loaded from
// node_modules/ and generated/ at run time). Then records the stamp of its inputs (./build-inputs.mjs),
// so `npm start` rebuilds only when something the build reads has changed.
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";
import { STAMP_FILE, sourceStamp } from "./build-inputs.mjs";

const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
const next = spawnSync("npx", ["--no-install", "next", "build"], { stdio: "inherit", env });
if (next.status !== 0) process.exit(next.status ?? 1);

rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: ["server/index.ts"],
  outfile: "dist/server/index.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  external: ["#prisma-sqlite", "#prisma-postgres"],
  sourcemap: true,
  logLevel: "warning",
});
writeFileSync(STAMP_FILE, sourceStamp());
console.log("built: .next/ (pages) and dist/server/index.js (server)");
