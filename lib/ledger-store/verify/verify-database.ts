import { sql, type SQL } from "drizzle-orm";
import { queryRowsUnchecked, type Db } from "../../../db/client";
import { sha256 } from "../hash-node";
import { verifyConsistency } from "../../ledger/merkle";
import type { ExternalCheckpointStore } from "../checkpoint-store";
import { CHAIN_GENESIS } from "../hash-node";
import { frontierIds, readPerfectNodes, type LogId } from "../log-append";
import { readConsistencyProof } from "../merkle-store";
import { ChainAnalyzer, STRUCTURAL_CLASSES, type Position } from "./chain-analyzer";
import { checkCheckpoints, type CheckedCheckpoint } from "./checkpoint-notes";
import { DERIVED_SELECT, derivedColumnDifferences } from "./derived-columns";
import { binToHex, hex, leafHashBytes, leafHashText, toBin, type BinHash } from "./fast-hash";
import {
  VerificationAbortedError,
  type DatabaseVerificationReport,
  type VerificationFailure,
  type VerificationProgress,
  type VerificationReport,
} from "../../ledger/verify/report";
import { TreeTracker } from "./tree-tracker";

export * from "../../ledger/verify/report";

export interface VerifyLogOptions {
  logId: LogId;
  /** First seq to verify (default 0). A range starts from the stored chain hash of fromSeq-1. */
  fromSeq?: number;
  /** Last seq to verify, inclusive (default: the last record when verification starts). */
  toSeq?: number;
  /** Trusted C2SP verifier keys; every checkpoint must be signed by one of them. */
  verifierKeys: string[];
  /** The write-once store outside the database; its checkpoints are the anchor against rewrites. */
  externalStore?: ExternalCheckpointStore;
  /** Expected checkpoint origin, `${LEDGER_ORIGIN}/${logId}`; without it any origin ending in `/<logId>` is accepted. */
  origin?: string;
  /** Called after every batch (and once at the end). */
  onProgress?: (progress: VerificationProgress) => void;
  /** Aborting rejects with VerificationAbortedError at the next batch boundary. */
  signal?: AbortSignal;
  /** Records per keyset batch (default 5,000). */
  batchSize?: number;
  /** Failures listed in the report (default 100); failureCount always has the total. */
  maxFailures?: number;
  /**
   * Also recompute the derived (filter) columns of every record from its canonical text and
   * compare (see derived-columns.ts). Parses every record: several times slower. Default off.
   */
  checkDerivedColumns?: boolean;
}

export type VerifyDatabaseOptions = Omit<VerifyLogOptions, "logId" | "fromSeq" | "toSeq" | "origin"> & {
  /** Logs to verify (default both). */
  logs?: LogId[];
  /** Deployment origin (LEDGER_ORIGIN); each log's checkpoint origin is `${origin}/${logId}`. */
  origin?: string;
};

export const LOG_IDS: LogId[] = ["decisions", "access"];

const CONTENT_TABLE: Record<LogId, string> = { decisions: "decisions", access: "access_events" };
const EMPTY_ROOT: BinHash = toBin(sha256(new Uint8Array()));
const GENESIS: BinHash = toBin(CHAIN_GENESIS);
const DEFAULT_BATCH = 5_000;
const MAX_NODE_MISMATCHES = 10_000;
const PIPELINE_DEPTH = 3;

/** A batch of the registry, aggregated by Postgres into three values (far cheaper to ship and parse than rows). */
interface RegistryBatch {
  seqs: number[];
  /** leaf_hash || chain_hash of each seq, 64 bytes apiece, as a binary string. */
  hashes: BinHash;
  /** entry_id of each seq as text, 36 characters apiece. */
  ids: string;
}

interface ContentBatchRow {
  seq: string | number;
  id: string;
  /** The canonical text, or its UTF-8 bytes as the server sent them (the fast path). */
  canonical: string | Uint8Array;
}

const leafHashOfContent = (c: ContentBatchRow): BinHash => (typeof c.canonical === "string" ? leafHashText(c.canonical) : leafHashBytes(c.canonical));

/** Stored nodes of one level completed in a batch: contiguous from `lo` (or, after tampering, a sparse map). */
interface StoredLevel {
  lo: number;
  count: number;
  /** The hashes concatenated, as a binary string. */
  hashes: BinHash | null;
  sparse: Map<number, BinHash> | null;
}

interface NodeMismatch {
  level: number;
  idx: number;
  expected: BinHash;
  actual: BinHash | null;
}

/** Key of a node in the mismatch set: idx < 2^47 for any realistic log. */
const nodeKey = (level: number, idx: number) => idx * 64 + level;

