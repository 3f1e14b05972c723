import "server-only";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "../../../db/client";
import { bigintColumn } from "../../../db/rows/columns";
import { readLogSize } from "../../../db/queries/log-entries";
import { LOG_IDS, type LogId } from "../../ledger/log-id";
import type { DatabaseVerificationReport, VerificationFailure, VerificationReport } from "../../ledger/verify/report";
import { originOf } from "../create-checkpoint";
import { CONTENT_TABLE } from "./batch-reads";
import { checkConsecutiveCheckpoints, compareSignedRoots, compareWithExternalStore, reportNodeMismatches, reportRewrittenHistory } from "./checkpoint-checks";
import { checkCheckpoints, type CheckedCheckpoint } from "./checkpoint-notes";
import { reportCountDifferences } from "./decision-counts-check";
import { streamLog } from "./log-stream";
import { Findings, progress, throwIfAborted, type SeqRange, type VerifyLogOptions, type VerifyRun } from "./verify-run";

export * from "../../ledger/verify/report";
export type { VerifyLogOptions } from "./verify-run";

export type VerifyDatabaseOptions = Omit<VerifyLogOptions, "logId" | "fromSeq" | "toSeq" | "origin"> & {
  /** Logs to verify (default both). */
  logs?: LogId[];
  /** Deployment origin (LEDGER_ORIGIN); each log's checkpoint origin is `${origin}/${logId}`. */
  origin?: string;
};

/** What the checkpoints say about the log, read before its size (see checkCheckpoints). */
interface SignedState {
  database: CheckedCheckpoint[];
  external: CheckedCheckpoint[] | null;
  /** Checkpoints whose signature and origin verified, from both places. */
  valid: CheckedCheckpoint[];
  /** Largest validly signed tree size. */
  signedSize: number;
  logSize: number;
  checkpointsChecked: number;
}

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
  const findings = new Findings(Math.max(1_000, (opts.maxFailures ?? 100) * 10));
  const warnings: string[] = [];
  throwIfAborted(opts.signal, 0);

  // 1. Checkpoints first, then the size.
  const signed = await readSignedState(db, opts, findings);
  if (signed.logSize === 0 && (opts.fromSeq ?? 0) === 0) {
    if (signed.signedSize > 0) truncated(findings, 0, signed);
    return finish(opts, signed, { failures: findings.failures, failureCount: findings.count, warnings, started, range: null, recordsChecked: 0 });
  }
  const range = resolveRange(opts, signed.logSize);
  const run: VerifyRun = { db, opts, logId: opts.logId, range, findings, warnings, started };

  // 2. The records in seq order, against the chain and the rebuilt tree.
  const { analyzer, tree } = await streamLog(run, checkSizes(signed.valid, range));
  await reportChangedColumns(run);

  // 3. The signed history against the rebuilt tree and the stored nodes.
  const { rootMismatches, matched } = compareSignedRoots(tree, signed.valid);
  let confirmedSize = 0;
  for (const n of matched) confirmedSize = Math.max(confirmedSize, n);
  analyzer.settle({ signedSize: signed.signedSize, confirmedSize });
  const entryIdAt = (seq: number) => readEntryId(db, opts.logId, seq);
  await reportRewrittenHistory(run, tree, rootMismatches, matched, entryIdAt);
  await reportNodeMismatches(run, tree, rootMismatches, signed.signedSize, entryIdAt);
  await checkConsecutiveCheckpoints(run, signed.database, signed.logSize, rootMismatches, matched);
  if (signed.external) compareWithExternalStore(run, signed.database, signed.external, signed.logSize, tree, matched);

  // 4. The tail: shorter than signed, or content rows beyond the registry's end.
  if (signed.logSize < signed.signedSize) truncated(findings, signed.logSize, signed);
  if (range.fullRun) await reportOrphans(run, signed.logSize, signed.signedSize);
  // 5. The explorer's decision counts against a recount of the rows (whole log only).
  if (range.fullRun && opts.logId === "decisions") await reportCountDifferences(run);

  const total = range.toSeq - range.fromSeq + 1;
  progress(opts, total, total, started);
  // A range run looked one record past its end only to judge a break at toSeq.
  const failures = range.fullRun ? findings.failures : findings.failures.filter((f) => f.seq === undefined || f.seq <= range.toSeq || f.class === "truncated_tail");
  return finish(opts, signed, {
    failures,
    failureCount: findings.count - (findings.failures.length - failures.length),
    warnings,
    started,
    range: { fromSeq: range.fromSeq, toSeq: range.toSeq },
    recordsChecked: total,
  });
}

