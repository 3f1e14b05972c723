import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "../../../db/client";
import { bigintColumn, byteaColumn } from "../../../db/rows/columns";
import { nodeBinaryBackend, type BinHash } from "../../hash/node-sha256";
import type { LogId } from "../../ledger/log-id";

// The verifier's reads of one keyset batch [a, b): the registry aggregated into three
// values, the content as plain index-ordered rows (the canonical text has to come over
// anyway), and the Merkle nodes the batch's leaves complete, all by seq range. Not one
// join: its ORDER BY made Postgres sort the canonical text of every batch (spilling to
// disk), and the verifier must see unpaired rows on either side anyway. That the content
// rows' id and recorded_at columns agree with the registry is checked once, in SQL, after
// the stream.

export const CONTENT_TABLE: Record<LogId, string> = { decisions: "decisions", access: "access_events" };

/** A batch of the registry, aggregated by Postgres into three values (far cheaper to ship and parse than rows). */
export interface RegistryBatch {
  seqs: number[];
  /** leaf_hash || chain_hash of each seq, 64 bytes apiece, as a binary string. */
  hashes: BinHash;
  /** entry_id of each seq as text, 36 characters apiece. */
  ids: string;
}

/** A content row, with the deep check's extra x_ columns when they were asked for. */
export interface ContentBatchRow {
  seq: number;
  id: string;
  /** The canonical text, or its UTF-8 bytes as the server sent them (the fast path). */
  canonical: string | Uint8Array;
  [column: string]: unknown;
}

/** Stored nodes of one level completed in a batch: contiguous from `lo` (or, after tampering, a sparse map). */
export interface StoredLevel {
  lo: number;
  count: number;
  /** The hashes concatenated, as a binary string. */
  hashes: BinHash | null;
  sparse: Map<number, BinHash> | null;
}

const registryRow = z.object({ seqs: z.string().nullable(), hashes: byteaColumn.nullable(), ids: z.string().nullable() });

export async function readRegistry(db: Db, logId: LogId, a: number, b: number): Promise<RegistryBatch> {
  const [row] = await queryRows(
    db,
    sql`select array_to_string(array_agg(seq order by seq), ',') as seqs,
               string_agg(leaf_hash || chain_hash, ''::bytea order by seq) as hashes,
               string_agg(entry_id::text, '' order by seq) as ids
        from log_entries where log_id = ${logId} and seq >= ${a} and seq < ${b}`,
    registryRow,
  );
  if (!row?.seqs) return { seqs: [], hashes: "", ids: "" };
  return { seqs: row.seqs.split(",").map(Number), hashes: nodeBinaryBackend.fromBytes(row.hashes!), ids: row.ids! };
}

/** postgres.js's client under a drizzle database, when that is the driver (not PGlite). */
interface RawRowsClient {
  unsafe(query: string, parameters: unknown[]): { raw(): Promise<unknown[]> };
}

function rawRowsClientOf(db: Db): RawRowsClient | null {
  const client = (db as unknown as { $client?: Partial<RawRowsClient> & { end?: unknown } }).$client;
  return client && typeof client.unsafe === "function" && typeof client.end === "function" ? (client as RawRowsClient) : null;
}

/** A content row read through drizzle (PGlite, or the deep check, whose x_ columns are kept). */
const driverContentRow = z.looseObject({ seq: bigintColumn, id: z.string(), canonical: z.union([z.string(), byteaColumn]) });

export async function readContent(db: Db, logId: LogId, a: number, b: number, derived?: SQL): Promise<ContentBatchRow[]> {
  // Not joined on recorded_at: a content row whose recorded_at was altered (and so moved
  // partition) must still be paired with its registry entry by seq.
  const raw = derived ? null : rawRowsClientOf(db);
  if (raw) {
    // The canonical text is hashed as the UTF-8 bytes the server sends: decoding ~3 KB into
    // a JS string and encoding it back per record was the verifier's largest cost on Postgres.
    const rows = await raw
      .unsafe(`select seq::text as seq_text, id::text as id_text, canonical from ${CONTENT_TABLE[logId]} where seq >= $1 and seq < $2 order by seq, recorded_at`, [a, b])
      .raw();
    return rows.map(rawContentRow);
  }
  const table = sql.raw(CONTENT_TABLE[logId]);
  return queryRows(
    db,
    sql`select seq, id::text as id, canonical ${derived ?? sql``} from ${table} where seq >= ${a} and seq < ${b} order by seq, recorded_at`,
    driverContentRow,
  );
}

/**
 * postgres.js raw rows, [seq text, id text, canonical bytes] as Buffers straight off the
 * wire, checked by hand rather than with zod: this is the verifier's hot path (one row per
 * record, ~70,000 a second), where a zod parse per row (~1.2 µs) would cost 6-9% of the
 * time per record; this check costs a few nanoseconds and is as strict.
 */
function isRawContentRow(r: unknown): r is [Buffer, Buffer, Buffer | null] {
  return Array.isArray(r) && r.length === 3 && Buffer.isBuffer(r[0]) && Buffer.isBuffer(r[1]) && (r[2] === null || Buffer.isBuffer(r[2]));
}

