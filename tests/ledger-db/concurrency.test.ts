import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { openDatabase, queryRows, type Database, type Db } from "@/db/client";
import { bigintColumn } from "@/db/rows/columns";
import { appendAccessEvent } from "@/lib/ledger-store/append-access-event";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { verifyDatabase } from "@/lib/ledger-store/verify/verify-database";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { checkpoint, newKeys, statements, TEST_ORIGIN, tempCheckpointStore, type LedgerKeys, type TempCheckpointStore } from "./ledger-fixture";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

/** seq registry facts that must hold after any amount of concurrency. */
async function registryFacts(db: Db, logId: string) {
  const [r] = await queryRows(
    db,
    sql`select count(*) as n, count(distinct seq) as distinct_seqs, max(seq) as max_seq, min(seq) as min_seq from log_entries where log_id = ${logId}`,
    z.object({ n: bigintColumn, distinct_seqs: bigintColumn, max_seq: bigintColumn.nullable(), min_seq: bigintColumn.nullable() }),
  );
  return { count: r!.n, distinct: r!.distinct_seqs, max: r!.max_seq ?? -1, min: r!.min_seq ?? 0 };
}

async function expectCleanLedger(db: Db, keys: LedgerKeys, store: TempCheckpointStore, expected: { decisions: number; access: number }) {
  for (const [logId, n] of Object.entries(expected)) {
    const facts = await registryFacts(db, logId);
    // No gaps and no duplicates: n rows holding exactly the seqs 0..n-1.
    expect(facts, logId).toEqual({ count: n, distinct: n, max: n - 1, min: 0 });
  }
  const decisionsContent = await queryRows(db, sql`select count(*) as n from decisions`, z.object({ n: bigintColumn }));
  expect(decisionsContent[0]!.n).toBe(expected.decisions);
  const report = await verifyDatabase(db, { verifierKeys: [keys.verifierKey], externalStore: store, origin: TEST_ORIGIN });
  expect(report.logs.flatMap((l) => l.failures)).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.logs.map((l) => l.recordsChecked)).toEqual([expected.decisions, expected.access]);
}

describe.each(DATABASE_KINDS)("concurrent writers (%s)", (kind) => {
  let t: TestDatabase;
  let keys: LedgerKeys;
  let store: TempCheckpointStore;
  const extra: Database[] = [];

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    keys = await newKeys();
    store = tempCheckpointStore();
  });
  afterAll(async () => {
    for (const d of extra) await d.close();
    await t?.drop();
    store?.remove();
  });

  // Postgres: 12 writers on their own connections, 50 batches each, while checkpoints are
  // signed and access events appended concurrently. PGlite has one connection, so the same
  // shape runs smaller, interleaved through it.
  const WRITERS = kind === "postgres" ? 12 : 4;
  const BATCHES = kind === "postgres" ? 50 : 10;
  const PER_BATCH = kind === "postgres" ? 8 : 5;

  it(
    "leaves no gaps, no duplicate seqs, a valid chain and a clean verification",
    async () => {
      const writerDbs: Db[] = [];
      for (let w = 0; w < WRITERS; w++) {
        if (kind === "postgres") {
          const d = await openDatabase({ url: t.url! });
          extra.push(d);
          writerDbs.push(d.db);
        } else writerDbs.push(t.db);
      }
      const work = writerDbs.map((db, w) => ({ db, batches: Array.from({ length: BATCHES }, () => statements(PER_BATCH)), w }));

      let writing = true;
      let checkpointsSigned = 0;
      const checkpointer = (async () => {
        const cpDb = kind === "postgres" ? (extra[extra.push(await openDatabase({ url: t.url! })) - 1]!).db : t.db;
        while (writing) {
          for (const logId of ["decisions", "access"] as const) {
            const c = await checkpoint(cpDb, keys, store, logId);
            if (c?.created) checkpointsSigned++;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      let accessEvents = 0;
      const accessWriter = (async () => {
        while (writing) {
          await appendAccessEvent(t.db, { action: "decisions.search", outcome: "success", details: { n: accessEvents } });
          accessEvents++;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();

      const seqsByWriter = await Promise.all(
        work.map(async ({ db, batches, w }) => {
          const seqs: number[] = [];
          for (const batch of batches) {
            const r = await appendDecisions(db, TEST_KEYS, batch, { name: `writer` });
            // PGlite's single connection starves the background checkpointer (its queue is
            // always full), so there the first writer also signs between its batches.
            if (kind === "pglite" && w === 0 && (await checkpoint(db, keys, store, "decisions"))?.created) checkpointsSigned++;
            // Each batch is contiguous: the lock is held from reading the head to the insert.
            const s = r.records.map((x) => x.seq);
            expect(s).toEqual(Array.from({ length: s.length }, (_, i) => s[0]! + i));
            seqs.push(...s);
            // Let the checkpointer and the access writer in between batches (matters on PGlite's single connection).
            await new Promise((r) => setTimeout(r, 1));
          }
          return seqs;
        }),
      );
      writing = false;
      await Promise.all([checkpointer, accessWriter]);
      // A final checkpoint of each log, then everything must verify against the external store.
      await checkpoint(t.db, keys, store, "decisions");
      await checkpoint(t.db, keys, store, "access");

      const total = WRITERS * BATCHES * PER_BATCH;
      const all = seqsByWriter.flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(checkpointsSigned).toBeGreaterThan(1);
      expect((await store.list("decisions")).length).toBeGreaterThan(1);
      await expectCleanLedger(t.db, keys, store, { decisions: total, access: accessEvents });
    },
    300_000,
  );

  it(
    "two writers sending the same batch at the same time store it once",
    async () => {
      const before = await registryFacts(t.db, "decisions");
      const batch = statements(10);
      const other = kind === "postgres" ? (extra[extra.push(await openDatabase({ url: t.url! })) - 1]!).db : t.db;
      const [a, b] = await Promise.all([
        appendDecisions(t.db, TEST_KEYS, structuredClone(batch), { name: "writer" }),
        appendDecisions(other, TEST_KEYS, structuredClone(batch), { name: "writer" }),
      ]);
      expect(a.records.map((r) => r.seq)).toEqual(b.records.map((r) => r.seq));
      expect([a.records[0]!.created, b.records[0]!.created].sort()).toEqual([false, true]);
      const after = await registryFacts(t.db, "decisions");
      expect(after.count).toBe(before.count + 10);
    },
    120_000,
  );
});