/**
 * Verifies one log of the database end to end (or a seq range of it), streaming in seq
 * order with keyset batches: content bytes against leaf hashes, the hash chain, sequence
 * continuity, registry/content pairing, the stored Merkle nodes and the root at every
 * checkpoint size against the recomputed tree, every checkpoint's signature, consistency
 * between consecutive checkpoints, the log size against the largest signed size, and the
 * database's checkpoints against the external store. See docs/tamper-evidence.md.
 */
export async function verifyLog(db: Db, opts: VerifyLogOptions): Promise<VerificationReport> {
  const started = performance.now();
  const { logId } = opts;
  const maxFailures = opts.maxFailures ?? 100;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const deep = opts.checkDerivedColumns === true;
  const table = sql.raw(CONTENT_TABLE[logId]);
  const failures: VerificationFailure[] = [];
  const warnings: string[] = [];
  // Findings arrive roughly in seq order; keeping a bounded number is enough to list the
  // first ones, while the totals below count all of them.
  const keep = Math.max(1_000, maxFailures * 10);
  let failureCount = 0;
  let firstStructural = Infinity;
  let nodeProblems = false;
  const report = (f: VerificationFailure) => {
    failureCount++;
    if (STRUCTURAL_CLASSES.has(f.class) && f.seq !== undefined) firstStructural = Math.min(firstStructural, f.seq);
    if (f.class === "modified_hash" && f.message.includes("Merkle node")) nodeProblems = true;
    if (failures.length < keep) failures.push(f);
  };
  throwIfAborted(opts.signal, 0);

  // 1. Checkpoints first, then the size (see checkCheckpoints).
  const { database: dbCheckpoints, external } = await checkCheckpoints(db, opts, report);
  const sizeRows = await queryRowsUnchecked<{ n: string | number | null }>(
    db,
    sql`select max(seq) + 1 as n from log_entries where log_id = ${logId}`,
  );
  const logSize = Number(sizeRows[0]?.n ?? 0);

  const valid = [...dbCheckpoints, ...(external ?? [])].filter((c) => c.valid);
  const signedSize = valid.reduce((m, c) => Math.max(m, c.size), 0);
  const externalDescription = opts.externalStore?.description;
  const checkpointsChecked = countNotes(dbCheckpoints, external);

  if (logSize === 0 && (opts.fromSeq ?? 0) === 0) {
    if (signedSize > 0) truncated(report, 0, signedSize, valid);
    return finish({ logId, failures, failureCount, warnings, started, maxFailures, range: null, recordsChecked: 0, checkpointsChecked, logSize, signedSize, externalDescription });
  }
  const fromSeq = opts.fromSeq ?? 0;
  const toSeq = Math.min(opts.toSeq ?? logSize - 1, logSize - 1);
  if (!Number.isSafeInteger(fromSeq) || fromSeq < 0) throw new RangeError(`fromSeq must be a whole number >= 0, got ${fromSeq}`);
  if (opts.toSeq !== undefined && (!Number.isSafeInteger(opts.toSeq) || opts.toSeq < fromSeq)) {
    throw new RangeError(`toSeq must be a whole number >= fromSeq (${fromSeq}), got ${opts.toSeq}`);
  }
  if (fromSeq > toSeq) throw new RangeError(`fromSeq ${fromSeq} is beyond the last record of the ${logId} log (seq ${logSize - 1})`);
  const fullRun = fromSeq === 0 && toSeq === logSize - 1;
  // One position past the range lets a break at toSeq be judged by its successor.
  const streamEnd = Math.min(toSeq + 2, logSize);

  // 2. Starting state: the chain before fromSeq and the tree of size fromSeq.
  let startChain: BinHash | null = GENESIS;
  if (fromSeq > 0) {
    const rows = await queryRowsUnchecked<{ chain_hash: Uint8Array }>(
      db,
      sql`select chain_hash from log_entries where log_id = ${logId} and seq = ${fromSeq - 1}`,
    );
    startChain = rows[0] ? toBin(rows[0].chain_hash) : null;
    if (!startChain) warnings.push(`seq ${fromSeq - 1} is missing, so the chain is checked from seq ${fromSeq + 1} on`);
  }
  let tree = await bootstrapTree(db, logId, fromSeq, warnings);

  // Sizes at which the recomputed root is compared with signed roots.
  const checkSizes = [...new Set(valid.map((c) => c.size))].filter((n) => n >= Math.max(1, fromSeq) && n <= toSeq + 1).sort((a, b) => a - b);
  const roots = new Map<number, BinHash>();
  let sizePtr = 0;
  const captureRoot = () => {
    if (!tree) return;
    while (sizePtr < checkSizes.length && checkSizes[sizePtr]! < tree.size) sizePtr++;
    if (sizePtr < checkSizes.length && checkSizes[sizePtr] === tree.size) roots.set(tree.size, tree.root(EMPTY_ROOT));
  };
  captureRoot();

  // 3. Stream.
  const analyzer = new ChainAnalyzer(startChain, report);
  const nodeMismatches: NodeMismatch[] = [];
  const mismatchedNodes = new Set<number>();
  let storedNodes = new Map<number, StoredLevel>();
  const onNode = (level: number, idx: number, hash: BinHash) => {
    const stored = storedNode(storedNodes, level, idx);
    if (stored === hash) return;
    const key = nodeKey(level, idx);
    mismatchedNodes.add(key);
    // Ancestors of a mismatching node mismatch too: only the lowest one is news.
    if (level > 1 && (mismatchedNodes.has(nodeKey(level - 1, idx * 2)) || mismatchedNodes.has(nodeKey(level - 1, idx * 2 + 1)))) return;
    if (nodeMismatches.length < MAX_NODE_MISMATCHES) nodeMismatches.push({ level, idx, expected: hash, actual: stored ?? null });
  };

  const total = toSeq - fromSeq + 1;
  let expect = fromSeq;
  const fetchBatch = (a: number) => {
    const b = Math.min(a + batchSize, streamEnd);
    return Promise.all([readRegistry(db, logId, a, b), readContent(db, logId, a, b, deep ? DERIVED_SELECT[logId] : undefined), readNodesCompleted(db, logId, a, b)]).then(
      ([registry, content, nodes]) => ({ a, b, registry, content, nodes }),
    );
  };

  const handleGap = async (seq: number) => {
    analyzer.gap(expect, seq);
    // Carry on past the hole with the stored nodes, so later checkpoints can still be checked.
    tree = await bootstrapTree(db, logId, seq, warnings);
    captureRoot();
  };
  const handlePosition = (p: Position) => {
    const leaf = analyzer.position(p);
    if (tree) {
      if (leaf) {
        tree.push(leaf, onNode);
        captureRoot();
      } else tree = null;
    }
    expect = p.seq + 1;
  };

  // A few batches in flight: Postgres reads ahead (on other connections) while this thread
  // hashes, which is what keeps the verifier close to a bare read of the canonical bytes.
  const queue: ReturnType<typeof fetchBatch>[] = [];
  let nextStart = fromSeq;
  const fill = () => {
    while (queue.length < PIPELINE_DEPTH && nextStart < streamEnd) {
      queue.push(fetchBatch(nextStart));
      nextStart = Math.min(nextStart + batchSize, streamEnd);
    }
  };
  fill();
  while (queue.length > 0) {
    const batch: Awaited<ReturnType<typeof fetchBatch>> = await queue.shift()!;
    if (batch.registry.seqs.length === 0 && batch.content.length === 0 && batch.b < streamEnd) {
      // A hole of a whole batch or more: jump to the next row instead of reading the hole
      // batch by batch (a forged seq far beyond the end must not make this loop for ages).
      const next = (await nextExistingSeq(db, logId, table, batch.b)) ?? streamEnd;
      if (next > nextStart) {
        await Promise.allSettled(queue.splice(0));
        nextStart = next;
      }
    }
    fill();

    storedNodes = batch.nodes;
    // Merge the two seq-ordered streams: one registry entry at most per seq, content rows
    // (normally one) ordered by seq then recorded_at.
    const { registry, content } = batch;
    const { seqs, hashes, ids } = registry;
    let i = 0;
    let j = 0;
    while (i < seqs.length || j < content.length) {
      const rs = i < seqs.length ? seqs[i]! : Infinity;
      const cs = j < content.length ? Number(content[j]!.seq) : Infinity;
      const seq = Math.min(rs, cs);
      let reg: Position["registry"] = null;
      if (rs === seq) {
        reg = { entryId: ids.slice(i * 36, i * 36 + 36), leafHash: hashes.slice(i * 64, i * 64 + 32), chainHash: hashes.slice(i * 64 + 32, i * 64 + 64) };
        i++;
      }
      const start = j;
      while (j < content.length && Number(content[j]!.seq) === seq) j++;
      if (seq > expect) await handleGap(seq);
      const position = toPosition(seq, reg, j - start === 1 ? content[start]! : content.slice(start, j), report);
      if (deep && reg && j - start === 1 && position.content!.leafHash === reg.leafHash) checkColumns(logId, seq, reg.entryId, content[start]!, report);
      handlePosition(position);
    }
    const checked = Math.min(expect, toSeq + 1) - fromSeq;
    progress(opts, logId, checked, total, started);
    throwIfAborted(opts.signal, checked);
  }
  if (expect < streamEnd) analyzer.gap(expect, streamEnd);
  analyzer.finish();

  // Content rows whose id or recorded_at column no longer agrees with the registry (when no
  // other content row at that seq does): one pass in SQL instead of shipping both columns
  // of every row. The hashed canonical text may still be intact; these columns are what the
  // dashboard filters and the idempotency check use.
  const changedColumns = await queryRowsUnchecked<{ seq: string | number; entry_id: string; id: string; e_rec: string; d_rec: string }>(
    db,
    sql`select e.seq, e.entry_id::text as entry_id, d.id::text as id, e.recorded_at::text as e_rec, d.recorded_at::text as d_rec
        from log_entries e join ${table} d on d.seq = e.seq
        where e.log_id = ${logId} and e.seq >= ${fromSeq} and e.seq <= ${toSeq}
          and (d.id <> e.entry_id or d.recorded_at <> e.recorded_at)
          and not exists (select 1 from ${table} m where m.seq = e.seq and m.id = e.entry_id and m.recorded_at = e.recorded_at)
        order by e.seq limit ${keep}`,
  );
  for (const r of changedColumns) {
    const seq = Number(r.seq);
    if (r.id !== r.entry_id) {
      report({
        class: "modified_record",
        seq,
        statementId: r.entry_id,
        message: `seq ${seq}: the content row's id column was changed to ${r.id} (the registry says ${r.entry_id})`,
        expected: r.entry_id,
        actual: r.id,
      });
    } else {
      report({
        class: "modified_record",
        seq,
        statementId: r.entry_id,
        message: `seq ${seq}: the content row's recorded_at column was changed (it says ${r.d_rec}; the registry says ${r.e_rec})`,
        expected: r.e_rec,
        actual: r.d_rec,
      });
    }
  }

  // 4. Signed roots against the recomputed tree.
  const rootMismatches: { size: number; checkpoint: CheckedCheckpoint; actual: BinHash }[] = [];
  const matched = new Set<number>();
  for (const size of checkSizes) {
    const actual = roots.get(size);
    if (!actual) continue;
    let ok = true;
    for (const c of valid) {
      if (c.size !== size || !c.root) continue;
      if (toBin(c.root) !== actual) {
        ok = false;
        rootMismatches.push({ size, checkpoint: c, actual });
      }
    }
    if (ok) matched.add(size);
  }
  let confirmedSize = 0;
  for (const n of matched) confirmedSize = Math.max(confirmedSize, n);
  analyzer.settle({ signedSize, confirmedSize });

  // Structural failures (holes, insertions, swaps; firstStructural) shift the tree:
  // root or node mismatches after them are no news.
  const firstReportable = rootMismatches.find((m) => m.size <= firstStructural);
  if (firstReportable) {
    const { size, checkpoint, actual } = firstReportable;
    let lo = fromSeq;
    for (const n of matched) if (n < size) lo = Math.max(lo, n);
    // Stored nodes that no longer match the leaves localise the change, when they were left alone.
    const evidence = nodeMismatches.find((n) => n.idx * 2 ** n.level + 2 ** n.level > lo && n.idx * 2 ** n.level < size);
    const seq = evidence ? Math.max(lo, evidence.idx * 2 ** evidence.level) : lo;
    const last = evidence ? Math.min(size - 1, (evidence.idx + 1) * 2 ** evidence.level - 1) : size - 1;
    const later = new Set(rootMismatches.filter((m) => m.size > size).map((m) => m.size)).size;
    report({
      class: "rewritten_history",
      seq,
      statementId: await entryIdAt(db, logId, seq),
      toSeq: last,
      checkpointSize: size,
      source: checkpoint.source,
      message:
        `the database no longer produces the signed root of checkpoint ${size} (${checkpoint.source === "external" ? "external store" : "database"}), ` +
        `although its own hashes agree: records were changed and their hashes recomputed, ` +
        (seq === last ? `at seq ${seq}` : `somewhere in seqs ${seq}-${last}`) +
        (later > 0 ? `; ${later} later checkpoint(s) do not match either` : ""),
      expected: hex(checkpoint.root!),
      actual: binToHex(actual),
    });
  }

  // Stored Merkle nodes that disagree with the verified leaves while the signed roots agree.
  const mismatchedSizes = rootMismatches.map((m) => m.size);
  for (const n of nodeMismatches) {
    const first = n.idx * 2 ** n.level;
    const end = first + 2 ** n.level;
    if (firstStructural < end) continue;
    const covering = checkSizes.find((s) => s >= end && roots.has(s));
    if (covering !== undefined && mismatchedSizes.includes(covering)) continue; // evidence of a rewrite, reported above
    if (!n.actual && first >= signedSize) {
      report({
        class: "inserted_record",
        seq: end - 1,
        statementId: await entryIdAt(db, logId, end - 1),
        message: `seqs ${first}-${end - 1} were not written by the ledger: their Merkle node (level ${n.level}, index ${n.idx}) was never stored, and no signed checkpoint covers them`,
      });
    } else {
      report({
        class: "modified_hash",
        seq: first,
        toSeq: end - 1,
        message: n.actual
          ? `stored Merkle node (level ${n.level}, index ${n.idx}) over seqs ${first}-${end - 1} was altered; proofs served from it would fail`
          : `stored Merkle node (level ${n.level}, index ${n.idx}) over seqs ${first}-${end - 1} is missing`,
        expected: binToHex(n.expected),
        actual: n.actual ? binToHex(n.actual) : undefined,
      });
    }
  }

  // 5. Consecutive database checkpoints must be consistent (proofs served from the stored nodes).
  const dbValid = dbCheckpoints.filter((c) => c.valid && c.size <= logSize && c.size >= fromSeq && c.size <= toSeq + 1);
  for (let i = 1; i < dbValid.length; i++) {
    const a = dbValid[i - 1]!;
    const b = dbValid[i]!;
    if (a.size === b.size || a.size === 0) continue;
    try {
      const proof = await readConsistencyProof(db, logId, a.size, b.size);
      await verifyConsistency(sha256, a.size, b.size, proof, a.root!, b.root!);
    } catch (error) {
      const bothReproduced = matched.has(a.size) && matched.has(b.size);
      if (bothReproduced ? nodeProblems : rootMismatches.length > 0 || firstStructural < b.size) continue;
      report({
        class: bothReproduced ? "modified_hash" : "rewritten_history",
        checkpointSize: b.size,
        source: "database",
        message: bothReproduced
          ? `the consistency proof from checkpoint ${a.size} to ${b.size} assembled from the stored Merkle nodes does not verify (${(error as Error).message})`
          : `checkpoints ${a.size} and ${b.size} are not consistent with each other: the signed history forks (${(error as Error).message})`,
      });
    }
  }

  // 6. Database against the external store.
  if (external) {
    const externalSizes = new Map(external.filter((c) => c.valid).map((c) => [c.size, c]));
    const databaseSizes = new Set(dbCheckpoints.map((c) => c.size));
    for (const c of dbCheckpoints) {
      if (c.valid && !externalSizes.has(c.size)) {
        report({
          class: "inserted_record",
          checkpointSize: c.size,
          source: "database",
          message: `checkpoint ${c.size} is in the database but not in the external store (${externalDescription}): the checkpointer always writes there first, so it was added by someone else`,
        });
      }
    }
    for (const c of externalSizes.values()) {
      if (!databaseSizes.has(c.size) && c.size <= logSize && matched.has(c.size)) {
        warnings.push(
          `checkpoint ${c.size} is in the external store but not in the database; the log still produces its root, ` +
            "so the database row was lost (e.g. a crash after the external write) or deleted",
        );
      } else if (!databaseSizes.has(c.size) && c.size <= logSize && !roots.has(c.size) && fullRun) {
        warnings.push(`checkpoint ${c.size} is in the external store but not in the database`);
      }
    }
  }

  // 7. The tail: shorter than signed, or content rows beyond the registry's end.
  if (logSize < signedSize) truncated(report, logSize, signedSize, valid);
  if (fullRun) {
    const orphans = await queryRowsUnchecked<{ seq: string | number; id: string }>(
      db,
      sql`select d.seq, d.id from ${table} d
          where d.seq >= ${logSize} and not exists (select 1 from log_entries e where e.log_id = ${logId} and e.seq = d.seq)
          order by d.seq limit ${maxFailures}`,
    );
    for (const o of orphans) {
      const seq = Number(o.seq);
      if (seq < signedSize) continue; // part of the truncation reported above
      report({
        class: "inserted_record",
        seq,
        statementId: o.id,
        message: `seq ${seq}: a content row beyond the end of the log, without a registry entry`,
      });
    }
  }

  progress(opts, logId, total, total, started);
  // A range run looked one record past its end only to judge a break at toSeq.
  const inRange = fullRun ? failures : failures.filter((f) => f.seq === undefined || f.seq <= toSeq || f.class === "truncated_tail");
  return finish({
    logId,
    failures: inRange,
    failureCount: failureCount - (failures.length - inRange.length),
    warnings,
    started,
    maxFailures,
    range: { fromSeq, toSeq },
    recordsChecked: total,
    checkpointsChecked,
    logSize,
    signedSize,
    externalDescription,
  });
}

