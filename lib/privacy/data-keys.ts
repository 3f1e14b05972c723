import "server-only";
import { randomFillSync } from "node:crypto";
import { AES_256_KEY_BYTES } from "./aes-256-gcm";
import { rewrapDataKey, type KeyEncryptionKey, type WrappedDataKey } from "./key-encryption-key";

// One data key per data subject: every opening about that subject is sealed under it, and
// destroying it is how the subject's personal data is erased (crypto-shredding). The
// commitments in the log stay, and still verify, but nothing can open them any more.
//
// The records below are what the future data-key table stores per subject: the wrapped key
// while it is active, only the time of erasure once it is erased.

/** A data key is an AES-256 key. */
export const DATA_KEY_BYTES = AES_256_KEY_BYTES;

/** 32 fresh random bytes, in a buffer of their own (not a slice of Node's shared Buffer pool, so they can be wiped). */
export function newDataKey(): Uint8Array {
  return randomFillSync(new Uint8Array(DATA_KEY_BYTES));
}

/** Best-effort wipe of a data key held in memory, once its openings are sealed or opened. */
export function wipeDataKey(dataKey: Uint8Array): void {
  dataKey.fill(0);
}

export function wrapDataKeyForSubject(kek: KeyEncryptionKey, subjectId: string, dataKey: Uint8Array): Promise<WrappedDataKey> {
  return kek.wrap(dataKey, { subjectId });
}

export function unwrapDataKeyForSubject(kek: KeyEncryptionKey, subjectId: string, wrapped: WrappedDataKey): Promise<Uint8Array> {
  return kek.unwrap(wrapped, { subjectId });
}

export interface ActiveSubjectDataKey {
  readonly subjectId: string;
  readonly status: "active";
  readonly wrapped: WrappedDataKey;
}

/** An erased subject: the wrapped key is gone, and with it every way to open the subject's openings. */
export interface ErasedSubjectDataKey {
  readonly subjectId: string;
  readonly status: "erased";
  /** RFC 3339. */
  readonly erasedAt: string;
}

export type SubjectDataKey = ActiveSubjectDataKey | ErasedSubjectDataKey;

/** The subject's data key was destroyed: its personal data is erased. Not a failure to retry. */
export class SubjectErasedError extends Error {
  readonly erasedAt: string;

  constructor(erasedAt: string) {
    super(`the data subject's personal data was erased at ${erasedAt}: its data key no longer exists`);
    this.name = "SubjectErasedError";
    this.erasedAt = erasedAt;
  }
}

/** A new subject: a fresh data key, and its wrapped form to store. The caller wipes `dataKey` when done. */
export async function createSubjectDataKey(
  kek: KeyEncryptionKey,
  subjectId: string,
): Promise<{ record: ActiveSubjectDataKey; dataKey: Uint8Array }> {
  const dataKey = newDataKey();
  const wrapped = await wrapDataKeyForSubject(kek, subjectId, dataKey);
  return { record: { subjectId, status: "active", wrapped }, dataKey };
}

/** The subject's data key; throws SubjectErasedError once it is erased, DataKeyUnwrapError when it does not unwrap. */
export async function openSubjectDataKey(kek: KeyEncryptionKey, record: SubjectDataKey): Promise<Uint8Array> {
  if (record.status === "erased") throw new SubjectErasedError(record.erasedAt);
  return unwrapDataKeyForSubject(kek, record.subjectId, record.wrapped);
}

/**
 * Erasure: the record that replaces the active one, without the wrapped key. Only complete
 * once the store has overwritten the old row and every copy of it (backups, replicas) has
 * expired; from then on no KEK, current or retired, can recover the data key.
 */
export function eraseSubjectDataKey(record: SubjectDataKey, erasedAt: Date): ErasedSubjectDataKey {
  if (record.status === "erased") return record;
  return { subjectId: record.subjectId, status: "erased", erasedAt: erasedAt.toISOString() };
}

/** KEK rotation of one subject's record: the same data key wrapped by `to`; an erased subject stays erased. */
export async function rotateSubjectDataKey(record: SubjectDataKey, from: KeyEncryptionKey, to: KeyEncryptionKey): Promise<SubjectDataKey> {
  if (record.status === "erased") return record;
  const wrapped = await rewrapDataKey(record.wrapped, { subjectId: record.subjectId }, from, to);
  return wrapped === record.wrapped ? record : { ...record, wrapped };
}
