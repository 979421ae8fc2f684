/**
 * Every package the code imports is declared in package.json, and what the running app imports
 * (server, pages, shared code) is a runtime dependency, not a dev tool: `npm ci --omit=dev` after a
 * build must still run it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "@/server/paths";

const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const SKIP = new Set(["node_modules", ".next", "dist", "generated", ".data", ".cache", "test-results", "playwright-report", ".git"]);
const RUNTIME = ["server/", "app/", "lib/", "proxy.ts", "next.config.mjs"];

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (SKIP.has(entry)) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.(ts|tsx|mjs|js)$/.test(entry) && !entry.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Bare package names a file imports (static, dynamic and type imports alike). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["']([^"']+)["']/g)].map((m) => m[1] ?? "");
  return specs
    .filter((s) => !s.startsWith(".") && !s.startsWith("@/") && !s.startsWith("#") && !s.startsWith("node:"))
    .map((s) => (s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : (s.split("/")[0] ?? s)))
    .filter((name) => !builtinModules.includes(name));
}

describe("dependencies", () => {
  const files = sources(PROJECT_ROOT).map((f) => ({ file: relative(PROJECT_ROOT, f), imports: importsOf(f) }));

  it("every imported package is declared in package.json", () => {
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)]);
    expect(files.length).toBeGreaterThan(100);
    const missing = files.flatMap(({ file, imports }) => imports.filter((name) => !declared.has(name)).map((name) => `${file}: ${name}`));
    expect(missing).toEqual([]);
  });

  it("the running app imports only runtime dependencies", () => {
    const runtimeFiles = files.filter(({ file }) => RUNTIME.some((prefix) => file.startsWith(prefix)));
    expect(runtimeFiles.length).toBeGreaterThan(30);
    const devOnly = runtimeFiles.flatMap(({ file, imports }) =>
      imports.filter((name) => !(name in pkg.dependencies)).map((name) => `${file}: ${name}`),
    );
    expect(devOnly).toEqual([]);
  });
});
