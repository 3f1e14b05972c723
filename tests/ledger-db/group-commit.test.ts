import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { bigintColumn } from "@/db/rows/columns";
import { appendDecisions, prepareAppend } from "@/lib/ledger-store/append-decisions";
import { LedgerConflictError } from "@/lib/ledger-store/errors";
import { sequenceBatches, type PendingBatch } from "@/lib/ledger-store/sequence-decisions";
import { verifyLog } from "@/lib/ledger-store/verify/verify-database";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";
import { appendLegacyDecisions } from "../support/legacy-ledger";
import { DATABASE_KINDS } from "../support/test-databases";
import { checkpoint, statements, useLedgerTestbed } from "./ledger-fixture";

const WRITER = { name: "group-commit-writer" };
const NOW = new Date("2026-03-15T12:00:00Z");

function pending(db: Db, inputs: XapiStatement[], now = NOW): Promise<PendingBatch> {
  return prepareAppend(db, TEST_KEYS, structuredClone(inputs), WRITER, now);
}

async function storedCount(db: Db): Promise<number> {
  const rows = await queryRows(db, sql`select count(*) as n from decisions`, z.object({ n: bigintColumn }));
  return rows[0]!.n;
}

describe.each(DATABASE_KINDS)("group commit of the decisions log (%s)", (kind) => {
  const bed = useLedgerTestbed(kind);

  async function expectVerifies() {
    await checkpoint(bed.t.db, bed.keys, bed.store);
    const report = await verifyLog(bed.t.db, { logId: "decisions", verifierKeys: [bed.keys.verifierKey], externalStore: bed.store });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
  }

  it("places the batches of one group as if they had run one after another", async () => {
    const stored = statements(2);
    await appendDecisions(bed.t.db, TEST_KEYS, structuredClone(stored), WRITER, NOW);
    const before = await storedCount(bed.t.db);

    const [a1, a2, a3] = statements(3);
    const b = statements(2);
    const changedStored = { ...structuredClone(stored[0]!), verb: { ...stored[0]!.verb, display: { en: "changed" } } };
    const changedA1 = { ...structuredClone(a1!), verb: { ...a1!.verb, display: { en: "changed" } } };
    const batches = [
      await pending(bed.t.db, [a1!, a2!, a3!]),
      // A stored id with other content: this batch alone is refused.
      await pending(bed.t.db, [b[0]!, changedStored]),
      // A retry of a statement new in the first batch, and a retry of a stored one.
      await pending(bed.t.db, [b[1]!, a2!, stored[1]!]),
      // The first batch's id with other content: refused, as it would be after that batch.
      await pending(bed.t.db, [changedA1]),
    ];
    const outcomes = await sequenceBatches(bed.t.db, batches);

    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, false]);
    const [first, refused, third, alsoRefused] = outcomes;
    if (!first!.ok || refused!.ok || !third!.ok || alsoRefused!.ok) throw new Error("unexpected outcomes");
    expect(refused!.error).toBeInstanceOf(LedgerConflictError);
    expect((refused!.error as LedgerConflictError).errors).toEqual([expect.objectContaining({ index: 1, pointer: "/id" })]);
    expect((alsoRefused!.error as LedgerConflictError).errors).toEqual([expect.objectContaining({ index: 0, pointer: "/id" })]);

    const firstSeqs = first!.value.records.map((r) => r.seq);
    expect(firstSeqs).toEqual([before, before + 1, before + 2]);
    expect(first!.value.records.every((r) => r.created)).toBe(true);
    const [newB, retriedA2, retriedStored] = third!.value.records;
    expect(newB).toMatchObject({ seq: before + 3, created: true });
    expect(retriedA2).toMatchObject({ id: first!.value.records[1]!.id, seq: before + 1, leafHash: first!.value.records[1]!.leafHash, created: false });
    expect(retriedStored).toMatchObject({ seq: 1, created: false });
    expect(first!.value.treeSize).toBe(before + 4);
    expect(third!.value.treeSize).toBe(before + 4);
    expect(await storedCount(bed.t.db)).toBe(before + 4);
    await expectVerifies();
  });

  it("a group with nothing new stores nothing and answers with the stored records", async () => {
    const before = await storedCount(bed.t.db);
    const again = statements(1);
    await appendDecisions(bed.t.db, TEST_KEYS, structuredClone(again), WRITER, NOW);
    const outcomes = await sequenceBatches(bed.t.db, [await pending(bed.t.db, again), await pending(bed.t.db, again)]);
    expect(outcomes.map((o) => o.ok && o.value.records[0]!.created)).toEqual([false, false]);
    expect(await storedCount(bed.t.db)).toBe(before + 1);
  });

  it("spreads a group over the months its batches were recorded in", async () => {
    const before = await storedCount(bed.t.db);
    const outcomes = await sequenceBatches(bed.t.db, [
      await pending(bed.t.db, statements(2), new Date("2026-05-31T23:59:59.999Z")),
      await pending(bed.t.db, statements(2), new Date("2026-06-01T00:00:00.000Z")),
    ]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(await storedCount(bed.t.db)).toBe(before + 4);
    await expectVerifies();
  });

  it("many concurrent appends through one handle get gap-free, contiguous sequence numbers", async () => {
    const before = await storedCount(bed.t.db);
    const results = await Promise.all(Array.from({ length: 24 }, () => appendDecisions(bed.t.db, TEST_KEYS, statements(5), WRITER)));
    for (const r of results) {
      const s = r.records.map((x) => x.seq);
      expect(s).toEqual(Array.from({ length: 5 }, (_, i) => s[0]! + i));
      expect(r.treeSize).toBeGreaterThan(s[4]!);
    }
    const all = results.flatMap((r) => r.records.map((x) => x.seq)).sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 120 }, (_, i) => before + i));
    await expectVerifies();
  });

  it("re-reads the head when another writer appended since this handle's last commit", async () => {
    const first = await appendDecisions(bed.t.db, TEST_KEYS, statements(3), WRITER);
    // Another writer: it neither uses nor updates this handle's remembered head.
    const other = await appendLegacyDecisions(bed.t.db, statements(2), { name: "other-writer" });
    expect(other.records[0]!.seq).toBe(first.treeSize);
    const after = await appendDecisions(bed.t.db, TEST_KEYS, statements(3), WRITER);
    expect(after.records.map((r) => r.seq)).toEqual([0, 1, 2].map((i) => other.treeSize + i));
    await expectVerifies();
  });
});
