import type { LogId } from "../log-id";

/**
 * What the database verifier can find. The decision procedure that picks a class for a
 * finding is documented in docs/tamper-evidence.md ("How the verifier names a failure").
 */
export const FAILURE_CLASSES = [
  "modified_record",
  "modified_hash",
  "missing_record",
  "inserted_record",
  "reordered_records",
  "truncated_tail",
  "rewritten_history",
  "bad_signature",
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/** Plain-language names and explanations, for the integrity page and the CLI. */
export const FAILURE_CLASS_LABELS: Record<FailureClass, { title: string; description: string }> = {
  modified_record: {
    title: "Record changed",
    description: "The stored content of a record no longer matches the fingerprint recorded when it was written.",
  },
  modified_hash: {
    title: "Fingerprint changed",
    description: "A stored fingerprint (leaf hash, chain hash or Merkle node) was altered; the record itself still matches the signed history.",
  },
  missing_record: {
    title: "Record missing",
    description: "A record, or part of one, was removed from the middle of the log.",
  },
  inserted_record: {
    title: "Record inserted",
    description: "A record is in the database that the ledger did not write: it does not follow the hash chain or duplicates another record.",
  },
  reordered_records: {
    title: "Records swapped",
    description: "Two records exchanged their places in the log.",
  },
  truncated_tail: {
    title: "Newest records removed",
    description: "The log is shorter than a size that was already signed: its most recent records were removed.",
  },
  rewritten_history: {
    title: "History rewritten",
    description: "The database no longer produces the tree that was signed earlier, even though its own hashes agree: records were changed and the hashes recomputed.",
  },
  bad_signature: {
    title: "Invalid signature",
    description: "A signed checkpoint does not verify with the trusted verifier key(s), or its stored fields disagree with what was signed.",
  },
};

export interface VerificationFailure {
  class: FailureClass;
  /** The record concerned (the first one, for failures spanning several). */
  seq?: number;
  statementId?: string;
  message: string;
  /** Hex hashes or sizes, when a comparison failed. */
  expected?: string;
  actual?: string;
  /** Last seq of a run (missing records, a rewritten range), inclusive. */
  toSeq?: number;
  /** The other record of a swap. */
  relatedSeq?: number;
  relatedStatementId?: string;
  /** The checkpoint concerned, by tree size. */
  checkpointSize?: number;
  /** Where that checkpoint came from. */
  source?: "database" | "external";
}

export interface VerificationRange {
  fromSeq: number;
  /** Inclusive. */
  toSeq: number;
}

export interface VerificationReport {
  ok: boolean;
  logId: LogId;
  /** Positions checked (records present plus positions found missing) in the range. */
  recordsChecked: number;
  /** Signed checkpoints checked (database and external store, counted once per note). */
  checkpointsChecked: number;
  /** null when the log is empty. */
  range: VerificationRange | null;
  durationMs: number;
  /** Sorted by seq: failures[0] names the first broken record. Capped at maxFailures. */
  failures: VerificationFailure[];
  /** Total found, including those left out of `failures` by the cap. */
  failureCount: number;
  /** Findings that are not evidence of tampering but deserve a look (e.g. an external checkpoint the database lacks whose root matches). */
  warnings: string[];
  /** Records in the log when verification started (largest seq + 1). */
  logSize: number;
  /** Largest tree size signed by a verifying checkpoint (database or external store); 0 when none. */
  signedSize: number;
  /** Description of the external checkpoint store, when one was checked. */
  externalStore?: string;
}

export interface VerificationProgress {
  logId: LogId;
  checked: number;
  total: number;
  recordsPerSecond: number;
  /** null until a rate is known. */
  etaSeconds: number | null;
}

export interface DatabaseVerificationReport {
  ok: boolean;
  logs: VerificationReport[];
  durationMs: number;
}

/** Thrown (as the rejection of verifyLog/verifyDatabase) when the AbortSignal fires. */
export class VerificationAbortedError extends Error {
  constructor(readonly checked: number) {
    super(`verification aborted after ${checked} records`);
    this.name = "VerificationAbortedError";
  }
}
