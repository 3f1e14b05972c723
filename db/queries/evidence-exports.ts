import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import { decisionFilterSql } from "./decisions";
import { queryRowsUnchecked, type Db } from "../client";
import { evidenceExports } from "../schema";
import type { DecisionFilters } from "../../lib/filters/decision-filters";

type Reader = Pick<Db, "select">;

export type EvidenceExportStatus = "queued" | "running" | "ready" | "failed" | "interrupted";

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function getEvidenceExport(db: Reader, params: { id: string }): Promise<EvidenceExportRecord | null> {
  if (!UUID.test(params.id)) return null;
  const rows = await db.select(columns).from(evidenceExports).where(eq(evidenceExports.id, params.id)).limit(1);
  return (rows[0] as EvidenceExportRecord | undefined) ?? null;
}

/** One user's exports, newest first. */
export async function listEvidenceExports(db: Reader, params: { requestedById: string; limit: number }): Promise<EvidenceExportRecord[]> {
  const rows = await db
    .select(columns)
    .from(evidenceExports)
    .where(and(eq(evidenceExports.requestedById, params.requestedById)))
    .orderBy(desc(evidenceExports.requestedAt))
    .limit(params.limit);
  return rows as EvidenceExportRecord[];
}

/**
 * Positions (seq) of the decisions an export covers, ascending: those matching the
 * decisions-list filters (the explorer's own filter SQL, so an export holds exactly what the
 * list showed) or the ids picked by hand.
 */
export async function listSelectedDecisionSeqs(
  db: Pick<Db, "execute">,
  params: { filters: DecisionFilters | null; ids: string[] | null },
): Promise<number[]> {
  let where: SQL;
  if (params.ids) {
    if (params.ids.length === 0) return [];
    where = sql`d.id in (${sql.join(
      params.ids.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})`;
  } else {
    where = decisionFilterSql(params.filters!);
  }
  const rows = await queryRowsUnchecked<{ seq: string | number }>(db, sql`select d.seq from decisions d where ${where} order by d.seq`);
  return rows.map((r) => Number(r.seq));
}
