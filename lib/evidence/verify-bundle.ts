// The offline evidence-bundle verifier, shared by the browser page (/verify-bundle) and the
// CLI (`decision-ledger verify`). No node: imports: hashing is the ledger's one hasher, on a
// pure-JS SHA-256 by default (the CLI may inject Node's native one), unzipping is fflate.
//
// It streams: the bundle is read as byte ranges of a BundleSource (a file, a File in a page,
// or bytes), each large file (records, proofs, openings) inflated chunk by chunk, split into
// lines and hashed as it goes, so memory holds a few chunks and a compact index of the
// records (id, seq, leaf hash), never a whole file: flat in the bundle's size but for that index.
//
// It trusts nothing in the bundle except what it can recompute: file hashes, each record's
// leaf hash from its exact bytes, each inclusion proof up to the checkpoint's root, the
// checkpoint's Ed25519 signature, the consistency proofs and the export receipt. Every
// failure names the file and, for records, the position (seq) and id.
//
// verifyBundle runs the checks as steps, top to bottom, sharing one Verification context;
// their order is part of the result (checks are listed and failures capped in that order).

import { sha256 } from "@noble/hashes/sha2.js";
import { portableHasher } from "../hash/browser-sha256";
import { bytesEqual, fromBase64, fromHex, toHex, utf8Decode, utf8Encode } from "../ledger/bytes";
import type { LogHasher } from "../ledger/hasher";
import { verifyConsistency, verifyInclusion } from "../ledger/merkle";
import { parseCheckpoint, verifyNote, type Checkpoint } from "../ledger/signed-note";
import { findCommitments } from "../ledger/xapi/open-statement";
import { verifyOpening } from "../ledger/xapi/pd-commitment";
import { personalDataFormatOf } from "../ledger/xapi/personal-data-format";
import type { XapiStatement } from "../ledger/xapi/types";
import {
  BUNDLE_FILES as F,
  BUNDLE_FORMAT_V1,
  BUNDLE_FORMATS,
  FILES_AFTER_MANIFEST,
  parseOpeningLine,
  parseRecordLine,
  parseTlogProof,
  pemToEd25519PublicKey,
  splitSignedNote,
  splitVerifierKey,
  type BundleManifest,
  type BundleOpeningLine,
  type BundleRecordLine,
  type ConsistencyFile,
  type ExportReceipt,
  type ManifestFile,
} from "./bundle-format";
import { bytesSource, lineBatches, ZipReader, type BundleSource, type EntryLine, type InflateRaw } from "./bundle-zip-reader";
import { mayHoldCommitments } from "./record-openings";

export const FAILURE_CODES = {
  bundle_unreadable: "The file is not a readable evidence bundle",
  file_missing: "A file the bundle needs is missing",
  file_modified: "A file does not match the SHA-256 listed for it",
  unexpected_file: "The bundle contains a file its manifest does not list",
  manifest_invalid: "The manifest is malformed or contradicts the bundle",
  manifest_not_authenticated: "The manifest does not match the export's entry in the ledger's access log",
  key_mismatch: "The bundled key files disagree with each other or with the manifest",
  checkpoint_signature: "The checkpoint's signature does not verify",
  checkpoint_mismatch: "The checkpoint does not match what the manifest or the proofs refer to",
  consistency_invalid: "A consistency proof to an earlier checkpoint does not verify",
  record_malformed: "A record line cannot be read",
  record_modified: "A record's bytes do not match its leaf hash (the record was changed)",
  record_out_of_order: "Records are not in ledger order (records were moved or swapped)",
  record_duplicate: "The same record appears twice",
  record_missing: "A record the bundle refers to is missing",
  record_count_mismatch: "The number of records differs from the manifest",
  proof_invalid: "An inclusion proof does not lead to the signed checkpoint (the record is not in the ledger as signed)",
  proof_missing: "A record has no inclusion proof",
  opening_invalid: "A disclosed personal value or its salt does not match the commitment in its record (the opening was changed)",
  opening_unmatched: "An opening refers to no commitment of the bundle's records",
  receipt_missing: "The bundle has no export receipt, so nothing ties its manifest to the ledger",
  receipt_invalid: "The export receipt does not verify",
} as const;
export type BundleFailureCode = keyof typeof FAILURE_CODES;

export interface BundleFailure {
  code: BundleFailureCode;
  message: string;
  file?: string;
  seq?: number;
  id?: string;
}

export interface BundleCheck {
  label: string;
  ok: boolean;
  detail: string;
}

export interface BundleVerification {
  ok: boolean;
  bundleId: string | null;
  createdAt: string | null;
  createdBy: string | null;
  selection: string | null;
  deployment: string | null;
  checkpoint: { origin: string; treeSize: number; rootHash: string } | null;
  /** "supplied": checked against a key the recipient gave; "bundled": only against the key in the bundle. */
  keyUsed: "supplied" | "bundled" | null;
  recordsChecked: number;
  /** Records whose exact bytes hash to their leaf hash: their whole content is checked. */
  recordsVerifiedByBytes: number;
  /** Records carried as masked copies (content withheld). */
  withheldRecords: number;
  /** Of those, records a v2 bundle withholds because they were stored before personal data was committed (format 0). */
  legacyRecordsWithheld: number;
  /** Openings checked against the commitments in their records' verified bytes. */
  openingsChecked: number;
  /** Commitments of a bundle that includes personal data left unopened (their subjects were erased). */
  erasedValues: number;
  proofsChecked: number;
  consistencyProofsChecked: number;
  receiptVerified: boolean;
  checks: BundleCheck[];
  failures: BundleFailure[];
  /** Failures found beyond the ones listed (the list is capped). */
  moreFailures: number;
  warnings: string[];
  durationMs: number;
}

export interface VerifyBundleOptions {
  /** A C2SP verifier key the recipient obtained out of band; when given, the bundled key is not trusted. */
  trustedKey?: string | null;
  /**
   * The ledger's hasher: default portableHasher (pure-JS SHA-256, runs in a page); the CLI
   * passes nodeHasher, which is faster. Every hasher gives the same bytes.
   */
  hasher?: LogHasher<Uint8Array>;
  /**
   * An incremental SHA-256 for the files' hashes (they are hashed as they stream): default
   * @noble/hashes; the CLI passes node:crypto's createHash. Same digests.
   */
  sha256Stream?: () => IncrementalSha256;
  /** Raw DEFLATE for the zip's entries: default fflate; the CLI passes Node's zlib (nodeInflateRaw). */
  inflateRaw?: InflateRaw;
  maxFailures?: number;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

/** SHA-256 fed piece by piece. */
export interface IncrementalSha256 {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

const nobleSha256Stream = (): IncrementalSha256 => sha256.create();

/**
 * The failures, in the order they are found, capped. A streamed file's hash is known only
 * after its lines are checked, but its failure comes before theirs: the lines' failures go
 * to a fork, replayed after it. Replaying a fork (capped the same) gives the list and the
 * count that adding them directly would have.
 */
class Collector {
  failures: BundleFailure[] = [];
  more = 0;
  constructor(private readonly max: number) {}
  add(f: BundleFailure): void {
    if (this.failures.length < this.max) this.failures.push(f);
    else this.more++;
  }
  get count(): number {
    return this.failures.length + this.more;
  }
  fork(): Collector {
    return new Collector(this.max);
  }
  replay(from: Collector): void {
    for (const f of from.failures) this.add(f);
    this.more += from.more;
  }
}

const describeRecord = (seq: number | undefined, id: string | undefined) =>
  `record at position ${seq ?? "?"}${id ? ` (id ${id})` : ""}`;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The value of a top-level string member of a JSON object text, without building the object
 * (a full parse per record dominated the verifier's memory churn). Null when absent or not a
 * plain string. Escapes are left as they are: ids are ASCII.
 */
export function topLevelStringMember(json: string, key: string): string | null {
  const want = `"${key}"`;
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 34 /* " */) {
      // Find the end of this string, skipping escapes.
      let j = i + 1;
      while (j < json.length && json.charCodeAt(j) !== 34) j += json.charCodeAt(j) === 92 ? 2 : 1;
      if (depth === 1 && json.startsWith(want, i) && j === i + want.length - 1 && json.charCodeAt(j + 1) === 58 /* : */) {
        if (json.charCodeAt(j + 2) !== 34) return null;
        const end = json.indexOf('"', j + 3);
        const value = end < 0 ? null : json.slice(j + 3, end);
        return value !== null && !value.includes("\\") ? value : null;
      }
      i = j;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    }
  }
  return null;
}

/** Records, proofs and openings are the large files: only ever streamed, never held whole. */
const LARGE_FILES: ReadonlySet<string> = new Set([F.records, F.proofs, F.openings]);

/** A file that cannot be unpacked (corrupt or truncated data, or the source failed). */
class UnpackError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`${file} cannot be unpacked: ${errorMessage(cause)}`);
  }
}

