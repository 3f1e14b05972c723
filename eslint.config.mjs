import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";
import { builtinModules } from "node:module";

// The layers (docs/architecture.md). Each rule below is one arrow of that picture that must
// never point the other way; lint fails when it does.
const nodeBuiltins = ["node:*", ...builtinModules.filter((m) => !m.startsWith("_"))];
const storage = ["**/db/**", "@/db/**", "**/ledger-store/**", "@/lib/ledger-store/**"];
const appLayers = [
  "**/lib/services/**", "@/lib/services/**",
  "**/lib/auth/**", "@/lib/auth/**",
  "**/lib/server/**", "@/lib/server/**",
  "**/lib/api/**", "@/lib/api/**",
  "**/app/**", "@/app/**",
  "**/components/**", "@/components/**",
];
const frameworks = ["next", "next/**", "next-auth", "next-auth/**", "react", "react/**", "react-dom", "react-dom/**", "nuqs", "nuqs/**", "server-only"];
const drivers = ["postgres", "drizzle-orm", "drizzle-orm/**", "@electric-sql/**"];

/** no-restricted-imports for the files of one layer: `patterns` are gitignore-style globs of specifiers. */
function layer(files, message, patterns) {
  return { files, rules: { "no-restricted-imports": ["error", { patterns: [{ group: patterns, message }] }] } };
}

export default defineConfig([
  ...nextVitals,
  ...nextTypescript,
  {
    // Only our own files are parsed for import/no-cycle; packages cannot import us.
    settings: { "import/ignore": ["node_modules"] },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Cycles make layers meaningless and module initialisation order fragile.
      "import/no-cycle": ["error", { ignoreExternal: true }],
    },
  },
  layer(
    ["lib/ledger/**/*.{ts,tsx}"],
    "lib/ledger is the pure ledger core (shared with the browser and the CLI): no storage, framework, driver or Node imports; hashing is injected (lib/hash).",
    [...storage, ...appLayers, ...frameworks, ...drivers, ...nodeBuiltins, "**/lib/hash/**", "@/lib/hash/**", "**/lib/search-params/**", "@/lib/search-params/**", "**/lib/evidence/**", "@/lib/evidence/**"],
  ),
  layer(
    ["lib/ledger-store/**/*.{ts,tsx}"],
    "lib/ledger-store depends on the core and db/, never on the app layers above it.",
    [...appLayers, ...frameworks.filter((f) => f !== "server-only"), "**/lib/search-params/**", "@/lib/search-params/**"],
  ),
  layer(
    ["db/**/*.ts"],
    "db/ (schema, client, read-only queries) must not import the ledger store, URL state or the app layers: filter types live in lib/filters.",
    [...appLayers, "**/ledger-store/**", "@/lib/ledger-store/**", "**/lib/search-params/**", "@/lib/search-params/**", "next", "next/**"],
  ),
  layer(
    ["lib/filters/**/*.ts", "lib/hash/**/*.ts"],
    "lib/filters and lib/hash are leaf modules: plain data and hash backends, no storage or app imports.",
    [...storage, ...appLayers, ...frameworks.filter((f) => f !== "server-only"), "**/lib/search-params/**", "@/lib/search-params/**"],
  ),
  globalIgnores([".next*/**", "out/**", "build/**", "next-env.d.ts", "data/**", "test-results/**", "playwright-report/**", "node_modules/**"]),
]);
