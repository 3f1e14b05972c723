// Server side: writes an evidence bundle as a streaming zip (fflate Zip + ZipDeflate), in
// batches of records, so memory stays flat however many records are exported: at any time
// it holds one batch of records, the Merkle nodes their proofs need, the selected seq list
// (8 bytes a record) and at most REPORT_ROW_LIMIT report rows.

import { createHash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { sql } from "drizzle-orm";
import { Zip, ZipDeflate } from "fflate";
import { queryRowsUnchecked } from "../../db/client";
import { toBase64 } from "../ledger/bytes";
import { leafHashOf, nodeHashOf } from "../ledger-store/hash-node";
import { canonicalize } from "../ledger/jcs";
import { inclusionProofPlan, perfectSubtrees } from "../ledger/merkle";
import {
  deriveDecisionColumns,
  maskPersonalData,
  personalDataPointers,
  type XapiStatement,
} from "../ledger/statement";
import { readLatestCheckpoint, type CheckpointRecord } from "../ledger-store/create-checkpoint";
import { readPerfectNodes, type LogId, type Queryable } from "../ledger-store/log-append";
import { readConsistencyProof, readInclusionProof } from "../ledger-store/merkle-store";
import {
  BUNDLE_FILES as F,
  BUNDLE_FORMAT,
  formatRecordLine,
  formatSha256Sums,
  formatTlogProof,
  splitSignedNote,
  verifierKeyToPem,
  type BundleManifest,
  type ConsistencyFile,
  type ExportReceipt,
  type ManifestFile,
} from "./bundle-format";
import { renderReport, type ReportRow } from "./report-html";
import { renderVerifyText } from "./verify-text";
import { fromBase64 } from "../ledger/bytes";

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
  includePersonalData: boolean;
  sink: ByteSink;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /**
   * Writes the export's access-log entry with the manifest's SHA-256 (the caller knows who
   * exported and from where) and returns its position in the access log, for the receipt.
   */
  recordExport(summary: { bundleId: string; manifestSha256: string; recordCount: number; description: string }): Promise<{ seq: number }>;
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

/** Streams one zip entry, hashing and counting what goes in. */
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

/** What the report needs of a record: the derived columns stored beside it at ingest. */
interface ReportColumns {
  occurredAt: Date;
  actorType: string;
  aiSystem: string | null;
  modelName: string | null;
  modelVersion: string | null;
  verb: string;
  entityType: string | null;
  entityId: string | null;
  outcome: string | null;
  confidence: number | null;
  humanReview: string;
  reviewerName: string | null;
}

interface StoredRecord extends ReportColumns {
  seq: number;
  id: string;
  leafHash: Uint8Array;
  canonical: string;
}

async function readRecords(db: Queryable, seqs: number[]): Promise<StoredRecord[]> {
  const rows = await queryRowsUnchecked<{
    seq: string | number;
    entry_id: string;
    leaf_hash: Uint8Array;
    canonical: string;
    occurred_at: string | Date;
    actor_type: string;
    ai_system: string | null;
    model_name: string | null;
    model_version: string | null;
    verb: string;
    entity_type: string | null;
    entity_id: string | null;
    outcome: string | null;
    confidence: string | number | null;
    human_review: string;
    reviewer_name: string | null;
  }>(
    db,
    sql`select e.seq, e.entry_id, e.leaf_hash, d.canonical, d.occurred_at, d.actor_type, d.ai_system, d.model_name, d.model_version,
               d.verb, d.entity_type, d.entity_id, d.outcome, d.confidence, d.human_review, d.reviewer_name
        from log_entries e join decisions d on d.seq = e.seq and d.recorded_at = e.recorded_at
        where e.log_id = 'decisions' and e.seq = any(${sql.raw(`array[${seqs.join(",")}]::bigint[]`)})
        order by e.seq`,
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    id: r.entry_id,
    leafHash: r.leaf_hash,
    canonical: r.canonical,
    occurredAt: new Date(r.occurred_at),
    actorType: r.actor_type,
    aiSystem: r.ai_system,
    modelName: r.model_name,
    modelVersion: r.model_version,
    verb: r.verb,
    entityType: r.entity_type,
    entityId: r.entity_id,
    outcome: r.outcome,
    confidence: r.confidence === null ? null : Number(r.confidence),
    humanReview: r.human_review,
    reviewerName: r.reviewer_name,
  }));
}

