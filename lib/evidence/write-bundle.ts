import "server-only";
// Server side: writes an evidence bundle as a streaming zip (fflate Zip + ZipDeflate), in
// batches of records, so memory stays flat however many records are exported: at any time
// it holds one batch of records, the Merkle nodes their proofs need, the selected seq list
// (8 bytes a record) and at most REPORT_ROW_LIMIT report rows.

import { createHash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { sql } from "drizzle-orm";
import { Zip, ZipDeflate } from "fflate";
import { z } from "zod";
import { queryRows } from "../../db/client";
import { decisionColumnsRead, type DecisionColumnsOf } from "../../db/queries/decisions";
import { bigintColumn, byteaColumn } from "../../db/rows/columns";
import { hashLeafText, nodeBinaryBackend, nodeHasher, sha256 } from "../hash/node-sha256";
import { fromBase64, toBase64, toHex, utf8Encode } from "../ledger/bytes";
import { nodeKey, rangeNodes, type NodeId } from "../ledger/compact-range";
import { canonicalize } from "../ledger/jcs";
import type { LogId } from "../ledger/log-id";
import { assembleProof, inclusionProofPlan, type ProofStep } from "../ledger/merkle";
import { decisionColumnKeysWith, type ExportColumnKey } from "../ledger/xapi/decision-columns";
import { deriveDecisionColumns } from "../ledger/xapi/derived-columns";
import { personalDataFormatOf } from "../ledger/xapi/personal-data-format";
import { maskPersonalData } from "../ledger/xapi/personal-data";
import { displayPersonalPointers } from "../ledger/xapi/personal-positions";
import type { XapiStatement } from "../ledger/xapi/types";
import { readLatestCheckpoint, type CheckpointRecord } from "../ledger-store/create-checkpoint";
import { readPerfectNodes, type Queryable } from "../ledger-store/log-append";
import { readConsistencyProof, readInclusionProof } from "../ledger-store/merkle-store";
import {
  BUNDLE_FILES as F,
  BUNDLE_FORMAT,
  formatOpeningLine,
  formatRecordLine,
  formatSha256Sums,
  formatTlogProof,
  splitSignedNote,
  verifierKeyToPem,
  type BundleDisclosure,
  type BundleManifest,
  type ConsistencyFile,
  type ExportReceipt,
  type ManifestFile,
} from "./bundle-format";
import { recordOpeningLines, RecordOpeningsError, type StoredOpenings } from "./record-openings";
import { renderReport, type ReportRow } from "./report-html";
import { renderVerifyText } from "./verify-text";

export const RECORD_BATCH = 1000;
export const REPORT_ROW_LIMIT = 5000;

/** Where the zip bytes go. `write` must not block; `flush` waits until the sink has drained. */
export interface ByteSink {
  write(chunk: Uint8Array): void;
  flush(): Promise<void>;
  close(): Promise<void>;
  abort(error: Error): Promise<void>;
}

/** A file sink with backpressure: flush() waits for the stream's 'drain'. */
export function fileSink(path: string): ByteSink & { bytesWritten(): number } {
  const stream: WriteStream = createWriteStream(path, { mode: 0o600 });
  let failed: Error | null = null;
  let written = 0;
  stream.on("error", (e) => (failed = e));
  const wait = (event: "drain" | "finish" | "close") =>
    new Promise<void>((resolve, reject) => {
      if (failed) return reject(failed);
      const onError = (e: Error) => reject(e);
      stream.once("error", onError);
      stream.once(event, () => {
        stream.off("error", onError);
        resolve();
      });
    });
  return {
    write(chunk) {
      written += chunk.length;
      stream.write(chunk);
    },
    async flush() {
      if (failed) throw failed;
      if (stream.writableNeedDrain) await wait("drain");
    },
    async close() {
      if (failed) throw failed;
      const done = wait("close");
      stream.end();
      await done;
    },
    async abort() {
      stream.destroy();
    },
    bytesWritten: () => written,
  };
}

/** What the writer needs from the deployment: the database, its identity and a way to sign checkpoints now. */
export interface BundleLedger {
  db: Queryable;
  /** LEDGER_ORIGIN. */
  deployment: string;
  verifierKey: string;
  /** Signs a checkpoint of the log now if it grew (checkpointNow); returns the latest checkpoint. */
  signCheckpoint(logId: LogId): Promise<CheckpointRecord | null>;
}

export interface WriteBundleInput {
  bundleId: string;
  createdAt: Date;
  createdBy: BundleManifest["createdBy"];
  selection: BundleManifest["selection"];
  /** The selected records' positions in the decisions log, ascending, without duplicates. */
  seqs: number[];
  /** Null: personal data is left out (legacy records masked). Set: it is disclosed, for this reason. */
  disclosure: BundleDisclosureInput | null;
  sink: ByteSink;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /**
   * Writes the export's access-log entry with the manifest's SHA-256 (the caller knows who
   * exported and from where) and returns its position in the access log, for the receipt.
   */
  recordExport(summary: ExportSummary): Promise<{ seq: number }>;
}

/** Personal data disclosed in a bundle: why, and how to read the openings (the caller holds the keys). */
export interface BundleDisclosureInput {
  reason: string;
  /** The vault's openings of these records (readRecordOpenings). */
  readOpenings(recordIds: string[]): Promise<ReadonlyMap<string, StoredOpenings>>;
}

/** What the export's access-log entry records. */
export interface ExportSummary {
  bundleId: string;
  manifestSha256: string;
  recordCount: number;
  description: string;
  /** Set when personal data was disclosed: the manifest's disclosure (reason, who, counts). */
  disclosure: BundleDisclosure | null;
}

export interface WriteBundleResult {
  manifest: BundleManifest;
  manifestSha256: string;
  recordCount: number;
  warnings: string[];
}

export class BundleExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BundleExportError";
  }
}

