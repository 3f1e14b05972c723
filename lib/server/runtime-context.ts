import "server-only";
import path from "node:path";
import type { Database } from "../../db/client";
import type { CheckpointingDeployment } from "../ledger-store/create-checkpoint";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import type { EvidenceDeps } from "../services/evidence";
import type { ServerConfig } from "./config";

/**
 * What a started server process holds, and the operations that need nothing else. Apart
 * from lib/server/runtime.ts (which starts it) so the code the runtime starts (the demo
 * seed, the integrity jobs) can take a Runtime without importing the module that starts
 * them: the dependency goes one way, runtime.ts -> them -> this module.
 */

/** Its db, origin (LEDGER_ORIGIN), signer and external store are what checkpointNow takes. */
export interface Runtime extends CheckpointingDeployment {
  config: ServerConfig;
  database: Database;
  /**
   * Where the explorer's lists, counts, histograms and filter options are read: the streaming
   * replica of DATABASE_REPLICA_URL, else the primary. Never for writes, the access log, a
   * decision's own page or anything verified: a replica may lag the primary by a moment.
   */
  readDb: Database["db"];
  /** C2SP verifier key (public), published at /api/v1/verifier-key. */
  verifierKey: string;
  /** The key-encryption and blind-index keys of personal data (lib/server/personal-data-keys.ts). */
  personalDataKeys: PersonalDataKeys;
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
    personalDataKeys: runtime.personalDataKeys,
  };
}
