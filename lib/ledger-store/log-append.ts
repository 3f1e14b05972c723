import { sql } from "drizzle-orm";
import { queryRowsUnchecked, type Db } from "../../db/client";
import type { LogId } from "../ledger/log-id";
import { CHAIN_GENESIS, chainHashOf, nodeHashOf } from "./hash-node";

export type { LogId };

/** A transaction handle or the database itself: both can run queries. */
export type Queryable = Pick<Db, "execute" | "insert" | "select">;

export interface PerfectNode {
  level: number;
  idx: number;
  hash: Uint8Array;
}

export interface LogHead {
  size: number;
  chainHash: Uint8Array;
  /** Perfect subtrees covering [0, size), left to right, largest first. */
  frontier: PerfectNode[];
}

export interface NewLogEntry {
  entryId: string;
  recordedAt: Date;
  leafHash: Uint8Array;
}

export interface AppendedLogEntry extends NewLogEntry {
  seq: number;
  chainHash: Uint8Array;
}

/**
 * Serialises appenders of one log for the rest of the transaction. Sequence numbers must
 * be gap-free and the chain must not fork, so the read of the head and the insert of the
 * next entries happen under this lock; it is released at commit or rollback.
 */
export async function lockLog(tx: Queryable, logId: LogId): Promise<void> {
  await queryRowsUnchecked(tx, sql`select pg_advisory_xact_lock(hashtext(${"decision_ledger_log:" + logId}))`);
}

/** The (level, idx) of the perfect subtrees that make up a tree of `size` leaves. */
export function frontierIds(size: number): { level: number; idx: number }[] {
  const ids: { level: number; idx: number }[] = [];
  let start = 0;
  for (let level = 52; level >= 0; level--) {
    const width = 2 ** level;
    if (size - start >= width) {
      ids.push({ level, idx: start / width });
      start += width;
    }
  }
  return ids;
}

export async function readPerfectNodes(
  tx: Queryable,
  logId: LogId,
  ids: { level: number; idx: number }[],
): Promise<Map<string, Uint8Array>> {
  const found = new Map<string, Uint8Array>();
  if (ids.length === 0) return found;
  const leafIdx = ids.filter((n) => n.level === 0).map((n) => n.idx);
  const inner = ids.filter((n) => n.level > 0);
  // Leaves (level 0) live in log_entries, the rest in merkle_nodes: one round trip for both,
  // since proof latency is mostly round trips.
  const parts = [];
  if (leafIdx.length > 0) {
    parts.push(
      sql`select 0::smallint as level, seq as idx, leaf_hash as hash from log_entries
          where log_id = ${logId} and seq = any(${sql.raw(`array[${leafIdx.join(",")}]::bigint[]`)})`,
    );
  }
  if (inner.length > 0) {
    const levels = inner.map((n) => n.level).join(",");
    const idxs = inner.map((n) => n.idx).join(",");
    parts.push(
      // One primary-key probe per wanted node (LATERAL with OFFSET 0, which the planner cannot
      // flatten): as a join over thousands of ids (an export batch) it may hash-join against
      // a sequential scan of every node of the log.
      sql`select want.level, want.idx, n.hash
          from unnest(${sql.raw(`array[${levels}]::smallint[]`)}, ${sql.raw(`array[${idxs}]::bigint[]`)}) as want(level, idx)
          cross join lateral (select n.hash from merkle_nodes n
            where n.log_id = ${logId} and n.level = want.level and n.idx = want.idx offset 0) n`,
    );
  }
  const rows = await queryRowsUnchecked<{ level: number; idx: string | number; hash: Uint8Array }>(tx, sql.join(parts, sql` union all `));
  for (const r of rows) found.set(`${Number(r.level)}:${Number(r.idx)}`, r.hash);
  return found;
}

