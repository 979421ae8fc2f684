// One lint configuration for the whole project: typescript-eslint's strict type-checked rules
// everywhere (tests and bench included), React's hook rules and Next's rules on the pages, and
// Prettier owning layout (eslint-config-prettier turns off every rule it would fight with).
import js from "@eslint/js";
import nextPlugin from "@next/eslint-plugin-next";
import prettier from "eslint-config-prettier";
import reactHooks from "eslint-plugin-react-hooks";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    ignores: [
      "node_modules/",
      ".next/",
      "dist/",
      "generated/",
      ".data/",
      ".cache/",
      "test-results/",
      "playwright-report/",
      "bench/results/",
      "next-env.d.ts",
    ],
  },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Numbers and booleans in template literals read naturally in log lines and messages.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // `(x) => void send(x)` and `() => setState(...)` are the idiom for callbacks; blocks elsewhere.
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
      // Implementations of async interfaces (the in-process bus, test fakes) are async without awaiting
      // anything; promises that are dropped or misused are still caught by the two rules that matter.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // Tests and the benchmark index into arrays they just built (noUncheckedIndexedAccess makes every
    // such read `T | undefined`); a wrong `!` there fails the test loudly, so it is allowed there only.
    files: ["test/**/*.ts", "e2e/**/*.ts", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
  {
    files: ["app/**/*.{ts,tsx}", "lib/client/**/*.ts"],
    plugins: { "react-hooks": reactHooks, "@next/next": nextPlugin },
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...nextPlugin.configs.recommended.rules,
      ...nextPlugin.configs["core-web-vitals"].rules,
    },
  },
  {
    files: ["**/*.{js,mjs,cjs}"],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
);
