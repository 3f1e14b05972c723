import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";
import { builtinModules } from "node:module";

// The layers (docs/architecture.md). Each zone below is one arrow of that picture that must
// never point the other way; lint fails when it does. Zones are checked on RESOLVED paths
// (import/no-restricted-paths), so "@/lib/x", "../x" and "../../lib/x" are all caught alike;
// packages (frameworks, drivers, Node) are banned by specifier (no-restricted-imports).

const APP_LAYERS = ["./lib/services", "./lib/auth", "./lib/server", "./lib/api", "./lib/integrity", "./lib/evidence", "./lib/demo", "./lib/openapi", "./app", "./components", "./cli", "./bench"];
const URL_STATE = "./lib/search-params";

/** One import/no-restricted-paths zone: files under `target` may not import from `from`. */
const zone = (target, from, message) => ({ target, from, message });

const zones = [
  zone(
    "./lib/ledger",
    ["./db", "./lib/ledger-store", "./lib/privacy", "./lib/hash", "./lib/filters", URL_STATE, ...APP_LAYERS],
    "lib/ledger is the pure ledger core (shared with the browser and the CLI): it imports nothing of the project outside itself; hashing is injected (lib/hash).",
  ),
  zone(
    ["./lib/hash", "./lib/filters"],
    ["./db", "./lib/ledger-store", "./lib/privacy", URL_STATE, ...APP_LAYERS],
    "lib/hash and lib/filters are leaf modules on the core: SHA-256 backends and plain filter data.",
  ),
  zone(
    "./db",
    ["./lib/ledger-store", "./lib/privacy", URL_STATE, ...APP_LAYERS],
    "db/ (schema, client, read-only queries) must not import the ledger store, URL state or the app layers: filter types live in lib/filters.",
  ),
  zone(
    "./lib/privacy",
    ["./lib/ledger-store", URL_STATE, ...APP_LAYERS],
    "lib/privacy (personal-data encryption, blind index) may use the core, lib/hash and db/; the ledger store and the app layers use it, not the other way round.",
  ),
  zone("./lib/ledger-store", [URL_STATE, ...APP_LAYERS], "lib/ledger-store depends on the core and db/, never on the app layers above it."),
];

const nodeBuiltins = ["node:*", ...builtinModules.filter((m) => !m.startsWith("_"))];
const frameworks = ["next", "next/**", "next-auth", "next-auth/**", "react", "react/**", "react-dom", "react-dom/**", "nuqs", "nuqs/**"];
const drivers = ["postgres", "drizzle-orm", "drizzle-orm/**", "@electric-sql/**"];

/** no-restricted-imports of packages for the files of one layer (gitignore-style specifier globs). */
function packagesBanned(files, message, patterns) {
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
      "import/no-restricted-paths": ["error", { zones }],
    },
  },
  packagesBanned(
    ["lib/ledger/**/*.{ts,tsx}"],
    "lib/ledger is the pure ledger core, shared with the browser: no framework, database driver or Node module.",
    [...frameworks, "server-only", ...drivers, ...nodeBuiltins],
  ),
  packagesBanned(
    ["lib/ledger-store/**/*.ts", "lib/privacy/**/*.ts", "lib/hash/**/*.ts", "lib/filters/**/*.ts"],
    "The ledger store, privacy, hash and filter modules are framework-free: Next.js and React belong to the app layers.",
    frameworks,
  ),
  packagesBanned(["db/**/*.ts"], "db/ is framework-free: Next.js and React belong to the app layers.", frameworks),
  globalIgnores([".next*/**", "out/**", "build/**", "next-env.d.ts", "data/**", "test-results/**", "playwright-report/**", "node_modules/**"]),
]);