/** Verifies both logs (or `opts.logs`), one after the other. */
export async function verifyDatabase(db: Db, opts: VerifyDatabaseOptions): Promise<DatabaseVerificationReport> {
  const started = performance.now();
  const logs: VerificationReport[] = [];
  for (const logId of opts.logs ?? LOG_IDS) {
    logs.push(await verifyLog(db, { ...opts, logId, origin: opts.origin ? `${opts.origin}/${logId}` : undefined }));
  }
  return { ok: logs.every((l) => l.ok), logs, durationMs: Math.round(performance.now() - started) };
}

// ---------------------------------------------------------------------------------------

function toPosition(seq: number, registry: Position["registry"], contents: ContentBatchRow | ContentBatchRow[], report: (f: VerificationFailure) => void): Position {
  if (!Array.isArray(contents)) return { seq, registry, content: { id: contents.id, leafHash: leafHashOfContent(contents) } };
  if (contents.length === 0) return { seq, registry, content: null };
  // Several content rows for one seq (possible on the partitioned table): the one the
  // registry describes is the record; the others were added.
  const hashed = contents.map((c) => ({ c, H: leafHashOfContent(c) }));
  const pick =
    hashed.find((h) => registry && h.c.id === registry.entryId && h.H === registry.leafHash) ??
    hashed.find((h) => registry && h.c.id === registry.entryId) ??
    hashed[0]!;
  for (const h of hashed) {
    if (h === pick) continue;
    report({
      class: "inserted_record",
      seq,
      statementId: h.c.id,
      message: `seq ${seq}: an extra content row duplicates this position (statement ${h.c.id})`,
    });
  }
  return { seq, registry, content: { id: pick.c.id, leafHash: pick.H } };
}