/**
 * Inclusion proofs for many leaves of one tree, with one node query per batch: the proofs of
 * neighbouring leaves share most of their upper nodes, so each distinct range is read and
 * hashed once.
 */
export async function readInclusionProofs(db: Queryable, logId: LogId, seqs: number[], size: number): Promise<string[][]> {
  const plans = seqs.map((s) => inclusionProofPlan(s, size));
  const ranges = new Map<string, { start: number; end: number }>();
  for (const plan of plans) for (const step of plan) ranges.set(`${step.start}-${step.end}`, step);
  const ids = new Map<string, { level: number; idx: number }>();
  const parts = new Map<string, string[]>();
  for (const [key, r] of ranges) {
    const subtrees = perfectSubtrees(r.start, r.end);
    parts.set(
      key,
      subtrees.map((n) => {
        const k = `${n.level}:${n.index}`;
        ids.set(k, { level: n.level, idx: n.index });
        return k;
      }),
    );
  }
  const nodes = await readPerfectNodes(db, logId, [...ids.values()]);
  const rangeHash = new Map<string, string>();
  for (const [key, nodeKeys] of parts) {
    const hashes = nodeKeys.map((k) => {
      const h = nodes.get(k);
      if (!h) throw new BundleExportError(`Merkle node ${k} of the ${logId} log is missing; run a verification from the Integrity page`);
      return h;
    });
    let acc = hashes[hashes.length - 1]!;
    for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHashOf(hashes[i]!, acc);
    rangeHash.set(key, toBase64(acc));
  }
  return plans.map((plan) => plan.map((step) => rangeHash.get(`${step.start}-${step.end}`)!));
}

/** Starts `load` now; a rejection is kept for the await (no unhandled-rejection warning if the export stops first). */
function prefetch<T>(load: () => Promise<T>): Promise<T> {
  const p = load();
  p.catch(() => {});
  return p;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new BundleExportError("the export was cancelled");
}

/** The checkpoint every proof refers to: the latest, signed now if the selection is newer. */
async function checkpointCovering(ledger: BundleLedger, logId: LogId, maxSeq: number): Promise<CheckpointRecord> {
  let cp = await readLatestCheckpoint(ledger.db, logId);
  if (!cp || cp.treeSize <= maxSeq) cp = await ledger.signCheckpoint(logId);
  if (!cp || cp.treeSize <= maxSeq) throw new BundleExportError(`no signed checkpoint of the ${logId} log covers position ${maxSeq}`);
  return cp;
}

