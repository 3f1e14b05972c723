import "server-only";
import type { Db } from "../../../db/client";
import { VerificationAbortedError, type VerificationFailure, type VerificationProgress } from "../../ledger/verify/report";
import type { ExternalCheckpointStore } from "../checkpoint-store";
import type { LogId } from "../../ledger/log-id";
import { STRUCTURAL_CLASSES } from "./chain-analyzer";

// What the steps of one verifyLog run share: its options, the seq range it covers, and the
// findings collected so far.

export interface VerifyLogOptions {
  logId: LogId;
  /** First seq to verify (default 0). A range starts from the stored chain hash of fromSeq-1. */
  fromSeq?: number;
  /** Last seq to verify, inclusive (default: the last record when verification starts). */
  toSeq?: number;
  /** Trusted C2SP verifier keys; every checkpoint must be signed by one of them. */
  verifierKeys: string[];
  /** The write-once store outside the database; its checkpoints are the anchor against rewrites. */
  externalStore?: ExternalCheckpointStore;
  /** Expected checkpoint origin, `${LEDGER_ORIGIN}/${logId}`; without it any origin ending in `/<logId>` is accepted. */
  origin?: string;
  /** Called after every batch (and once at the end). */
  onProgress?: (progress: VerificationProgress) => void;
  /** Aborting rejects with VerificationAbortedError at the next batch boundary. */
  signal?: AbortSignal;
  /** Records per keyset batch (default 5,000). */
  batchSize?: number;
  /** Failures listed in the report (default 100); failureCount always has the total. */
  maxFailures?: number;
  /**
   * Also recompute the derived (filter) columns of every record from its canonical text and
   * compare (see derived-columns.ts). Parses every record: several times slower. Default off.
   */
  checkDerivedColumns?: boolean;
}

/** The seqs a run verifies, [fromSeq, toSeq], and how far it reads. */
export interface SeqRange {
  fromSeq: number;
  /** Inclusive. */
  toSeq: number;
  /** The whole log: only then are the tail and the external-only checkpoints judged. */
  fullRun: boolean;
  /** Exclusive end of the stream: one position past the range lets a break at toSeq be judged by its successor. */
  streamEnd: number;
}

/**
 * The failures of a run. Findings arrive roughly in seq order; keeping a bounded number is
 * enough to list the first ones, while `count` counts all of them. The two summaries are
 * what later steps need to tell news from consequences.
 */
export class Findings {
  readonly failures: VerificationFailure[] = [];
  count = 0;
  /** First seq of a structural failure (hole, insertion, swap): the tree's positions shift from there. */
  firstStructural = Infinity;
  /** Whether some stored Merkle node was found altered or missing. */
  nodeProblems = false;

  constructor(readonly keep: number) {}

  readonly report = (f: VerificationFailure): void => {
    this.count++;
    if (STRUCTURAL_CLASSES.has(f.class) && f.seq !== undefined) this.firstStructural = Math.min(this.firstStructural, f.seq);
    if (f.class === "modified_hash" && f.message.includes("Merkle node")) this.nodeProblems = true;
    if (this.failures.length < this.keep) this.failures.push(f);
  };
}

export interface VerifyRun {
  db: Db;
  opts: VerifyLogOptions;
  logId: LogId;
  range: SeqRange;
  findings: Findings;
  warnings: string[];
  started: number;
}

export function progress(opts: VerifyLogOptions, checked: number, total: number, started: number): void {
  if (!opts.onProgress) return;
  const seconds = (performance.now() - started) / 1000;
  const recordsPerSecond = seconds > 0 ? Math.round(checked / seconds) : 0;
  opts.onProgress({
    logId: opts.logId,
    checked,
    total,
    recordsPerSecond,
    etaSeconds: recordsPerSecond > 0 ? Math.max(0, Math.round((total - checked) / recordsPerSecond)) : null,
  });
}

export function throwIfAborted(signal: AbortSignal | undefined, checked: number): void {
  if (signal?.aborted) throw new VerificationAbortedError(checked);
}