/**
 * The bundle's files on a ZipReader. Small files are unpacked whole and kept once read; the
 * large ones are streamed (lines()) and hashed as they stream; every file's SHA-256 is
 * computed at most once per complete read.
 */
class BundleArchive {
  private readonly small = new Map<string, Uint8Array | null>();
  private readonly hashes = new Map<string, string>();
  private readonly nameSet: ReadonlySet<string>;
  /** Every entry name, in archive order, duplicates included. */
  readonly names: readonly string[];

  private constructor(
    private readonly zip: ZipReader,
    private readonly hasher: LogHasher<Uint8Array>,
    private readonly sha256Stream: () => IncrementalSha256,
  ) {
    this.names = zip.entries.map((e) => e.name);
    this.nameSet = new Set(this.names);
  }

  /** Lists the archive's entries (nothing is unpacked yet); null when it is no readable zip. */
  static async open(source: BundleSource, v: Pick<Verification, "hasher" | "out" | "opts">): Promise<BundleArchive | null> {
    let zip: ZipReader;
    try {
      zip = await ZipReader.open(source, v.opts.inflateRaw);
    } catch (error) {
      v.out.add({ code: "bundle_unreadable", message: `not a readable .zip file: ${errorMessage(error)}` });
      return null;
    }
    const archive = new BundleArchive(zip, v.hasher, v.opts.sha256Stream ?? nobleSha256Stream);
    if (archive.names.length !== archive.nameSet.size) v.out.add({ code: "unexpected_file", message: "the archive lists the same file name twice" });
    return archive;
  }

  has(name: string): boolean {
    return this.nameSet.has(name);
  }

  /** A small file's bytes; null when the archive has no such file or it cannot be unpacked. */
  async read(name: string): Promise<Uint8Array | null> {
    if (!this.has(name)) return null;
    if (this.small.has(name)) return this.small.get(name)!;
    let bytes: Uint8Array | null;
    try {
      bytes = await this.zip.readAll(this.zip.entry(name)!);
    } catch {
      bytes = null;
    }
    if (!LARGE_FILES.has(name)) this.small.set(name, bytes);
    return bytes;
  }

  /** A file's chunks, hashed as they pass (the hash is kept once the file was read to its end); UnpackError when it cannot be unpacked. */
  private async *chunks(name: string): AsyncGenerator<Uint8Array> {
    const hash = this.hashes.has(name) ? null : this.sha256Stream();
    try {
      for await (const chunk of this.zip.chunks(this.zip.entry(name)!)) {
        hash?.update(chunk);
        yield chunk;
      }
    } catch (error) {
      throw new UnpackError(name, error);
    }
    if (hash) this.hashes.set(name, toHex(hash.digest()));
  }

  /** A JSONL file's lines, a chunk's worth at a time (the archive must have the file); UnpackError when it cannot be unpacked. */
  lines(name: string): AsyncGenerator<EntryLine[]> {
    return lineBatches(this.chunks(name));
  }

  /** SHA-256 (hex) of a file, of `bytes` when the caller has them unpacked already; null when unreadable. */
  async sha256Hex(name: string, bytes?: Uint8Array | null): Promise<string | null> {
    const known = this.hashes.get(name);
    if (known) return known;
    if (!this.has(name)) return null;
    const b = bytes ?? (LARGE_FILES.has(name) ? null : await this.read(name));
    if (b) {
      const hex = toHex(this.hasher.backend.digest(b));
      this.hashes.set(name, hex);
      return hex;
    }
    if (!LARGE_FILES.has(name)) return null;
    try {
      for await (const chunk of this.chunks(name)) void chunk;
    } catch {
      return null;
    }
    return this.hashes.get(name) ?? null;
  }
}

/** What the checks share while one bundle is verified; each check adds to `out` and `result`. */
interface Verification {
  hasher: LogHasher<Uint8Array>;
  opts: VerifyBundleOptions;
  archive: BundleArchive;
  out: Collector;
  result: BundleVerification;
  manifest: BundleManifest;
  /** SHA-256 (hex) of manifest.json as found: what the export receipt must name. */
  manifestSha256: string;
  /** The manifest's file list by path. */
  listed: Map<string, ManifestFile>;
  /** Whether every file so far matches the manifest's list and hashes (records and proofs are hashed as they are read). */
  filesOk: boolean;
}

/** Whose key the signatures are checked against. */
interface Trust {
  /** The key the recipient supplied, if any. */
  supplied: string | null;
  trustedKeys: string[];
}

/** The bundle's checkpoint: what every inclusion proof must lead to. */
interface BundleCheckpoint {
  /** checkpoint.note as found (null when missing). */
  note: string | null;
  /** Its content; read even when the signature fails, so records can still be checked and reported. */
  checkpoint: Checkpoint | null;
  signatureOk: boolean;
}

/** A record as records.jsonl states it: its id and the leaf hash its proof must start from. */
interface BundledRecord {
  id: string;
  leaf: Uint8Array;
  /** Carried as a masked copy. */
  withheld: boolean;
}

/** An openings.jsonl line with where it was found. */
interface OpeningEntry {
  opening: BundleOpeningLine;
  number: number;
}

/**
 * Verifies an evidence bundle: .zip bytes, or a BundleSource (fileBundleSource for a file on
 * disk, blobSource for a File in a page) that is read as a stream. Never throws for a bad
 * bundle: problems are failures.
 */
export async function verifyBundle(zip: Uint8Array | BundleSource, opts: VerifyBundleOptions = {}): Promise<BundleVerification> {
  const startedAt = Date.now();
  const hasher = opts.hasher ?? portableHasher;
  const out = new Collector(opts.maxFailures ?? 200);
  const result = emptyVerification();
  const finish = () => finishVerification(result, out, startedAt);

  const archive = await BundleArchive.open(zip instanceof Uint8Array ? bytesSource(zip) : zip, { hasher, out, opts });
  if (!archive) return finish();
  const read = await readManifest(archive, out, result);
  if (!read) return finish();
  const v: Verification = { hasher, opts, archive, out, result, ...read, listed: new Map(read.manifest.files.map((f) => [f.path, f])), filesOk: true };

  await checkFileList(v);
  const trust = await checkKeys(v);
  const checkpoint = await checkCheckpoint(v, trust);
  await checkCheckpointCopies(v, checkpoint.note);
  await checkConsistency(v, trust, checkpoint.checkpoint);
  // Records before proofs, each streamed in its own step.
  const records = await checkRecords(v);
  const proven = await checkInclusionProofs(v, records, checkpoint);
  checkLegacyRecords(v, records, proven);
  result.checks.push({
    label: "File hashes",
    ok: v.filesOk,
    detail: v.filesOk ? `all ${v.manifest.files.length} files match the manifest` : "some files do not match",
  });
  await checkSha256Sums(v);
  await checkExportReceipt(v, trust);
  return finish();
}

