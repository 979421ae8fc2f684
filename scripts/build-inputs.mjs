// What the build reads, as one hash. Everything in the project counts except what is known not to
// be a build input (tests, benchmark, docs, outputs, caches), so a new source file or folder is
// counted without anyone remembering to add it here.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export const STAMP_FILE = "dist/source-stamp";

const NOT_INPUTS = new Set([
  ".git",
  ".next",
  "dist",
  "node_modules",
  "generated",
  ".data",
  ".cache",
  "test",
  "e2e",
  "bench",
  "docs",
  "test-results",
  "playwright-report",
  ".ci",
  "README.md",
  "next-env.d.ts",
]);

function hashTree(hash, path) {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) hashTree(hash, join(path, entry));
  } else {
    hash.update(path);
    hash.update(readFileSync(path));
  }
}

export function sourceStamp() {
  const hash = createHash("sha256");
  for (const entry of readdirSync(".").sort()) if (!NOT_INPUTS.has(entry)) hashTree(hash, entry);
  return hash.digest("hex");
}

/** True when the pages and the server are built from exactly the current sources. */
export function buildIsCurrent() {
  return (
    existsSync(".next/BUILD_ID") &&
    existsSync("dist/server/index.js") &&
    existsSync(STAMP_FILE) &&
    readFileSync(STAMP_FILE, "utf8") === sourceStamp()
  );
}