export async function readLogHead(tx: Queryable, logId: LogId): Promise<LogHead> {
  const last = await queryRowsUnchecked<{ seq: string | number; chain_hash: Uint8Array }>(
    tx,
    sql`select seq, chain_hash from log_entries where log_id = ${logId} order by seq desc limit 1`,
  );
  if (last.length === 0) return { size: 0, chainHash: CHAIN_GENESIS, frontier: [] };
  const size = Number(last[0]!.seq) + 1;
  const ids = frontierIds(size);
  const nodes = await readPerfectNodes(tx, logId, ids);
  const frontier = ids.map(({ level, idx }) => {
    const hash = nodes.get(`${level}:${idx}`);
    if (!hash) throw new Error(`Merkle node ${level}:${idx} of log ${logId} is missing; run verify-db`);
    return { level, idx, hash };
  });
  return { size, chainHash: last[0]!.chain_hash, frontier };
}

/**
 * Assigns sequence numbers and chain hashes to `entries` after `head`, and computes the
 * perfect subtrees they complete (a binary-counter merge over the frontier). Pure: the
 * caller inserts the rows.
 */
export function extendLog(
  head: LogHead,
  entries: NewLogEntry[],
): { appended: AppendedLogEntry[]; nodes: PerfectNode[]; head: LogHead } {
  const frontier = head.frontier.slice();
  const nodes: PerfectNode[] = [];
  const appended: AppendedLogEntry[] = [];
  let chain = head.chainHash;
  let seq = head.size;
  for (const entry of entries) {
    chain = chainHashOf(chain, entry.leafHash);
    appended.push({ ...entry, seq, chainHash: chain });
    let node: PerfectNode = { level: 0, idx: seq, hash: entry.leafHash };
    while (frontier.length > 0 && frontier[frontier.length - 1]!.level === node.level) {
      const left = frontier.pop()!;
      node = { level: node.level + 1, idx: left.idx / 2, hash: nodeHashOf(left.hash, node.hash) };
      nodes.push(node);
    }
    frontier.push(node);
    seq++;
  }
  return { appended, nodes, head: { size: seq, chainHash: chain, frontier } };
}

const INSERT_CHUNK = 10_000;
const hexOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

/**
 * Inserts the registry rows and Merkle nodes of entries appended by `extendLog`. Each chunk
 * travels as ONE json parameter expanded by json_to_recordset: building and binding six
 * parameters per row through the query builder cost more than the rest of the ledger's
 * bookkeeping together (see docs/benchmarks.md, "Ledger").
 */
export async function insertLogEntries(
  tx: Queryable,
  logId: LogId,
  appended: AppendedLogEntry[],
  nodes: PerfectNode[],
): Promise<void> {
  for (let i = 0; i < appended.length; i += INSERT_CHUNK) {
    const rows = appended.slice(i, i + INSERT_CHUNK).map((e) => ({
      s: e.seq,
      e: e.entryId,
      r: e.recordedAt.toISOString(),
      l: hexOf(e.leafHash),
      c: hexOf(e.chainHash),
    }));
    await queryRowsUnchecked(
      tx,
      sql`insert into log_entries (log_id, seq, entry_id, recorded_at, leaf_hash, chain_hash)
          select ${logId}, r.s, r.e, r.r, decode(r.l, 'hex'), decode(r.c, 'hex')
          from json_to_recordset(${JSON.stringify(rows)}::json) as r(s bigint, e uuid, r timestamptz, l text, c text)`,
    );
  }
  for (let i = 0; i < nodes.length; i += INSERT_CHUNK) {
    const rows = nodes.slice(i, i + INSERT_CHUNK).map((n) => ({ v: n.level, i: n.idx, h: hexOf(n.hash) }));
    await queryRowsUnchecked(
      tx,
      sql`insert into merkle_nodes (log_id, level, idx, hash)
          select ${logId}, r.v, r.i, decode(r.h, 'hex')
          from json_to_recordset(${JSON.stringify(rows)}::json) as r(v smallint, i bigint, h text)`,
    );
  }
}

/** Root hash (RFC 9162 MTH) of a tree from its frontier: fold right to left. */
export function rootFromFrontier(frontier: PerfectNode[], emptyRoot: Uint8Array): Uint8Array {
  if (frontier.length === 0) return emptyRoot;
  let acc = frontier[frontier.length - 1]!.hash;
  for (let i = frontier.length - 2; i >= 0; i--) acc = nodeHashOf(frontier[i]!.hash, acc);
  return acc;
}
