import "server-only";
import { and, countDistinct, count, inArray, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { personalDataKeys, personalDataOpenings } from "../../db/schema";
import { lockLog } from "./log-append";

/**
 * Erasure in the personal-data store (docs/privacy.md "Erasure"): a subject's data keys lose
 * their wrapped form, so every opening sealed under them becomes ciphertext nobody can open.
 * The openings, the commitments in the hashed statements and the log stay exactly as they
 * were, which is why the chain and every earlier evidence bundle still verify.
 */

/** What a subject's active keys cover: the keys, the openings sealed under them and their records. */
export interface SubjectDataCount {
  keys: number;
  values: number;
  records: number;
}

async function countOpeningsUnder(tx: Pick<Db, "select">, keyIds: string[]): Promise<{ values: number; records: number }> {
  if (keyIds.length === 0) return { values: 0, records: 0 };
  const [row] = await tx
    .select({ values: count(), records: countDistinct(personalDataOpenings.recordId) })
    .from(personalDataOpenings)
    .where(inArray(personalDataOpenings.keyId, keyIds));
  return { values: Number(row?.values ?? 0), records: Number(row?.records ?? 0) };
}

/** The active (not yet erased) keys of a subject named by its blind indexes, and what they seal. */
export async function countSubjectData(tx: Pick<Db, "select">, subjectIndexes: readonly string[]): Promise<SubjectDataCount> {
  if (subjectIndexes.length === 0) return { keys: 0, values: 0, records: 0 };
  const keys = await tx
    .select({ id: personalDataKeys.id })
    .from(personalDataKeys)
    .where(and(inArray(personalDataKeys.subjectIndex, [...subjectIndexes]), isNull(personalDataKeys.erasedAt)));
  return { keys: keys.length, ...(await countOpeningsUnder(tx, keys.map((k) => k.id))) };
}

/** What an erasure destroyed, for the request and its receipt. */
export interface SubjectErasure {
  keysErased: number;
  valuesUnreadable: number;
  recordsAffected: number;
}

/**
 * Destroys every active data key of the subject, in the caller's transaction: wrapped key to
 * null, erased_at and the request's id set (the one update the table's trigger allows). Keys
 * erased earlier are left alone, so erasing a subject again destroys nothing new.
 *
 * Takes the decisions log's append lock first: an append seals openings under the subject's
 * active key inside that lock, and without it a record appended concurrently could be sealed
 * under a key this erasure is destroying yet be missing from its counts.
 */
export async function eraseSubjectKeys(
  tx: Db,
  params: { subjectIndexes: readonly string[]; requestId: string; erasedAt: Date },
): Promise<SubjectErasure> {
  if (params.subjectIndexes.length === 0) return { keysErased: 0, valuesUnreadable: 0, recordsAffected: 0 };
  await lockLog(tx, "decisions");
  const erased = await tx
    .update(personalDataKeys)
    .set({ wrappedKey: null, erasedAt: params.erasedAt, erasureRequestId: params.requestId })
    .where(and(inArray(personalDataKeys.subjectIndex, [...params.subjectIndexes]), isNull(personalDataKeys.erasedAt)))
    .returning({ id: personalDataKeys.id });
  const counts = await countOpeningsUnder(tx, erased.map((k) => k.id));
  return { keysErased: erased.length, valuesUnreadable: counts.values, recordsAffected: counts.records };
}
