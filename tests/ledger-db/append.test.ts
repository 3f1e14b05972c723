import { sql, type SQL } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { executeSql, queryRows, type Db } from "@/db/client";
import { bigintColumn, byteaColumn } from "@/db/rows/columns";
import { nodeHasher } from "@/lib/hash/node-sha256";
import { toHex, utf8Encode } from "@/lib/ledger/bytes";
import { rootFromLeafHashes, verifyConsistency, verifyInclusion } from "@/lib/ledger/merkle";
import { parseCheckpoint, verifyNote } from "@/lib/ledger/signed-note";
import { appendAccessEvent } from "@/lib/ledger-store/append-access-event";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { CheckpointRefusedError, readLatestCheckpoint } from "@/lib/ledger-store/create-checkpoint";
import { LedgerConflictError, LedgerInputError } from "@/lib/ledger-store/errors";
import type { Queryable } from "@/lib/ledger-store/log-append";
import { readConsistencyProof, readInclusionProof, readTreeRoot } from "@/lib/ledger-store/merkle-store";
import { verifyLog } from "@/lib/ledger-store/verify/verify-database";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { asSuperuser, checkpoint, newKeys, statements, TEST_ORIGIN, tempCheckpointStore, type LedgerKeys, type TempCheckpointStore } from "./ledger-fixture";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

const WRITER = { name: "append-test-writer" };
const LEDGER_TABLES = ["ledger_logs", "log_entries", "merkle_nodes", "checkpoints", "decisions", "access_events"];

async function count(db: Db, query: SQL): Promise<number> {
  const rows = await queryRows(db, query, z.object({ n: bigintColumn }));
  return rows[0]!.n;
}

/** Every leaf hash of the decisions log in seq order, as stored. */
async function storedLeaves(db: Db): Promise<{ seq: number; leaf: Uint8Array; chain: Uint8Array; canonical: string }[]> {
  const rows = await queryRows(
    db,
    sql`select e.seq, e.leaf_hash, e.chain_hash, d.canonical from log_entries e
        join decisions d on d.seq = e.seq and d.recorded_at = e.recorded_at
        where e.log_id = 'decisions' order by e.seq`,
    z.object({ seq: bigintColumn, leaf_hash: byteaColumn, chain_hash: byteaColumn, canonical: z.string() }),
  );
  return rows.map((r) => ({ seq: r.seq, leaf: r.leaf_hash, chain: r.chain_hash, canonical: r.canonical }));
}

/** Counts rows handed back by the database, to show proofs need O(log n) node reads. */
function countingQueryable(db: Db): { q: Queryable; reads: () => { queries: number; rows: number } } {
  let queries = 0;
  let rows = 0;
  const q = {
    execute: async (query: SQL) => {
      const result = (await db.execute(query)) as unknown;
      queries++;
      rows += (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows).length;
      return result;
    },
    insert: db.insert.bind(db),
    select: db.select.bind(db),
  } as unknown as Queryable;
  return { q, reads: () => ({ queries, rows }) };
}

async function expectRefused(db: Db, statement: string, pattern: RegExp): Promise<void> {
  let error: unknown = null;
  try {
    await executeSql(db, sql.raw(statement));
  } catch (e) {
    error = e;
  }
  expect(error, statement).not.toBeNull();
  const err = error as { message?: string; cause?: { message?: string } };
  expect(`${err.message ?? ""} ${err.cause?.message ?? ""}`, statement).toMatch(pattern);
}

