import "server-only";
import { and, asc, eq, gt, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { personalDataKeys } from "../../db/schema";
import { parseWrappedDataKey, rewrapDataKey, serializeWrappedDataKey, type KeyEncryptionKeyRing } from "../privacy/key-encryption-key";

export interface RotationResult {
  /** Active data keys looked at. */
  examined: number;
  /** Re-wrapped under the current KEK in this run. */
  rewrapped: number;
}

const BATCH = 500;

/**
 * KEK rotation: every active data key not yet wrapped by the ring's current KEK is unwrapped
 * (by whichever KEK wrapped it) and wrapped again by the current one. Data keys, and so every
 * sealed opening, stay the same: nothing else is touched. Batches commit one by one, so an
 * interrupted rotation simply runs again; erased keys have nothing left to re-wrap.
 */
export async function rotateDataKeys(db: Db, ring: KeyEncryptionKeyRing): Promise<RotationResult> {
  const result: RotationResult = { examined: 0, rewrapped: 0 };
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const rows = await db
      .select({ id: personalDataKeys.id, subjectIndex: personalDataKeys.subjectIndex, wrappedKey: personalDataKeys.wrappedKey })
      .from(personalDataKeys)
      .where(and(isNull(personalDataKeys.erasedAt), gt(personalDataKeys.id, after)))
      .orderBy(asc(personalDataKeys.id))
      .limit(BATCH);
    if (rows.length === 0) return result;
    after = rows[rows.length - 1]!.id;
    await db.transaction(async (tx) => {
      for (const row of rows) {
        result.examined++;
        const wrapped = parseWrappedDataKey(row.wrappedKey!);
        if (wrapped.kekId === ring.current.id) continue;
        const rewrapped = await rewrapDataKey(wrapped, { subjectId: row.subjectIndex }, ring, ring.current);
        await tx
          .update(personalDataKeys)
          .set({ wrappedKey: serializeWrappedDataKey(rewrapped) })
          .where(and(eq(personalDataKeys.id, row.id), isNull(personalDataKeys.erasedAt)));
        result.rewrapped++;
      }
    });
  }
}
