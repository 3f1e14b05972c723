import "server-only";
import path from "node:path";
import { migrateDatabase, openDatabase, type Db } from "../../db/client";
import { isMigrated, NotMigratedError } from "../../db/migrations";
import type { IntegrityLane } from "../integrity/scheduler";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import { LOG_IDS } from "../ledger/log-id";
import { checkpointNow } from "../ledger-store/create-checkpoint";
import { loadConfig } from "./config";
import { loadOrCreatePersonalDataKeys } from "./personal-data-keys";
import type { Runtime } from "./runtime-context";
import { configuredCheckpointStore, loadOrCreateSigner } from "./signing-key";

// checkpointNow stays importable from here: server actions call it and their tests mock this module.
export { checkpointNow } from "../ledger-store/create-checkpoint";

async function startRuntime(): Promise<Runtime> {
  const config = loadConfig();
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: path.resolve(config.DATA_DIR, "pglite") });
  if (database.kind === "pglite" || config.AUTO_MIGRATE) {
    await migrateDatabase(database);
  } else if (!(await isMigrated(database.db))) {
    throw new NotMigratedError(database.location);
  }
  const replica = config.DATABASE_REPLICA_URL ? await openDatabase({ url: config.DATABASE_REPLICA_URL }) : null;
  const warn = (text: string) => console.warn(`[decision-ledger] ${text}`);
  const { signer, verifierKey } = await loadOrCreateSigner(config, warn);
  const personalDataKeys = loadOrCreatePersonalDataKeys(config, warn);
  const runtime: Runtime = {
    config,
    database,
    db: database.db,
    readDb: replica?.db ?? database.db,
    origin: config.LEDGER_ORIGIN,
    signer,
    verifierKey,
    personalDataKeys,
    externalStore: configuredCheckpointStore(config),
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
    for (const logId of LOG_IDS) {
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

export async function getPersonalDataKeys(): Promise<PersonalDataKeys> {
  return (await getRuntime()).personalDataKeys;
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