function emptyVerification(): BundleVerification {
  return {
    ok: false,
    bundleId: null,
    createdAt: null,
    createdBy: null,
    selection: null,
    deployment: null,
    checkpoint: null,
    keyUsed: null,
    recordsChecked: 0,
    recordsVerifiedByBytes: 0,
    withheldRecords: 0,
    legacyRecordsWithheld: 0,
    openingsChecked: 0,
    erasedValues: 0,
    proofsChecked: 0,
    consistencyProofsChecked: 0,
    receiptVerified: false,
    checks: [],
    failures: [],
    moreFailures: 0,
    warnings: [],
    durationMs: 0,
  };
}

function finishVerification(result: BundleVerification, out: Collector, startedAt: number): BundleVerification {
  result.failures = out.failures;
  result.moreFailures = out.more;
  result.ok = out.count === 0;
  result.durationMs = Date.now() - startedAt;
  return result;
}

/** A text file of the bundle; a missing required file or invalid UTF-8 is a failure. */
async function readText(v: Pick<Verification, "archive" | "out">, name: string, required: boolean): Promise<string | null> {
  const bytes = await v.archive.read(name);
  if (!bytes) {
    if (required) v.out.add({ code: "file_missing", file: name, message: `${name} is missing from the bundle` });
    return null;
  }
  try {
    return utf8Decode(bytes);
  } catch {
    v.out.add({ code: "manifest_invalid", file: name, message: `${name} is not valid UTF-8 text` });
    return null;
  }
}

/** manifest.json, parsed and described in the result; null (with a failure) when nothing can be checked without it. */
async function readManifest(archive: BundleArchive, out: Collector, result: BundleVerification): Promise<{ manifest: BundleManifest; manifestSha256: string } | null> {
  const manifestBytes = await archive.read(F.manifest);
  if (!manifestBytes) {
    out.add({ code: "file_missing", file: F.manifest, message: "manifest.json is missing: this is not an evidence bundle" });
    return null;
  }
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(utf8Decode(manifestBytes)) as BundleManifest;
    if (!BUNDLE_FORMATS.includes(manifest.format)) throw new Error(`unknown format "${String(manifest.format)}" (expected one of ${BUNDLE_FORMATS.join(", ")})`);
    if (!Array.isArray(manifest.files) || !manifest.checkpoint || !manifest.ledger || typeof manifest.recordCount !== "number") {
      throw new Error("required fields are missing");
    }
  } catch (error) {
    out.add({ code: "manifest_invalid", file: F.manifest, message: `manifest.json cannot be read: ${errorMessage(error)}` });
    return null;
  }
  result.bundleId = manifest.bundleId ?? null;
  result.createdAt = manifest.createdAt ?? null;
  result.createdBy = manifest.createdBy ? `${manifest.createdBy.name} <${manifest.createdBy.email}> (${manifest.createdBy.role})` : null;
  result.selection = manifest.selection?.description ?? null;
  result.deployment = manifest.ledger.deployment ?? null;
  return { manifest, manifestSha256: (await archive.sha256Hex(F.manifest, manifestBytes))! };
}

/** A file's bytes must hash to what the manifest lists for it (a streamed file's hash is kept from its reading). */
async function checkFileHash(v: Verification, path: string, expected: string): Promise<void> {
  const failure = await fileHashFailure(v, path, expected);
  if (failure) v.out.add(failure);
}

/** The failure when a file does not hash to `expected` (and the files are then not all as listed). */
async function fileHashFailure(v: Verification, path: string, expected: string): Promise<BundleFailure | null> {
  if ((await v.archive.sha256Hex(path)) === expected) return null;
  v.filesOk = false;
  return { code: "file_modified", file: path, message: `${path} does not match the SHA-256 in the manifest` };
}

/** The manifest's file list against the archive: each listed file present and (small files now) unmodified, nothing unlisted. */
async function checkFileList(v: Verification): Promise<void> {
  const { archive, out, manifest } = v;
  for (const f of manifest.files) {
    if (!archive.has(f.path)) {
      out.add({ code: "file_missing", file: f.path, message: `${f.path} is listed in the manifest but missing from the bundle` });
      v.filesOk = false;
      continue;
    }
    if (!LARGE_FILES.has(f.path)) await checkFileHash(v, f.path, f.sha256);
  }
  for (const name of archive.names) {
    if (!v.listed.has(name) && !FILES_AFTER_MANIFEST.includes(name) && !name.endsWith("/")) {
      out.add({ code: "unexpected_file", file: name, message: `${name} is in the bundle but not in its manifest` });
      v.filesOk = false;
    }
  }
  for (const required of [F.records, F.proofs, F.checkpointNote, F.verifierKey]) {
    if (!v.listed.has(required)) {
      out.add({ code: "manifest_invalid", file: F.manifest, message: `the manifest does not list ${required}` });
      v.filesOk = false;
    }
  }
}

/** The bundled key files must agree; the recipient's key, when given, is the only one trusted. */
async function checkKeys(v: Verification): Promise<Trust> {
  const { out, result } = v;
  const bundledKey = (await readText(v, F.verifierKey, true))?.trim() ?? null;
  if (bundledKey !== null && bundledKey !== v.manifest.ledger.verifierKey) {
    out.add({ code: "key_mismatch", file: F.verifierKey, message: "the verifier key file differs from the key named in the manifest" });
  }
  const pem = await readText(v, F.keyPem, false);
  if (bundledKey && pem !== null) {
    try {
      if (!bytesEqual(pemToEd25519PublicKey(pem), splitVerifierKey(bundledKey).publicKey)) {
        out.add({ code: "key_mismatch", file: F.keyPem, message: "key.pem holds a different public key than verifier-key.txt" });
      }
    } catch (error) {
      out.add({ code: "key_mismatch", file: F.keyPem, message: `key files cannot be read: ${errorMessage(error)}` });
    }
  }
  const supplied = v.opts.trustedKey?.trim() || null;
  result.keyUsed = supplied ? "supplied" : bundledKey ? "bundled" : null;
  if (!supplied) {
    result.warnings.push(
      "The signature was checked only against the key inside the bundle. Anyone able to alter the bundle could replace that key: " +
        "compare it with the verifier key the ledger's operator gave you or its dashboard publishes at /api/v1/verifier-key, " +
        "or verify again with that key supplied.",
    );
  } else if (bundledKey && supplied !== bundledKey) {
    result.warnings.push("The key you supplied differs from the key inside the bundle; only your key was trusted.");
  }
  return { supplied, trustedKeys: supplied ? [supplied] : bundledKey ? [bundledKey] : [] };
}

