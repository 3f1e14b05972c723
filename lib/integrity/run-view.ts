import type { RunFailureSummary, VerificationRunRecord, VerificationRunStatus } from "../../db/queries/verification-runs";

/** A verification run as the page and the polling route see it (JSON-safe, client-safe). */
export interface RunView {
  id: string;
  status: VerificationRunStatus;
  finished: boolean;
  trigger: "user" | "schedule";
  requestedBy: string | null;
  scope: "all" | "range";
  logIds: string[];
  rangeFrom: string | null;
  rangeTo: string | null;
  fromSeq: number | null;
  toSeq: number | null;
  recordsChecked: number;
  recordsTotal: number | null;
  recordsPerSecond: number | null;
  etaSeconds: number | null;
  checkpointsChecked: number;
  failureCount: number;
  firstFailure: RunFailureSummary | null;
  error: string | null;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  acknowledgementNote: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toRunView(r: VerificationRunRecord): RunView {
  return {
    id: r.id,
    status: r.status,
    finished: r.status !== "queued" && r.status !== "running",
    trigger: r.trigger,
    requestedBy: r.trigger === "schedule" ? null : (r.requestedByName ?? r.requestedByEmail),
    scope: r.fromSeq !== null ? "range" : "all",
    logIds: r.logIds,
    rangeFrom: iso(r.rangeFrom),
    rangeTo: iso(r.rangeTo),
    fromSeq: r.fromSeq,
    toSeq: r.toSeq,
    recordsChecked: Number(r.recordsChecked),
    recordsTotal: r.recordsTotal === null ? null : Number(r.recordsTotal),
    recordsPerSecond: r.recordsPerSecond,
    etaSeconds: r.etaSeconds,
    checkpointsChecked: r.checkpointsChecked,
    failureCount: r.failureCount,
    firstFailure: r.firstFailure,
    error: r.error,
    requestedAt: r.requestedAt.toISOString(),
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    acknowledgedAt: iso(r.acknowledgedAt),
    acknowledgedBy: r.acknowledgedByEmail,
    acknowledgementNote: r.acknowledgementNote,
  };
}
