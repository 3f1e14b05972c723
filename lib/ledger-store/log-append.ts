import "server-only";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows, type Db } from "../../db/client";
import { bigintColumn, byteaColumn } from "../../db/rows/columns";
import { nodeHasher } from "../hash/node-sha256";
import { bytesEqual, toHex, type Hash } from "../ledger/bytes";
import { CompactRange, nodeKey, rangeNodes, type NodeId, type NodeVisitor, type RangeNode } from "../ledger/compact-range";
import type { LogId } from "../ledger/log-id";

/** A transaction handle or the database itself: both can run queries. */
export type Queryable = Pick<Db, "execute" | "insert" | "select">;

export interface LogHead {
  size: number;
  chainHash: Uint8Array;
  /** The compact range [0, size): perfect subtrees left to right, largest first. */
  frontier: RangeNode<Hash>[];
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
  await executeSql(tx, sql`select pg_advisory_xact_lock(hashtext(${"decision_ledger_log:" + logId}))`);
}

const storedNodeRow = z.object({ level: bigintColumn, idx: bigintColumn, hash: byteaColumn });

/** Stored perfect-subtree hashes by nodeKey: leaves from log_entries, the rest from merkle_nodes. */
export async function readPerfectNodes(tx: Queryable, logId: LogId, ids: NodeId[]): Promise<Map<string, Uint8Array>> {
  const found = new Map<string, Uint8Array>();
  if (ids.length === 0) return found;
  const leafIdx = ids.filter((n) => n.level === 0).map((n) => n.index);
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
    const idxs = inner.map((n) => n.index).join(",");
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
  const rows = await queryRows(tx, sql.join(parts, sql` union all `), storedNodeRow);
  for (const r of rows) found.set(nodeKey({ level: r.level, index: r.idx }), r.hash);
  return found;
}

const headRow = z.object({ seq: bigintColumn, chain_hash: byteaColumn });

/**
 * The head of the log. `known` is a head this process committed earlier: when the log's last
 * entry is still its last entry (same size, same chain hash, which commits to every leaf
 * before it) its frontier is reused instead of read again, one round trip less per append.
 */
export async function readLogHead(tx: Queryable, logId: LogId, known?: LogHead): Promise<LogHead> {
  const last = await queryRows(tx, sql`select seq, chain_hash from log_entries where log_id = ${logId} order by seq desc limit 1`, headRow);
  if (last.length === 0) return { size: 0, chainHash: nodeHasher.chainGenesis(), frontier: [] };
  const size = last[0]!.seq + 1;
  if (known && known.size === size && bytesEqual(known.chainHash, last[0]!.chain_hash)) return known;
  const ids = rangeNodes(0, size);
  const nodes = await readPerfectNodes(tx, logId, ids);
  const frontier = ids.map((id) => {
    const hash = nodes.get(nodeKey(id));
    if (!hash) throw new Error(`Merkle node ${nodeKey(id)} of log ${logId} is missing; run verify-db`);
    return { ...id, hash };
  });
  return { size, chainHash: last[0]!.chain_hash, frontier };
}

/** The head's tree as a compact range [0, size): to extend, or to take the root of. */
export function headRange(head: LogHead): CompactRange<Hash> {
  return new CompactRange(nodeHasher, 0, head.size, head.frontier.map((n) => n.hash));
}

/**
 * Assigns sequence numbers and chain hashes to `entries` after `head`, and collects the
 * perfect subtrees above the leaves that they complete (the leaves themselves are stored
 * in log_entries). Pure: the caller inserts the rows.
 */
export function extendLog(
  head: LogHead,
  entries: NewLogEntry[],
): { appended: AppendedLogEntry[]; nodes: RangeNode<Hash>[]; head: LogHead } {
  const range = headRange(head);
  const nodes: RangeNode<Hash>[] = [];
  const collectInner: NodeVisitor<Hash> = (id, hash) => {
    if (id.level > 0) nodes.push({ ...id, hash });
  };
  const appended: AppendedLogEntry[] = [];
  let chain = head.chainHash;
  for (const entry of entries) {
    chain = nodeHasher.hashChain(chain, entry.leafHash);
    appended.push({ ...entry, seq: range.end, chainHash: chain });
    range.append(entry.leafHash, collectInner);
  }
  return { appended, nodes, head: { size: range.end, chainHash: chain, frontier: range.nodes() } };
}

const INSERT_CHUNK = 10_000;

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
  nodes: RangeNode<Hash>[],
): Promise<void> {
  for (let i = 0; i < appended.length; i += INSERT_CHUNK) {
    const rows = appended.slice(i, i + INSERT_CHUNK).map((e) => ({
      s: e.seq,
      e: e.entryId,
      r: e.recordedAt.toISOString(),
      l: toHex(e.leafHash),
      c: toHex(e.chainHash),
    }));
    await executeSql(
      tx,
      sql`insert into log_entries (log_id, seq, entry_id, recorded_at, leaf_hash, chain_hash)
          select ${logId}, r.s, r.e, r.r, decode(r.l, 'hex'), decode(r.c, 'hex')
          from json_to_recordset(${JSON.stringify(rows)}::json) as r(s bigint, e uuid, r timestamptz, l text, c text)`,
    );
  }
  for (let i = 0; i < nodes.length; i += INSERT_CHUNK) {
    const rows = nodes.slice(i, i + INSERT_CHUNK).map((n) => ({ v: n.level, i: n.index, h: toHex(n.hash) }));
    await executeSql(
      tx,
      sql`insert into merkle_nodes (log_id, level, idx, hash)
          select ${logId}, r.v, r.i, decode(r.h, 'hex')
          from json_to_recordset(${JSON.stringify(rows)}::json) as r(v smallint, i bigint, h text)`,
    );
  }
}
