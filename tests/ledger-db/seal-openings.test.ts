import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { bigintColumn } from "@/db/rows/columns";
import { appendDecisions, prepareAppend } from "@/lib/ledger-store/append-decisions";
import { eraseSubjectKeys } from "@/lib/ledger-store/erase-subject-keys";
import { readRecordOpenings } from "@/lib/ledger-store/read-openings";
import { wipeSealed } from "@/lib/ledger-store/seal-openings";
import { GroupCommitQueue } from "@/lib/ledger-store/group-commit";
import { sequenceBatches, type AppendResult, type PendingBatch } from "@/lib/ledger-store/sequence-decisions";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { statements } from "./ledger-fixture";

const WRITER = { name: "seal-test-writer" };
const NOW = new Date("2026-03-15T12:00:00Z");

/** Statements about one and the same data subject (copies of one statement under fresh ids). */
function aboutOneSubject(count: number): XapiStatement[] {
  const [base] = statements(1);
  return Array.from({ length: count }, () => ({ ...structuredClone(base!), id: randomUUID() }));
}

async function prepared(db: Db, inputs: XapiStatement[]): Promise<PendingBatch> {
  return prepareAppend(db, TEST_KEYS, inputs, WRITER, NOW);
}

async function activeKeysOf(db: Db, subjectIndex: string): Promise<number> {
  const rows = await queryRows(
    db,
    sql`select count(*) as n from personal_data_keys where subject_index = ${subjectIndex} and erased_at is null`,
    z.object({ n: bigintColumn }),
  );
  return rows[0]!.n;
}

/** Every opening of every record can be decrypted, and each record has some. */
async function expectAllReadable(db: Db, recordIds: string[]) {
  const read = await readRecordOpenings(db, TEST_KEYS, recordIds);
  for (const id of recordIds) {
    const r = read.get(id);
    expect(r?.total, id).toBeGreaterThan(0);
    expect(r!.openings.size, id).toBe(r!.total);
    expect(r!.erasures, id).toEqual([]);
  }
}

describe.each(DATABASE_KINDS)("sealing openings outside the lock (%s)", (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("two batches of one group that both made a key for a new subject store one key, and every opening opens", async () => {
    const [s1, s2] = aboutOneSubject(2);
    const batches = [await prepared(t.db, [s1!]), await prepared(t.db, [s2!])];
    const subject = batches[0]!.sealed.records[0]!.subjectIndex;
    expect(batches[1]!.sealed.records[0]!.subjectIndex).toBe(subject);
    expect(batches[0]!.sealed.records[0]!.keyId).not.toBe(batches[1]!.sealed.records[0]!.keyId);
    const outcomes = await sequenceBatches(t.db, batches);
    batches.forEach((b) => wipeSealed(b.sealed));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(await activeKeysOf(t.db, subject)).toBe(1);
    await expectAllReadable(t.db, [s1!.id!, s2!.id!]);
  });

  it("a key erased after the batch was sealed under it: the record is sealed again under a new key", async () => {
    const [before, after] = aboutOneSubject(2);
    await appendDecisions(t.db, TEST_KEYS, [before!], WRITER, NOW);
    const batch = await prepared(t.db, [after!]);
    const subject = batch.sealed.records[0]!.subjectIndex;
    const sealedUnder = batch.sealed.records[0]!.keyId;
    await t.db.transaction((tx) => eraseSubjectKeys(tx, { subjectIndexes: [subject], requestId: randomUUID(), erasedAt: new Date() }));

    const [outcome] = await sequenceBatches(t.db, [batch]);
    wipeSealed(batch.sealed);
    expect(outcome!.ok).toBe(true);
    await expectAllReadable(t.db, [after!.id!]);
    const erased = await readRecordOpenings(t.db, TEST_KEYS, [before!.id!]);
    expect(erased.get(before!.id!)!.openings.size).toBe(0);
    const underErased = await queryRows(
      t.db,
      sql`select count(*) as n from personal_data_openings where key_id = ${sealedUnder} and record_id = ${after!.id!}`,
      z.object({ n: bigintColumn }),
    );
    expect(underErased[0]!.n).toBe(0);
    expect(await activeKeysOf(t.db, subject)).toBe(1);
  });

  it("another writer made the subject's key first: the record is sealed again under that key", async () => {
    const [mine, theirs] = aboutOneSubject(2);
    const batch = await prepared(t.db, [mine!]);
    const subject = batch.sealed.records[0]!.subjectIndex;
    await appendDecisions(t.db, TEST_KEYS, [theirs!], { name: "other-writer" }, NOW);
    expect(await activeKeysOf(t.db, subject)).toBe(1);

    const [outcome] = await sequenceBatches(t.db, [batch]);
    wipeSealed(batch.sealed);
    expect(outcome!.ok).toBe(true);
    expect(await activeKeysOf(t.db, subject)).toBe(1);
    await expectAllReadable(t.db, [mine!.id!, theirs!.id!]);
  });

  it("a group that fails is stored again batch by batch with the keys it was sealed under", async () => {
    const queue = new GroupCommitQueue<PendingBatch, AppendResult>({
      commit: (batches) => sequenceBatches(t.db, batches),
      weight: (b) => b.prepared.length,
      maxWeight: 100,
      compatible: () => true,
    });
    const [a] = aboutOneSubject(1);
    const first = await prepared(t.db, statements(1));
    const good = await prepared(t.db, [a!]);
    const bad = await prepared(t.db, statements(1));
    // Text columns cannot hold NUL: the third batch's insert fails, and with it its group.
    bad.prepared[0]!.canonical = "\u0000";
    // The first goes alone; the other two arrive while it runs and form one group.
    const results = await Promise.allSettled([first, good, bad].map((b) => queue.submit(b)));
    [first, good, bad].forEach((b) => wipeSealed(b.sealed));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
    await expectAllReadable(t.db, [a!.id!]);
  });
});
