import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { unzipSync, zipSync } from "fflate";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { generateSignerKey } from "@/lib/ledger/signed-note";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { DirectoryCheckpointStore } from "@/lib/ledger-store/checkpoint-store";
import { createCheckpoint, originOf } from "@/lib/ledger-store/create-checkpoint";
import type { EvidenceActor, EvidenceDeps } from "@/lib/services/evidence";
import type { TestDatabase } from "../support/test-databases";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";
import { appendLegacyDecisions } from "@/tests/support/legacy-ledger";

export const ORIGIN = "evidence.test";

export const OFFICER: EvidenceActor = {
  id: "00000000-0000-4000-8000-000000000001",
  email: "officer@evidence.test",
  name: "Olivia Officer",
  role: "compliance_officer",
};
export const AUDITOR: EvidenceActor = {
  id: "00000000-0000-4000-8000-000000000002",
  email: "auditor@evidence.test",
  name: "Aldo Auditor",
  role: "auditor",
};

export interface EvidenceLedger {
  deps: EvidenceDeps;
  keys: { signerKey: string; verifierKey: string };
  ids: string[];
  /** Records written as before personal data was committed (format 0), after the others. */
  legacyIds: string[];
  tmp: string;
  cleanup(): void;
}

/**
 * A real ledger on a test database: `batches` batches appended through the ingest path, a
 * checkpoint signed after each but the last (so an export signs a fresh one and carries
 * consistency proofs from the first and the previous checkpoint). `legacy` more records are
 * then written the old way, with plaintext personal data (format 0).
 */
export async function buildEvidenceLedger(
  database: TestDatabase,
  opts: { batches: number; perBatch: number; legacy?: number },
): Promise<EvidenceLedger> {
  const tmp = mkdtempSync(path.join(tmpdir(), "dl-h7-evidence-"));
  const keys = await generateSignerKey(ORIGIN);
  const externalStore = new DirectoryCheckpointStore(path.join(tmp, "checkpoints"));
  const deps: EvidenceDeps = {
    db: database.db,
    origin: ORIGIN,
    verifierKey: keys.verifierKey,
    signer: { signerKey: keys.signerKey },
    externalStore,
    exportsDir: path.join(tmp, "exports"),
    personalDataKeys: TEST_KEYS,
  };
  const all = generateDemoStatements({ count: opts.batches * opts.perBatch, now: new Date(), days: 30, seed: "h7-evidence" });
  const ids: string[] = [];
  for (let b = 0; b < opts.batches; b++) {
    const r = await appendDecisions(database.db, TEST_KEYS, all.slice(b * opts.perBatch, (b + 1) * opts.perBatch), { name: "h7-test-writer" });
    ids.push(...r.records.map((x) => x.id));
    if (b < opts.batches - 1) {
      await createCheckpoint(database.db, { logId: "decisions", origin: originOf(ORIGIN, "decisions"), signer: deps.signer, externalStore });
    }
  }
  const legacyIds: string[] = [];
  if (opts.legacy) {
    const old = generateDemoStatements({ count: opts.legacy, now: new Date(), days: 30, seed: "h7-evidence-legacy" });
    legacyIds.push(...(await appendLegacyDecisions(database.db, old, { name: "h7-legacy-writer" })).records.map((x) => x.id));
  }
  return { deps, keys, ids, legacyIds, tmp, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

export type Files = Record<string, Uint8Array>;

export function unzip(zip: Uint8Array): Files {
  return unzipSync(zip);
}

export function rezip(files: Files): Uint8Array {
  return zipSync(files, { level: 1 });
}

const enc = new TextEncoder();
const dec = new TextDecoder();
export const text = (b: Uint8Array | undefined): string => dec.decode(b);
export const bytes = (s: string): Uint8Array => enc.encode(s);
