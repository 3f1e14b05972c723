import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { readLogSize } from "../../db/queries/log-entries";
import type { RunFailureSummary } from "../../db/queries/verification-runs";
import { verificationRuns } from "../../db/schema";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import type { ExternalCheckpointStore } from "../ledger-store/checkpoint-store";
import { originOf } from "../ledger-store/create-checkpoint";
import { verifyLog } from "../ledger-store/verify/verify-database";
import { isLogId, type LogId } from "../ledger/log-id";
import type { VerificationProgress, VerificationReport } from "../ledger/verify/report";

export interface VerificationDeps {
  db: Db;
  /** LEDGER_ORIGIN: each log's checkpoints must carry the origin `${origin}/${logId}`. */
  origin: string;
  verifierKey: string;
  externalStore: ExternalCheckpointStore;
}

type RunRow = typeof verificationRuns.$inferSelect;

/** Progress is written to the run's row at most this often (the page polls it). */
const PROGRESS_WRITE_MS = 1000;
/** The heartbeat is written at least this often, also while the verifier reports nothing. */
const HEARTBEAT_MS = 15_000;

/**
 * Runs one queued verification (already claimed: status running) to the end and records the
 * outcome: the row (status, counts, first failure, full reports) and an `integrity.verify`
 * access-log entry, in one transaction. Scheduled and user runs are the same job.
 */
export async function runVerificationJob(deps: VerificationDeps, runId: string, signal: AbortSignal): Promise<void> {
  const { db } = deps;
  const [run] = await db.select().from(verificationRuns).where(eq(verificationRuns.id, runId)).limit(1);
  if (!run) return;
  const logIds = run.logIds.filter(isLogId);
  const progress = new RunProgress(db, runId, await recordsToCheck(db, run, logIds));
  try {
    const reports = await verifyEachLog(deps, run, logIds, progress, signal);
    await progress.stop();
    await recordCompletion(db, run, reports, progress);
  } catch (error) {
    await progress.stop();
    const message = signal.aborted ? "the run was stopped because the server is shutting down" : (error as Error).message || String(error);
    console.error(`[decision-ledger] verification ${runId} could not finish:`, error);
    await recordError(db, run, message, signal.aborted);
  }
}

/** The seqs a run covers in `logId`: its requested range (decisions only), or null for the whole log. */
function requestedRange(run: RunRow, logId: LogId): { fromSeq: number; toSeq: number } | null {
  return run.fromSeq !== null && run.toSeq !== null && logId === "decisions" ? { fromSeq: run.fromSeq, toSeq: run.toSeq } : null;
}

/** Records per log, read up front so the progress bar spans the whole run rather than restarting per log. */
async function recordsToCheck(db: Db, run: RunRow, logIds: LogId[]): Promise<Map<LogId, number>> {
  const totals = new Map<LogId, number>();
  for (const logId of logIds) {
    const range = requestedRange(run, logId);
    totals.set(logId, range ? range.toSeq - range.fromSeq + 1 : await readLogSize(db, logId));
  }
  return totals;
}

async function verifyEachLog(deps: VerificationDeps, run: RunRow, logIds: LogId[], progress: RunProgress, signal: AbortSignal): Promise<VerificationReport[]> {
  const reports: VerificationReport[] = [];
  for (const logId of logIds) {
    const report = await verifyLog(deps.db, {
      logId,
      ...requestedRange(run, logId),
      verifierKeys: [deps.verifierKey],
      externalStore: deps.externalStore,
      origin: originOf(deps.origin, logId),
      signal,
      onProgress: (p) => progress.update(logId, p),
    });
    reports.push(report);
    progress.finishLog(report);
  }
  return reports;
}

/**
 * A run's progress over all its logs, written to its row (with the heartbeat that tells a
 * live run from one whose process died) at most every PROGRESS_WRITE_MS, one write at a time.
 */
class RunProgress {
  /** Records checked in the logs already finished. */
  done = 0;
  grandTotal: number;
  private readonly startedAt = Date.now();
  private lastWrite = 0;
  private writing: Promise<unknown> = Promise.resolve();
  private readonly heartbeat: ReturnType<typeof setInterval>;

  constructor(
    private readonly db: Db,
    private readonly runId: string,
    private readonly totals: Map<LogId, number>,
  ) {
    this.grandTotal = [...totals.values()].reduce((a, b) => a + b, 0);
    this.heartbeat = setInterval(() => this.write(this.done, null, null, true), HEARTBEAT_MS);
    this.heartbeat.unref?.();
    this.write(0, null, null, true);
  }

