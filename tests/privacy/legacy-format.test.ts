import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { bigintColumn } from "@/db/rows/columns";
import { personalDataFormatOf } from "@/lib/ledger/xapi/personal-data-format";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { EXT } from "@/lib/ledger/xapi/vocabulary";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { LedgerConflictError } from "@/lib/ledger-store/errors";
import { readRecordOpenings } from "@/lib/ledger-store/read-openings";
import { verifyDatabase } from "@/lib/ledger-store/verify/verify-database";
import { checkpoint, newKeys, statements, TEST_ORIGIN, tempCheckpointStore, type LedgerKeys, type TempCheckpointStore } from "../ledger-db/ledger-fixture";
import { appendLegacyDecisions } from "../support/legacy-ledger";
import { TEST_KEYS } from "../support/personal-data-keys";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";

const WRITER = { name: "legacy-format-writer" };
const LEGACY_COUNT = 40;
const COMMITTED_COUNT = 40;

interface StoredRecord {
  seq: number;
  id: string;
  canonical: string;
  hasDigest: boolean;
}

async function storedRecords(db: Db): Promise<StoredRecord[]> {
  const rows = await queryRows(
    db,
    sql`select seq, id::text as id, canonical, content_digest is not null as has_digest from decisions order by seq`,
    z.object({ seq: bigintColumn, id: z.string(), canonical: z.string(), has_digest: z.boolean() }),
  );
  return rows.map((r) => ({ seq: r.seq, id: r.id, canonical: r.canonical, hasDigest: r.has_digest }));
}

const subjectRefOf = (s: XapiStatement): string => {
  const subject = s.context?.extensions?.[EXT.subject] as { ref?: unknown } | undefined;
  if (typeof subject?.ref !== "string") throw new Error(`demo statement ${s.id} has no subject ref`);
  return subject.ref;
};

// A ledger written by the previous release (format 0, plaintext personal data in the hashed
// bytes) and then upgraded: the new append path extends the same log with committed records.
describe.each(DATABASE_KINDS)("legacy (format 0) records next to committed ones (%s)", (kind) => {
  let t: TestDatabase;
  let keys: LedgerKeys;
  let store: TempCheckpointStore;
  let legacy: XapiStatement[];
  let committed: XapiStatement[];

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    keys = await newKeys();
    store = tempCheckpointStore();
    legacy = statements(LEGACY_COUNT);
    committed = statements(COMMITTED_COUNT);
    await appendLegacyDecisions(t.db, legacy, WRITER, new Date("2026-02-10T09:00:00Z"));
    // Signed by the old release, before the upgrade.
    await checkpoint(t.db, keys, store);
    await appendDecisions(t.db, TEST_KEYS, committed, WRITER, new Date("2026-03-20T09:00:00Z"));
    await checkpoint(t.db, keys, store);
  });
  afterAll(async () => {
    await t?.drop();
    store?.remove();
  });

  it("the fixture writes what the old release wrote: plaintext subject refs in the hashed bytes, no digest, no openings", async () => {
    const records = await storedRecords(t.db);
    expect(records).toHaveLength(LEGACY_COUNT + COMMITTED_COUNT);
    const old = records.slice(0, LEGACY_COUNT);
    old.forEach((r, i) => {
      expect(r.hasDigest).toBe(false);
      expect(r.canonical).toContain(JSON.stringify(subjectRefOf(legacy[i]!)));
    });
    const openings = await readRecordOpenings(t.db, TEST_KEYS, old.map((r) => r.id));
    expect(openings.size).toBe(0);
  });

  it("personalDataFormatOf reads 0 for the legacy records and 1 for the committed ones", async () => {
    const records = await storedRecords(t.db);
    const formats = records.map((r) => personalDataFormatOf(JSON.parse(r.canonical) as XapiStatement));
    expect(formats).toEqual([...Array<number>(LEGACY_COUNT).fill(0), ...Array<number>(COMMITTED_COUNT).fill(1)]);
    for (const [i, r] of records.slice(LEGACY_COUNT).entries()) {
      expect(r.hasDigest).toBe(true);
      expect(r.canonical).not.toContain(subjectRefOf(committed[i]!));
    }
  });

  it("the database verifier passes end to end over both formats, derived columns included", async () => {
    const report = await verifyDatabase(t.db, {
      verifierKeys: [keys.verifierKey],
      externalStore: store,
      origin: TEST_ORIGIN,
      logs: ["decisions"],
      checkDerivedColumns: true,
    });
    const log = report.logs[0]!;
    expect(log.failures).toEqual([]);
    expect(log).toMatchObject({ ok: true, recordsChecked: LEGACY_COUNT + COMMITTED_COUNT, signedSize: LEGACY_COUNT + COMMITTED_COUNT, checkpointsChecked: 2 });
    expect(report.ok).toBe(true);
  });

  it("a retried legacy id with identical content is idempotent through the new append path", async () => {
    const before = await storedRecords(t.db);
    const retried = legacy.slice(0, 5);
    const result = await appendDecisions(t.db, TEST_KEYS, retried, WRITER, new Date("2026-03-21T09:00:00Z"));
    expect(result.treeSize).toBe(LEGACY_COUNT + COMMITTED_COUNT);
    expect(result.records.map((r) => ({ id: r.id, seq: r.seq, created: r.created }))).toEqual(
      before.slice(0, 5).map((r) => ({ id: r.id, seq: r.seq, created: false })),
    );
    expect(await storedRecords(t.db)).toEqual(before);
  });

  it("a retried legacy id with different content is a conflict", async () => {
    const changed = structuredClone(legacy[0]!);
    changed.result = { ...changed.result, response: "a different answer" };
    await expect(appendDecisions(t.db, TEST_KEYS, [changed], WRITER)).rejects.toBeInstanceOf(LedgerConflictError);
  });
});
