import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { executeSql, openDatabase, queryRows, type Database, type Db } from "@/db/client";
import { bigintColumn, timestampColumn } from "@/db/rows/columns";
import * as schema from "@/db/schema";
import { generateDemoStatements } from "@/lib/demo/generate-demo-statements";
import { nodeHasher } from "@/lib/hash/node-sha256";
import { toHex, utf8Encode } from "@/lib/ledger/bytes";
import { rootFromLeafHashes } from "@/lib/ledger/merkle";
import { formatCheckpoint, generateSignerKey, parseSignerKey, signNote } from "@/lib/ledger/signed-note";
import { appendDecisions } from "@/lib/ledger-store/append-decisions";
import { DirectoryCheckpointStore } from "@/lib/ledger-store/checkpoint-store";
import { createCheckpoint, originOf } from "@/lib/ledger-store/create-checkpoint";
import { extendLog } from "@/lib/ledger-store/log-append";
import type { LogId } from "@/lib/ledger/log-id";
import type { XapiStatement } from "@/lib/ledger/xapi/types";
import { afterAll, beforeAll } from "vitest";
import type { DatabaseKind } from "@/db/client";
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from "../support/test-databases";
import { TEST_KEYS } from "@/tests/support/personal-data-keys";

export const TEST_ORIGIN = "ledger.test";

export interface LedgerKeys {
  signerKey: string;
  verifierKey: string;
}

export async function newKeys(name = TEST_ORIGIN): Promise<LedgerKeys> {
  return generateSignerKey(name);
}

