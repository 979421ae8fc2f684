// `npm start`: builds the pages when the sources changed since the last build, then runs the server
// (Next + Socket.IO on one port). The build stamp is a hash of everything the build reads.
import { spawnSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const inputs = ["app", "lib", "server", "types", "next.config.mjs", "package-lock.json", "tsconfig.json"];
const stampFile = ".next/source-stamp";

function hashTree(hash, path) {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) hashTree(hash, join(path, entry));
  } else {
    hash.update(path);
    hash.update(readFileSync(path));
  }
}

const hash = createHash("sha256");
for (const input of inputs) hashTree(hash, input);
const stamp = hash.digest("hex");
const built = existsSync(".next/BUILD_ID") && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp;

if (!built) {
  console.log("Building the pages (first start or sources changed)…");
  const result = spawnSync("npx", ["--no-install", "next", "build"], { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(stampFile, stamp);
}

const child = spawn("npx", ["--no-install", "tsx", "server/index.ts"], { stdio: "inherit", env: { NEXT_TELEMETRY_DISABLED: "1", ...process.env } });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
