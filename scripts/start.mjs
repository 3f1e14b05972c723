#!/usr/bin/env node
// `npm start`: builds the app when there is no production build or the sources are newer
// than it, then runs the production server (scripts/server.mjs: Next's custom-server API on
// our own http.Server, which answers malformed HTTP with the API's JSON errors). Extra
// arguments go to the server (e.g. `npm start -- --port 4000`; --port, --hostname and
// --keepAliveTimeout, as `next start` spells them). Honors NEXT_DIST_DIR (default .next),
// PORT and DATA_DIR.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const distDir = path.resolve(root, process.env.NEXT_DIST_DIR ?? ".next");
const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
const serverScript = path.join(root, "scripts", "server.mjs");

// What the production build is made from. A change to any of these means a rebuild.
const SOURCES = [
  "app",
  "components",
  "lib",
  "db",
  "drizzle",
  "public",
  "instrumentation.ts",
  "proxy.ts",
  "next.config.ts",
  "postcss.config.mjs",
  "tsconfig.json",
  "package.json",
  "package-lock.json",
];

function newestMtime(entry) {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its directory's mtime
  for (const child of readdirSync(entry, { withFileTypes: true })) {
    if (child.name === "node_modules" || child.name.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(path.join(entry, child.name)));
  }
  return newest;
}

/** Why a build is needed, or null when the existing one is current. */
function buildNeeded() {
  const buildId = path.join(distDir, "BUILD_ID");
  if (!existsSync(buildId)) return `no production build in ${path.relative(root, distDir) || distDir}`;
  const built = statSync(buildId).mtimeMs;
  const changed = SOURCES.find((s) => newestMtime(path.join(root, s)) > built);
  return changed ? `${changed} changed since the last build` : null;
}

/** Runs a Node script (the Next CLI, the server) in a child, forwarding SIGINT/SIGTERM; resolves with its exit code. */
function run(script, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: root, stdio: "inherit", env: process.env });
    const forward = (signal) => child.kill(signal);
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    child.on("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code ?? (signal === "SIGINT" ? 130 : 1));
    });
  });
}

function portOf(args) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if ((a === "--port" || a === "-p") && args[i + 1]) return args[i + 1];
    const m = /^(?:--port|-p)=(\d+)$/.exec(a);
    if (m) return m[1];
  }
  return process.env.PORT ?? "3000";
}

const extraArgs = process.argv.slice(2);
const port = portOf(extraArgs);
// The server's console message (demo credentials, curl example) uses PORT to build its URLs.
process.env.PORT = port;

const reason = buildNeeded();
if (reason) {
  console.log(`[decision-ledger] building the app (${reason}); this takes a minute the first time…`);
  const started = Date.now();
  const code = await run(nextBin, ["build"]);
  if (code !== 0) {
    console.error(`[decision-ledger] the build failed (exit ${code}); see the messages above.`);
    process.exit(code);
  }
  console.log(`[decision-ledger] built in ${Math.round((Date.now() - started) / 1000)} s`);
}

const dataDir = path.resolve(root, process.env.DATA_DIR ?? "data");
const credentials = path.join(dataDir, "demo-credentials.json");
const url = process.env.NEXTAUTH_URL ?? `http://localhost:${port}`;
console.log(
  `[decision-ledger] starting on ${url}\n` +
    (process.env.DATABASE_URL ? "[decision-ledger] database: DATABASE_URL\n" : `[decision-ledger] database: embedded, in ${path.join(dataDir, "pglite")}\n`) +
    (existsSync(credentials)
      ? `[decision-ledger] demo sign-in details: ${credentials}\n`
      : "[decision-ledger] on first start the demo users, their passwords and an ingest API key are printed below and saved in\n" +
        `[decision-ledger]   ${credentials}\n`),
);
const startArgs = extraArgs.some((a) => /^(--port|-p)(=|$)/.test(a)) ? extraArgs : [...extraArgs, "--port", port];
process.exit(await run(serverScript, startArgs));
