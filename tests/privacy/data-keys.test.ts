import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { nodeBytesBackend } from "@/lib/hash/node-sha256";
import { commitPersonalValue, verifyOpening, type RandomBytes } from "@/lib/ledger/xapi/pd-commitment";
import {
  createSubjectDataKey,
  DATA_KEY_BYTES,
  eraseSubjectDataKey,
  newDataKey,
  openSubjectDataKey,
  rotateSubjectDataKey,
  SubjectErasedError,
  unwrapDataKeyForSubject,
  wipeDataKey,
  wrapDataKeyForSubject,
  type SubjectDataKey,
} from "@/lib/privacy/data-keys";
import { DataKeyUnwrapError, LocalKeyEncryptionKey } from "@/lib/privacy/key-encryption-key";
import { decryptOpening, encryptOpening, OpeningDecryptionError, type OpeningContext } from "@/lib/privacy/opening-encryption";

const secureRandom: RandomBytes = (n) => new Uint8Array(randomBytes(n));
const kekFrom = (first: number) => new LocalKeyEncryptionKey(Uint8Array.from({ length: 32 }, (_, i) => first + i));
const context: OpeningContext = { ref: "7d3f1c2a-9b4e-4f6a-8c1d-2e5b7a9f0c3e", recordId: "record-7", pointer: "/result/response" };

/** One subject with one sealed opening, as ingest will leave them. */
async function subjectWithOpening(kek: LocalKeyEncryptionKey, value: unknown) {
  const { record, dataKey } = await createSubjectDataKey(kek, "subject-0042");
  const { commitment, opening } = commitPersonalValue(nodeBytesBackend, secureRandom, value);
  const sealed = encryptOpening(dataKey, opening, context);
  wipeDataKey(dataKey);
  return { record, commitment, opening, sealed };
}

describe("data keys", () => {
  test("newDataKey: 32 fresh random bytes each time", () => {
    const a = newDataKey();
    expect(a).toHaveLength(DATA_KEY_BYTES);
    expect(a).not.toEqual(newDataKey());
  });

  test("wrap and unwrap for a subject; another subject's id does not unwrap", async () => {
    const kek = kekFrom(1);
    const dataKey = newDataKey();
    const wrapped = await wrapDataKeyForSubject(kek, "subject-a", dataKey);
    expect(await unwrapDataKeyForSubject(kek, "subject-a", wrapped)).toEqual(dataKey);
    await expect(unwrapDataKeyForSubject(kek, "subject-b", wrapped)).rejects.toThrow(DataKeyUnwrapError);
  });

  test("wipeDataKey zeroes the key in memory", () => {
    const dataKey = newDataKey();
    wipeDataKey(dataKey);
    expect(dataKey).toEqual(new Uint8Array(DATA_KEY_BYTES));
  });

  test("a subject's openings open with the key its record unwraps to", async () => {
    const kek = kekFrom(1);
    const { record, commitment, opening, sealed } = await subjectWithOpening(kek, { name: "Ana Lima" });
    expect(record).toMatchObject({ subjectId: "subject-0042", status: "active" });
    const opened = decryptOpening(await openSubjectDataKey(kek, record), sealed, context);
    expect(opened).toEqual(opening);
    expect(verifyOpening(nodeBytesBackend, commitment, opened)).toBe(true);
  });
});

describe("KEK rotation of a subject's record", () => {
  test("the openings still decrypt after rotation without being re-encrypted; the old KEK no longer opens the record", async () => {
    const oldKek = kekFrom(1);
    const newKek = kekFrom(2);
    const { record, opening, sealed } = await subjectWithOpening(oldKek, "ana@example.org");
    const rotated = await rotateSubjectDataKey(record, oldKek, newKek);
    expect(rotated.status === "active" && rotated.wrapped.kekId).toBe(newKek.id);
    expect(decryptOpening(await openSubjectDataKey(newKek, rotated), sealed, context)).toEqual(opening);
    await expect(openSubjectDataKey(oldKek, rotated)).rejects.toThrow(DataKeyUnwrapError);
    expect(await rotateSubjectDataKey(rotated, oldKek, newKek)).toBe(rotated);
  });

  test("an erased subject stays erased", async () => {
    const erased = eraseSubjectDataKey((await subjectWithOpening(kekFrom(1), "x")).record, new Date("2026-01-02T03:04:05Z"));
    expect(await rotateSubjectDataKey(erased, kekFrom(1), kekFrom(2))).toBe(erased);
  });
});

describe("erasure by destroying the data key", () => {
  test("after erasure the record holds no wrapped key, opening it throws SubjectErasedError, and the sealed opening is unrecoverable", async () => {
    const kek = kekFrom(1);
    const { record, sealed } = await subjectWithOpening(kek, "ana@example.org");
    const erased: SubjectDataKey = eraseSubjectDataKey(record, new Date("2026-01-02T03:04:05Z"));
    expect(erased).toEqual({ subjectId: "subject-0042", status: "erased", erasedAt: "2026-01-02T03:04:05.000Z" });
    expect("wrapped" in erased).toBe(false);
    await expect(openSubjectDataKey(kek, erased)).rejects.toThrow(SubjectErasedError);
    await expect(openSubjectDataKey(kek, erased)).rejects.toThrow(/erased at 2026-01-02T03:04:05.000Z/);
    // Without the destroyed data key nothing opens it, not even a new data key for the same subject.
    const { dataKey: replacement } = await createSubjectDataKey(kek, "subject-0042");
    expect(() => decryptOpening(replacement, sealed, context)).toThrow(OpeningDecryptionError);
    expect(() => decryptOpening(newDataKey(), sealed, context)).toThrow(OpeningDecryptionError);
  });

  test("erasing twice keeps the first erasure", () => {
    const erased = eraseSubjectDataKey({ subjectId: "s", status: "erased", erasedAt: "2026-01-01T00:00:00.000Z" }, new Date());
    expect(erased.erasedAt).toBe("2026-01-01T00:00:00.000Z");
  });
});