const encoder = new TextEncoder();

/**
 * Streams one zip entry, hashing and counting what goes in. The file's SHA-256 (for the
 * manifest) is taken incrementally with node:crypto: the ledger's hasher digests whole
 * buffers, and records.jsonl is never held whole.
 */
class Entry {
  private readonly file: ZipDeflate;
  private readonly hash = createHash("sha256");
  private bytes = 0;
  constructor(
    zip: Zip,
    readonly path: string,
    mtime: Date,
    // Level 3: for the large JSON files it halves the time of level 6 for ~12% more bytes;
    // compression is the export's largest CPU cost (see docs/benchmarks.md, Evidence).
    level: 3 | 6 = 3,
  ) {
    this.file = new ZipDeflate(path, { level });
    this.file.mtime = mtime;
    zip.add(this.file);
  }
  private pending = "";
  push(data: string | Uint8Array): void {
    const chunk = typeof data === "string" ? encoder.encode(data) : data;
    if (chunk.length === 0) return;
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.file.push(chunk, false);
  }
  /**
   * Appends one line. Lines are gathered into ~64 KB chunks: large enough for cheap
   * compression calls, small enough that no batch-sized string or buffer is ever built
   * (multi-megabyte temporaries are what made the heap grow with the export's size).
   */
  line(text: string): void {
    this.pending += text + "\n";
    if (this.pending.length >= 65_536) {
      this.push(this.pending);
      this.pending = "";
    }
  }
  end(): ManifestFile {
    if (this.pending) this.push(this.pending);
    this.pending = "";
    this.file.push(new Uint8Array(0), true);
    return { path: this.path, sha256: this.hash.digest("hex"), bytes: this.bytes };
  }
}

/**
 * What the report needs of a record: the derived columns stored beside it at ingest (the
 * catalogue's `inExport` columns). Read back from the database, the two enumerations are
 * plain strings: a stored value outside them is reported as it is, not refused.
 */
type ReportColumns = DecisionColumnsOf<ExportColumnKey, "date", "text">;

interface StoredRecord extends ReportColumns {
  seq: number;
  id: string;
  leafHash: Uint8Array;
  canonical: string;
}

/** The report's columns as the export reads them: timestamps as Dates, enumerations unchecked (see ReportColumns). */
const EXPORT_COLUMNS = decisionColumnsRead(decisionColumnKeysWith("inExport"), { timestamps: "date", enumerations: "text" });

/** A decisions row with its log entry, as the export reads it (raw SQL: column types checked per row). */
const storedRecordRow = z.object({ seq: bigintColumn, entry_id: z.string(), leaf_hash: byteaColumn, canonical: z.string(), ...EXPORT_COLUMNS.shape });

