import "server-only";
import { desc, eq } from "drizzle-orm";
import type { Db } from "../client";
import { erasureRequests, type ErasureStatus } from "../schema";
import { isUuid } from "../../lib/ledger/xapi/syntax";

/**
 * An erasure request as the admin page and the CLI show it. The subject appears only as its
 * blind indexes (HMACs): the typed subject id is never stored.
 */
export interface ErasureRequestRecord {
  id: string;
  subjectIndexes: string[];
  reason: string;
  status: ErasureStatus;
  requestedBy: string;
  requestedAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  keysErased: number | null;
  valuesUnreadable: number | null;
  recordsAffected: number | null;
  /** The signed erasure receipt (completed requests only). */
  receipt: string | null;
}

type Reader = Pick<Db, "select">;

/** Every request, newest first, or only those of one status. */
export async function listErasureRequests(db: Reader, params: { status?: ErasureStatus } = {}): Promise<ErasureRequestRecord[]> {
  const query = db.select().from(erasureRequests);
  const filtered = params.status ? query.where(eq(erasureRequests.status, params.status)) : query;
  return filtered.orderBy(desc(erasureRequests.requestedAt), desc(erasureRequests.id));
}

export async function getErasureRequest(db: Reader, params: { id: string }): Promise<ErasureRequestRecord | null> {
  if (!isUuid(params.id)) return null;
  const rows = await db.select().from(erasureRequests).where(eq(erasureRequests.id, params.id)).limit(1);
  return rows[0] ?? null;
}