// Per batch: the registry aggregated into three values, the content as plain index-ordered
// rows (the canonical text has to come over anyway), both by seq range. Not one join: its
// ORDER BY made Postgres sort the canonical text of every batch (spilling to disk), and
// the verifier must see unpaired rows on either side anyway. That the content rows' id and
// recorded_at columns agree with the registry is checked once, in SQL, after the stream.
async function readRegistry(db: Db, logId: LogId, a: number, b: number): Promise<RegistryBatch> {
  const [row] = await queryRowsUnchecked<{ seqs: string | null; hashes: Uint8Array | null; ids: string | null }>(
    db,
    sql`select array_to_string(array_agg(seq order by seq), ',') as seqs,
               string_agg(leaf_hash || chain_hash, ''::bytea order by seq) as hashes,
               string_agg(entry_id::text, '' order by seq) as ids
        from log_entries where log_id = ${logId} and seq >= ${a} and seq < ${b}`,
  );
  if (!row?.seqs) return { seqs: [], hashes: "", ids: "" };
  return { seqs: row.seqs.split(",").map(Number), hashes: toBin(row.hashes!), ids: row.ids! };
}

/** postgres.js's client under a drizzle database, when that is the driver (not PGlite). */
interface RawRowsClient {
  unsafe(query: string, parameters: unknown[]): { raw(): Promise<(Buffer | null)[][]> };
}
function rawRowsClientOf(db: Db): RawRowsClient | null {
  const client = (db as unknown as { $client?: Partial<RawRowsClient> & { end?: unknown } }).$client;
  return client && typeof client.unsafe === "function" && typeof client.end === "function" ? (client as RawRowsClient) : null;
}