/** checkpoint.note: signed by the trusted key, and the checkpoint the manifest describes. */
async function checkCheckpoint(v: Verification, trust: Trust): Promise<BundleCheckpoint> {
  const { out, result, manifest } = v;
  const note = await readText(v, F.checkpointNote, true);
  const { checkpoint, signatureOk } = note !== null && trust.trustedKeys.length > 0 ? await readSignedCheckpoint(out, note, trust) : { checkpoint: null, signatureOk: false };
  result.checks.push({
    label: "Checkpoint signature",
    ok: signatureOk,
    detail: signatureOk ? `signed by ${trust.supplied ? "the key you supplied" : "the key inside the bundle"}` : "does not verify",
  });
  if (checkpoint) {
    result.checkpoint = { origin: checkpoint.origin, treeSize: checkpoint.size, rootHash: toHex(checkpoint.rootHash) };
    let rootMatches = false;
    try {
      rootMatches = bytesEqual(fromBase64(manifest.checkpoint.rootHash), checkpoint.rootHash);
    } catch {
      rootMatches = false;
    }
    if (manifest.checkpoint.treeSize !== checkpoint.size || !rootMatches || manifest.checkpoint.origin !== checkpoint.origin) {
      out.add({ code: "checkpoint_mismatch", file: F.manifest, message: "the manifest describes a different checkpoint than checkpoint.note" });
    }
    if (manifest.ledger.checkpointOrigin !== checkpoint.origin) {
      out.add({ code: "checkpoint_mismatch", file: F.manifest, message: `the checkpoint's origin "${checkpoint.origin}" is not the ledger's "${manifest.ledger.checkpointOrigin}"` });
    }
  }
  return { note, checkpoint, signatureOk };
}

async function readSignedCheckpoint(out: Collector, note: string, trust: Trust): Promise<Omit<BundleCheckpoint, "note">> {
  try {
    const verified = await verifyNote(note, trust.trustedKeys);
    return { checkpoint: parseCheckpoint(verified.text), signatureOk: true };
  } catch (error) {
    out.add({
      code: "checkpoint_signature",
      file: F.checkpointNote,
      message: `the checkpoint is not validly signed by the ${trust.supplied ? "key you supplied" : "bundled key"}: ${errorMessage(error)}`,
    });
    // Still read its content so the records can be checked against it (and reported).
    try {
      return { checkpoint: parseCheckpoint(splitSignedNote(note).text), signatureOk: false };
    } catch {
      return { checkpoint: null, signatureOk: false };
    }
  }
}

/** The shell-tool copies (checkpoint.msg, checkpoint.sig) must say exactly what the note says. */
async function checkCheckpointCopies(v: Verification, note: string | null): Promise<void> {
  if (note === null) return;
  const msg = await v.archive.read(F.checkpointMessage);
  const sig = await v.archive.read(F.checkpointSignature);
  try {
    const parts = splitSignedNote(note);
    const raw = fromBase64(parts.signatures[0]?.signature ?? "");
    if (msg && !bytesEqual(msg, utf8Encode(parts.text))) {
      v.out.add({ code: "checkpoint_mismatch", file: F.checkpointMessage, message: "checkpoint.msg is not the signed text of checkpoint.note" });
    }
    if (sig && !bytesEqual(sig, raw.subarray(4))) {
      v.out.add({ code: "checkpoint_mismatch", file: F.checkpointSignature, message: "checkpoint.sig is not the signature in checkpoint.note" });
    }
  } catch (error) {
    v.out.add({ code: "checkpoint_signature", file: F.checkpointNote, message: `checkpoint.note is malformed: ${errorMessage(error)}` });
  }
}

/** Each earlier checkpoint in consistency.json is signed by the trusted key and proven a prefix of this one. */
async function checkConsistency(v: Verification, trust: Trust, checkpoint: Checkpoint | null): Promise<void> {
  const { out, result } = v;
  const consistencyText = await readText(v, F.consistency, false);
  if (consistencyText !== null && checkpoint) {
    try {
      const file = JSON.parse(consistencyText) as ConsistencyFile;
      for (const p of file.proofs ?? []) {
        try {
          const earlier = await verifyNote(p.fromCheckpoint, trust.trustedKeys);
          const old = parseCheckpoint(earlier.text);
          if (old.origin !== checkpoint.origin) throw new Error(`earlier checkpoint is of another log (${old.origin})`);
          if (old.size !== p.fromSize || p.toSize !== checkpoint.size) throw new Error("sizes do not match the checkpoints");
          verifyConsistency(v.hasher, old.size, checkpoint.size, p.proof.map((h) => fromBase64(h)), old.rootHash, checkpoint.rootHash);
          result.consistencyProofsChecked++;
        } catch (error) {
          out.add({
            code: "consistency_invalid",
            file: F.consistency,
            message: `consistency from the checkpoint at ${p.fromSize} records to ${p.toSize}: ${errorMessage(error)}`,
          });
        }
      }
    } catch (error) {
      out.add({ code: "consistency_invalid", file: F.consistency, message: `consistency.json cannot be read: ${errorMessage(error)}` });
    }
  }
  result.checks.push({
    label: "Consistency with earlier checkpoints",
    ok: !out.failures.some((f) => f.code === "consistency_invalid"),
    detail:
      result.consistencyProofsChecked > 0
        ? `${result.consistencyProofsChecked} earlier checkpoint(s) are prefixes of this one`
        : "no earlier checkpoint in the bundle (this is the ledger's first)",
  });
}

/** Whether this bundle is v2 or later: it masks only legacy records and carries openings when it includes personal data. */
const isV2 = (m: BundleManifest) => m.format !== BUNDLE_FORMAT_V1;

/** The records as records.jsonl states them, compactly (the index is what grows with a bundle): by seq, in file order. */
class RecordIndex {
  private readonly slots = new Map<number, number>();
  private readonly seqs: number[] = [];
  private readonly ids: string[] = [];
  /** 32 bytes a record: its leaf hash. */
  private leaves = new Uint8Array(32 * 1024);
  private withheld = new Uint8Array(1024);

  get size(): number {
    return this.seqs.length;
  }

  has(seq: number): boolean {
    return this.slots.has(seq);
  }

  add(seq: number, r: BundledRecord): void {
    const slot = this.seqs.length;
    if (slot === this.withheld.length) {
      this.leaves = grown(this.leaves, this.leaves.length * 2);
      this.withheld = grown(this.withheld, this.withheld.length * 2);
    }
    this.leaves.set(r.leaf, slot * 32);
    this.withheld[slot] = r.withheld ? 1 : 0;
    this.seqs.push(seq);
    this.ids.push(r.id);
    this.slots.set(seq, slot);
  }

  get(seq: number): BundledRecord | undefined {
    const slot = this.slots.get(seq);
    return slot === undefined ? undefined : this.at(slot);
  }

  *[Symbol.iterator](): Generator<[number, BundledRecord]> {
    for (let slot = 0; slot < this.seqs.length; slot++) yield [this.seqs[slot]!, this.at(slot)];
  }

  private at(slot: number): BundledRecord {
    return { id: this.ids[slot]!, leaf: this.leaves.subarray(slot * 32, slot * 32 + 32), withheld: this.withheld[slot] === 1 };
  }
}

function grown(bytes: Uint8Array, length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  out.set(bytes);
  return out;
}

/**
 * Where the records' openings come from while records.jsonl is checked: streamed beside it
 * (StreamedOpenings) or indexed whole (openingsInMemory). Both give the same failures.
 */
interface OpeningsSource {
  /** The openings of one record; each record takes its own once. */
  take(recordId: string): Promise<OpeningEntry[]>;
  /** After the records: what no record took, by record id in order of first appearance. */
  rest(): Promise<Iterable<[string, OpeningEntry[]]>>;
  /** Failures of openings.jsonl itself (missing, its hash, its lines, in that order); complete once rest() returned. */
  readonly failures: Collector;
  /** Commitments found without an opening. */
  unopened: number;
}

/** The streamed openings met an openings.jsonl out of record order, or one that cannot be unpacked: check again with openingsInMemory. */
class StreamedOpeningsUnusable extends Error {}

/** One openings.jsonl line parsed; null (with a failure) when it is not an opening. */
function parseOpeningEntry(line: Uint8Array, number: number, failures: Collector): OpeningEntry | null {
  let opening: BundleOpeningLine | null = null;
  try {
    opening = parseOpeningLine(utf8Decode(line));
  } catch {
    opening = null;
  }
  if (!opening) failures.add({ code: "opening_invalid", file: F.openings, message: `line ${number} of openings.jsonl is not an opening` });
  return opening ? { opening, number } : null;
}