async function readRecords(db: Queryable, seqs: number[]): Promise<StoredRecord[]> {
  const rows = await queryRows(
    db,
    sql`select e.seq, e.entry_id, e.leaf_hash, d.canonical, ${EXPORT_COLUMNS.select}
        from log_entries e join decisions d on d.seq = e.seq and d.recorded_at = e.recorded_at
        where e.log_id = 'decisions' and e.seq = any(${sql.raw(`array[${seqs.join(",")}]::bigint[]`)})
        order by e.seq`,
    storedRecordRow,
  );
  return rows.map((r) => ({ seq: r.seq, id: r.entry_id, leafHash: r.leaf_hash, canonical: r.canonical, ...EXPORT_COLUMNS.pick(r) }));
}

/**
 * Inclusion proofs for many leaves of one tree, with one node query per batch: the proofs of
 * neighbouring leaves share most of their upper nodes, so each distinct range is read and
 * hashed once.
 */
export async function readInclusionProofs(db: Queryable, logId: LogId, seqs: number[], size: number): Promise<string[][]> {
  const plans = seqs.map((s) => inclusionProofPlan(s, size));
  const rangeKey = (step: ProofStep) => `${step.start}-${step.end}`;
  const ranges = new Map<string, ProofStep>();
  for (const plan of plans) for (const step of plan) ranges.set(rangeKey(step), step);
  const wanted = new Map<string, NodeId>();
  for (const range of ranges.values()) for (const id of rangeNodes(range.start, range.end)) wanted.set(nodeKey(id), id);
  const stored = await readPerfectNodes(db, logId, [...wanted.values()]);
  const hashes = assembleProof(nodeHasher, [...ranges.values()], (id) => {
    const hash = stored.get(nodeKey(id));
    if (!hash) throw new BundleExportError(`Merkle node ${nodeKey(id)} of the ${logId} log is missing; run a verification from the Integrity page`);
    return hash;
  });
  const rangeHash = new Map([...ranges.keys()].map((key, i) => [key, toBase64(hashes[i]!)]));
  return plans.map((plan) => plan.map((step) => rangeHash.get(rangeKey(step))!));
}

/** Starts `load` now; a rejection is kept for the await (no unhandled-rejection warning if the export stops first). */
function prefetch<T>(load: () => Promise<T>): Promise<T> {
  const p = load();
  p.catch(() => {});
  return p;
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new BundleExportError("the export was cancelled");
}

/**
 * The selection in batches of RECORD_BATCH with what `load` reads for each, one batch read
 * ahead: the database works on the next batch while the caller hashes and compresses this
 * one. Stops with a BundleExportError once `signal` is aborted.
 */
async function* readAhead<T>(
  batches: readonly number[][],
  load: (batch: number[]) => Promise<T>,
  signal?: AbortSignal,
): AsyncGenerator<{ batch: number[]; offset: number; loaded: T }> {
  let next = prefetch(() => load(batches[0]!));
  for (let b = 0; b < batches.length; b++) {
    checkAborted(signal);
    const loaded = await next;
    if (b + 1 < batches.length) next = prefetch(() => load(batches[b + 1]!));
    yield { batch: batches[b]!, offset: b * RECORD_BATCH, loaded };
  }
}

/** The checkpoint every proof refers to: the latest, signed now if the selection is newer. */
async function checkpointCovering(ledger: BundleLedger, logId: LogId, maxSeq: number): Promise<CheckpointRecord> {
  let cp = await readLatestCheckpoint(ledger.db, logId);
  if (!cp || cp.treeSize <= maxSeq) cp = await ledger.signCheckpoint(logId);
  if (!cp || cp.treeSize <= maxSeq) throw new BundleExportError(`no signed checkpoint of the ${logId} log covers position ${maxSeq}`);
  return cp;
}

/** The decisions checkpoint of the bundle, with the parts its files show on their own. */
interface BundleCheckpoint {
  record: CheckpointRecord;
  size: number;
  /** The signed text (checkpoint.msg) and its signature lines. */
  note: ReturnType<typeof splitSignedNote>;
  signatureLine: { keyName: string; signature: string };
  /** The Ed25519 signature without its 4-byte key id (checkpoint.sig). */
  rawSignature: Uint8Array;
  origin: string;
  /** Base64, as the manifest and VERIFY.txt show it. */
  rootHash: string;
}

