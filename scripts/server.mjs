#!/usr/bin/env node
// The production server: the production build (NEXT_DIST_DIR, default .next) served through
// Next's documented custom-server API (next({ dev: false }) + our own http.Server) instead of
// `next start`, so requests Node's HTTP parser refuses before Next runs (oversized headers,
// malformed framing) are answered with the API's JSON error and read to the end instead of
// reset (lib/server/http-client-error.mjs, docs/security.md). `npm start` and the end-to-end
// tests run this. Options: --port/-p (or PORT, default 3000), --hostname/-H (default: every
// interface, like `next start`), --keepAliveTimeout <ms>.
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { installClientErrorHandler, trackResponses } from "../lib/server/http-client-error.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** --port/-p, --hostname/-H and --keepAliveTimeout, as `next start` spells them (--x=v too). */
function parseServerArgs(args, env = process.env) {
  const options = { port: env.PORT ?? "3000", hostname: undefined, keepAliveTimeout: undefined };
  const names = { "--port": "port", "-p": "port", "--hostname": "hostname", "-H": "hostname", "--keepAliveTimeout": "keepAliveTimeout" };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const key = names[flag];
    const value = inline ?? args[i + 1];
    if (!key || value === undefined || value === "") throw new Error(`unknown or incomplete option "${args[i]}"`);
    if (inline === undefined) i++;
    options[key] = value;
  }
  if (!/^\d{1,5}$/.test(options.port) || Number(options.port) > 65535) throw new Error(`the port must be a number from 0 to 65535, got "${options.port}"`);
  if (options.keepAliveTimeout !== undefined && !/^\d+$/.test(options.keepAliveTimeout)) throw new Error("--keepAliveTimeout must be milliseconds");
  return { port: Number(options.port), hostname: options.hostname, keepAliveTimeout: options.keepAliveTimeout && Number(options.keepAliveTimeout) };
}

async function main() {
  let options;
  try {
    options = parseServerArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`[decision-ledger] server: ${error.message}. Options: --port <n>, --hostname <host>, --keepAliveTimeout <ms>.`);
    process.exit(2);
  }
  // As `next start` does; set before Next loads, which reads it at import time.
  process.env.NODE_ENV ??= "production";
  const { default: next } = await import("next");
  const app = next({ dev: false, dir: root, hostname: options.hostname ?? "localhost", port: options.port });
  const handle = app.getRequestHandler();
  await app.prepare();

  const server = http.createServer(trackResponses((req, res) => handle(req, res)));
  installClientErrorHandler(server);
  if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
  const upgrade = app.getUpgradeHandler();
  server.on("upgrade", (req, socket, head) => upgrade(req, socket, head).catch(() => socket.destroy()));
  server.on("error", (error) => {
    console.error(`[decision-ledger] the server could not start: ${error.message}`);
    process.exit(1);
  });
  server.listen(options.port, options.hostname, () => {
    console.log(`[decision-ledger] ready on http://${options.hostname ?? "localhost"}:${server.address().port}`);
  });

  // Stop accepting, finish what is in flight, then let Next close (as `next start` does);
  // exit 130/143 so a supervisor sees a signal exit.
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    // Connections that do not finish in 10 s are cut; a Next that does not close in 20 s is left.
    setTimeout(() => server.closeAllConnections(), 10_000).unref();
    setTimeout(() => process.exit(signal === "SIGINT" ? 130 : 143), 20_000).unref();
    server.close(() => {
      app
        .close()
        .catch((error) => console.error(error))
        .finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
    server.closeIdleConnections();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

await main();
