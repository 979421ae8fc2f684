// Builds (pages and server) when anything the build reads changed since the last build.
import { spawnSync } from "node:child_process";
import { buildIsCurrent } from "./build-inputs.mjs";

export function ensureBuild() {
  if (buildIsCurrent()) return;
  console.log("Building the pages and the server (first start or sources changed)…");
  const result = spawnSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
