import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateSignerKey } from "../../lib/ledger/signed-note";

const ROOT = process.cwd();
const SERVER_SCRIPT = path.join(ROOT, "scripts", "server.mjs");
const HOST = "127.0.0.1";
const READY = "[decision-ledger] ready on";
/** Lines of server output kept for the error message when it fails. */
const KEPT_LINES = 60;

export interface BenchServer {
  baseUrl: string;
  distDir: string;
  /** The production build served (BUILD_ID's mtime), so a stale build shows in the report. */
  builtAt: Date;
  /** The last lines the server printed (stdout and stderr). */
  output(): string;
  stop(): Promise<number | null>;
}

/** The production build the server would serve, or a message saying how to make one. */
export function productionBuild(): { distDir: string; builtAt: Date } {
  const distDir = process.env.NEXT_DIST_DIR ?? ".next";
  const buildId = path.join(ROOT, distDir, "BUILD_ID");
  if (!existsSync(buildId)) {
    const prefix = distDir === ".next" ? "" : `NEXT_DIST_DIR=${distDir} `;
    throw new Error(
      `No production build in ${distDir}/ (BUILD_ID missing). bench:ingest serves the production build through scripts/server.mjs: ` +
        `run \`${prefix}npm run build\` first (and again after changing the sources: the bench does not rebuild).`,
    );
  }
  return { distDir, builtAt: statSync(buildId).mtime };
}

/** A port nobody listens on now (asked of the kernel, then released for the server to take). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * The server's environment: the bench database, no demo, fresh secrets (no file is generated
 * into the checkout), no background checkpoint or verification job competing with the
 * requests, and an ingest rate limit far above what the bench sends.
 */
async function serverEnv(databaseUrl: string, distDir: string, dataDir: string, port: number): Promise<NodeJS.ProcessEnv> {
  const { signerKey } = await generateSignerKey("bench.decision-ledger.local");
  return {
    ...process.env,
    NODE_ENV: "production",
    NEXT_DIST_DIR: distDir,
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    DEMO: "false",
    LEDGER_ORIGIN: "bench.decision-ledger.local",
    LEDGER_SIGNING_KEY: signerKey,
    CHECKPOINT_DIR: path.join(dataDir, "checkpoints"),
    PERSONAL_DATA_KEK: randomBytes(32).toString("hex"),
    PERSONAL_DATA_INDEX_KEY: randomBytes(32).toString("hex"),
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
    NEXTAUTH_URL: `http://${HOST}:${port}`,
    CHECKPOINT_INTERVAL_SECONDS: "0",
    VERIFY_INTERVAL_SECONDS: "0",
    INGEST_RATE_LIMIT_PER_SECOND: "1000000",
    INGEST_RATE_LIMIT_BURST: "1000000",
  };
}

/** Resolves when the server prints its ready line; rejects with its output when it exits first or takes too long. */
function untilReady(child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`the server was not ready after ${timeoutMs / 1000} s:\n${output()}`)), timeoutMs);
    const onData = () => output().includes(READY) && done();
    const onExit = (code: number | null) => done(new Error(`the server exited (code ${code}) before it was ready:\n${output()}`));
    function done(error?: Error) {
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve();
    }
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
  });
}

/** SIGTERM (the server finishes what is in flight and exits 143), SIGKILL after 30 s. */
function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", (code) => {
      clearTimeout(kill);
      resolve(code);
    });
    child.kill("SIGTERM");
  });
}

/**
 * Starts the production server (scripts/server.mjs, what `npm start` and Playwright run) on
 * 127.0.0.1 against `databaseUrl`, and waits until it listens.
 */
export async function startBenchServer(databaseUrl: string): Promise<BenchServer> {
  const { distDir, builtAt } = productionBuild();
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), "dl-bench-ingest-"));
  const child = spawn(process.execPath, [SERVER_SCRIPT, "--port", String(port), "--hostname", HOST], {
    cwd: ROOT,
    env: await serverEnv(databaseUrl, distDir, dataDir, port),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (lines.length > KEPT_LINES) lines.splice(0, lines.length - KEPT_LINES);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const output = () => lines.join("\n");
  const stop = async () => {
    const code = await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
    return code;
  };
  try {
    await untilReady(child, output, 120_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl: `http://${HOST}:${port}`, distDir, builtAt, output, stop };
}
