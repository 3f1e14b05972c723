import "server-only";
import { and, eq, gte, lt, max, min, sql } from "drizzle-orm";
import type { Db } from "../client";
import { logEntries } from "../schema";
import type { LogId } from "../../lib/ledger/log-id";

/**
 * Reads of the logs' sequence registry (log_entries). Every log numbers its records from 0
 * without gaps (lib/ledger-store/log-append.ts appends under a per-log lock), so the log's
 * size is its highest seq + 1, and recorded_at grows with seq.
 */

type Reader = Pick<Db, "select">;

/** Records in the log (0 when it is empty). */
export async function readLogSize(db: Reader, logId: LogId): Promise<number> {
  const rows = await db
    .select({ size: sql<number>`coalesce(max(${logEntries.seq}) + 1, 0)`.mapWith(Number) })
    .from(logEntries)
    .where(eq(logEntries.logId, logId));
  return rows[0]?.size ?? 0;
}

/** First and last seq of the log's records written in [from, to), or null when none was. */
export async function readSeqRangeRecordedIn(
  db: Reader,
  params: { logId: LogId; from: Date; to: Date },
): Promise<{ fromSeq: number; toSeq: number } | null> {
  const rows = await db
    .select({ lo: min(logEntries.seq), hi: max(logEntries.seq) })
    .from(logEntries)
    .where(and(eq(logEntries.logId, params.logId), gte(logEntries.recordedAt, params.from), lt(logEntries.recordedAt, params.to)));
  const r = rows[0];
  if (!r || r.lo === null || r.hi === null) return null;
  return { fromSeq: r.lo, toSeq: r.hi };
}