const duplicateOpening = (e: OpeningEntry): BundleFailure => ({
  code: "opening_invalid",
  file: F.openings,
  id: e.opening.recordId,
  message: `line ${e.number}: the opening of ref ${e.opening.ref} appears more than once`,
});

/** openings.jsonl's own hash (or its absence from the manifest's list) goes first among its failures. */
async function openingsFileFailure(v: Verification): Promise<BundleFailure | null> {
  const listed = v.listed.get(F.openings);
  if (!listed) return { code: "manifest_invalid", file: F.manifest, message: `the manifest does not list ${F.openings}` };
  return fileHashFailure(v, F.openings, listed.sha256);
}

/** openings.jsonl indexed whole by record id: what any order of lines needs (memory grows with the file). */
async function openingsInMemory(v: Verification): Promise<OpeningsSource> {
  const byRecord = new Map<string, OpeningEntry[]>();
  const failures = v.out.fork();
  const source: OpeningsSource = {
    failures,
    unopened: 0,
    async take(recordId) {
      const entries = byRecord.get(recordId) ?? [];
      byRecord.delete(recordId);
      return entries;
    },
    rest: async () => byRecord,
  };
  const missing = (): OpeningsSource => {
    byRecord.clear();
    failures.add({ code: "file_missing", file: F.openings, message: "openings.jsonl is missing although the manifest says personal data is included" });
    return source;
  };
  if (!v.archive.has(F.openings)) return missing();
  const lineFailures = failures.fork();
  const seen = new Set<string>();
  try {
    for await (const batch of v.archive.lines(F.openings)) {
      for (const { line, number } of batch) {
        const e = parseOpeningEntry(line, number, lineFailures);
        if (!e) continue;
        const key = `${e.opening.recordId} ${e.opening.ref}`;
        if (seen.has(key)) {
          lineFailures.add(duplicateOpening(e));
          continue;
        }
        seen.add(key);
        const list = byRecord.get(e.opening.recordId) ?? [];
        list.push(e);
        byRecord.set(e.opening.recordId, list);
      }
    }
  } catch (error) {
    if (!(error instanceof UnpackError)) throw error;
    return missing();
  }
  const fileFailure = await openingsFileFailure(v);
  if (fileFailure) failures.add(fileFailure);
  failures.replay(lineFailures);
  return source;
}

/**
 * openings.jsonl read beside records.jsonl, as the exporter writes it: in record order, each
 * record's openings together. Holds one record's openings and the ids of the records that
 * took theirs; when the file is in any other order (a record's openings after a later
 * record's, or split), it throws StreamedOpeningsUnusable and openingsInMemory takes over.
 */
class StreamedOpenings implements OpeningsSource {
  readonly failures: Collector;
  unopened = 0;
  /** Malformed and repeated lines, in file order (the file's own hash failure goes before them). */
  private readonly lineFailures: Collector;
  private readonly batches: AsyncGenerator<EntryLine[]>;
  private batch: EntryLine[] = [];
  private next = 0;
  /** The next opening not yet taken; undefined: not read yet, null: the end. */
  private head: OpeningEntry | null | undefined = undefined;
  private readonly taken = new Set<string>();

  constructor(private readonly v: Verification) {
    this.failures = v.out.fork();
    this.lineFailures = this.failures.fork();
    this.batches = v.archive.lines(F.openings);
  }

  async take(recordId: string): Promise<OpeningEntry[]> {
    this.taken.add(recordId);
    const head = await this.peek();
    if (!head || head.opening.recordId !== recordId) return [];
    const group = await this.group(recordId);
    const after = await this.peek();
    if (after && this.taken.has(after.opening.recordId)) throw new StreamedOpeningsUnusable();
    return group;
  }

  async rest(): Promise<Iterable<[string, OpeningEntry[]]>> {
    const left = new Map<string, OpeningEntry[]>();
    for (let head = await this.peek(); head; head = await this.peek()) {
      const id = head.opening.recordId;
      if (this.taken.has(id) || left.has(id)) throw new StreamedOpeningsUnusable();
      left.set(id, await this.group(id));
    }
    const fileFailure = await openingsFileFailure(this.v);
    if (fileFailure) this.failures.add(fileFailure);
    this.failures.replay(this.lineFailures);
    return left;
  }

  /** Stops reading (when the records are checked again another way). */
  async close(): Promise<void> {
    await this.batches.return(undefined);
  }

  /** The openings of `recordId` at the head, its repeated refs reported. */
  private async group(recordId: string): Promise<OpeningEntry[]> {
    const group: OpeningEntry[] = [];
    const refs = new Set<string>();
    for (let head = await this.peek(); head && head.opening.recordId === recordId; head = await this.peek()) {
      this.head = undefined;
      if (refs.has(head.opening.ref)) this.lineFailures.add(duplicateOpening(head));
      else {
        refs.add(head.opening.ref);
        group.push(head);
      }
    }
    return group;
  }

  private async peek(): Promise<OpeningEntry | null> {
    while (this.head === undefined) {
      if (this.next === this.batch.length) {
        let r: IteratorResult<EntryLine[]>;
        try {
          r = await this.batches.next();
        } catch (error) {
          if (error instanceof UnpackError) throw new StreamedOpeningsUnusable();
          throw error;
        }
        if (r.done) this.head = null;
        else [this.batch, this.next] = [r.value, 0];
        continue;
      }
      const { line, number } = this.batch[this.next++]!;
      this.head = parseOpeningEntry(line, number, this.lineFailures) ?? undefined;
    }
    return this.head;
  }
}

/**
 * Whether the bundle should carry openings.jsonl: when a v2 manifest says personal data is
 * included (then it must say who disclosed it, and why); otherwise it must not carry one.
 */
function expectsOpenings(v: Verification): boolean {
  const { archive, out, manifest } = v;
  const disclosed = isV2(manifest) && manifest.personalData === "included";
  if (disclosed && !manifest.disclosure) {
    out.add({ code: "manifest_invalid", file: F.manifest, message: "the manifest says personal data is included but does not say who disclosed it, or why" });
  }
  if (!disclosed && archive.has(F.openings)) {
    out.add({ code: "manifest_invalid", file: F.openings, message: "openings.jsonl is present although the manifest says personal data is withheld" });
  }
  return disclosed;
}

/** The result's counts the records pass adds to: restored when a pass is discarded. */
const RECORD_COUNTS = ["recordsChecked", "recordsVerifiedByBytes", "withheldRecords", "legacyRecordsWithheld", "openingsChecked"] as const;
type RecordCounts = Pick<BundleVerification, (typeof RECORD_COUNTS)[number]>;

function recordCounts(result: BundleVerification): RecordCounts {
  return Object.fromEntries(RECORD_COUNTS.map((k) => [k, result[k]])) as unknown as RecordCounts;
}

/**
 * records.jsonl: every record in ledger order, once, its bytes matching its leaf hash.
 * Returns the records by seq, for the proofs. Openings are streamed beside the records when
 * they are in record order (as exported), else indexed whole first.
 */
async function checkRecords(v: Verification): Promise<RecordIndex> {
  const disclosed = expectsOpenings(v);
  if (disclosed && v.archive.has(F.openings) && v.archive.has(F.records)) {
    const counts = recordCounts(v.result);
    const streamed = new StreamedOpenings(v);
    try {
      return await checkRecordsWith(v, streamed);
    } catch (error) {
      if (!(error instanceof StreamedOpeningsUnusable)) throw error;
      Object.assign(v.result, counts);
      await streamed.close();
    }
  }
  return checkRecordsWith(v, disclosed ? await openingsInMemory(v) : null);
}