/** Verifies both logs (or `opts.logs`), one after the other. */
export async function verifyDatabase(db: Db, opts: VerifyDatabaseOptions): Promise<DatabaseVerificationReport> {
  const started = performance.now();
  const logs: VerificationReport[] = [];
  for (const logId of opts.logs ?? LOG_IDS) {
    logs.push(await verifyLog(db, { ...opts, logId, origin: opts.origin ? originOf(opts.origin, logId) : undefined }));
  }
  return { ok: logs.every((l) => l.ok), logs, durationMs: Math.round(performance.now() - started) };
}

// ---------------------------------------------------------------------------------------

async function readSignedState(db: Db, opts: VerifyLogOptions, findings: Findings): Promise<SignedState> {
  const { database, external } = await checkCheckpoints(db, opts, findings.report);
  const logSize = await readLogSize(db, opts.logId);
  const valid = [...database, ...(external ?? [])].filter((c) => c.valid);
  return {
    database,
    external,
    valid,
    signedSize: valid.reduce((m, c) => Math.max(m, c.size), 0),
    logSize,
    checkpointsChecked: countNotes(database, external),
  };
}

function resolveRange(opts: VerifyLogOptions, logSize: number): SeqRange {
  const fromSeq = opts.fromSeq ?? 0;
  const toSeq = Math.min(opts.toSeq ?? logSize - 1, logSize - 1);
  if (!Number.isSafeInteger(fromSeq) || fromSeq < 0) throw new RangeError(`fromSeq must be a whole number >= 0, got ${fromSeq}`);
  if (opts.toSeq !== undefined && (!Number.isSafeInteger(opts.toSeq) || opts.toSeq < fromSeq)) {
    throw new RangeError(`toSeq must be a whole number >= fromSeq (${fromSeq}), got ${opts.toSeq}`);
  }
  if (fromSeq > toSeq) throw new RangeError(`fromSeq ${fromSeq} is beyond the last record of the ${opts.logId} log (seq ${logSize - 1})`);
  return { fromSeq, toSeq, fullRun: fromSeq === 0 && toSeq === logSize - 1, streamEnd: Math.min(toSeq + 2, logSize) };
}

/** Sizes at which the recomputed root is compared with signed roots, ascending. */
function checkSizes(valid: CheckedCheckpoint[], range: SeqRange): number[] {
  return [...new Set(valid.map((c) => c.size))].filter((n) => n >= Math.max(1, range.fromSeq) && n <= range.toSeq + 1).sort((a, b) => a - b);
}

const changedColumnsRow = z.object({ seq: bigintColumn, entry_id: z.string(), id: z.string(), e_rec: z.string(), d_rec: z.string() });

/**
 * Content rows whose id or recorded_at column no longer agrees with the registry (when no
 * other content row at that seq does): one pass in SQL instead of shipping both columns of
 * every row. The hashed canonical text may still be intact; these columns are what the
 * dashboard filters and the idempotency check use.
 */
