// Builds the pages when the sources changed since the last build. The stamp is a hash of everything
// the build reads, so a plain restart skips the build.
import { spawnSync } from "node:child_process";
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

export function ensureBuild() {
  const hash = createHash("sha256");
  for (const input of inputs) hashTree(hash, input);
  const stamp = hash.digest("hex");
  if (existsSync(".next/BUILD_ID") && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return;
  console.log("Building the pages (first start or sources changed)…");
  const result = spawnSync("npx", ["--no-install", "next", "build"], { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(stampFile, stamp);
}