async function checkRecordsWith(v: Verification, openings: OpeningsSource | null): Promise<RecordIndex> {
  const { archive, out, result, manifest } = v;
  const counts = recordCounts(result);
  const pass = archive.has(F.records) ? await checkRecordLines(v, openings) : null;
  if (pass && !pass.readable) {
    if (openings instanceof StreamedOpenings) throw new StreamedOpeningsUnusable();
    // Nothing of an unreadable file counts, and every opening is left for finishOpenings.
    Object.assign(result, counts);
    if (openings) openings = await openingsInMemory(v);
  }
  const unmatched = openings ? await openings.rest() : null;
  if (openings) out.replay(openings.failures);
  if (pass?.readable) {
    const listedRecords = v.listed.get(F.records);
    if (listedRecords) await checkFileHash(v, F.records, listedRecords.sha256);
    out.replay(pass.failures);
    checkRecordCounts(v);
  } else if (pass) {
    out.add({ code: "bundle_unreadable", file: F.records, message: "records.jsonl cannot be unpacked" });
  }
  const recordFailures = out.failures.filter((f) => f.file === F.records).length;
  const nf = (n: number) => n.toLocaleString("en-US");
  const masked =
    result.withheldRecords === 0 || isV2(manifest)
      ? ""
      : `; ${nf(result.withheldRecords)} masked (personal data withheld, content not checkable)`;
  const legacy = result.legacyRecordsWithheld > 0 ? `; ${nf(result.legacyRecordsWithheld)} stored before personal data was committed, contents withheld (see below)` : "";
  result.checks.push({
    label: "Record contents",
    ok: pass?.readable === true && recordFailures === 0,
    detail: `${nf(result.recordsVerifiedByBytes)} of ${nf(result.recordsChecked)} record(s) match their leaf hashes byte for byte${masked}${legacy}`,
  });
  if (openings && unmatched) finishOpenings(v, openings, unmatched);
  return pass?.readable ? pass.records : new RecordIndex();
}

/** The record count and the masked count must be the manifest's. */
function checkRecordCounts(v: Verification): void {
  const { out, result, manifest } = v;
  if (result.recordsChecked !== manifest.recordCount) {
    out.add({
      code: "record_count_mismatch",
      file: F.records,
      message: `records.jsonl holds ${result.recordsChecked} record(s) but the manifest says ${manifest.recordCount}`,
    });
  }
  if (manifest.personalData === "included" && result.withheldRecords > 0) {
    out.add({ code: "manifest_invalid", file: F.records, message: `${result.withheldRecords} record(s) are masked although the manifest says personal data is included` });
  }
  if (result.withheldRecords !== (manifest.withheldRecords ?? 0)) {
    out.add({ code: "manifest_invalid", file: F.manifest, message: `the manifest counts ${manifest.withheldRecords} masked record(s), records.jsonl has ${result.withheldRecords}` });
  }
}

/** Openings naming no record of the bundle fail; the counts must be the manifest's. */
function finishOpenings(v: Verification, openings: OpeningsSource, unmatched: Iterable<[string, OpeningEntry[]]>): void {
  const { out, result, manifest } = v;
  for (const [recordId, entries] of unmatched) {
    for (const { opening, number } of entries) {
      out.add({
        code: "opening_unmatched",
        file: F.openings,
        id: recordId,
        message: `line ${number} of openings.jsonl: ref ${opening.ref} (${opening.pointer}) is in no record of the bundle (record id ${recordId})`,
      });
    }
  }
  result.erasedValues = openings.unopened;
  const d = manifest.disclosure;
  const countsOk = !!d && d.openings === result.openingsChecked && d.erasedValues === openings.unopened;
  if (d && !countsOk) {
    out.add({
      code: "manifest_invalid",
      file: F.manifest,
      message: `the manifest counts ${d.openings} opening(s) and ${d.erasedValues} erased value(s); the bundle has ${result.openingsChecked} verified and ${openings.unopened} unopened`,
    });
  }
  result.checks.push({
    label: "Personal data openings",
    ok: countsOk && !out.failures.some((f) => f.file === F.openings),
    detail:
      `${result.openingsChecked.toLocaleString("en-US")} disclosed value(s) open the commitments in their records` +
      (openings.unopened > 0 ? `; ${openings.unopened.toLocaleString("en-US")} value(s) of erased data subjects are not included` : "") +
      (d ? `. Disclosed by ${d.disclosedBy.name} <${d.disclosedBy.email}> (${d.disclosedBy.role}) because: ${d.reason}` : ""),
  });
}

/** What one pass over records.jsonl found: its records and failures, or that it cannot be unpacked. */
type RecordsPass = { readable: true; records: RecordIndex; failures: Collector } | { readable: false };

/** records.jsonl line by line; its failures go to a fork, for checkRecordsWith to place after the file's hash. */
async function checkRecordLines(v: Verification, openings: OpeningsSource | null): Promise<RecordsPass> {
  const failures = v.out.fork();
  const pass: RecordLinesState = { v: { ...v, out: failures }, records: new RecordIndex(), ids: new Set(), previous: -1, openings };
  let n = 0;
  try {
    for await (const batch of v.archive.lines(F.records)) {
      for (const { line, number } of batch) {
        n++;
        if (n % 2000 === 0) v.opts.onProgress?.({ phase: "records", done: n, total: v.manifest.recordCount });
        await checkRecordLine(pass, line, number);
      }
    }
  } catch (error) {
    if (error instanceof UnpackError && error.file === F.records) return { readable: false };
    throw error;
  }
  return { readable: true, records: pass.records, failures };
}

interface RecordLinesState {
  v: Verification;
  records: RecordIndex;
  ids: Set<string>;
  /** The highest seq so far. */
  previous: number;
  openings: OpeningsSource | null;
}

async function checkRecordLine(s: RecordLinesState, line: Uint8Array, number: number): Promise<void> {
  const { v, records, ids } = s;
  const { out, result } = v;
  let text: string;
  try {
    text = utf8Decode(line);
  } catch {
    out.add({ code: "record_malformed", file: F.records, message: `line ${number} is not valid UTF-8` });
    return;
  }
  const r = parseRecordLine(text);
  if (!r) {
    out.add({ code: "record_malformed", file: F.records, message: `line ${number} is not a record line` });
    return;
  }
  result.recordsChecked++;
  if (records.has(r.seq) || ids.has(r.id)) {
    out.add({ code: "record_duplicate", file: F.records, seq: r.seq, id: r.id, message: `${describeRecord(r.seq, r.id)} appears more than once` });
    return;
  }
  if (r.seq <= s.previous) {
    out.add({
      code: "record_out_of_order",
      file: F.records,
      seq: r.seq,
      id: r.id,
      message: `${describeRecord(r.seq, r.id)} comes after position ${s.previous} (line ${number}): records were moved or swapped`,
    });
  }
  s.previous = Math.max(s.previous, r.seq);
  ids.add(r.id);
  const leaf = fromHex(r.leafHash);
  records.add(r.seq, { id: r.id, leaf, withheld: r.withheld !== null });
  if (r.withheld) {
    checkWithheldRecord(v, r);
    return;
  }
  // The prefix before the statement is ASCII for an unmasked line, so the statement's bytes
  // are the line's bytes from the same offset: hash them without decoding and re-encoding.
  const statementBytes = line.subarray(text.length - r.canonical.length - 1, line.length - 1);
  const verified = checkRecordBytes(v, r, statementBytes, leaf);
  if (verified) result.recordsVerifiedByBytes++;
  if (s.openings) await checkRecordOpenings(v, r, s.openings, verified);
}