async function reportChangedColumns(run: VerifyRun): Promise<void> {
  const { db, logId, range, findings } = run;
  const table = sql.raw(CONTENT_TABLE[logId]);
  const rows = await queryRows(
    db,
    sql`select e.seq, e.entry_id::text as entry_id, d.id::text as id, e.recorded_at::text as e_rec, d.recorded_at::text as d_rec
        from log_entries e join ${table} d on d.seq = e.seq
        where e.log_id = ${logId} and e.seq >= ${range.fromSeq} and e.seq <= ${range.toSeq}
          and (d.id <> e.entry_id or d.recorded_at <> e.recorded_at)
          and not exists (select 1 from ${table} m where m.seq = e.seq and m.id = e.entry_id and m.recorded_at = e.recorded_at)
        order by e.seq limit ${findings.keep}`,
    changedColumnsRow,
  );
  for (const r of rows) {
    const idChanged = r.id !== r.entry_id;
    findings.report({
      class: "modified_record",
      seq: r.seq,
      statementId: r.entry_id,
      message: idChanged
        ? `seq ${r.seq}: the content row's id column was changed to ${r.id} (the registry says ${r.entry_id})`
        : `seq ${r.seq}: the content row's recorded_at column was changed (it says ${r.d_rec}; the registry says ${r.e_rec})`,
      expected: idChanged ? r.entry_id : r.e_rec,
      actual: idChanged ? r.id : r.d_rec,
    });
  }
}

const orphanRow = z.object({ seq: bigintColumn, id: z.string() });

/** Content rows beyond the end of the log without a registry entry, past what truncation explains. */
async function reportOrphans(run: VerifyRun, logSize: number, signedSize: number): Promise<void> {
  const { db, logId } = run;
  const table = sql.raw(CONTENT_TABLE[logId]);
  const orphans = await queryRows(
    db,
    sql`select d.seq, d.id from ${table} d
        where d.seq >= ${logSize} and not exists (select 1 from log_entries e where e.log_id = ${logId} and e.seq = d.seq)
        order by d.seq limit ${run.opts.maxFailures ?? 100}`,
    orphanRow,
  );
  for (const o of orphans) {
    if (o.seq < signedSize) continue; // part of the truncation reported above
    run.findings.report({
      class: "inserted_record",
      seq: o.seq,
      statementId: o.id,
      message: `seq ${o.seq}: a content row beyond the end of the log, without a registry entry`,
    });
  }
}

const entryIdRow = z.object({ entry_id: z.string() });

async function readEntryId(db: Db, logId: LogId, seq: number): Promise<string | undefined> {
  const rows = await queryRows(db, sql`select entry_id from log_entries where log_id = ${logId} and seq = ${seq}`, entryIdRow);
  return rows[0]?.entry_id;
}

function truncated(findings: Findings, logSize: number, signed: SignedState): void {
  const { signedSize } = signed;
  const source = signed.valid.find((c) => c.size === signedSize)?.source;
  findings.report({
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

function finish(
  opts: VerifyLogOptions,
  signed: SignedState,
  r: {
    failures: VerificationFailure[];
    failureCount: number;
    warnings: string[];
    started: number;
    range: VerificationReport["range"];
    recordsChecked: number;
  },
): VerificationReport {
  // By position in the log; checkpoint-level findings sit at the last record they cover.
  const at = (f: VerificationFailure) => f.seq ?? (f.checkpointSize !== undefined ? f.checkpointSize - 1 : Number.MAX_SAFE_INTEGER);
  const sorted = r.failures.slice().sort((a, b) => at(a) - at(b) || ORDER[a.class] - ORDER[b.class]);
  const externalDescription = opts.externalStore?.description;
  return {
    ok: sorted.length === 0,
    logId: opts.logId,
    recordsChecked: r.recordsChecked,
    checkpointsChecked: signed.checkpointsChecked,
    range: r.range,
    durationMs: Math.round(performance.now() - r.started),
    failures: sorted.slice(0, opts.maxFailures ?? 100),
    failureCount: Math.max(r.failureCount, sorted.length),
    warnings: r.warnings,
    logSize: signed.logSize,
    signedSize: signed.signedSize,
    ...(externalDescription ? { externalStore: externalDescription } : {}),
  };
}
