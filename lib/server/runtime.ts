import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { migrateDatabase, openDatabase, queryRows, type Db } from "../../db/client";
import { bigintColumn } from "../../db/rows/columns";
import type { IntegrityLane } from "../integrity/scheduler";
import { formatVerifierKey, generateSignerKey, parseSignerKey } from "../ledger/signed-note";
import { DirectoryCheckpointStore } from "../ledger-store/checkpoint-store";
import type { CheckpointSigner } from "../ledger-store/create-checkpoint";
import { loadConfig, type ServerConfig } from "./config";
import { checkpointNow, LOGS, type Runtime } from "./runtime-context";
import { readOrCreateSecretFile } from "./secrets";

// Kept importable from here, where callers (and tests' module mocks) have always found them.
export { checkpointNow, type Runtime } from "./runtime-context";

export class NotMigratedError extends Error {
  constructor(location: string) {
    super(
      `The database at ${location} has no Decision Ledger schema or is behind the committed migrations. ` +
        "Run `npx decision-ledger migrate` as the database owner, or set AUTO_MIGRATE=true.",
    );
    this.name = "NotMigratedError";
  }
}

async function loadSigner(config: ServerConfig): Promise<{ signer: CheckpointSigner; verifierKey: string }> {
  let signerKey = config.LEDGER_SIGNING_KEY;
  if (!signerKey && config.LEDGER_SIGNING_KEY_FILE) signerKey = readFileSync(config.LEDGER_SIGNING_KEY_FILE, "utf8").trim();
  if (!signerKey) {
    let generatedVerifier = "";
    const { value, created } = readOrCreateSecretFile(config.DATA_DIR, "signing-key", () => "");
    signerKey = value;
    if (created || !value) {
      const generated = await generateSignerKey(config.LEDGER_ORIGIN);
      signerKey = generated.signerKey;
      generatedVerifier = generated.verifierKey;
      const { writeFileSync } = await import("node:fs");
      writeFileSync(path.resolve(config.DATA_DIR, "signing-key"), signerKey + "\n", { mode: 0o600 });
      console.warn(
        `[decision-ledger] WARNING: generated a checkpoint signing key in ${path.resolve(config.DATA_DIR, "signing-key")}. ` +
          "This is for the demo only: in production supply your own through LEDGER_SIGNING_KEY_FILE (kept outside the database) " +
          `and publish its verifier key. Verifier key: ${generatedVerifier}`,
      );
    }
  }
  const parsed = await parseSignerKey(signerKey);
  return { signer: { signerKey }, verifierKey: await formatVerifierKey(parsed.name, parsed.publicKey) };
}

async function isMigrated(db: Db): Promise<boolean> {
  const journal = JSON.parse(readFileSync(path.join(process.cwd(), "drizzle", "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
  try {
    const rows = await queryRows(db, sql`select count(*) as n from drizzle.__drizzle_migrations`, z.object({ n: bigintColumn }));
    return (rows[0]?.n ?? 0) >= journal.entries.length;
  } catch {
    return false;
  }
}

async function startRuntime(): Promise<Runtime> {
  const config = loadConfig();
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: path.resolve(config.DATA_DIR, "pglite") });
  if (database.kind === "pglite" || config.AUTO_MIGRATE) {
    await migrateDatabase(database);
  } else if (!(await isMigrated(database.db))) {
    throw new NotMigratedError(database.location);
  }
  const { signer, verifierKey } = await loadSigner(config);
  const runtime: Runtime = {
    config,
    database,
    db: database.db,
    origin: config.LEDGER_ORIGIN,
    signer,
    verifierKey,
    externalStore: new DirectoryCheckpointStore(path.resolve(/*turbopackIgnore: true*/ config.CHECKPOINT_DIR ?? path.join(config.DATA_DIR, "checkpoints"))),
  };
  if (config.DEMO) {
    const { seedDemoIfEmpty } = await import("../demo/seed-demo");
    await seedDemoIfEmpty(runtime);
  }
  startCheckpointSchedule(runtime);
  (await import("../integrity/scheduler")).startIntegritySchedules(runtime);
  return runtime;
}

function startCheckpointSchedule(runtime: Runtime): void {
  const seconds = runtime.config.CHECKPOINT_INTERVAL_SECONDS;
  if (seconds <= 0) return;
  const timer = setInterval(() => {
    for (const logId of LOGS) {
      checkpointNow(runtime, logId).catch((error) => console.error(`[decision-ledger] checkpoint of ${logId} failed:`, error));
    }
  }, seconds * 1000);
  timer.unref();
}

// One runtime per server process, kept on globalThis so dev-mode module reloading does not
// open a second PGlite instance on the same directory.
const globalKey = Symbol.for("decision-ledger.runtime");
type GlobalWithRuntime = typeof globalThis & { [globalKey]?: Promise<Runtime> };

export function getRuntime(): Promise<Runtime> {
  const g = globalThis as GlobalWithRuntime;
  if (!g[globalKey]) {
    g[globalKey] = startRuntime().catch((error) => {
      delete g[globalKey];
      throw error;
    });
  }
  return g[globalKey]!;
}

export async function getDb(): Promise<Db> {
  return (await getRuntime()).db;
}

/**
 * Wakes a lane of the integrity jobs after a job was queued. The jobs start with the runtime,
 * so when this process has none yet getRuntime() starts them (startIntegritySchedules is
 * idempotent and returns the running ones).
 */
export async function wakeIntegrityJobs(lane: IntegrityLane): Promise<void> {
  const { runningIntegrityJobs, startIntegritySchedules } = await import("../integrity/scheduler");
  const jobs = runningIntegrityJobs() ?? startIntegritySchedules(await getRuntime());
  jobs.runner.wake(lane);
}
