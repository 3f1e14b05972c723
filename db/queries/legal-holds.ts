import "server-only";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../client";
import { legalHolds, type LegalHoldScope } from "../schema";
import { isUuid } from "../../lib/ledger/xapi/syntax";

/**
 * A legal hold as the admin page and the CLI show it: no subject, not even its blind
 * indexes (a hold is told apart by its id and reason).
 */
export interface LegalHoldRecord {
  id: string;
  scope: LegalHoldScope;
  reason: string;
  placedBy: string;
  placedAt: Date;
  releasedBy: string | null;
  releasedAt: Date | null;
}

type Reader = Pick<Db, "select">;

const publicColumns = {
  id: legalHolds.id,
  scope: legalHolds.scope,
  reason: legalHolds.reason,
  placedBy: legalHolds.placedBy,
  placedAt: legalHolds.placedAt,
  releasedBy: legalHolds.releasedBy,
  releasedAt: legalHolds.releasedAt,
};

/** Every hold, active first, then newest first (released holds stay listed as evidence). */
export async function listLegalHolds(db: Reader): Promise<LegalHoldRecord[]> {
  return db
    .select(publicColumns)
    .from(legalHolds)
    .orderBy(sql`${legalHolds.releasedAt} is not null`, desc(legalHolds.placedAt), desc(legalHolds.id));
}

export async function getLegalHold(db: Reader, params: { id: string }): Promise<LegalHoldRecord | null> {
  if (!isUuid(params.id)) return null;
  const rows = await db.select(publicColumns).from(legalHolds).where(eq(legalHolds.id, params.id)).limit(1);
  return rows[0] ?? null;
}

/** The active subject holds that share at least one blind index with `subjectIndexes`. */
export async function activeHoldsCovering(db: Reader, params: { subjectIndexes: readonly string[] }): Promise<LegalHoldRecord[]> {
  if (params.subjectIndexes.length === 0) return [];
  const wanted = sql.join(
    params.subjectIndexes.map((i) => sql`${i}`),
    sql`, `,
  );
  return db
    .select(publicColumns)
    .from(legalHolds)
    .where(
      and(
        eq(legalHolds.scope, "subject"),
        isNull(legalHolds.releasedAt),
        sql`${legalHolds.subjectIndexes} ?| array[${wanted}]::text[]`,
      ),
    )
    .orderBy(desc(legalHolds.placedAt));
}