function rawContentRow(r: unknown, i: number): ContentBatchRow {
  if (!isRawContentRow(r)) throw new Error(`content row ${i} of a verification batch has an unexpected shape`);
  const seq = Number(r[0].toString("latin1"));
  if (!Number.isSafeInteger(seq)) throw new Error(`content row ${i} of a verification batch has seq ${r[0].toString("latin1")}`);
  return { seq, id: r[1].toString("latin1"), canonical: r[2] ?? new Uint8Array() };
}

/** The stored hash of node (level, index) among the nodes of a batch, if it is stored. */
export function storedNode(levels: Map<number, StoredLevel>, level: number, index: number): BinHash | undefined {
  const l = levels.get(level);
  if (!l) return undefined;
  if (l.sparse) return l.sparse.get(index);
  const k = index - l.lo;
  return k >= 0 && k < l.count ? l.hashes!.slice(k * 32, k * 32 + 32) : undefined;
}

const levelRow = z.object({ level: bigintColumn, lo: bigintColumn, n: bigintColumn, hashes: byteaColumn });
const nodeRow = z.object({ level: bigintColumn, idx: bigintColumn, hash: byteaColumn });

/** Per level >= 1, the index range [lo, hi] of the nodes that leaves [a, b) complete: node (l, i) completes at leaf (i+1)*2^l - 1. */
function levelsCompleted(a: number, b: number): { levels: number[]; los: number[]; his: number[] } {
  const levels: number[] = [];
  const los: number[] = [];
  const his: number[] = [];
  for (let level = 1; 2 ** level <= b; level++) {
    const w = 2 ** level;
    const lo = Math.ceil((a + 1) / w) - 1;
    const hi = Math.floor(b / w) - 1;
    if (lo <= hi) {
      levels.push(level);
      los.push(lo);
      his.push(hi);
    }
  }
  return { levels, los, his };
}

/** Stored nodes (level >= 1) completed by leaves in [a, b). */
export async function readNodesCompleted(db: Db, logId: LogId, a: number, b: number): Promise<Map<number, StoredLevel>> {
  const { levels, los, his } = levelsCompleted(a, b);
  const out = new Map<number, StoredLevel>();
  if (levels.length === 0) return out;
  const ranges = sql`unnest(${sql.raw(`array[${levels.join(",")}]::smallint[]`)}, ${sql.raw(`array[${los.join(",")}]::bigint[]`)}, ${sql.raw(`array[${his.join(",")}]::bigint[]`)}) as r(level, lo, hi)`;
  // One primary-key range scan per level: LATERAL with OFFSET 0, so the planner cannot
  // flatten it into a join. As a join it switched to a (parallel) sequential scan of all of
  // merkle_nodes past ~1M nodes, once per batch, which made verification quadratic (160 ms
  // per batch at 1,000,000 records).
  const nodesIn = sql`from ${ranges} cross join lateral (select n.idx, n.hash from merkle_nodes n
          where n.log_id = ${logId} and n.level = r.level and n.idx between r.lo and r.hi offset 0) n`;
  // One value per level: the nodes' hashes concatenated in idx order.
  const rows = await queryRows(
    db,
    sql`select r.level, min(n.idx) as lo, count(*) as n, string_agg(n.hash, ''::bytea order by n.idx) as hashes ${nodesIn} group by r.level`,
    levelRow,
  );
  let contiguous = true;
  for (const r of rows) {
    const k = levels.indexOf(r.level);
    if (r.lo !== los[k] || r.n !== his[k]! - los[k]! + 1 || r.hashes.length !== r.n * 32) contiguous = false;
    out.set(r.level, { lo: r.lo, count: r.n, hashes: nodeBinaryBackend.fromBytes(r.hashes), sparse: null });
  }
  if (contiguous) return out;
  // Rows missing (or extra) somewhere: fall back to one row per node.
  const sparse = await queryRows(db, sql`select r.level, n.idx, n.hash ${nodesIn}`, nodeRow);
  out.clear();
  for (const r of sparse) {
    let l = out.get(r.level);
    if (!l) out.set(r.level, (l = { lo: 0, count: 0, hashes: null, sparse: new Map() }));
    l.sparse!.set(r.idx, nodeBinaryBackend.fromBytes(r.hash));
  }
  return out;
}

const nextSeqRow = z.object({ s: bigintColumn.nullable() });

/** The smallest seq >= `from` in the registry or the content table, if any: to jump over a hole. */
export async function nextExistingSeq(db: Db, logId: LogId, from: number): Promise<number | null> {
  const table = sql.raw(CONTENT_TABLE[logId]);
  const rows = await queryRows(
    db,
    sql`select least((select min(seq) from log_entries where log_id = ${logId} and seq >= ${from}),
                     (select min(seq) from ${table} where seq >= ${from})) as s`,
    nextSeqRow,
  );
  return rows[0]?.s ?? null;
}