describe.each(DATABASE_KINDS)("ledger append and checkpoints (%s)", (kind) => {
  let t: TestDatabase;
  let keys: LedgerKeys;
  let store: TempCheckpointStore;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    keys = await newKeys();
    store = tempCheckpointStore();
  });
  afterAll(async () => {
    await t?.drop();
    store?.remove();
  });

  it("assigns gap-free seqs, a correct hash chain and correct Merkle nodes", async () => {
    const sizes = [1, 2, 5, 64, 37, 1];
    let expectedSize = 0;
    for (const n of sizes) {
      const result = await appendDecisions(t.db, TEST_KEYS, statements(n), WRITER);
      expect(result.records.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => expectedSize + i));
      expect(result.records.every((r) => r.created)).toBe(true);
      expectedSize += n;
      expect(result.treeSize).toBe(expectedSize);
    }
    const leaves = await storedLeaves(t.db);
    expect(leaves.map((l) => l.seq)).toEqual(Array.from({ length: expectedSize }, (_, i) => i));
    let chain: Uint8Array = nodeHasher.chainGenesis();
    for (const l of leaves) {
      expect(toHex(l.leaf)).toBe(toHex(nodeHasher.hashLeaf(utf8Encode(l.canonical))));
      chain = nodeHasher.hashChain(chain, l.leaf);
      expect(toHex(l.chain)).toBe(toHex(chain));
    }
    // The root assembled from stored nodes equals the root recomputed from the leaves, at every size.
    for (let size = 1; size <= expectedSize; size++) {
      const fromLeaves = rootFromLeafHashes(nodeHasher, leaves.slice(0, size).map((l) => l.leaf));
      expect(toHex(await readTreeRoot(t.db, "decisions", size)), `size ${size}`).toBe(toHex(fromLeaves));
    }
    // Exactly one stored node per completed perfect subtree: n - popcount(n) of them.
    const popcount = expectedSize.toString(2).replace(/0/g, "").length;
    expect(await count(t.db, sql`select count(*) as n from merkle_nodes where log_id = 'decisions'`)).toBe(expectedSize - popcount);
  });

  it("refuses a whole batch when one statement is invalid, naming it; nothing is stored", async () => {
    const before = await count(t.db, sql`select count(*) as n from log_entries where log_id = 'decisions'`);
    const batch: unknown[] = statements(5);
    batch[3] = { ...(batch[3] as object), verb: { id: "not an iri" } };
    await expect(appendDecisions(t.db, TEST_KEYS, batch, WRITER)).rejects.toSatisfy((e: unknown) => {
      expect(e).toBeInstanceOf(LedgerInputError);
      expect((e as LedgerInputError).status).toBe(400);
      expect((e as LedgerInputError).errors.map((x) => x.index)).toContain(3);
      expect((e as LedgerInputError).errors.find((x) => x.index === 3)!.pointer).toMatch(/^\/verb/);
      return true;
    });
    expect(await count(t.db, sql`select count(*) as n from log_entries where log_id = 'decisions'`)).toBe(before);
    expect(await count(t.db, sql`select count(*) as n from decisions`)).toBe(before);
  });

  it("is idempotent: a retried batch returns the stored records and stores nothing new", async () => {
    const batch = statements(4);
    const first = await appendDecisions(t.db, TEST_KEYS, batch, WRITER);
    const before = await count(t.db, sql`select count(*) as n from log_entries where log_id = 'decisions'`);
    const retry = await appendDecisions(t.db, TEST_KEYS, structuredClone(batch), WRITER, new Date(Date.now() + 60_000));
    expect(retry.records.map((r) => [r.id, r.seq, r.leafHash, r.created])).toEqual(first.records.map((r) => [r.id, r.seq, r.leafHash, false]));
    expect(await count(t.db, sql`select count(*) as n from log_entries where log_id = 'decisions'`)).toBe(before);
    // A batch mixing a retried id with a new one stores only the new one.
    const [fresh] = statements(1);
    const mixed = await appendDecisions(t.db, TEST_KEYS, [batch[0]!, fresh!], WRITER);
    expect(mixed.records.map((r) => r.created)).toEqual([false, true]);
    expect(mixed.records[1]!.seq).toBe(before);
  });

  it("refuses the same id with different content (409) and stores nothing of that batch", async () => {
    const [original] = statements(1);
    await appendDecisions(t.db, TEST_KEYS, [original!], WRITER);
    const before = await count(t.db, sql`select count(*) as n from log_entries where log_id = 'decisions'`);
    const changed = structuredClone(original!);
    changed.result = { ...(changed.result ?? {}), response: "a different answer" };
    await expect(appendDecisions(t.db, TEST_KEYS, [...statements(2), changed], WRITER)).rejects.toSatisfy((e: unknown) => {
      expect(e).toBeInstanceOf(LedgerConflictError);
      expect((e as LedgerConflictError).status).toBe(409);
      expect((e as LedgerConflictError).errors).toEqual([expect.objectContaining({ index: 2, pointer: "/id" })]);
      return true;
    });
    // The same content from a different writer is a different record too.
    await expect(appendDecisions(t.db, TEST_KEYS, [original!], { name: "someone-else" })).rejects.toBeInstanceOf(LedgerConflictError);
    expect(await count(t.db, sql`select count(*) as n from log_entries where log_id = 'decisions'`)).toBe(before);
  });

  it("refuses a batch that repeats an id", async () => {
    const [a, b] = statements(2);
    const dup = { ...b!, id: a!.id };
    await expect(appendDecisions(t.db, TEST_KEYS, [a!, dup], WRITER)).rejects.toSatisfy((e: unknown) => {
      expect(e).toBeInstanceOf(LedgerInputError);
      expect((e as LedgerInputError).errors).toEqual([expect.objectContaining({ index: 1, pointer: "/id" })]);
      return true;
    });
  });

  it("triggers refuse UPDATE, DELETE and TRUNCATE on every ledger table and on a decisions partition", async () => {
    // Row triggers fire per row: every table needs one (an access event and its checkpoint included).
    await appendDecisions(t.db, TEST_KEYS, statements(1), WRITER);
    await appendAccessEvent(t.db, { action: "decisions.search", outcome: "success" });
    const accessStore = tempCheckpointStore();
    await checkpoint(t.db, keys, accessStore, "access");
    accessStore.remove();
    for (const table of LEDGER_TABLES) expect(await count(t.db, sql.raw(`select count(*) as n from ${table}`)), table).toBeGreaterThan(0);
    const [partition] = await queryRows(
      t.db,
      sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent where p.relname = 'decisions' limit 1`,
      z.object({ name: z.string() }),
    );
    expect(partition?.name).toMatch(/^decisions_\d{4}_\d{2}$/);
    const clear = /Decision Ledger is append-only: (UPDATE|DELETE|TRUNCATE) on "[a-z0-9_]+" is refused/;
    for (const table of [...LEDGER_TABLES, partition!.name]) {
      const column = table === "ledger_logs" ? "description" : table === "checkpoints" ? "key_id" : table === "merkle_nodes" ? "level" : "seq";
      await expectRefused(t.db, `update ${table} set ${column} = ${column}`, clear);
      await expectRefused(t.db, `delete from ${table}`, clear);
      await expectRefused(t.db, `truncate ${table} cascade`, clear);
    }
    expect(await count(t.db, sql`select count(*) as n from ledger_logs`)).toBe(2);
  });

  it.skipIf(kind === "pglite")("the runtime role decision_ledger_app may read and append but not change or remove", async () => {
    const denied = /permission denied|append-only/;
    await t.db.transaction(async (tx) => {
      await executeSql(tx, sql`set local role decision_ledger_app`);
      expect(await count(tx as unknown as Db, sql`select count(*) as n from log_entries`)).toBeGreaterThan(0);
      const before = await count(tx as unknown as Db, sql`select count(*) as n from log_entries where log_id = 'decisions'`);
      const r = await appendDecisions(tx as unknown as Db, TEST_KEYS, statements(2), WRITER);
      expect(r.records[0]!.seq).toBe(before);
    });
    for (const table of LEDGER_TABLES) {
      for (const statement of [`update ${table} set log_id = log_id`, `delete from ${table}`, `truncate ${table}`]) {
        const stmt = table === "ledger_logs" || table === "decisions" || table === "access_events" ? statement.replace("log_id = log_id", "id = id") : statement;
        let error: unknown = null;
        try {
          await t.db.transaction(async (tx) => {
            await executeSql(tx, sql`set local role decision_ledger_app`);
            await executeSql(tx, sql.raw(stmt));
          });
        } catch (e) {
          error = e;
        }
        const err = error as { message?: string; cause?: { message?: string } } | null;
        expect(err, `${stmt} as decision_ledger_app`).not.toBeNull();
        expect(`${err!.message ?? ""} ${err!.cause?.message ?? ""}`).toMatch(denied);
        // Refused by the privilege check itself, not only by the trigger.
        expect(`${err!.message ?? ""} ${err!.cause?.message ?? ""}`).toMatch(/permission denied/);
      }
    }
  });

  it("serves inclusion and consistency proofs that verify, with O(log n) node reads", async () => {
    const size = await count(t.db, sql`select count(*) as n from log_entries where log_id = 'decisions'`);
    const leaves = (await storedLeaves(t.db)).map((l) => l.leaf);
    const roots: Uint8Array[] = [];
    for (let n = 1; n <= size; n++) roots[n] = rootFromLeafHashes(nodeHasher, leaves.slice(0, n));
    const sizes = [1, 2, 3, 7, 8, 9, 63, 64, 65, 100, size - 1, size].filter((n) => n >= 1 && n <= size);
    const bound = (n: number) => 2 * Math.ceil(Math.log2(n + 1)) + 2;
    for (const n of sizes) {
      for (const index of [0, 1, Math.floor(n / 2), n - 2, n - 1].filter((i) => i >= 0 && i < n)) {
        const { q, reads } = countingQueryable(t.db);
        const proof = await readInclusionProof(q, "decisions", index, n);
        verifyInclusion(nodeHasher, index, n, leaves[index]!, proof, roots[n]!);
        expect(reads().queries).toBeLessThanOrEqual(2);
        expect(reads().rows, `inclusion ${index} in ${n}`).toBeLessThanOrEqual(bound(n));
      }
      for (const m of sizes.filter((m) => m <= n)) {
        const { q, reads } = countingQueryable(t.db);
        const proof = await readConsistencyProof(q, "decisions", m, n);
        verifyConsistency(nodeHasher, m, n, proof, roots[m]!, roots[n]!);
        expect(reads().rows, `consistency ${m} -> ${n}`).toBeLessThanOrEqual(bound(n));
      }
    }
    // A wrong leaf does not verify.
    const proof = await readInclusionProof(t.db, "decisions", 5, size);
    expect(() => verifyInclusion(nodeHasher, 5, size, leaves[6]!, proof, roots[size]!)).toThrow();
  });

  it("signs checkpoints that verify, writes them to the external store, and refuses inconsistent or shorter trees", async () => {
    const first = await checkpoint(t.db, keys, store);
    expect(first!.created).toBe(true);
    const size = first!.checkpoint.treeSize;
    const verified = await verifyNote(first!.checkpoint.signedNote, [keys.verifierKey]);
    const body = parseCheckpoint(verified.text);
    expect(body).toMatchObject({ origin: `${TEST_ORIGIN}/decisions`, size });
    expect(toHex(body.rootHash)).toBe(toHex(await readTreeRoot(t.db, "decisions", size)));
    expect(await store.list("decisions")).toEqual([{ treeSize: size, signedNote: first!.checkpoint.signedNote }]);
    // Nothing new: the same checkpoint comes back.
    expect((await checkpoint(t.db, keys, store))!.created).toBe(false);

    // The tree no longer extends the signed one (a stored node under the old checkpoint was altered).
    await appendDecisions(t.db, TEST_KEYS, statements(3), WRITER);
    const [big] = await queryRows(
      t.db,
      sql`select level, idx from merkle_nodes where log_id = 'decisions' and idx = 0 order by level desc limit 1`,
      z.object({ level: bigintColumn, idx: bigintColumn }),
    );
    await asSuperuser(t.db, [`update merkle_nodes set hash = sha256('x'::bytea) where log_id = 'decisions' and level = ${big!.level} and idx = 0`]);
    await expect(checkpoint(t.db, keys, store)).rejects.toBeInstanceOf(CheckpointRefusedError);
    expect((await readLatestCheckpoint(t.db, "decisions"))!.treeSize).toBe(size);
    // The verifier names the altered node.
    const report = await verifyLog(t.db, { logId: "decisions", verifierKeys: [keys.verifierKey], externalStore: store });
    expect(report.failures.map((f) => f.class)).toEqual(["modified_hash"]);
    expect(report.failures[0]!.message).toMatch(new RegExp(`Merkle node \\(level ${big!.level}, index 0\\)`));
    // Restore the node from the value the verifier recomputed: clean again.
    await asSuperuser(t.db, [`update merkle_nodes set hash = decode('${report.failures[0]!.expected}', 'hex') where log_id = 'decisions' and level = ${big!.level} and idx = 0`]);
    expect((await verifyLog(t.db, { logId: "decisions", verifierKeys: [keys.verifierKey], externalStore: store })).ok).toBe(true);

    // The external store holds a larger size than the log: records were removed, refuse.
    const other = tempCheckpointStore();
    try {
      await other.put("decisions", { treeSize: 1_000_000, signedNote: "anything\n" });
      await expect(checkpoint(t.db, keys, other)).rejects.toThrow(/external checkpoint store holds size 1000000/);
    } finally {
      other.remove();
    }
    const second = await checkpoint(t.db, keys, store);
    expect(second!.checkpoint.treeSize).toBe(size + 3);
    expect((await store.list("decisions")).map((c) => c.treeSize)).toEqual([size, size + 3]);
    expect(await store.latest("decisions")).toEqual({ treeSize: size + 3, signedNote: second!.checkpoint.signedNote });
  });

  it("refuses to sign a rewritten database, checkpoints table and all, that does not extend the external checkpoint", async () => {
    const externalStore = tempCheckpointStore();
    const rewritten = await createTestDatabase(kind);
    try {
      await appendDecisions(t.db, TEST_KEYS, statements(2), WRITER);
      const signed = (await checkpoint(t.db, keys, externalStore))!.checkpoint;
      // Someone with the database rebuilds it with other records (and a checkpoints table
      // that knows nothing of the signed history), longer than the signed tree.
      await appendDecisions(rewritten.db, TEST_KEYS, statements(signed.treeSize + 5), WRITER);
      expect(await readLatestCheckpoint(rewritten.db, "decisions")).toBeNull();
      await expect(checkpoint(rewritten.db, keys, externalStore)).rejects.toThrow(
        new RegExp(`does not extend the external checkpoint ${signed.treeSize}`),
      );
      expect(await readLatestCheckpoint(rewritten.db, "decisions")).toBeNull();
      expect((await externalStore.list("decisions")).map((c) => c.treeSize)).toEqual([signed.treeSize]);
      // The real ledger, grown, still extends it and is signed.
      await appendDecisions(t.db, TEST_KEYS, statements(2), WRITER);
      expect((await checkpoint(t.db, keys, externalStore))!.checkpoint.treeSize).toBe(signed.treeSize + 2);
    } finally {
      await rewritten.drop();
      externalStore.remove();
    }
  });
});
