import "server-only";
import { randomUUID } from "node:crypto";
import { and, inArray, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { personalDataKeys, personalDataLookups, personalDataOpenings } from "../../db/schema";
import type { CommittedStatement } from "../ledger/xapi/commit-statement";
import { createSubjectDataKey, openSubjectDataKey, wipeDataKey } from "../privacy/data-keys";
import { parseWrappedDataKey, serializeWrappedDataKey } from "../privacy/key-encryption-key";
import { encryptOpening } from "../privacy/opening-encryption";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import { insertRowsAsJson } from "./insert-json-rows";
import { lookupIndexOrNull, subjectIndexOf } from "./personal-data-store";

/**
 * Where the openings of committed statements go (docs/privacy.md), in two steps so that the
 * expensive part runs outside the log's lock:
 *
 * 1. sealRecords, while the batch is prepared: each record's openings are encrypted under
 *    its subject's data key as it is then (unwrapped from the table, or a new one made and
 *    kept in memory), and its blind-index lookups computed. Nothing is written.
 * 2. storeSealed, under the lock in the sequencing transaction: the subjects' active keys are
 *    read again, which is authoritative (an erasure takes the same lock). A record sealed
 *    under a key that is no longer its subject's active key (erased meanwhile, or another
 *    batch of the group, or another writer, made the subject's key first) is sealed again
 *    under the active one; new keys are inserted; then the openings and lookups. So a record
 *    is never stored without what opens it, nothing is stored for a refused record, and a
 *    subject never has two active keys.
 */

type OpeningRow = typeof personalDataOpenings.$inferInsert;
type LookupRow = typeof personalDataLookups.$inferInsert;
type KeyRow = typeof personalDataKeys.$inferInsert;

/** A data key in memory: its row id, and the row to insert when it was made for this batch. */
interface HeldKey {
  id: string;
  subjectIndex: string;
  dataKey: Uint8Array;
  newRow: KeyRow | null;
}

export interface RecordToSeal {
  recordId: string;
  recordedAt: Date;
  committed: CommittedStatement;
}

interface SealedRecord extends RecordToSeal {
  subjectIndex: string;
  keyId: string;
  openings: Omit<OpeningRow, "seq">[];
  lookups: Omit<LookupRow, "seq">[];
}

/** A batch's sealed openings and the keys they are sealed under (plaintext until wiped). */
export interface SealedBatch {
  records: SealedRecord[];
  keys: Map<string, HeldKey>;
}

/** Step 1 (no lock, no writes): seals every opening of `records`; wipe the result with wipeSealed. */
export async function sealRecords(db: Pick<Db, "select">, keys: PersonalDataKeys, records: RecordToSeal[], now: Date): Promise<SealedBatch> {
  const withValues = records.filter((r) => r.committed.values.length > 0);
  const batch: SealedBatch = { records: [], keys: new Map() };
  if (withValues.length === 0) return batch;
  const subjectOf = new Map(withValues.map((r) => [r.recordId, subjectIndexOf(keys, r.committed.subject, r.recordId)]));
  const bySubject = await currentKeys(db, keys, [...new Set(subjectOf.values())], now);
  for (const key of bySubject.values()) batch.keys.set(key.id, key);
  for (const r of withValues) {
    const subjectIndex = subjectOf.get(r.recordId)!;
    batch.records.push(sealRecord(keys, r, subjectIndex, bySubject.get(subjectIndex)!));
  }
  return batch;
}

/** Each subject's active data key, unwrapped, or a new one (not stored yet) when it has none. */
async function currentKeys(db: Pick<Db, "select">, keys: PersonalDataKeys, subjectIndexes: string[], now: Date): Promise<Map<string, HeldKey>> {
  const found = await activeKeys(db, keys, subjectIndexes);
  for (const subjectIndex of subjectIndexes) if (!found.has(subjectIndex)) found.set(subjectIndex, await newKey(keys, subjectIndex, now));
  return found;
}

async function activeKeys(db: Pick<Db, "select">, keys: PersonalDataKeys, subjectIndexes: string[]): Promise<Map<string, HeldKey>> {
  const found = new Map<string, HeldKey>();
  if (subjectIndexes.length === 0) return found;
  const rows = await db
    .select({ id: personalDataKeys.id, subjectIndex: personalDataKeys.subjectIndex, wrappedKey: personalDataKeys.wrappedKey })
    .from(personalDataKeys)
    .where(and(inArray(personalDataKeys.subjectIndex, subjectIndexes), isNull(personalDataKeys.erasedAt)));
  for (const r of rows) {
    const dataKey = await openSubjectDataKey(keys.kek, { subjectId: r.subjectIndex, status: "active", wrapped: parseWrappedDataKey(r.wrappedKey!) });
    found.set(r.subjectIndex, { id: r.id, subjectIndex: r.subjectIndex, dataKey, newRow: null });
  }
  return found;
}

async function newKey(keys: PersonalDataKeys, subjectIndex: string, now: Date): Promise<HeldKey> {
  const { record, dataKey } = await createSubjectDataKey(keys.kek, subjectIndex);
  const id = randomUUID();
  return { id, subjectIndex, dataKey, newRow: { id, subjectIndex, wrappedKey: serializeWrappedDataKey(record.wrapped), createdAt: now } };
}

function sealRecord(keys: PersonalDataKeys, r: RecordToSeal, subjectIndex: string, key: HeldKey): SealedRecord {
  const lookups = new Map<string, Omit<LookupRow, "seq">>();
  const addLookup = (kind: string, index: string) => {
    if (!lookups.has(index)) lookups.set(index, { blindIndex: index, recordId: r.recordId, kind });
  };
  if (r.committed.subject) addLookup(r.committed.subject.kind, subjectIndex);
  for (const v of r.committed.values) {
    for (const term of v.lookups) {
      const index = lookupIndexOrNull(keys, term.kind, term.value);
      if (index !== null) addLookup(term.kind, index);
    }
  }
  return { ...r, subjectIndex, keyId: key.id, openings: encryptOpenings(r, key), lookups: [...lookups.values()] };
}

function encryptOpenings(r: RecordToSeal, key: HeldKey): Omit<OpeningRow, "seq">[] {
  return r.committed.values.map((v) => ({
    ref: v.ref,
    recordId: r.recordId,
    pointer: v.pointer,
    kind: v.kind,
    keyId: key.id,
    sealed: encryptOpening(key.dataKey, v.opening, { ref: v.ref, recordId: r.recordId, pointer: v.pointer }),
    recordedAt: r.recordedAt,
  }));
}

/**
 * Step 2, in the sequencing transaction under the log's lock: stores the openings and
 * lookups of `batches` (in group order; only the records to store, each batch with the keys
 * it sealed under) with their records' sequence numbers (`placed`: each new record's position). The batches' keys are not changed,
 * so a group that fails can be stored again batch by batch.
 */
export async function storeSealed(tx: Db, keys: PersonalDataKeys, batches: SealedBatch[], placed: Map<string, { seq: number }>): Promise<void> {
  const records = batches.flatMap((b) => b.records);
  if (records.length === 0) return;
  const active = await activeKeys(tx, keys, [...new Set(records.map((r) => r.subjectIndex))]);
  // Keys unwrapped or made here (never a batch's own copies): wiped before returning.
  const opened = [...active.values()];
  try {
    const chosen = chooseKeys(batches, active);
    const inserted = new Set<string>();
    const newRows: KeyRow[] = [];
    const openings: OpeningRow[] = [];
    const lookups: LookupRow[] = [];
    for (const r of records) {
      let key = chosen.get(r.subjectIndex);
      if (!key) {
        // Sealed under a key erased since: the subject starts again with a new key.
        key = await newKey(keys, r.subjectIndex, r.recordedAt);
        opened.push(key);
        chosen.set(r.subjectIndex, key);
      }
      if (key.newRow && !inserted.has(key.id)) {
        newRows.push(key.newRow);
        inserted.add(key.id);
      }
      const seq = placed.get(r.recordId)!.seq;
      const sealedRows = r.keyId === key.id ? r.openings : encryptOpenings(r, key);
      for (const o of sealedRows) openings.push({ ...o, seq });
      for (const l of r.lookups) lookups.push({ ...l, seq });
    }
    await insertRowsAsJson(tx, personalDataKeys, newRows);
    // A record brings about four openings and as many lookups: one JSON parameter per chunk.
    await insertRowsAsJson(tx, personalDataOpenings, openings, 5000);
    await insertRowsAsJson(tx, personalDataLookups, lookups, 10000);
  } finally {
    for (const key of opened) wipeDataKey(key.dataKey);
  }
}

/**
 * The key each subject's records are stored under: its active key if it has one (the copy a
 * batch already holds, if any), else the first new key the group's batches made for it.
 * A subject whose records were all sealed under a key erased since has no entry.
 */
function chooseKeys(batches: SealedBatch[], active: Map<string, HeldKey>): Map<string, HeldKey> {
  const chosen = new Map<string, HeldKey>();
  for (const [subjectIndex, key] of active) {
    const held = batches.map((b) => b.keys.get(key.id)).find((k) => k !== undefined);
    chosen.set(subjectIndex, held ?? key);
  }
  for (const b of batches) {
    for (const key of b.keys.values()) if (key.newRow && !chosen.has(key.subjectIndex)) chosen.set(key.subjectIndex, key);
  }
  return chosen;
}

/** Wipes the data keys a batch holds; call once the batch is stored or refused. */
export function wipeSealed(batch: SealedBatch): void {
  for (const key of batch.keys.values()) wipeDataKey(key.dataKey);
}
