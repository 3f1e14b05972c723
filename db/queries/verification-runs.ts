import "server-only";
import { and, desc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import {
  verificationRuns,
  type RunFailureSummary,
  type VerificationRunResult,
  type VerificationRunStatus,
  type VerificationTrigger,
} from "../schema";
import { isUuid } from "../../lib/ledger/xapi/syntax";

export type { RunFailureSummary, VerificationRunResult, VerificationRunStatus, VerificationTrigger };

type Reader = Pick<Db, "select">;

export const ACTIVE_RUN_STATUSES: VerificationRunStatus[] = ["queued", "running"];

export interface VerificationRunRecord {
  id: string;
  status: VerificationRunStatus;
  trigger: VerificationTrigger;
  requestedById: string | null;
  requestedByEmail: string | null;
  requestedByName: string | null;
  logIds: string[];
  rangeFrom: Date | null;
  rangeTo: Date | null;
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
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  acknowledgedAt: Date | null;
  acknowledgedByEmail: string | null;
  acknowledgementNote: string | null;
}

const summaryColumns = {
  id: verificationRuns.id,
  status: verificationRuns.status,
  trigger: verificationRuns.trigger,
  requestedById: verificationRuns.requestedById,
  requestedByEmail: verificationRuns.requestedByEmail,
  requestedByName: verificationRuns.requestedByName,
  logIds: verificationRuns.logIds,
  rangeFrom: verificationRuns.rangeFrom,
  rangeTo: verificationRuns.rangeTo,
  fromSeq: verificationRuns.fromSeq,
  toSeq: verificationRuns.toSeq,
  recordsChecked: verificationRuns.recordsChecked,
  recordsTotal: verificationRuns.recordsTotal,
  recordsPerSecond: verificationRuns.recordsPerSecond,
  etaSeconds: verificationRuns.etaSeconds,
  checkpointsChecked: verificationRuns.checkpointsChecked,
  failureCount: verificationRuns.failureCount,
  firstFailure: verificationRuns.firstFailure,
  error: verificationRuns.error,
  requestedAt: verificationRuns.requestedAt,
  startedAt: verificationRuns.startedAt,
  finishedAt: verificationRuns.finishedAt,
  acknowledgedAt: verificationRuns.acknowledgedAt,
  acknowledgedByEmail: verificationRuns.acknowledgedByEmail,
  acknowledgementNote: verificationRuns.acknowledgementNote,
};

export async function getVerificationRun(db: Reader, params: { id: string }): Promise<VerificationRunRecord | null> {
  if (!isUuid(params.id)) return null;
  const rows = await db.select(summaryColumns).from(verificationRuns).where(eq(verificationRuns.id, params.id)).limit(1);
  return rows[0] ?? null;
}

/** The verifier's full reports of a finished run (large: only for the run's detail view). */
export async function getVerificationRunResult(db: Reader, params: { id: string }): Promise<VerificationRunResult | null> {
  if (!isUuid(params.id)) return null;
  const rows = await db.select({ result: verificationRuns.result }).from(verificationRuns).where(eq(verificationRuns.id, params.id)).limit(1);
  return rows[0]?.result ?? null;
}

/** Newest first; `before` pages by request time. */
export async function listVerificationRuns(db: Reader, params: { limit: number; before?: Date | null }): Promise<VerificationRunRecord[]> {
  return db
    .select(summaryColumns)
    .from(verificationRuns)
    .where(params.before ? lt(verificationRuns.requestedAt, params.before) : undefined)
    .orderBy(desc(verificationRuns.requestedAt))
    .limit(params.limit);
}

/** A queued or running run, if any (the page shows its progress instead of a second button press). */
export async function getActiveVerificationRun(db: Reader): Promise<VerificationRunRecord | null> {
  const rows = await db
    .select(summaryColumns)
    .from(verificationRuns)
    .where(inArray(verificationRuns.status, ACTIVE_RUN_STATUSES))
    .orderBy(desc(verificationRuns.requestedAt))
    .limit(1);
  return rows[0] ?? null;
}

/** The newest failed run nobody has acknowledged yet, and how many such runs there are. */
export async function getUnacknowledgedFailedRun(db: Reader): Promise<{ run: VerificationRunRecord; count: number } | null> {
  const where = and(eq(verificationRuns.status, "failed"), isNull(verificationRuns.acknowledgedAt));
  const rows = await db
    .select({ ...summaryColumns, count: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(verificationRuns)
    .where(where)
    .orderBy(desc(verificationRuns.requestedAt))
    .limit(1);
  const row = rows[0];
  if (!row) return null;
  const { count, ...run } = row;
  return { run, count };
}

/** When the last scheduled run was requested (for the schedule, across server processes). */
export async function getLastScheduledRunAt(db: Reader): Promise<Date | null> {
  const rows = await db
    .select({ requestedAt: verificationRuns.requestedAt })
    .from(verificationRuns)
    .where(eq(verificationRuns.trigger, "schedule"))
    .orderBy(desc(verificationRuns.requestedAt))
    .limit(1);
  return rows[0]?.requestedAt ?? null;
}