async function readContent(db: Db, logId: LogId, a: number, b: number, derived?: SQL): Promise<ContentBatchRow[]> {
  // Not joined on recorded_at: a content row whose recorded_at was altered (and so moved
  // partition) must still be paired with its registry entry by seq.
  const raw = derived ? null : rawRowsClientOf(db);
  if (raw) {
    // The canonical text is hashed as the UTF-8 bytes the server sends: decoding ~3 KB into
    // a JS string and encoding it back per record was the verifier's largest cost on Postgres.
    const rows = await raw
      .unsafe(`select seq::text as seq_text, id::text as id_text, canonical from ${CONTENT_TABLE[logId]} where seq >= $1 and seq < $2 order by seq, recorded_at`, [a, b])
      .raw();
    return rows.map((r) => ({ seq: Number(r[0]!.toString("latin1")), id: r[1]!.toString("latin1"), canonical: r[2] ?? new Uint8Array() }));
  }
  const table = sql.raw(CONTENT_TABLE[logId]);
  return queryRowsUnchecked<ContentBatchRow>(
    db,
    sql`select seq, id::text as id, canonical ${derived ?? sql``} from ${table} where seq >= ${a} and seq < ${b} order by seq, recorded_at`,
  );
}

/** The deep check of one authentic record (its canonical text matches its leaf hash). */
function checkColumns(logId: LogId, seq: number, statementId: string, row: ContentBatchRow, report: (f: VerificationFailure) => void): void {
  const canonical = typeof row.canonical === "string" ? row.canonical : Buffer.from(row.canonical).toString("utf8");
  const differences = derivedColumnDifferences(logId, canonical, row as unknown as Record<string, unknown>);
  if (differences.length === 0) return;
  // Column names only, never values: these columns can hold personal data (actor names),
  // and reports end up on the Integrity page and in the access log.
  report({
    class: "modified_record",
    seq,
    statementId,
    message:
      `seq ${seq}: the searchable column(s) ${differences.map((d) => d.column).join(", ")} no longer match the record's signed content; ` +
      "lists and filters show the altered values, the record's detail page and exports the signed ones",
  });
}

