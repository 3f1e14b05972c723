import { eq, sql } from "drizzle-orm";
import { queryRowsUnchecked, type Db } from "../../db/client";
import type { RunFailureSummary } from "../../db/queries/verification-runs";
import { verificationRuns } from "../../db/schema";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import type { ExternalCheckpointStore } from "../ledger-store/checkpoint-store";
import type { LogId } from "../ledger-store/log-append";
import { verifyLog } from "../ledger-store/verify/verify-database";
import type { VerificationProgress, VerificationReport } from "../ledger/verify/report";

export interface VerificationDeps {
  db: Db;
  /** LEDGER_ORIGIN: each log's checkpoints must carry the origin `${origin}/${logId}`. */
  origin: string;
  verifierKey: string;
  externalStore: ExternalCheckpointStore;
}

/** Progress is written to the run's row at most this often (the page polls it). */
const PROGRESS_WRITE_MS = 1000;

async function logSize(db: Db, logId: LogId): Promise<number> {
  const rows = await queryRowsUnchecked<{ n: string | number | null }>(db, sql`select max(seq) + 1 as n from log_entries where log_id = ${logId}`);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Runs one queued verification (already claimed: status running) to the end and records the
 * outcome: the row (status, counts, first failure, full reports) and an `integrity.verify`
 * access-log entry, in one transaction. Scheduled and user runs are the same job.
 */
export async function runVerificationJob(deps: VerificationDeps, runId: string, signal: AbortSignal): Promise<void> {
  const { db } = deps;
  const [run] = await db.select().from(verificationRuns).where(eq(verificationRuns.id, runId)).limit(1);
  if (!run) return;
  const logIds = run.logIds.filter((l): l is LogId => l === "decisions" || l === "access");
  const ranged = run.fromSeq !== null && run.toSeq !== null;

  // Totals up front, so the progress bar spans the whole run rather than restarting per log.
  const totals = new Map<LogId, number>();
  for (const logId of logIds) {
    totals.set(logId, ranged && logId === "decisions" ? run.toSeq! - run.fromSeq! + 1 : await logSize(db, logId));
  }
  let grandTotal = [...totals.values()].reduce((a, b) => a + b, 0);
  let done = 0;
  const startedAt = Date.now();

  let lastWrite = 0;
  let writing: Promise<unknown> = Promise.resolve();
  const writeProgress = (checked: number, total: number, rate: number | null, eta: number | null, force = false) => {
    const now = Date.now();
    if (!force && now - lastWrite < PROGRESS_WRITE_MS) return;
    lastWrite = now;
    writing = writing
      .then(() =>
        db
          .update(verificationRuns)
          .set({ recordsChecked: checked, recordsTotal: total, recordsPerSecond: rate, etaSeconds: eta, heartbeatAt: new Date() })
          .where(eq(verificationRuns.id, runId)),
      )
      .catch((error) => console.error(`[decision-ledger] verification ${runId}: progress update failed:`, error));
  };
  // Keeps the heartbeat fresh during long stretches without progress callbacks.
  const heartbeat = setInterval(() => writeProgress(done, grandTotal, null, null, true), 15_000);
  heartbeat.unref?.();

  const reports: VerificationReport[] = [];
  try {
    writeProgress(0, grandTotal, null, null, true);
    for (const logId of logIds) {
      const report = await verifyLog(db, {
        logId,
        ...(ranged && logId === "decisions" ? { fromSeq: run.fromSeq!, toSeq: run.toSeq! } : {}),
        verifierKeys: [deps.verifierKey],
        externalStore: deps.externalStore,
        origin: `${deps.origin}/${logId}`,
        signal,
        onProgress: (p: VerificationProgress) => {
          // The log may have grown since the totals were read.
          const expected = totals.get(logId) ?? 0;
          if (p.total > expected) {
            grandTotal += p.total - expected;
            totals.set(logId, p.total);
          }
          const checked = done + p.checked;
          const elapsed = (Date.now() - startedAt) / 1000;
          const rate = elapsed > 0 ? checked / elapsed : null;
          const eta = rate && rate > 0 ? Math.max(0, (grandTotal - checked) / rate) : null;
          writeProgress(checked, grandTotal, rate, eta);
        },
      });
      reports.push(report);
      done += report.recordsChecked;
    }
    clearInterval(heartbeat);
    await writing;

    const ok = reports.every((r) => r.ok);
    const failureCount = reports.reduce((n, r) => n + r.failureCount, 0);
    const firstReport = reports.find((r) => r.failures.length > 0);
    const first = firstReport?.failures[0];
    const firstFailure: RunFailureSummary | null =
      first && firstReport
        ? {
            logId: firstReport.logId,
            class: first.class,
            ...(first.seq !== undefined ? { seq: first.seq } : {}),
            ...(first.statementId ? { statementId: first.statementId } : {}),
            message: first.message,
          }
        : null;
    const elapsed = (Date.now() - startedAt) / 1000;
    const checkpointsChecked = reports.reduce((n, r) => n + r.checkpointsChecked, 0);
    await db.transaction(async (tx) => {
      await tx
        .update(verificationRuns)
        .set({
          status: ok ? "passed" : "failed",
          recordsChecked: done,
          recordsTotal: Math.max(done, grandTotal),
          recordsPerSecond: elapsed > 0 ? done / elapsed : null,
          etaSeconds: 0,
          checkpointsChecked,
          failureCount,
          firstFailure,
          result: { reports },
          finishedAt: new Date(),
          heartbeatAt: new Date(),
        })
        .where(eq(verificationRuns.id, runId));
      await appendAccessEvent(
        db,
        {
          action: "integrity.verify",
          outcome: ok ? "success" : "failure",
          user: run.requestedById ? { id: run.requestedById, email: run.requestedByEmail ?? undefined } : null,
          target: runId,
          details: {
            phase: "completed",
            runId,
            trigger: run.trigger,
            result: ok ? "passed" : "failed",
            logs: reports.map((r) => ({ logId: r.logId, range: r.range, recordsChecked: r.recordsChecked, checkpointsChecked: r.checkpointsChecked, failureCount: r.failureCount })),
            firstFailure,
          },
        },
        tx,
      );
    });
  } catch (error) {
    clearInterval(heartbeat);
    await writing;
    const message = signal.aborted ? "the run was stopped because the server is shutting down" : (error as Error).message || String(error);
    console.error(`[decision-ledger] verification ${runId} could not finish:`, error);
    await db.transaction(async (tx) => {
      await tx
        .update(verificationRuns)
        .set({ status: signal.aborted ? "interrupted" : "error", error: message.slice(0, 2000), finishedAt: new Date(), heartbeatAt: new Date() })
        .where(eq(verificationRuns.id, runId));
      await appendAccessEvent(
        db,
        {
          action: "integrity.verify",
          outcome: "failure",
          user: run.requestedById ? { id: run.requestedById, email: run.requestedByEmail ?? undefined } : null,
          target: runId,
          details: { phase: "error", runId, trigger: run.trigger, error: message.slice(0, 500) },
        },
        tx,
      );
    });
  }
}