export async function writeEvidenceBundle(ledger: BundleLedger, input: WriteBundleInput): Promise<WriteBundleResult> {
  const { db } = ledger;
  const { seqs, sink, signal } = input;
  const warnings: string[] = [];
  if (seqs.length === 0) throw new BundleExportError("no decisions match this selection, so there is nothing to export");
  for (let i = 1; i < seqs.length; i++) if (!(seqs[i]! > seqs[i - 1]!)) throw new BundleExportError("internal: seqs must be ascending and unique");

  const checkpoint = await checkpointCovering(ledger, "decisions", seqs[seqs.length - 1]!);
  const size = checkpoint.treeSize;
  const note = splitSignedNote(checkpoint.signedNote);
  const sigLine = note.signatures[0];
  if (!sigLine) throw new BundleExportError("the checkpoint has no signature");
  const rawSignature = fromBase64(sigLine.signature).slice(4);
  const checkpointOrigin = note.text.split("\n")[0]!;
  const rootHash = toBase64(checkpoint.rootHash);

  let zipError: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) zipError = err;
    else if (chunk.length > 0) sink.write(chunk);
  });
  const mtime = input.createdAt;
  const files: ManifestFile[] = [];
  const addFile = (path: string, content: string | Uint8Array) => {
    const e = new Entry(zip, path, mtime);
    e.push(content);
    files.push(e.end());
  };
  const flush = async () => {
    if (zipError) throw zipError;
    await sink.flush();
  };

  try {
    addFile(F.verifierKey, `${ledger.verifierKey}\n`);
    addFile(F.keyPem, verifierKeyToPem(ledger.verifierKey));
    addFile(F.checkpointNote, checkpoint.signedNote);
    addFile(F.checkpointMessage, note.text);
    addFile(F.checkpointSignature, rawSignature);

    // Earlier checkpoints a recipient may already hold: the first and the previous one.
    const earlier = await queryRowsUnchecked<{ tree_size: string | number; signed_note: string }>(
      db,
      sql`(select tree_size, signed_note from checkpoints where log_id = 'decisions' and tree_size < ${size} order by tree_size asc limit 1)
          union
          (select tree_size, signed_note from checkpoints where log_id = 'decisions' and tree_size < ${size} order by tree_size desc limit 1)`,
    );
    const consistency: ConsistencyFile = { proofs: [] };
    for (const e of earlier.sort((a, b) => Number(a.tree_size) - Number(b.tree_size))) {
      const fromSize = Number(e.tree_size);
      const proof = await readConsistencyProof(db, "decisions", fromSize, size);
      consistency.proofs.push({ fromSize, toSize: size, fromCheckpoint: e.signed_note, proof: proof.map(toBase64) });
    }
    addFile(F.consistency, JSON.stringify(consistency, null, 2) + "\n");
    await flush();

    // records.jsonl, in seq order, with the report's aggregates gathered on the way.
    const byActorType = new Map<string, number>();
    const byOutcome = new Map<string, number>();
    const byModelVersion = new Map<string, number>();
    const rows: ReportRow[] = [];
    let withheldRecords = 0;
    let firstRecord: { seq: number; id: string; leafHash: string } | null = null;
    const records = new Entry(zip, F.records, mtime);
    const batches: number[][] = [];
    for (let i = 0; i < seqs.length; i += RECORD_BATCH) batches.push(seqs.slice(i, i + RECORD_BATCH));
    const ids: string[] = [];
    // One batch is read ahead: the database works on the next batch while this one is hashed and compressed.
    let nextRecords = prefetch(() => readRecords(db, batches[0]!));
    for (let b = 0; b < batches.length; b++) {
      checkAborted(signal);
      const batch = batches[b]!;
      const i = b * RECORD_BATCH;
      const stored = await nextRecords;
      if (b + 1 < batches.length) nextRecords = prefetch(() => readRecords(db, batches[b + 1]!));
      if (stored.length !== batch.length) {
        const found = new Set(stored.map((r) => r.seq));
        const missing = batch.find((s) => !found.has(s));
        throw new BundleExportError(`record at position ${missing} has no content in the database; run a verification from the Integrity page`);
      }
      for (const r of stored) {
        const leafHex = Buffer.from(r.leafHash).toString("hex");
        // Refuse to hand out evidence the ledger itself no longer vouches for.
        if (!leafHashOf(r.canonical).equals(Buffer.from(r.leafHash))) {
          throw new BundleExportError(
            `record at position ${r.seq} (id ${r.id}) does not match its stored hash; run a verification from the Integrity page before exporting`,
          );
        }
        ids.push(r.id);
        // The report reads the columns derived at ingest; only a record whose personal data is
        // withheld is parsed, masked, and its columns derived again from the masked copy.
        let withheld: string[] | null = null;
        let canonical = r.canonical;
        let c: ReportColumns = r;
        if (!input.includePersonalData) {
          const statement = JSON.parse(r.canonical) as XapiStatement;
          const pointers = personalDataPointers(statement);
          if (pointers.length > 0) {
            withheld = pointers;
            const shown = maskPersonalData(statement, pointers);
            canonical = canonicalize(shown);
            c = deriveDecisionColumns(shown);
            withheldRecords++;
          }
        }
        records.line(formatRecordLine({ seq: r.seq, id: r.id, leafHash: leafHex, withheld, canonical }));
        if (!firstRecord && !withheld) firstRecord = { seq: r.seq, id: r.id, leafHash: leafHex };
        bump(byActorType, c.actorType);
        bump(byOutcome, c.outcome ?? "(none)");
        bump(byModelVersion, [c.modelName ?? c.aiSystem, c.modelVersion].filter(Boolean).join(" ") || "(no AI model)");
        if (rows.length < REPORT_ROW_LIMIT) {
          rows.push({
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
            withheld: withheld !== null,
          });
        }
      }
      input.onProgress?.(Math.min(i + RECORD_BATCH, seqs.length), seqs.length * 2);
      await flush();
    }
    files.push(records.end());

    // proofs.jsonl: one c2sp.org/tlog-proof per record, against the bundle's checkpoint.
    // Proof hashes are random bytes: level 6 costs no more time than 3 here and shares the repeated checkpoint text better.
    const proofs = new Entry(zip, F.proofs, mtime, 6);
    let nextProofs = prefetch(() => readInclusionProofs(db, "decisions", batches[0]!, size));
    for (let b = 0; b < batches.length; b++) {
      checkAborted(signal);
      const batch = batches[b]!;
      const i = b * RECORD_BATCH;
      const batchProofs = await nextProofs;
      if (b + 1 < batches.length) nextProofs = prefetch(() => readInclusionProofs(db, "decisions", batches[b + 1]!, size));
      batch.forEach((seq, j) => {
        proofs.line(JSON.stringify({ seq, id: ids[i + j]!, tlogProof: formatTlogProof(seq, batchProofs[j]!, checkpoint.signedNote) }));
      });
      input.onProgress?.(seqs.length + Math.min(i + RECORD_BATCH, seqs.length), seqs.length * 2);
      await flush();
    }
    files.push(proofs.end());

    const manifestBase: Omit<BundleManifest, "files"> = {
      format: BUNDLE_FORMAT,
      bundleId: input.bundleId,
      createdAt: input.createdAt.toISOString(),
      createdBy: input.createdBy,
      ledger: { deployment: ledger.deployment, checkpointOrigin, verifierKey: ledger.verifierKey },
      selection: input.selection,
      recordCount: seqs.length,
      personalData: input.includePersonalData ? "included" : "withheld",
      withheldRecords,
      firstSeq: seqs[0]!,
      lastSeq: seqs[seqs.length - 1]!,
      checkpoint: {
        origin: checkpointOrigin,
        treeSize: size,
        rootHash,
        keyName: sigLine.keyName,
        keyId: checkpoint.keyId,
        signedAt: checkpoint.createdAt.toISOString(),
      },
      consistency: consistency.proofs.map((p) => ({ fromSize: p.fromSize, toSize: p.toSize })),
    };
    addFile(F.report, renderReport({ manifest: manifestBase, byActorType, byOutcome, byModelVersion, rows, rowLimit: REPORT_ROW_LIMIT }));
    addFile(
      F.verifyText,
      renderVerifyText({
        deployment: ledger.deployment,
        checkpointOrigin,
        verifierKey: ledger.verifierKey,
        treeSize: size,
        rootHash,
        recordCount: seqs.length,
        firstRecord,
      }),
    );

    const manifest: BundleManifest = { ...manifestBase, files: files.slice() };
    const manifestText = JSON.stringify(manifest, null, 2) + "\n";
    const manifestSha256 = createHash("sha256").update(manifestText).digest("hex");
    addFile(F.manifest, manifestText);
    await flush();

    // The receipt: the export's access-log entry (naming the manifest's hash), proven included
    // in a signed checkpoint of the access log. The verifier refuses a bundle without one, so
    // an export that cannot write it fails rather than hand out a bundle that will not verify.
    const { seq: eventSeq } = await input.recordExport({
      bundleId: input.bundleId,
      manifestSha256,
      recordCount: seqs.length,
      description: input.selection.description,
    });
    {
      const accessCheckpoint = await checkpointCovering(ledger, "access", eventSeq);
      const [row] = await queryRowsUnchecked<{ canonical: string; leaf_hash: Uint8Array }>(
        db,
        sql`select a.canonical, e.leaf_hash from access_events a join log_entries e on e.log_id = 'access' and e.seq = a.seq where a.seq = ${eventSeq}`,
      );
      if (!row) throw new Error(`access log entry ${eventSeq} not found`);
      const proof = await readInclusionProof(db, "access", eventSeq, accessCheckpoint.treeSize);
      const body: ExportReceipt = {
        accessEvent: row.canonical,
        seq: eventSeq,
        leafHash: Buffer.from(row.leaf_hash).toString("hex"),
        tlogProof: formatTlogProof(eventSeq, proof.map(toBase64), accessCheckpoint.signedNote),
      };
      addFile(F.receipt, JSON.stringify(body, null, 2) + "\n");
    }
    addFile(F.sha256sums, formatSha256Sums(files));
    zip.end();
    await flush();
    await sink.close();
    return { manifest, manifestSha256, recordCount: seqs.length, warnings };
  } catch (error) {
    zip.terminate();
    await sink.abort(error as Error);
    throw error;
  }
}