function storedNode(levels: Map<number, StoredLevel>, level: number, idx: number): BinHash | undefined {
  const l = levels.get(level);
  if (!l) return undefined;
  if (l.sparse) return l.sparse.get(idx);
  const k = idx - l.lo;
  return k >= 0 && k < l.count ? l.hashes!.slice(k * 32, k * 32 + 32) : undefined;
}

/** Stored nodes (level >= 1) completed by leaves in [a, b): node (l, i) completes at leaf (i+1)*2^l - 1. */
async function readNodesCompleted(db: Db, logId: LogId, a: number, b: number): Promise<Map<number, StoredLevel>> {
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
  const out = new Map<number, StoredLevel>();
  if (levels.length === 0) return out;
  const ranges = sql`unnest(${sql.raw(`array[${levels.join(",")}]::smallint[]`)}, ${sql.raw(`array[${los.join(",")}]::bigint[]`)}, ${sql.raw(`array[${his.join(",")}]::bigint[]`)}) as r(level, lo, hi)`;
  // One primary-key range scan per level: LATERAL with OFFSET 0, so the planner cannot
  // flatten it into a join. As a join it switched to a (parallel) sequential scan of all of
  // merkle_nodes past ~1M nodes, once per batch, which made verification quadratic (160 ms
  // per batch at 1,000,000 records).
  const nodesIn = (columns: SQL) =>
    sql`from ${ranges} cross join lateral (select ${columns} from merkle_nodes n
          where n.log_id = ${logId} and n.level = r.level and n.idx between r.lo and r.hi offset 0) n`;
  // One value per level: the nodes' hashes concatenated in idx order.
  const rows = await queryRowsUnchecked<{ level: number; lo: string | number; n: string | number; hashes: Uint8Array }>(
    db,
    sql`select r.level, min(n.idx) as lo, count(*) as n, string_agg(n.hash, ''::bytea order by n.idx) as hashes
        ${nodesIn(sql`n.idx, n.hash`)} group by r.level`,
  );
  let contiguous = true;
  for (const r of rows) {
    const level = Number(r.level);
    const k = levels.indexOf(level);
    const lo = Number(r.lo);
    const count = Number(r.n);
    if (lo !== los[k] || count !== his[k]! - los[k]! + 1 || r.hashes.length !== count * 32) contiguous = false;
    out.set(level, { lo, count, hashes: toBin(r.hashes), sparse: null });
  }
  if (contiguous) return out;
  // Rows missing (or extra) somewhere: fall back to one row per node.
  const sparse = await queryRowsUnchecked<{ level: number; idx: string | number; hash: Uint8Array }>(
    db,
    sql`select r.level, n.idx, n.hash ${nodesIn(sql`n.idx, n.hash`)}`,
  );
  out.clear();
  for (const r of sparse) {
    const level = Number(r.level);
    let l = out.get(level);
    if (!l) out.set(level, (l = { lo: 0, count: 0, hashes: null, sparse: new Map() }));
    l.sparse!.set(Number(r.idx), toBin(r.hash));
  }
  return out;
}

