/** Every environment variable the server reads is documented in the README's configuration tables. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "@/server/config";
import { PROJECT_ROOT } from "@/server/paths";

describe("README configuration", () => {
  it("documents every variable server/config.ts reads, with its default", () => {
    const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
    const rows = readme.split("\n").filter((l) => l.startsWith("| `"));
    expect(CONFIG_VARIABLES.length).toBeGreaterThan(20);
    const undocumented = CONFIG_VARIABLES.filter((name) => !rows.some((row) => row.includes(`\`${name}\``)));
    expect(undocumented).toEqual([]);
  });
});