async function bundleCheckpoint(ledger: BundleLedger, seqs: number[]): Promise<BundleCheckpoint> {
  const record = await checkpointCovering(ledger, "decisions", seqs[seqs.length - 1]!);
  const note = splitSignedNote(record.signedNote);
  const signatureLine = note.signatures[0];
  if (!signatureLine) throw new BundleExportError("the checkpoint has no signature");
  return {
    record,
    size: record.treeSize,
    note,
    signatureLine,
    rawSignature: fromBase64(signatureLine.signature).slice(4),
    origin: note.text.split("\n")[0]!,
    rootHash: toBase64(record.rootHash),
  };
}

/** The zip being streamed into the sink, with the manifest entries of the files written so far, in order. */
class BundleZip {
  readonly files: ManifestFile[] = [];
  private readonly zip: Zip;
  private zipError: Error | null = null;

  constructor(
    private readonly sink: ByteSink,
    private readonly mtime: Date,
  ) {
    this.zip = new Zip((err, chunk) => {
      if (err) this.zipError = err;
      else if (chunk.length > 0) sink.write(chunk);
    });
  }

  /** Starts a file written piece by piece; `finish` records it. */
  open(path: string, level?: 3 | 6): Entry {
    return new Entry(this.zip, path, this.mtime, level);
  }

  finish(entry: Entry): void {
    this.files.push(entry.end());
  }

  add(path: string, content: string | Uint8Array): void {
    const entry = this.open(path);
    entry.push(content);
    this.finish(entry);
  }

  /** Waits until the sink has taken what the zip produced (backpressure). */
  async flush(): Promise<void> {
    if (this.zipError) throw this.zipError;
    await this.sink.flush();
  }

  async close(): Promise<void> {
    this.zip.end();
    await this.flush();
    await this.sink.close();
  }

  async abort(error: Error): Promise<void> {
    this.zip.terminate();
    await this.sink.abort(error);
  }
}

export async function writeEvidenceBundle(ledger: BundleLedger, input: WriteBundleInput): Promise<WriteBundleResult> {
  const { seqs } = input;
  if (seqs.length === 0) throw new BundleExportError("no decisions match this selection, so there is nothing to export");
  for (let i = 1; i < seqs.length; i++) if (!(seqs[i]! > seqs[i - 1]!)) throw new BundleExportError("internal: seqs must be ascending and unique");
  const checkpoint = await bundleCheckpoint(ledger, seqs);

  const zip = new BundleZip(input.sink, input.createdAt);
  try {
    addCheckpointFiles(zip, ledger, checkpoint);
    const consistency = await addConsistencyFile(zip, ledger.db, checkpoint.size);
    await zip.flush();
    const batches: number[][] = [];
    for (let i = 0; i < seqs.length; i += RECORD_BATCH) batches.push(seqs.slice(i, i + RECORD_BATCH));
    const records = await writeRecords(zip, ledger.db, input, batches);
    await writeProofs(zip, ledger.db, input, batches, records.ids, checkpoint);
    const disclosure = input.disclosure ? await writeOpenings(zip, ledger.db, input, input.disclosure, batches) : null;
    const manifestBase = describeBundle(ledger, input, checkpoint, consistency, records.withheldRecords, disclosure);
    addReaderFiles(zip, ledger, manifestBase, records, checkpoint);
    const manifest: BundleManifest = { ...manifestBase, files: zip.files.slice() };
    const manifestText = JSON.stringify(manifest, null, 2) + "\n";
    const manifestSha256 = toHex(sha256(utf8Encode(manifestText)));
    zip.add(F.manifest, manifestText);
    await zip.flush();
    await addReceipt(zip, ledger, input, manifestSha256, disclosure);
    zip.add(F.sha256sums, formatSha256Sums(zip.files));
    await zip.close();
    return { manifest, manifestSha256, recordCount: seqs.length, warnings: [] };
  } catch (error) {
    await zip.abort(error as Error);
    throw error;
  }
}

function addCheckpointFiles(zip: BundleZip, ledger: BundleLedger, checkpoint: BundleCheckpoint): void {
  zip.add(F.verifierKey, `${ledger.verifierKey}\n`);
  zip.add(F.keyPem, verifierKeyToPem(ledger.verifierKey));
  zip.add(F.checkpointNote, checkpoint.record.signedNote);
  zip.add(F.checkpointMessage, checkpoint.note.text);
  zip.add(F.checkpointSignature, checkpoint.rawSignature);
}