async function nextExistingSeq(db: Db, logId: LogId, table: ReturnType<typeof sql.raw>, from: number): Promise<number | null> {
  const rows = await queryRowsUnchecked<{ s: string | number | null }>(
    db,
    sql`select least((select min(seq) from log_entries where log_id = ${logId} and seq >= ${from}),
                     (select min(seq) from ${table} where seq >= ${from})) as s`,
  );
  const s = rows[0]?.s;
  return s === null || s === undefined ? null : Number(s);
}

/** The tree of `size` leaves from the stored perfect nodes (trusted as the starting point of a range). */
async function bootstrapTree(db: Db, logId: LogId, size: number, warnings: string[]): Promise<TreeTracker | null> {
  if (size === 0) return new TreeTracker(0, []);
  const ids = frontierIds(size);
  const nodes = await readPerfectNodes(db, logId, ids);
  const frontier: { level: number; hash: BinHash }[] = [];
  for (const { level, idx } of ids) {
    const hash = nodes.get(`${level}:${idx}`);
    if (!hash) {
      warnings.push(`the Merkle tree cannot be rebuilt from seq ${size} on (stored node ${level}:${idx} is missing); checkpoints after it are checked by signature only`);
      return null;
    }
    frontier.push({ level, hash: toBin(hash) });
  }
  return new TreeTracker(size, frontier);
}