  get elapsedSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** A progress report of the verifier on `logId`. */
  update(logId: LogId, p: VerificationProgress): void {
    // The log may have grown since the totals were read.
    const expected = this.totals.get(logId) ?? 0;
    if (p.total > expected) {
      this.grandTotal += p.total - expected;
      this.totals.set(logId, p.total);
    }
    const checked = this.done + p.checked;
    const elapsed = this.elapsedSeconds;
    const rate = elapsed > 0 ? checked / elapsed : null;
    const eta = rate && rate > 0 ? Math.max(0, (this.grandTotal - checked) / rate) : null;
    this.write(checked, rate, eta);
  }

  finishLog(report: VerificationReport): void {
    this.done += report.recordsChecked;
  }

  /** Stops the heartbeat and waits for the last write, so the final update cannot be overtaken. */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.writing;
  }

  private write(checked: number, rate: number | null, eta: number | null, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastWrite < PROGRESS_WRITE_MS) return;
    this.lastWrite = now;
    const set = { recordsChecked: checked, recordsTotal: this.grandTotal, recordsPerSecond: rate, etaSeconds: eta, heartbeatAt: new Date() };
    this.writing = this.writing
      .then(() => this.db.update(verificationRuns).set(set).where(eq(verificationRuns.id, this.runId)))
      .catch((error) => console.error(`[decision-ledger] verification ${this.runId}: progress update failed:`, error));
  }
}

/** The first failure of the first log that has one, as kept for the banner and the history. */
function firstFailureOf(reports: VerificationReport[]): RunFailureSummary | null {
  const report = reports.find((r) => r.failures.length > 0);
  const first = report?.failures[0];
  if (!report || !first) return null;
  return {
    logId: report.logId,
    class: first.class,
    ...(first.seq !== undefined ? { seq: first.seq } : {}),
    ...(first.statementId ? { statementId: first.statementId } : {}),
    message: first.message,
  };
}

/** Who the access-log entries of a run are attributed to: its requester, or nobody for the schedule. */
function requesterOf(run: RunRow) {
  return run.requestedById ? { id: run.requestedById, email: run.requestedByEmail ?? undefined } : null;
}

async function recordCompletion(db: Db, run: RunRow, reports: VerificationReport[], progress: RunProgress): Promise<void> {
  const ok = reports.every((r) => r.ok);
  const failureCount = reports.reduce((n, r) => n + r.failureCount, 0);
  const firstFailure = firstFailureOf(reports);
  const { done, grandTotal, elapsedSeconds: elapsed } = progress;
  await db.transaction(async (tx) => {
    await tx
      .update(verificationRuns)
      .set({
        status: ok ? "passed" : "failed",
        recordsChecked: done,
        recordsTotal: Math.max(done, grandTotal),
        recordsPerSecond: elapsed > 0 ? done / elapsed : null,
        etaSeconds: 0,
        checkpointsChecked: reports.reduce((n, r) => n + r.checkpointsChecked, 0),
        failureCount,
        firstFailure,
        result: { reports },
        finishedAt: new Date(),
        heartbeatAt: new Date(),
      })
      .where(eq(verificationRuns.id, run.id));
    await appendAccessEvent(
      db,
      {
        action: "integrity.verify",
        outcome: ok ? "success" : "failure",
        user: requesterOf(run),
        target: run.id,
        details: {
          phase: "completed",
          runId: run.id,
          trigger: run.trigger,
          result: ok ? "passed" : "failed",
          logs: reports.map((r) => ({ logId: r.logId, range: r.range, recordsChecked: r.recordsChecked, checkpointsChecked: r.checkpointsChecked, failureCount: r.failureCount })),
          firstFailure,
        },
      },
      tx,
    );
  });
}

/** A run that could not finish: `error`, or `interrupted` when the server stopped it. */
async function recordError(db: Db, run: RunRow, message: string, interrupted: boolean): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(verificationRuns)
      .set({ status: interrupted ? "interrupted" : "error", error: message.slice(0, 2000), finishedAt: new Date(), heartbeatAt: new Date() })
      .where(eq(verificationRuns.id, run.id));
    await appendAccessEvent(
      db,
      {
        action: "integrity.verify",
        outcome: "failure",
        user: requesterOf(run),
        target: run.id,
        details: { phase: "error", runId: run.id, trigger: run.trigger, error: message.slice(0, 500) },
      },
      tx,
    );
  });
}
