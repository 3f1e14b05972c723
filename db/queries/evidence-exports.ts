import "server-only";
import { and, asc, desc, eq, inArray } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { decisionFilterSql } from "./decisions";
import type { Db } from "../client";
import { decisions, evidenceExports, logEntries, type EvidenceExportStatus } from "../schema";
import type { DecisionFilters } from "../../lib/filters/decision-filters";
import { isUuid } from "../../lib/ledger/xapi/syntax";

export type { EvidenceExportStatus };

type Reader = Pick<Db, "select">;

export interface EvidenceExportRecord {
  id: string;
  status: EvidenceExportStatus;
  requestedById: string;
  requestedByEmail: string;
  requestedByName: string;
  requestedByRole: string;
  selection: unknown;
  description: string;
  includePersonalData: boolean;
  recordsTotal: number | null;
  recordsDone: number;
  fileSize: number | null;
  manifestSha256: string | null;
  error: string | null;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

const columns = {
  id: evidenceExports.id,
  status: evidenceExports.status,
  requestedById: evidenceExports.requestedById,
  requestedByEmail: evidenceExports.requestedByEmail,
  requestedByName: evidenceExports.requestedByName,
  requestedByRole: evidenceExports.requestedByRole,
  selection: evidenceExports.selection,
  description: evidenceExports.description,
  includePersonalData: evidenceExports.includePersonalData,
  recordsTotal: evidenceExports.recordsTotal,
  recordsDone: evidenceExports.recordsDone,
  fileSize: evidenceExports.fileSize,
  manifestSha256: evidenceExports.manifestSha256,
  error: evidenceExports.error,
  requestedAt: evidenceExports.requestedAt,
  startedAt: evidenceExports.startedAt,
  finishedAt: evidenceExports.finishedAt,
};

export async function getEvidenceExport(db: Reader, params: { id: string }): Promise<EvidenceExportRecord | null> {
  if (!isUuid(params.id)) return null;
  const rows = await db.select(columns).from(evidenceExports).where(eq(evidenceExports.id, params.id)).limit(1);
  return rows[0] ?? null;
}

/** One user's exports, newest first. */
export async function listEvidenceExports(db: Reader, params: { requestedById: string; limit: number }): Promise<EvidenceExportRecord[]> {
  return db
    .select(columns)
    .from(evidenceExports)
    .where(and(eq(evidenceExports.requestedById, params.requestedById)))
    .orderBy(desc(evidenceExports.requestedAt))
    .limit(params.limit);
}

// Aliased "d": decisionFilterSql writes its conditions on d.<column>. The query builder
// rather than a parsed raw read, because a large export selects a million seqs and per-row
// schema parsing would cost more than the query (~0.9 s per million rows).
const d = alias(decisions, "d");

/**
 * Positions (seq) of the decisions an export covers, ascending: those matching the
 * decisions-list filters (the explorer's own filter SQL, so an export holds exactly what the
 * list showed) or the ids picked by hand.
 */
export async function listSelectedDecisionSeqs(
  db: Reader,
  params: { filters: DecisionFilters | null; ids: string[] | null },
): Promise<number[]> {
  if (params.ids) {
    if (params.ids.length === 0) return [];
    // Through the registry's unique (log_id, entry_id), then the content row's primary key.
    const rows = await db
      .select({ seq: d.seq })
      .from(logEntries)
      .innerJoin(d, and(eq(d.seq, logEntries.seq), eq(d.recordedAt, logEntries.recordedAt), eq(d.id, logEntries.entryId)))
      .where(and(eq(logEntries.logId, "decisions"), inArray(logEntries.entryId, params.ids)))
      .orderBy(asc(d.seq));
    return rows.map((r) => r.seq);
  }
  const rows = await db.select({ seq: d.seq }).from(d).where(decisionFilterSql(params.filters!)).orderBy(asc(d.seq));
  return rows.map((r) => r.seq);
}
