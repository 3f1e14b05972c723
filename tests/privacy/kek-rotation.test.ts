import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { readRecordOpenings } from "@/lib/ledger-store/read-openings";
import { rotateDataKeys } from "@/lib/ledger-store/rotate-data-keys";
import { BlindIndexKey } from "@/lib/privacy/blind-index";
import { DataKeyUnwrapError, KeyEncryptionKeyRing, LocalKeyEncryptionKey } from "@/lib/privacy/key-encryption-key";
import { loadPersonalDataKeys } from "@/lib/privacy/personal-data-keys";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";

const hexKey = () => randomBytes(32).toString("hex");

describe.each(DATABASE_KINDS)("KEK rotation (%s)", (kind) => {
  let database: TestDatabase;
  const oldKekHex = hexKey();
  const newKekHex = hexKey();
  const indexKeyHex = hexKey();
  const oldKek = new LocalKeyEncryptionKey(Buffer.from(oldKekHex, "hex"));
  const newKek = new LocalKeyEncryptionKey(Buffer.from(newKekHex, "hex"));
  const indexKey = new BlindIndexKey(Buffer.from(indexKeyHex, "hex"));
  let ids: string[];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const statements = generateDemoStatements({ count: 40, now: new Date("2026-03-01T00:00:00Z"), seed: 7 });
    const result = await appendDecisions(database.db, { kek: oldKek, indexKey }, statements, { name: "rotation-test" });
    ids = result.records.map((r) => r.id);
  });
  afterAll(async () => database?.drop());

  test("re-wraps every data key under the new KEK; the openings stay readable, by the new KEK alone", async () => {
    const before = await readRecordOpenings(database.db, { kek: oldKek, indexKey }, ids);
    const ring = new KeyEncryptionKeyRing(newKek, [oldKek]);
    // During the rotation a server holding the ring reads keys wrapped by either KEK.
    expect((await readRecordOpenings(database.db, { kek: ring, indexKey }, ids)).size).toBe(before.size);

    const first = await rotateDataKeys(database.db, ring);
    expect(first.examined).toBeGreaterThan(0);
    expect(first.rewrapped).toBe(first.examined);
    // Idempotent: a second run finds nothing left to re-wrap.
    expect(await rotateDataKeys(database.db, ring)).toEqual({ examined: first.examined, rewrapped: 0 });

    const after = await readRecordOpenings(database.db, { kek: newKek, indexKey }, ids);
    expect(after.size).toBe(before.size);
    for (const [recordId, record] of before) {
      const reread = after.get(recordId)!;
      expect([...reread.openings.keys()].sort()).toEqual([...record.openings.keys()].sort());
      for (const [ref, opening] of record.openings) {
        expect(reread.openings.get(ref)!.value).toEqual(opening.value);
        expect(Buffer.from(reread.openings.get(ref)!.salt).equals(Buffer.from(opening.salt))).toBe(true);
      }
    }
    // The old KEK alone no longer opens anything: the keys really were re-wrapped.
    await expect(readRecordOpenings(database.db, { kek: oldKek, indexKey }, ids)).rejects.toBeInstanceOf(DataKeyUnwrapError);
  });

  test("PERSONAL_DATA_KEK_PREVIOUS makes the configured KEK a ring over both keys", () => {
    const keys = loadPersonalDataKeys({ PERSONAL_DATA_KEK: newKekHex, PERSONAL_DATA_KEK_PREVIOUS: oldKekHex, PERSONAL_DATA_INDEX_KEY: indexKeyHex });
    expect(keys.kek).toBeInstanceOf(KeyEncryptionKeyRing);
    expect(keys.kek.id).toBe(newKek.id);
    expect((keys.kek as KeyEncryptionKeyRing).previous.map((k) => k.id)).toEqual([oldKek.id]);
    expect(loadPersonalDataKeys({ PERSONAL_DATA_KEK: newKekHex, PERSONAL_DATA_INDEX_KEY: indexKeyHex }).kek).toBeInstanceOf(LocalKeyEncryptionKey);
  });
});