/**
 * A masked copy. A v2 bundle masks only records stored before personal data was committed:
 * a copy that claims committed personal data (format 1) was masked without need, or edited.
 */
function checkWithheldRecord(v: Verification, r: BundleRecordLine): void {
  v.result.withheldRecords++;
  if (!isV2(v.manifest)) return;
  let format: 0 | 1 | null;
  try {
    format = personalDataFormatOf(JSON.parse(r.canonical) as XapiStatement);
  } catch {
    format = null;
  }
  if (format === 0) {
    v.result.legacyRecordsWithheld++;
    return;
  }
  v.out.add({
    code: "record_malformed",
    file: F.records,
    seq: r.seq,
    id: r.id,
    message: `${describeRecord(r.seq, r.id)} is masked, but ${format === 1 ? "its personal data is committed, so it must be carried in full" : "its masked copy is not a statement"}`,
  });
}

/**
 * The openings of one record against the commitments in its bytes (just checked against the
 * leaf hash): each must name a commitment of the record, at its pointer, and open it.
 */
async function checkRecordOpenings(v: Verification, r: BundleRecordLine, openings: OpeningsSource, bytesVerified: boolean): Promise<void> {
  const entries = await openings.take(r.id);
  if (entries.length === 0 && !mayHoldCommitments(r.canonical)) return;
  let statement: XapiStatement;
  try {
    statement = JSON.parse(r.canonical) as XapiStatement;
  } catch {
    v.out.add({ code: "record_malformed", file: F.records, seq: r.seq, id: r.id, message: `${describeRecord(r.seq, r.id)}: its statement is not JSON` });
    return;
  }
  const commitments = new Map(findCommitments(statement).map((c) => [c.ref, c]));
  const fail = (code: BundleFailureCode, e: OpeningEntry, why: string) =>
    v.out.add({ code, file: F.openings, seq: r.seq, id: r.id, message: `${describeRecord(r.seq, r.id)}, ${e.opening.pointer} (line ${e.number} of openings.jsonl): ${why}` });
  for (const e of entries) {
    const c = commitments.get(e.opening.ref);
    commitments.delete(e.opening.ref);
    if (!c) fail("opening_unmatched", e, `ref ${e.opening.ref} is in no commitment of this record`);
    else if (c.pointer !== e.opening.pointer) fail("opening_invalid", e, `the commitment of ref ${e.opening.ref} is at ${c.pointer}, not here`);
    else if (!verifyOpening(v.hasher.backend, c.commitment, { value: e.opening.value, salt: decodeSalt(e.opening.salt) })) {
      fail("opening_invalid", e, "the disclosed value and salt do not open the commitment in the record");
    } else if (bytesVerified) v.result.openingsChecked++;
  }
  openings.unopened += commitments.size;
}

/** A salt as base64; an undecodable one becomes an empty salt, which opens nothing. */
function decodeSalt(salt: string): Uint8Array {
  try {
    return fromBase64(salt);
  } catch {
    return new Uint8Array(0);
  }
}

/**
 * Records a v2 bundle withholds because they predate committed personal data: their content
 * is not checked, only that their leaf hashes are proven in the signed ledger. A category of
 * its own, so it is never counted as fully checked.
 */
function checkLegacyRecords(v: Verification, records: RecordIndex, proven: ReadonlySet<number>): void {
  const { result } = v;
  if (!isV2(v.manifest) || result.withheldRecords === 0) return;
  let provenWithheld = 0;
  for (const [seq, r] of records) if (r.withheld && proven.has(seq)) provenWithheld++;
  const n = result.legacyRecordsWithheld;
  const nf = (x: number) => x.toLocaleString("en-US");
  result.checks.push({
    label: "Records stored before personal data was committed",
    ok: provenWithheld === result.withheldRecords && n === result.withheldRecords,
    detail:
      provenWithheld === result.withheldRecords
        ? `${nf(n)} stored before personal data was committed (format 0): contents withheld, leaf hash and inclusion verified`
        : `${nf(result.withheldRecords)} withheld record(s), of which only ${nf(provenWithheld)} are proven in the signed ledger`,
  });
}

/** An unmasked record's statement bytes must hash to its leaf hash, and be the statement the line names. */
function checkRecordBytes(v: Verification, r: BundleRecordLine, statementBytes: Uint8Array, leaf: Uint8Array): boolean {
  const computed = v.hasher.hashLeaf(statementBytes);
  if (!v.hasher.backend.equal(computed, leaf)) {
    v.out.add({
      code: "record_modified",
      file: F.records,
      seq: r.seq,
      id: r.id,
      message: `${describeRecord(r.seq, r.id)}: its bytes hash to ${toHex(computed)}, not to its leaf hash ${r.leafHash}`,
    });
    return false;
  }
  const statementId = topLevelStringMember(r.canonical, "id");
  if (statementId === null || statementId.toLowerCase() !== r.id) {
    v.out.add({ code: "record_modified", file: F.records, seq: r.seq, id: r.id, message: `${describeRecord(r.seq, r.id)}: the line's id is not the statement's id` });
    return false;
  }
  return true;
}

/** proofs.jsonl: every record proven, from its leaf hash, to the root of the bundle's signed checkpoint. */
async function checkInclusionProofs(v: Verification, records: RecordIndex, cp: BundleCheckpoint): Promise<Set<number>> {
  const { archive, out, result } = v;
  const pass = archive.has(F.proofs) ? await checkProofLines(v, records, cp) : null;
  const proven = pass?.proven ?? new Set<number>();
  if (pass) {
    const listedProofs = v.listed.get(F.proofs);
    if (listedProofs) await checkFileHash(v, F.proofs, listedProofs.sha256);
    out.replay(pass.failures);
    for (const [seq, r] of records) {
      if (!proven.has(seq) && !out.failures.some((f) => f.seq === seq && f.code === "proof_invalid")) {
        out.add({ code: "proof_missing", file: F.proofs, seq, id: r.id, message: `${describeRecord(seq, r.id)} has no inclusion proof` });
      }
    }
  } else if (archive.has(F.proofs)) {
    out.add({ code: "bundle_unreadable", file: F.proofs, message: "proofs.jsonl cannot be unpacked" });
  }
  result.checks.push({
    label: "Inclusion in the signed ledger",
    ok: result.proofsChecked === records.size && records.size > 0 && cp.signatureOk,
    detail: cp.checkpoint
      ? `${result.proofsChecked.toLocaleString("en-US")} of ${records.size.toLocaleString("en-US")} record(s) proven in ${cp.checkpoint.origin} at ${cp.checkpoint.size.toLocaleString("en-US")} records`
      : "no readable checkpoint",
  });
  return proven;
}

/** proofs.jsonl line by line, its failures to a fork (placed after the file's hash); null when it cannot be unpacked (then nothing of it counts). */
async function checkProofLines(v: Verification, records: RecordIndex, cp: BundleCheckpoint): Promise<{ proven: Set<number>; failures: Collector } | null> {
  const failures = v.out.fork();
  const pv: Verification = { ...v, out: failures };
  const proven = new Set<number>();
  const proofsChecked = v.result.proofsChecked;
  let n = 0;
  try {
    for await (const batch of v.archive.lines(F.proofs)) {
      for (const { line, number } of batch) {
        n++;
        if (n % 2000 === 0) v.opts.onProgress?.({ phase: "proofs", done: n, total: v.manifest.recordCount });
        const seq = checkProofLine(pv, line, number, records, cp);
        if (seq !== null) proven.add(seq);
      }
    }
  } catch (error) {
    if (!(error instanceof UnpackError)) throw error;
    v.result.proofsChecked = proofsChecked;
    return null;
  }
  return { proven, failures };
}