const earlierCheckpointRow = z.object({ tree_size: bigintColumn, signed_note: z.string() });

/** consistency.json: proofs from the earlier checkpoints a recipient may already hold (the first and the previous one). */
async function addConsistencyFile(zip: BundleZip, db: Queryable, size: number): Promise<ConsistencyFile> {
  const earlier = await queryRows(
    db,
    sql`(select tree_size, signed_note from checkpoints where log_id = 'decisions' and tree_size < ${size} order by tree_size asc limit 1)
        union
        (select tree_size, signed_note from checkpoints where log_id = 'decisions' and tree_size < ${size} order by tree_size desc limit 1)`,
    earlierCheckpointRow,
  );
  const consistency: ConsistencyFile = { proofs: [] };
  for (const e of earlier.sort((a, b) => a.tree_size - b.tree_size)) {
    const proof = await readConsistencyProof(db, "decisions", e.tree_size, size);
    consistency.proofs.push({ fromSize: e.tree_size, toSize: size, fromCheckpoint: e.signed_note, proof: proof.map(toBase64) });
  }
  zip.add(F.consistency, JSON.stringify(consistency, null, 2) + "\n");
  return consistency;
}

/** The report's aggregates and its first REPORT_ROW_LIMIT rows, gathered while records.jsonl is written. */
class ReportTally {
  readonly byActorType = new Map<string, number>();
  readonly byOutcome = new Map<string, number>();
  readonly byModelVersion = new Map<string, number>();
  readonly rows: ReportRow[] = [];

