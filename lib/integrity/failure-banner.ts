import "server-only";
import type { Db } from "../../db/client";
import { getUnacknowledgedFailedRun, type RunFailureSummary } from "../../db/queries/verification-runs";
import { FAILURE_CLASS_LABELS, type FailureClass } from "../ledger/verify/report";

/**
 * The latest failed verification nobody has acknowledged yet, shown as a banner on every
 * dashboard page (components/shell/integrity-banner.tsx) until someone with
 * integrity.acknowledge acknowledges it on the integrity page. A later passing run does NOT
 * clear it: a failure is evidence, and a person must have looked at it.
 */
export interface UnacknowledgedFailure {
  /** The verification run's id (its details are on /integrity). */
  id: string;
  detectedAt: Date;
  /** One sentence for non-engineers, e.g. "Record changed: the record at position 41 (…) …". */
  summary: string;
  firstFailure: RunFailureSummary | null;
  /** Failed runs still unacknowledged, this one included. */
  unacknowledgedRuns: number;
}

const LOG_NAMES: Record<string, string> = { decisions: "decision records", access: "access log" };

/** The first failure in words: what happened, where, and how many other problems were found. */
export function describeFailure(first: RunFailureSummary | null, failureCount: number): string {
  if (!first) return `${failureCount} problem(s) were found in the ledger.`;
  const label = FAILURE_CLASS_LABELS[first.class as FailureClass]?.title ?? first.class;
  const where =
    first.seq !== undefined
      ? ` at position ${first.seq}${first.statementId ? ` (record ${first.statementId})` : ""} of the ${LOG_NAMES[first.logId] ?? first.logId}`
      : ` in the ${LOG_NAMES[first.logId] ?? first.logId}`;
  const more = failureCount > 1 ? ` ${failureCount - 1} more problem(s) were found.` : "";
  return `${label}${where}.${more}`;
}

export async function getUnacknowledgedFailure(db: Db): Promise<UnacknowledgedFailure | null> {
  const found = await getUnacknowledgedFailedRun(db);
  if (!found) return null;
  const { run, count } = found;
  return {
    id: run.id,
    detectedAt: run.finishedAt ?? run.requestedAt,
    summary: describeFailure(run.firstFailure, run.failureCount),
    firstFailure: run.firstFailure,
    unacknowledgedRuns: count,
  };
}
