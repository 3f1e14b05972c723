import path from "node:path";
import type { Database, Db } from "../../db/client";
import type { LogId } from "../ledger/log-id";
import type { ExternalCheckpointStore } from "../ledger-store/checkpoint-store";
import { createCheckpoint, originOf, type CheckpointSigner } from "../ledger-store/create-checkpoint";
import type { EvidenceDeps } from "../services/evidence";
import type { ServerConfig } from "./config";

/**
 * What a started server process holds, and the operations that need nothing else. Apart
 * from lib/server/runtime.ts (which starts it) so the code the runtime starts (the demo
 * seed, the integrity jobs) can take a Runtime without importing the module that starts
 * them: the dependency goes one way, runtime.ts -> them -> this module.
 */

export interface Runtime {
  config: ServerConfig;
  database: Database;
  db: Db;
  /** Deployment origin; each log's checkpoint origin is `${origin}/${logId}`. */
  origin: string;
  signer: CheckpointSigner;
  /** C2SP verifier key (public), published at /api/v1/verifier-key. */
  verifierKey: string;
  externalStore: ExternalCheckpointStore;
}

/** The logs this deployment keeps and checkpoints. */
export const LOGS: readonly LogId[] = ["decisions", "access"];

/** Signs a checkpoint of `logId` now if it grew; returns null for an empty log. */
export async function checkpointNow(runtime: Runtime, logId: LogId) {
  return createCheckpoint(runtime.db, {
    logId,
    origin: originOf(runtime.origin, logId),
    signer: runtime.signer,
    externalStore: runtime.externalStore,
  });
}

/** What evidence exports need from the runtime; bundles are kept in DATA_DIR/exports. */
export function evidenceDepsOf(runtime: Runtime): EvidenceDeps {
  return {
    db: runtime.db,
    origin: runtime.origin,
    verifierKey: runtime.verifierKey,
    signer: runtime.signer,
    externalStore: runtime.externalStore,
    exportsDir: path.resolve(runtime.config.DATA_DIR, "exports"),
  };
}