async function entryIdAt(db: Db, logId: LogId, seq: number): Promise<string | undefined> {
  const rows = await queryRowsUnchecked<{ entry_id: string }>(db, sql`select entry_id from log_entries where log_id = ${logId} and seq = ${seq}`);
  return rows[0]?.entry_id;
}

function truncated(report: (f: VerificationFailure) => void, logSize: number, signedSize: number, valid: CheckedCheckpoint[]): void {
  const source = valid.find((c) => c.size === signedSize)?.source;
  report({
    class: "truncated_tail",
    seq: logSize,
    toSeq: signedSize - 1,
    checkpointSize: signedSize,
    source,
    message: `the log has ${logSize} records but checkpoint ${signedSize} (${source === "external" ? "external store" : "database"}) was signed: seqs ${logSize}-${signedSize - 1} were removed from the end`,
    expected: `${signedSize} records`,
    actual: `${logSize} records`,
  });
}

function countNotes(database: CheckedCheckpoint[], external: CheckedCheckpoint[] | null): number {
  const notes = new Set(database.map((c) => c.note));
  for (const c of external ?? []) notes.add(c.note);
  return notes.size;
}

function progress(opts: VerifyLogOptions, logId: LogId, checked: number, total: number, started: number): void {
  if (!opts.onProgress) return;
  const seconds = (performance.now() - started) / 1000;
  const recordsPerSecond = seconds > 0 ? Math.round(checked / seconds) : 0;
  opts.onProgress({
    logId,
    checked,
    total,
    recordsPerSecond,
    etaSeconds: recordsPerSecond > 0 ? Math.max(0, Math.round((total - checked) / recordsPerSecond)) : null,
  });
}

function throwIfAborted(signal: AbortSignal | undefined, checked: number): void {
  if (signal?.aborted) throw new VerificationAbortedError(checked);
}

const ORDER: Record<VerificationFailure["class"], number> = {
  truncated_tail: 0,
  rewritten_history: 1,
  reordered_records: 2,
  inserted_record: 3,
  missing_record: 4,
  modified_record: 5,
  modified_hash: 6,
  bad_signature: 7,
};

function finish(r: {
  logId: LogId;
  failures: VerificationFailure[];
  failureCount: number;
  warnings: string[];
  started: number;
  maxFailures: number;
  range: VerificationReport["range"];
  recordsChecked: number;
  checkpointsChecked: number;
  logSize: number;
  signedSize: number;
  externalDescription?: string;
}): VerificationReport {
  // By position in the log; checkpoint-level findings sit at the last record they cover.
  const at = (f: VerificationFailure) => f.seq ?? (f.checkpointSize !== undefined ? f.checkpointSize - 1 : Number.MAX_SAFE_INTEGER);
  const sorted = r.failures.slice().sort((a, b) => at(a) - at(b) || ORDER[a.class] - ORDER[b.class]);
  return {
    ok: sorted.length === 0,
    logId: r.logId,
    recordsChecked: r.recordsChecked,
    checkpointsChecked: r.checkpointsChecked,
    range: r.range,
    durationMs: Math.round(performance.now() - r.started),
    failures: sorted.slice(0, r.maxFailures),
    failureCount: Math.max(r.failureCount, sorted.length),
    warnings: r.warnings,
    logSize: r.logSize,
    signedSize: r.signedSize,
    ...(r.externalDescription ? { externalStore: r.externalDescription } : {}),
  };
}