  add(r: { seq: number; id: string }, c: ReportColumns, withheld: boolean): void {
    bump(this.byActorType, c.actorType);
    bump(this.byOutcome, c.outcome ?? "(none)");
    bump(this.byModelVersion, [c.modelName ?? c.aiSystem, c.modelVersion].filter(Boolean).join(" ") || "(no AI model)");
    if (this.rows.length >= REPORT_ROW_LIMIT) return;
    this.rows.push({
      seq: r.seq,
      id: r.id,
      occurredAt: c.occurredAt.toISOString(),
      actorType: c.actorType,
      aiSystem: c.aiSystem,
      model: [c.modelName, c.modelVersion].filter(Boolean).join(" ") || null,
      verb: c.verb,
      entity: c.entityId ? `${c.entityType ?? "entity"} ${c.entityId}` : null,
      outcome: c.outcome,
      confidence: c.confidence,
      humanReview: c.humanReview === "none" ? "none" : c.reviewerName ? `${c.humanReview} by ${c.reviewerName}` : c.humanReview,
      withheld,
    });
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** What writing records.jsonl gathers for the files after it. */
interface WrittenRecords {
  /** The records' ids in selection order, for proofs.jsonl. */
  ids: string[];
  withheldRecords: number;
  /** The first record shown in full: VERIFY.txt's worked example. */
  firstRecord: { seq: number; id: string; leafHash: string } | null;
  report: ReportTally;
}

/** records.jsonl, in seq order, with the report's aggregates gathered on the way. */
async function writeRecords(zip: BundleZip, db: Queryable, input: WriteBundleInput, batches: readonly number[][]): Promise<WrittenRecords> {
  const entry = zip.open(F.records);
  const written: WrittenRecords = { ids: [], withheldRecords: 0, firstRecord: null, report: new ReportTally() };
  for await (const { batch, offset, loaded: stored } of readAhead(batches, (b) => readRecords(db, b), input.signal)) {
    if (stored.length !== batch.length) {
      const found = new Set(stored.map((r) => r.seq));
      const missing = batch.find((s) => !found.has(s));
      throw new BundleExportError(`record at position ${missing} has no content in the database; run a verification from the Integrity page`);
    }
    for (const r of stored) writeRecord(entry, r, input.disclosure !== null, written);
    input.onProgress?.(Math.min(offset + RECORD_BATCH, input.seqs.length), input.seqs.length * 2);
    await zip.flush();
  }
  zip.finish(entry);
  return written;
}

function writeRecord(entry: Entry, r: StoredRecord, includePersonalData: boolean, written: WrittenRecords): void {
  // Refuse to hand out evidence the ledger itself no longer vouches for. hashLeafText hashes
  // the text in a scratch buffer: no two ~3 KB copies per record for the collector to chase.
  if (hashLeafText(r.canonical) !== nodeBinaryBackend.fromBytes(r.leafHash)) {
    throw new BundleExportError(
      `record at position ${r.seq} (id ${r.id}) does not match its stored hash; run a verification from the Integrity page before exporting`,
    );
  }
  const leafHex = toHex(r.leafHash);
  written.ids.push(r.id);
  const shown = includePersonalData ? null : maskedCopy(r);
  if (shown) written.withheldRecords++;
  const withheld = shown?.withheld ?? null;
  entry.line(formatRecordLine({ seq: r.seq, id: r.id, leafHash: leafHex, withheld, canonical: shown?.canonical ?? r.canonical }));
  if (!written.firstRecord && !withheld) written.firstRecord = { seq: r.seq, id: r.id, leafHash: leafHex };
  written.report.add(r, shown?.columns ?? r, withheld !== null);
}

/**
 * The copy of a record shown when personal data is withheld, or null when it is shown in
 * full: a record without personal data, or one whose personal data is committed (format 1),
 * so its canonical bytes hold commitments, never the values. Only a legacy (format 0) record
 * with personal data is masked, at every position the display rule finds (human agents and
 * person entity ids included); its report columns are derived again from the masked copy.
 */
function maskedCopy(r: StoredRecord): { withheld: string[]; canonical: string; columns: ReportColumns } | null {
  const statement = JSON.parse(r.canonical) as XapiStatement;
  if (personalDataFormatOf(statement) === 1) return null;
  const pointers = displayPersonalPointers(statement);
  if (pointers.length === 0) return null;
  const shown = maskPersonalData(statement, pointers);
  return { withheld: pointers, canonical: canonicalize(shown), columns: deriveDecisionColumns(shown) };
}

/** proofs.jsonl: one c2sp.org/tlog-proof per record, against the bundle's checkpoint. */
async function writeProofs(
  zip: BundleZip,
  db: Queryable,
  input: WriteBundleInput,
  batches: readonly number[][],
  ids: readonly string[],
  checkpoint: BundleCheckpoint,
): Promise<void> {
  const { seqs } = input;
  // Proof hashes are random bytes: level 6 costs no more time than 3 here and shares the repeated checkpoint text better.
  const entry = zip.open(F.proofs, 6);
  for await (const { batch, offset, loaded } of readAhead(batches, (b) => readInclusionProofs(db, "decisions", b, checkpoint.size), input.signal)) {
    batch.forEach((seq, j) => {
      entry.line(JSON.stringify({ seq, id: ids[offset + j]!, tlogProof: formatTlogProof(seq, loaded[j]!, checkpoint.record.signedNote) }));
    });
    input.onProgress?.(seqs.length + Math.min(offset + RECORD_BATCH, seqs.length), seqs.length * 2);
    await zip.flush();
  }
  zip.finish(entry);
}

/**
 * openings.jsonl: the openings of every committed value of the selection, in record order.
 * A pass of its own after proofs.jsonl (the zip writes one file at a time, so writing it
 * beside records.jsonl would buffer it whole); only an export that discloses reads the
 * records a second time.
 */
async function writeOpenings(
  zip: BundleZip,
  db: Queryable,
  input: WriteBundleInput,
  disclosure: BundleDisclosureInput,
  batches: readonly number[][],
): Promise<BundleDisclosure> {
  const entry = zip.open(F.openings, 6);
  const counts = { openings: 0, erasedValues: 0 };
  const load = async (batch: number[]) => {
    const records = await readRecords(db, batch);
    return { records, stored: await disclosure.readOpenings(records.map((r) => r.id)) };
  };
  for await (const { loaded } of readAhead(batches, load, input.signal)) {
    for (const r of loaded.records) {
      let opened: ReturnType<typeof recordOpeningLines>;
      try {
        opened = recordOpeningLines(nodeHasher.backend, r, loaded.stored.get(r.id));
      } catch (error) {
        if (error instanceof RecordOpeningsError) throw new BundleExportError(`${error.message}; run a verification from the Integrity page`);
        throw error;
      }
      for (const line of opened.lines) entry.line(formatOpeningLine(line));
      counts.openings += opened.lines.length;
      counts.erasedValues += opened.erased;
    }
    await zip.flush();
  }
  zip.finish(entry);
  return { reason: disclosure.reason, disclosedBy: input.createdBy, ...counts };
}

function describeBundle(
  ledger: BundleLedger,
  input: WriteBundleInput,
  checkpoint: BundleCheckpoint,
  consistency: ConsistencyFile,
  withheldRecords: number,
  disclosure: BundleDisclosure | null,
): Omit<BundleManifest, "files"> {
  const { seqs } = input;
  return {
    format: BUNDLE_FORMAT,
    bundleId: input.bundleId,
    createdAt: input.createdAt.toISOString(),
    createdBy: input.createdBy,
    ledger: { deployment: ledger.deployment, checkpointOrigin: checkpoint.origin, verifierKey: ledger.verifierKey },
    selection: input.selection,
    recordCount: seqs.length,
    personalData: disclosure ? "included" : "withheld",
    withheldRecords,
    disclosure,
    firstSeq: seqs[0]!,
    lastSeq: seqs[seqs.length - 1]!,
    checkpoint: {
      origin: checkpoint.origin,
      treeSize: checkpoint.size,
      rootHash: checkpoint.rootHash,
      keyName: checkpoint.signatureLine.keyName,
      keyId: checkpoint.record.keyId,
      signedAt: checkpoint.record.createdAt.toISOString(),
    },
    consistency: consistency.proofs.map((p) => ({ fromSize: p.fromSize, toSize: p.toSize })),
  };
}

/** The files for people: the HTML report and VERIFY.txt. */
function addReaderFiles(
  zip: BundleZip,
  ledger: BundleLedger,
  manifestBase: Omit<BundleManifest, "files">,
  records: WrittenRecords,
  checkpoint: BundleCheckpoint,
): void {
  const { report } = records;
  zip.add(
    F.report,
    renderReport({
      manifest: manifestBase,
      byActorType: report.byActorType,
      byOutcome: report.byOutcome,
      byModelVersion: report.byModelVersion,
      rows: report.rows,
      rowLimit: REPORT_ROW_LIMIT,
    }),
  );
  zip.add(
    F.verifyText,
    renderVerifyText({
      deployment: ledger.deployment,
      checkpointOrigin: checkpoint.origin,
      verifierKey: ledger.verifierKey,
      treeSize: checkpoint.size,
      rootHash: checkpoint.rootHash,
      recordCount: manifestBase.recordCount,
      firstRecord: records.firstRecord,
    }),
  );
}

const accessEntryRow = z.object({ canonical: z.string(), leaf_hash: byteaColumn });

/**
 * The receipt: the export's access-log entry (naming the manifest's hash), proven included
 * in a signed checkpoint of the access log. The verifier refuses a bundle without one, so
 * an export that cannot write it fails rather than hand out a bundle that will not verify.
 */
async function addReceipt(
  zip: BundleZip,
  ledger: BundleLedger,
  input: WriteBundleInput,
  manifestSha256: string,
  disclosure: BundleDisclosure | null,
): Promise<void> {
  const { db } = ledger;
  const { seq: eventSeq } = await input.recordExport({
    bundleId: input.bundleId,
    manifestSha256,
    recordCount: input.seqs.length,
    description: input.selection.description,
    disclosure,
  });
  const accessCheckpoint = await checkpointCovering(ledger, "access", eventSeq);
  const [row] = await queryRows(
    db,
    sql`select a.canonical, e.leaf_hash from access_events a join log_entries e on e.log_id = 'access' and e.seq = a.seq where a.seq = ${eventSeq}`,
    accessEntryRow,
  );
  if (!row) throw new Error(`access log entry ${eventSeq} not found`);
  const proof = await readInclusionProof(db, "access", eventSeq, accessCheckpoint.treeSize);
  const body: ExportReceipt = {
    accessEvent: row.canonical,
    seq: eventSeq,
    leafHash: toHex(row.leaf_hash),
    tlogProof: formatTlogProof(eventSeq, proof.map(toBase64), accessCheckpoint.signedNote),
  };
  zip.add(F.receipt, JSON.stringify(body, null, 2) + "\n");
}