/** A write-once checkpoint directory in the temp dir; `remove()` deletes it. */
export class TempCheckpointStore extends DirectoryCheckpointStore {
  constructor(readonly directory: string = mkdtempSync(path.join(tmpdir(), "dl-h5-checkpoints-"))) {
    super(directory);
  }
  remove(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}

export function tempCheckpointStore(): TempCheckpointStore {
  return new TempCheckpointStore();
}

export interface LedgerTestbed {
  t: TestDatabase;
  keys: LedgerKeys;
  store: TempCheckpointStore;
}

/** A fresh database, signer keys and checkpoint store for the enclosing describe block, removed after it. */
export function useLedgerTestbed(kind: DatabaseKind): LedgerTestbed {
  const bed = {} as LedgerTestbed;
  beforeAll(async () => {
    bed.t = await createTestDatabase(kind);
    bed.keys = await newKeys();
    bed.store = tempCheckpointStore();
  });
  afterAll(async () => {
    await bed.t?.drop();
    bed.store?.remove();
  });
  return bed;
}

let statementSeed = 0;
/** Realistic, distinct statements (fresh ids every call). */
export function statements(count: number, now = new Date("2026-03-15T12:00:00Z")): XapiStatement[] {
  return generateDemoStatements({ count, now, days: 30, seed: `h5-${++statementSeed}` });
}

export async function checkpoint(db: Db, keys: LedgerKeys, store: DirectoryCheckpointStore, logId: LogId = "decisions") {
  return createCheckpoint(db, { logId, origin: originOf(TEST_ORIGIN, logId), signer: { signerKey: keys.signerKey }, externalStore: store });
}

/**
 * Appends `batches` batches of `perBatch` decisions, signing a checkpoint after every
 * `checkpointEvery` batches. Returns the checkpoint sizes.
 */
export async function buildLedger(
  db: Db,
  keys: LedgerKeys,
  store: DirectoryCheckpointStore,
  opts: { batches: number; perBatch: number; checkpointEvery: number; tailBatches?: number },
): Promise<{ checkpointSizes: number[]; size: number }> {
  const checkpointSizes: number[] = [];
  const all = statements(opts.batches * opts.perBatch + (opts.tailBatches ?? 0) * opts.perBatch);
  let size = 0;
  const total = opts.batches + (opts.tailBatches ?? 0);
  for (let b = 0; b < total; b++) {
    const r = await appendDecisions(db, TEST_KEYS, all.slice(b * opts.perBatch, (b + 1) * opts.perBatch), { name: "h5-test-writer" });
    size = r.treeSize;
    if (b < opts.batches && (b + 1) % opts.checkpointEvery === 0) {
      const c = await checkpoint(db, keys, store);
      checkpointSizes.push(c!.checkpoint.treeSize);
    }
  }
  return { checkpointSizes, size };
}

/** Runs tamper SQL as a superuser would: with triggers (and so the append-only rules) switched off. */
export async function asSuperuser(db: Db, statementsSql: string[]): Promise<void> {
  await db.transaction(async (tx) => {
    await executeSql(tx, sql.raw("set local session_replication_role = replica"));
    for (const s of statementsSql) await executeSql(tx, sql.raw(s));
  });
}

export async function entryAt(db: Db, seq: number, logId: LogId = "decisions"): Promise<{ entryId: string; leafHash: string; chainHash: string }> {
  const rows = await queryRows(
    db,
    sql`select entry_id, encode(leaf_hash, 'hex') as leaf, encode(chain_hash, 'hex') as chain from log_entries where log_id = ${logId} and seq = ${seq}`,
    z.object({ entry_id: z.string(), leaf: z.string(), chain: z.string() }),
  );
  const r = rows[0];
  if (!r) throw new Error(`no entry at ${seq}`);
  return { entryId: r.entry_id, leafHash: r.leaf, chainHash: r.chain };
}

/**
 * What an attacker with superuser rights and the time to do it properly does: replaces the
 * canonical text of `seq`, then recomputes every leaf hash, chain hash and (optionally)
 * Merkle node from there on, and optionally re-signs every checkpoint in the database
 * (deleting the old ones) with `resignWith`.
 */
export async function rewriteHistory(
  db: Db,
  opts: { seq: number; replace: [string, string]; recomputeNodes: boolean; resignWith?: LedgerKeys },
): Promise<void> {
  const [from, to] = opts.replace;
  await asSuperuser(db, [`update decisions set canonical = replace(canonical, '${from}', '${to}') where seq = ${opts.seq}`]);
  const rows = await queryRows(
    db,
    sql`select e.seq, e.entry_id, e.recorded_at, d.canonical from log_entries e join decisions d on d.seq = e.seq and d.recorded_at = e.recorded_at
        where e.log_id = 'decisions' order by e.seq`,
    z.object({ seq: bigintColumn, entry_id: z.string(), recorded_at: timestampColumn, canonical: z.string() }),
  );
  const { appended, nodes } = extendLog(
    { size: 0, chainHash: nodeHasher.chainGenesis(), frontier: [] },
    rows.map((r) => ({ entryId: r.entry_id, recordedAt: r.recorded_at, leafHash: nodeHasher.hashLeaf(utf8Encode(r.canonical)) })),
  );
  const updates: string[] = [];
  for (const e of appended.slice(opts.seq)) {
    updates.push(
      `update log_entries set leaf_hash = '\\x${toHex(e.leafHash)}'::bytea, chain_hash = '\\x${toHex(e.chainHash)}'::bytea where log_id = 'decisions' and seq = ${e.seq}`,
    );
  }
  if (opts.recomputeNodes) {
    for (const n of nodes) {
      updates.push(`update merkle_nodes set hash = '\\x${toHex(n.hash)}'::bytea where log_id = 'decisions' and level = ${n.level} and idx = ${n.index}`);
    }
  }
  if (opts.resignWith) {
    const sizes = await queryRows(db, sql`select tree_size from checkpoints where log_id = 'decisions' order by tree_size`, z.object({ tree_size: bigintColumn }));
    updates.push(`delete from checkpoints where log_id = 'decisions'`);
    const key = await parseSignerKey(opts.resignWith.signerKey);
    for (const s of sizes) {
      const size = s.tree_size;
      // Root of the rewritten tree of that size, from its leaves.
      const root = rootFromLeafHashes(nodeHasher, appended.slice(0, size).map((e) => e.leafHash));
      const note = await signNote(formatCheckpoint({ origin: `${TEST_ORIGIN}/decisions`, size, rootHash: root }), opts.resignWith.signerKey);
      updates.push(
        `insert into checkpoints (log_id, tree_size, root_hash, key_id, signed_note) values ('decisions', ${size}, '\\x${toHex(root)}'::bytea, '${key.name}+${toHex(key.keyId)}', $note$${note}$note$)`,
      );
    }
  }
  await asSuperuser(db, updates);
}

export interface LedgerCopy {
  db: Db;
  store: TempCheckpointStore;
  drop(): Promise<void>;
}

/**
 * Builds a ledger once and hands out independent copies of it (database and external
 * checkpoint store), so each destructive test starts from the same state without paying
 * for initdb, migrations and appends again: PGlite copies load a dump of the data
 * directory, Postgres copies are CREATE DATABASE ... TEMPLATE.
 */
export async function createLedgerTemplate(
  kind: TestDatabase["kind"],
  build: (db: Db, store: TempCheckpointStore) => Promise<void>,
): Promise<{ copy(): Promise<LedgerCopy>; dispose(): Promise<void> }> {
  const base = await createTestDatabase(kind);
  const baseStore = tempCheckpointStore();
  await build(base.db, baseStore);
  const copyStore = () => {
    const store = tempCheckpointStore();
    cpSync(baseStore.directory, store.directory, { recursive: true });
    return store;
  };
  if (kind === "pglite") {
    const client = (base.db as unknown as { $client: { dumpDataDir(c: "none"): Promise<File | Blob> } }).$client;
    const dump = await client.dumpDataDir("none");
    await base.drop();
    const { PGlite } = await import("@electric-sql/pglite");
    const { drizzle } = await import("drizzle-orm/pglite");
    return {
      async copy() {
        const pg = new PGlite({ loadDataDir: dump });
        await pg.waitReady;
        const store = copyStore();
        return {
          db: drizzle(pg, { schema }) as unknown as Db,
          store,
          async drop() {
            await pg.close();
            store.remove();
          },
        };
      },
      async dispose() {
        baseStore.remove();
      },
    };
  }
  const baseName = new URL(base.url!).pathname.slice(1);
  await base.close();
  const admin: Database = await openDatabase({ url: TEST_POSTGRES_URL });
  let n = 0;
  return {
    async copy() {
      const name = `${baseName}_c${++n}`;
      await executeSql(admin.db, sql.raw(`create database ${name} template ${baseName}`));
      const url = new URL(TEST_POSTGRES_URL);
      url.pathname = `/${name}`;
      const database = await openDatabase({ url: url.toString() });
      const store = copyStore();
      return {
        db: database.db,
        store,
        async drop() {
          await database.close();
          await executeSql(admin.db, sql.raw(`drop database if exists ${name} with (force)`));
          store.remove();
        },
      };
    },
    async dispose() {
      await executeSql(admin.db, sql.raw(`drop database if exists ${baseName} with (force)`));
      await admin.close();
      baseStore.remove();
    },
  };
}
