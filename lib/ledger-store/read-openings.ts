import "server-only";
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { personalDataKeys, personalDataOpenings } from "../../db/schema";
import type { PdOpening } from "../ledger/xapi/pd-commitment";
import { openSubjectDataKey, wipeDataKey } from "../privacy/data-keys";
import { parseWrappedDataKey } from "../privacy/key-encryption-key";
import { decryptOpening } from "../privacy/opening-encryption";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";

/** The erasure that made some of a record's openings unreadable. */
export interface OpeningErasure {
  erasedAt: Date;
  /** The erasure request (erasure_requests.id). */
  requestId: string | null;
}

/** What the encrypted store holds for one record: the openings it could open, and the erasures that stopped the rest. */
export interface RecordOpenings {
  /** By commitment reference. Secret: only for a permitted, logged reveal or export. */
  openings: Map<string, PdOpening>;
  /** Distinct erasures covering this record's openings (empty: nothing erased). */
  erasures: OpeningErasure[];
  /** How many openings the record has in all, readable or not. */
  total: number;
}

const emptyOpenings = (): RecordOpenings => ({ openings: new Map(), erasures: [], total: 0 });

/**
 * Decrypts the openings of `recordIds` (records without any are absent from the map). Each
 * subject's data key is unwrapped once per call and wiped after. Erased keys yield no
 * openings and say when and by which request they were erased.
 */
export async function readRecordOpenings(db: Db, keys: PersonalDataKeys, recordIds: readonly string[]): Promise<Map<string, RecordOpenings>> {
  const out = new Map<string, RecordOpenings>();
  const dataKeys = new Map<string, Uint8Array | OpeningErasure>();
  try {
    for (let i = 0; i < recordIds.length; i += 1000) {
      const rows = await db
        .select({
          ref: personalDataOpenings.ref,
          recordId: personalDataOpenings.recordId,
          pointer: personalDataOpenings.pointer,
          sealed: personalDataOpenings.sealed,
          keyId: personalDataKeys.id,
          subjectIndex: personalDataKeys.subjectIndex,
          wrappedKey: personalDataKeys.wrappedKey,
          erasedAt: personalDataKeys.erasedAt,
          erasureRequestId: personalDataKeys.erasureRequestId,
        })
        .from(personalDataOpenings)
        .innerJoin(personalDataKeys, eq(personalDataKeys.id, personalDataOpenings.keyId))
        .where(inArray(personalDataOpenings.recordId, recordIds.slice(i, i + 1000) as string[]));
      for (const row of rows) {
        let key = dataKeys.get(row.keyId);
        if (key === undefined) {
          key =
            row.erasedAt !== null || row.wrappedKey === null
              ? { erasedAt: row.erasedAt ?? new Date(0), requestId: row.erasureRequestId }
              : await openSubjectDataKey(keys.kek, { subjectId: row.subjectIndex, status: "active", wrapped: parseWrappedDataKey(row.wrappedKey) });
          dataKeys.set(row.keyId, key);
        }
        const record = out.get(row.recordId) ?? emptyOpenings();
        out.set(row.recordId, record);
        record.total++;
        if (key instanceof Uint8Array) {
          record.openings.set(row.ref, decryptOpening(key, row.sealed, { ref: row.ref, recordId: row.recordId, pointer: row.pointer }));
        } else if (!record.erasures.some((e) => e.requestId === (key as OpeningErasure).requestId)) {
          record.erasures.push(key);
        }
      }
    }
  } finally {
    for (const key of dataKeys.values()) if (key instanceof Uint8Array) wipeDataKey(key);
  }
  return out;
}

/**
 * The erasures that made some of a record's openings unreadable (empty: none), earliest first.
 * Reads key metadata only, so showing the erasure banner never decrypts anything.
 */
export async function readRecordErasures(db: Pick<Db, "selectDistinct">, recordId: string): Promise<OpeningErasure[]> {
  const rows = await db
    .selectDistinct({ erasedAt: personalDataKeys.erasedAt, requestId: personalDataKeys.erasureRequestId })
    .from(personalDataOpenings)
    .innerJoin(personalDataKeys, eq(personalDataKeys.id, personalDataOpenings.keyId))
    .where(and(eq(personalDataOpenings.recordId, recordId.toLowerCase()), isNotNull(personalDataKeys.erasedAt)));
  return rows.map((r) => ({ erasedAt: r.erasedAt!, requestId: r.requestId })).sort((a, b) => a.erasedAt.getTime() - b.erasedAt.getTime());
}
