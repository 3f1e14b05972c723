import "server-only";
import { randomUUID } from "node:crypto";
import { and, inArray, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { personalDataKeys, personalDataLookups, personalDataOpenings } from "../../db/schema";
import { concatBytes, utf8Encode } from "../ledger/bytes";
import { canonicalBytes } from "../ledger/jcs";
import type { CommittedStatement, DataSubject } from "../ledger/xapi/commit-statement";
import type { XapiStatement } from "../ledger/xapi/types";
import { blindIndex } from "../privacy/blind-index";
import { createSubjectDataKey, openSubjectDataKey, wipeDataKey } from "../privacy/data-keys";
import { parseWrappedDataKey, serializeWrappedDataKey } from "../privacy/key-encryption-key";
import { encryptOpening } from "../privacy/opening-encryption";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import { contentWithoutServerFields } from "../ledger/xapi/server-fields";
import { isUuid } from "../ledger/xapi/syntax";
import { insertRowsAsJson } from "./insert-json-rows";

/**
 * Where the openings of committed statements go (docs/privacy.md): sealed under the data key
 * of the record's subject, in the same transaction as the records, so a record is never
 * stored without what opens it, and nothing is stored for a record that was refused.
 */

/** A committed record about to be inserted. */
export interface RecordToSeal {
  recordId: string;
  seq: number;
  recordedAt: Date;
  committed: CommittedStatement;
}

const CONTENT_DIGEST_PREFIX = concatBytes(utf8Encode("decision-ledger/content-digest/v1"), new Uint8Array([0x00]));

/**
 * What an idempotent retry is compared by: HMAC (index key) of the submitted statement's
 * canonical form without `stored`, before commitment. Keyed, because the plaintext
 * statement's hash would let anyone holding a guess at the personal data confirm it.
 */
export function contentDigestOf(keys: PersonalDataKeys, prepared: XapiStatement): Uint8Array {
  return new Uint8Array(keys.indexKey.mac(concatBytes(CONTENT_DIGEST_PREFIX, canonicalBytes(contentWithoutServerFields(prepared)))));
}

/** The blind index that names a subject; a record without one is a subject of its own. */
export function subjectIndexOf(keys: PersonalDataKeys, subject: DataSubject | null, recordId: string): string {
  return subject ? blindIndex(keys.indexKey, subject.kind, subject.id) : blindIndex(keys.indexKey, "entity-id", `record:${recordId}`);
}

interface SubjectKey {
  id: string;
  dataKey: Uint8Array;
}

/** The active data key of each subject, creating (and storing) the missing ones. */
async function activeDataKeys(tx: Db, keys: PersonalDataKeys, subjectIndexes: string[], now: Date): Promise<Map<string, SubjectKey>> {
  const found = new Map<string, SubjectKey>();
  const rows = await tx
    .select({ id: personalDataKeys.id, subjectIndex: personalDataKeys.subjectIndex, wrappedKey: personalDataKeys.wrappedKey })
    .from(personalDataKeys)
    .where(and(inArray(personalDataKeys.subjectIndex, subjectIndexes), isNull(personalDataKeys.erasedAt)));
  for (const r of rows) {
    const dataKey = await openSubjectDataKey(keys.kek, { subjectId: r.subjectIndex, status: "active", wrapped: parseWrappedDataKey(r.wrappedKey!) });
    found.set(r.subjectIndex, { id: r.id, dataKey });
  }
  const created: (typeof personalDataKeys.$inferInsert)[] = [];
  for (const subjectIndex of subjectIndexes) {
    if (found.has(subjectIndex)) continue;
    const { record, dataKey } = await createSubjectDataKey(keys.kek, subjectIndex);
    const id = randomUUID();
    found.set(subjectIndex, { id, dataKey });
    created.push({ id, subjectIndex, wrappedKey: serializeWrappedDataKey(record.wrapped), createdAt: now });
  }
  for (let i = 0; i < created.length; i += 1000) await tx.insert(personalDataKeys).values(created.slice(i, i + 1000));
  return found;
}

/**
 * Seals every opening of `records` and stores their blind-index lookups. Runs inside the
 * append's transaction, under the log lock, so two writers never create two active keys for
 * one subject (the unique index would refuse the second anyway).
 */
export async function sealOpenings(tx: Db, keys: PersonalDataKeys, records: RecordToSeal[], now: Date): Promise<void> {
  const withValues = records.filter((r) => r.committed.values.length > 0);
  if (withValues.length === 0) return;
  const subjectOf = new Map(withValues.map((r) => [r.recordId, subjectIndexOf(keys, r.committed.subject, r.recordId)]));
  const dataKeys = await activeDataKeys(tx, keys, [...new Set(subjectOf.values())], now);
  try {
    const openings: (typeof personalDataOpenings.$inferInsert)[] = [];
    const lookups = new Map<string, typeof personalDataLookups.$inferInsert>();
    const addLookup = (recordId: string, seq: number, kind: string, index: string) => {
      if (!lookups.has(`${index}|${recordId}`)) lookups.set(`${index}|${recordId}`, { blindIndex: index, recordId, seq, kind });
    };
    for (const r of withValues) {
      const subjectIndex = subjectOf.get(r.recordId)!;
      const key = dataKeys.get(subjectIndex)!;
      if (r.committed.subject) addLookup(r.recordId, r.seq, r.committed.subject.kind, subjectIndex);
      for (const v of r.committed.values) {
        const sealed = encryptOpening(key.dataKey, v.opening, { ref: v.ref, recordId: r.recordId, pointer: v.pointer });
        openings.push({ ref: v.ref, recordId: r.recordId, seq: r.seq, pointer: v.pointer, kind: v.kind, keyId: key.id, sealed, recordedAt: r.recordedAt });
        for (const term of v.lookups) {
          const index = lookupIndexOrNull(keys, term.kind, term.value);
          if (index !== null) addLookup(r.recordId, r.seq, term.kind, index);
        }
      }
    }
    // A record brings about four openings and as many lookups: one JSON parameter per
    // chunk, since binding them value by value cost more than sealing them.
    await insertRowsAsJson(tx, personalDataOpenings, openings, 5000);
    await insertRowsAsJson(tx, personalDataLookups, [...lookups.values()], 10000);
  } finally {
    for (const key of dataKeys.values()) wipeDataKey(key.dataKey);
  }
}

/** Null when nothing is left to index once normalised (a phone number of punctuation only). */
function lookupIndexOrNull(keys: PersonalDataKeys, kind: Parameters<typeof blindIndex>[1], value: string): string | null {
  try {
    return blindIndex(keys.indexKey, kind, value);
  } catch (error) {
    if (error instanceof TypeError) return null;
    throw error;
  }
}

/**
 * The blind indexes a subject id typed by a person (an admin erasing, an officer searching)
 * may have been stored under: as an entity id, as text, as an e-mail address when it looks
 * like one, and as a record of its own when it is a record id (dataSubjectOf gives each kind).
 */
export function subjectIndexCandidates(keys: PersonalDataKeys, typedId: string): string[] {
  const id = typedId.trim();
  if (id === "") return [];
  const out = [blindIndex(keys.indexKey, "entity-id", id), blindIndex(keys.indexKey, "text", id)];
  if (id.includes("@")) out.push(blindIndex(keys.indexKey, "email", id));
  if (isUuid(id)) out.push(blindIndex(keys.indexKey, "entity-id", `record:${id.toLowerCase()}`));
  return [...new Set(out)];
}