/** One line of proofs.jsonl; returns the seq it proves, or null (with a failure). */
function checkProofLine(v: Verification, line: Uint8Array, number: number, records: RecordIndex, cp: BundleCheckpoint): number | null {
  const { out } = v;
  let entry: { seq?: unknown; id?: unknown; tlogProof?: unknown };
  try {
    entry = JSON.parse(utf8Decode(line)) as typeof entry;
  } catch {
    out.add({ code: "proof_invalid", file: F.proofs, message: `line ${number} of proofs.jsonl cannot be read` });
    return null;
  }
  const seq = typeof entry.seq === "number" ? entry.seq : undefined;
  const id = typeof entry.id === "string" ? entry.id : undefined;
  const record = seq !== undefined ? records.get(seq) : undefined;
  if (seq === undefined || typeof entry.tlogProof !== "string") {
    out.add({ code: "proof_invalid", file: F.proofs, message: `line ${number} of proofs.jsonl is incomplete` });
    return null;
  }
  if (!record) {
    out.add({ code: "record_missing", file: F.records, seq, id, message: `${describeRecord(seq, id)} has a proof but is missing from records.jsonl` });
    return null;
  }
  if (id !== undefined && id !== record.id) {
    out.add({ code: "proof_invalid", file: F.proofs, seq, id: record.id, message: `the proof for position ${seq} names id ${id}, the record is ${record.id}` });
    return null;
  }
  try {
    const p = parseTlogProof(entry.tlogProof);
    if (p.index !== seq) throw new Error(`the proof is for position ${p.index}`);
    if (p.checkpoint !== cp.note) throw new Error("the proof refers to a different checkpoint than the bundle's");
    if (!cp.checkpoint) throw new Error("there is no readable checkpoint to check it against");
    verifyInclusion(v.hasher, seq, cp.checkpoint.size, record.leaf, p.proof.map((h) => fromBase64(h)), cp.checkpoint.rootHash);
    v.result.proofsChecked++;
    return seq;
  } catch (error) {
    out.add({
      code: "proof_invalid",
      file: F.proofs,
      seq,
      id: record.id,
      message: `${describeRecord(seq, record.id)} is not proven to be in the signed ledger: ${errorMessage(error)}`,
    });
    return null;
  }
}

/** SHA256SUMS (for shell users) must agree with the files. */
async function checkSha256Sums(v: Verification): Promise<void> {
  const sums = await readText(v, F.sha256sums, false);
  if (sums === null) return;
  for (const line of sums.split("\n").filter(Boolean)) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (!m) {
      v.out.add({ code: "file_modified", file: F.sha256sums, message: `malformed line in SHA256SUMS: ${line.slice(0, 80)}` });
      continue;
    }
    if (!v.archive.has(m[2]!) || (await v.archive.sha256Hex(m[2]!)) !== m[1]) {
      v.out.add({ code: "file_modified", file: m[2]!, message: `${m[2]} does not match its line in SHA256SUMS` });
    }
  }
}

/** The export receipt authenticates the manifest: the export's own access-log entry, proven in the signed access log, names its SHA-256. */
async function checkExportReceipt(v: Verification, trust: Trust): Promise<void> {
  const { out, result } = v;
  const receiptText = await readText(v, F.receipt, false);
  if (receiptText === null) {
    // Every export writes one. Without it the manifest (selection, counts, which records were
    // masked) is only the bundle's word, and masked records' readable copies are bound by
    // nothing: removing the receipt must not let an edited bundle pass.
    out.add({
      code: "receipt_missing",
      file: F.receipt,
      message: `${F.receipt} is missing: the manifest (selection, counts, masked records) cannot be tied to the export the ledger logged`,
    });
  } else {
    try {
      const details = await provenExportDetails(v, trust, JSON.parse(receiptText) as ExportReceipt);
      if (details.manifestSha256 !== v.manifestSha256) {
        out.add({
          code: "manifest_not_authenticated",
          file: F.manifest,
          message: `manifest.json hashes to ${v.manifestSha256}, but the export's access-log entry recorded ${String(details.manifestSha256)}: the manifest was changed after export`,
        });
      } else if (details.recordCount !== v.manifest.recordCount) {
        out.add({ code: "manifest_not_authenticated", file: F.manifest, message: "the record count differs from the export's access-log entry" });
      } else {
        result.receiptVerified = true;
      }
    } catch (error) {
      out.add({ code: "receipt_invalid", file: F.receipt, message: `the export receipt does not verify: ${errorMessage(error)}` });
    }
  }
  result.checks.push({
    label: "Manifest tied to the ledger",
    ok: result.receiptVerified,
    detail: result.receiptVerified
      ? "the export's own access-log entry, proven in the signed access log, names this manifest's SHA-256"
      : receiptText === null
        ? "no export receipt"
        : "the export receipt does not match",
  });
}

/** The details of the receipt's access-log entry, once it is proven to be this bundle's export in the signed access log; throws otherwise. */
async function provenExportDetails(v: Verification, trust: Trust, receipt: ExportReceipt): Promise<Record<string, unknown>> {
  const leaf = v.hasher.hashLeaf(utf8Encode(receipt.accessEvent));
  if (toHex(leaf) !== receipt.leafHash) throw new Error("the access-log entry does not match its leaf hash");
  const p = parseTlogProof(receipt.tlogProof);
  if (p.index !== receipt.seq) throw new Error("the proof is for another position");
  const verified = await verifyNote(p.checkpoint, trust.trustedKeys);
  const accessCp = parseCheckpoint(verified.text);
  const expectedOrigin = `${v.manifest.ledger.deployment}/access`;
  if (accessCp.origin !== expectedOrigin) throw new Error(`the receipt's checkpoint is for ${accessCp.origin}, not ${expectedOrigin}`);
  verifyInclusion(v.hasher, receipt.seq, accessCp.size, leaf, p.proof.map((h) => fromBase64(h)), accessCp.rootHash);
  const event = JSON.parse(receipt.accessEvent) as { action?: string; details?: Record<string, unknown> };
  if (event.action !== "evidence.export") throw new Error(`the access-log entry is a ${event.action}, not an export`);
  const details = event.details ?? {};
  if (details.bundleId !== v.manifest.bundleId) throw new Error("the access-log entry is for another bundle");
  return details;
}

/** A plain-text report, for the CLI and for copying from the browser page. */
export function formatVerification(v: BundleVerification): string {
  const lines: string[] = [];
  lines.push(v.ok ? "PASS: the evidence bundle verifies." : `FAIL: ${v.failures.length + v.moreFailures} problem(s) found.`);
  if (v.bundleId) lines.push(`Bundle ${v.bundleId}, exported ${v.createdAt ?? "?"} by ${v.createdBy ?? "?"}`);
  if (v.selection) lines.push(`Selection: ${v.selection}`);
  if (v.checkpoint) lines.push(`Checkpoint: ${v.checkpoint.origin} at ${v.checkpoint.treeSize} records, root ${v.checkpoint.rootHash}`);
  lines.push("");
  for (const c of v.checks) lines.push(`${c.ok ? "[ok]  " : "[FAIL]"} ${c.label}: ${c.detail}`);
  if (v.failures.length > 0) {
    lines.push("", "Problems:");
    for (const f of v.failures) {
      const where = f.seq !== undefined ? ` [position ${f.seq}${f.id ? `, id ${f.id}` : ""}]` : f.file ? ` [${f.file}]` : "";
      lines.push(`  - ${f.code}${where}: ${f.message}`);
    }
    if (v.moreFailures > 0) lines.push(`  … and ${v.moreFailures} more`);
  }
  if (v.warnings.length > 0) {
    lines.push("", "Warnings:");
    for (const w of v.warnings) lines.push(`  ! ${w}`);
  }
  return lines.join("\n") + "\n";
}
