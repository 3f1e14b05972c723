// The offline evidence-bundle verifier, shared by the browser page (/verify-bundle) and the
// CLI (`decision-ledger verify`). No node: imports: hashing is the ledger's one hasher, on a
// pure-JS SHA-256 by default (the CLI may inject Node's native one), unzipping is fflate.
//
// It trusts nothing in the bundle except what it can recompute: file hashes, each record's
// leaf hash from its exact bytes, each inclusion proof up to the checkpoint's root, the
// checkpoint's Ed25519 signature, the consistency proofs and the export receipt. Every
// failure names the file and, for records, the position (seq) and id.
//
// verifyBundle runs the checks as steps, top to bottom, sharing one Verification context;
// their order is part of the result (checks are listed and failures capped in that order).

import { unzipSync } from "fflate";
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
  maxFailures?: number;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

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

/** Splits a byte buffer at 0x0A without copying; yields each line (without the newline). */
function* lines(bytes: Uint8Array): Generator<{ line: Uint8Array; number: number }> {
  let start = 0;
  let number = 1;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      yield { line: bytes.subarray(start, i), number: number++ };
      start = i + 1;
    }
  }
  if (start < bytes.length) yield { line: bytes.subarray(start), number };
}

/** Records, proofs and openings are the large files: unpacked only when they are checked, once each, and not kept. */
const LARGE_FILES: ReadonlySet<string> = new Set([F.records, F.proofs, F.openings]);

/**
 * The bundle's files, unpacked one at a time, so memory holds the archive plus one unpacked
 * file, not the whole bundle unpacked. Small files are kept once read; every file's SHA-256
 * is computed at most once.
 */
class BundleArchive {
  private readonly small = new Map<string, Uint8Array | null>();
  private readonly hashes = new Map<string, string>();
  private readonly nameSet: ReadonlySet<string>;

  private constructor(
    private readonly zip: Uint8Array,
    private readonly hasher: LogHasher<Uint8Array>,
    /** Every entry name, in archive order, duplicates included. */
    readonly names: readonly string[],
  ) {
    this.nameSet = new Set(names);
  }

  /** Lists the archive's entries (nothing is unpacked yet); null when it is no readable zip. */
  static open(zip: Uint8Array, hasher: LogHasher<Uint8Array>, out: Collector): BundleArchive | null {
    const names: string[] = [];
    try {
      unzipSync(zip, {
        filter: (f) => {
          names.push(f.name);
          return false;
        },
      });
    } catch (error) {
      out.add({ code: "bundle_unreadable", message: `not a readable .zip file: ${errorMessage(error)}` });
      return null;
    }
    const archive = new BundleArchive(zip, hasher, names);
    if (names.length !== archive.nameSet.size) out.add({ code: "unexpected_file", message: "the archive lists the same file name twice" });
    return archive;
  }

  has(name: string): boolean {
    return this.nameSet.has(name);
  }

  /** A file's bytes; null when the archive has no such file or it cannot be unpacked. */
  read(name: string): Uint8Array | null {
    if (!this.has(name)) return null;
    if (this.small.has(name)) return this.small.get(name)!;
    let bytes: Uint8Array | null;
    try {
      bytes = unzipSync(this.zip, { filter: (f) => f.name === name })[name] ?? null;
    } catch {
      bytes = null;
    }
    if (!LARGE_FILES.has(name)) this.small.set(name, bytes);
    return bytes;
  }

  /** SHA-256 (hex) of a file, of `bytes` when the caller has them unpacked already; null when unreadable. */
  sha256Hex(name: string, bytes?: Uint8Array | null): string | null {
    const known = this.hashes.get(name);
    if (known) return known;
    const b = bytes ?? this.read(name);
    if (!b) return null;
    const hex = toHex(this.hasher.backend.digest(b));
    this.hashes.set(name, hex);
    return hex;
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

/** Verifies an evidence bundle (.zip bytes). Never throws for a bad bundle: problems are failures. */
export async function verifyBundle(zip: Uint8Array, opts: VerifyBundleOptions = {}): Promise<BundleVerification> {
  const startedAt = Date.now();
  const hasher = opts.hasher ?? portableHasher;
  const out = new Collector(opts.maxFailures ?? 200);
  const result = emptyVerification();
  const finish = () => finishVerification(result, out, startedAt);

  const archive = BundleArchive.open(zip, hasher, out);
  if (!archive) return finish();
  const read = readManifest(archive, out, result);
  if (!read) return finish();
  const v: Verification = { hasher, opts, archive, out, result, ...read, listed: new Map(read.manifest.files.map((f) => [f.path, f])), filesOk: true };

  checkFileList(v);
  const trust = checkKeys(v);
  const checkpoint = await checkCheckpoint(v, trust);
  checkCheckpointCopies(v, checkpoint.note);
  await checkConsistency(v, trust, checkpoint.checkpoint);
  // Records before proofs, each unpacked in its own step: only one of the two large files is in memory at a time.
  const records = checkRecords(v);
  const proven = checkInclusionProofs(v, records, checkpoint);
  checkLegacyRecords(v, records, proven);
  result.checks.push({
    label: "File hashes",
    ok: v.filesOk,
    detail: v.filesOk ? `all ${v.manifest.files.length} files match the manifest` : "some files do not match",
  });
  checkSha256Sums(v);
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
function readText(v: Pick<Verification, "archive" | "out">, name: string, required: boolean): string | null {
  const bytes = v.archive.read(name);
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
function readManifest(archive: BundleArchive, out: Collector, result: BundleVerification): { manifest: BundleManifest; manifestSha256: string } | null {
  const manifestBytes = archive.read(F.manifest);
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
  return { manifest, manifestSha256: archive.sha256Hex(F.manifest, manifestBytes)! };
}

/** A file's bytes must hash to what the manifest lists for it. */
function checkFileHash(v: Verification, path: string, expected: string, bytes?: Uint8Array): void {
  if (v.archive.sha256Hex(path, bytes) !== expected) {
    v.out.add({ code: "file_modified", file: path, message: `${path} does not match the SHA-256 in the manifest` });
    v.filesOk = false;
  }
}

/** The manifest's file list against the archive: each listed file present and (small files now) unmodified, nothing unlisted. */
function checkFileList(v: Verification): void {
  const { archive, out, manifest } = v;
  for (const f of manifest.files) {
    if (!archive.has(f.path)) {
      out.add({ code: "file_missing", file: f.path, message: `${f.path} is listed in the manifest but missing from the bundle` });
      v.filesOk = false;
      continue;
    }
    if (!LARGE_FILES.has(f.path)) checkFileHash(v, f.path, f.sha256);
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
function checkKeys(v: Verification): Trust {
  const { out, result } = v;
  const bundledKey = readText(v, F.verifierKey, true)?.trim() ?? null;
  if (bundledKey !== null && bundledKey !== v.manifest.ledger.verifierKey) {
    out.add({ code: "key_mismatch", file: F.verifierKey, message: "the verifier key file differs from the key named in the manifest" });
  }
  const pem = readText(v, F.keyPem, false);
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
  const note = readText(v, F.checkpointNote, true);
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
function checkCheckpointCopies(v: Verification, note: string | null): void {
  if (note === null) return;
  const msg = v.archive.read(F.checkpointMessage);
  const sig = v.archive.read(F.checkpointSignature);
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
  const consistencyText = readText(v, F.consistency, false);
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

/** What checking the records against the openings shares: the openings by record id, and what is left to count. */
interface OpeningsCheck {
  /** Openings not yet matched to a record, by record id. */
  byRecord: Map<string, OpeningEntry[]>;
  /** Commitments found without an opening. */
  unopened: number;
}

/**
 * openings.jsonl, indexed by record id; null when the bundle discloses no personal data (then
 * it must not carry openings either). A v2 manifest's disclosure says whether it should.
 */
function readOpenings(v: Verification): OpeningsCheck | null {
  const { archive, out, manifest } = v;
  const disclosed = isV2(manifest) && manifest.personalData === "included";
  if (disclosed && !manifest.disclosure) {
    out.add({ code: "manifest_invalid", file: F.manifest, message: "the manifest says personal data is included but does not say who disclosed it, or why" });
  }
  if (!disclosed) {
    if (archive.has(F.openings)) out.add({ code: "manifest_invalid", file: F.openings, message: "openings.jsonl is present although the manifest says personal data is withheld" });
    return null;
  }
  const check: OpeningsCheck = { byRecord: new Map(), unopened: 0 };
  const bytes = archive.read(F.openings);
  if (!bytes) {
    out.add({ code: "file_missing", file: F.openings, message: "openings.jsonl is missing although the manifest says personal data is included" });
    return check;
  }
  const listed = v.listed.get(F.openings);
  if (listed) checkFileHash(v, F.openings, listed.sha256, bytes);
  else out.add({ code: "manifest_invalid", file: F.manifest, message: `the manifest does not list ${F.openings}` });
  const seen = new Set<string>();
  for (const { line, number } of lines(bytes)) {
    let opening: BundleOpeningLine | null = null;
    try {
      opening = parseOpeningLine(utf8Decode(line));
    } catch {
      opening = null;
    }
    if (!opening) {
      out.add({ code: "opening_invalid", file: F.openings, message: `line ${number} of openings.jsonl is not an opening` });
      continue;
    }
    const key = `${opening.recordId} ${opening.ref}`;
    if (seen.has(key)) {
      out.add({ code: "opening_invalid", file: F.openings, id: opening.recordId, message: `line ${number}: the opening of ref ${opening.ref} appears more than once` });
      continue;
    }
    seen.add(key);
    const list = check.byRecord.get(opening.recordId) ?? [];
    list.push({ opening, number });
    check.byRecord.set(opening.recordId, list);
  }
  return check;
}

/** records.jsonl: every record in ledger order, once, its bytes matching its leaf hash. Returns the records by seq, for the proofs. */
function checkRecords(v: Verification): Map<number, BundledRecord> {
  const { archive, out, result, manifest } = v;
  const records = new Map<number, BundledRecord>();
  const openings = readOpenings(v);
  const recordsBytes = archive.read(F.records);
  if (!recordsBytes) {
    if (archive.has(F.records)) out.add({ code: "bundle_unreadable", file: F.records, message: "records.jsonl cannot be unpacked" });
  } else {
    const listedRecords = v.listed.get(F.records);
    if (listedRecords) checkFileHash(v, F.records, listedRecords.sha256, recordsBytes);
    checkRecordLines(v, recordsBytes, records, openings);
    checkRecordCounts(v);
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
    ok: recordsBytes !== null && recordFailures === 0,
    detail: `${nf(result.recordsVerifiedByBytes)} of ${nf(result.recordsChecked)} record(s) match their leaf hashes byte for byte${masked}${legacy}`,
  });
  if (openings) finishOpenings(v, openings);
  return records;
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
function finishOpenings(v: Verification, openings: OpeningsCheck): void {
  const { out, result, manifest } = v;
  for (const [recordId, entries] of openings.byRecord) {
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

function checkRecordLines(v: Verification, recordsBytes: Uint8Array, records: Map<number, BundledRecord>, openings: OpeningsCheck | null): void {
  const { out, result } = v;
  const ids = new Set<string>();
  let previous = -1;
  let n = 0;
  for (const { line, number } of lines(recordsBytes)) {
    n++;
    if (n % 2000 === 0) v.opts.onProgress?.({ phase: "records", done: n, total: v.manifest.recordCount });
    let text: string;
    try {
      text = utf8Decode(line);
    } catch {
      out.add({ code: "record_malformed", file: F.records, message: `line ${number} is not valid UTF-8` });
      continue;
    }
    const r = parseRecordLine(text);
    if (!r) {
      out.add({ code: "record_malformed", file: F.records, message: `line ${number} is not a record line` });
      continue;
    }
    result.recordsChecked++;
    if (records.has(r.seq) || ids.has(r.id)) {
      out.add({ code: "record_duplicate", file: F.records, seq: r.seq, id: r.id, message: `${describeRecord(r.seq, r.id)} appears more than once` });
      continue;
    }
    if (r.seq <= previous) {
      out.add({
        code: "record_out_of_order",
        file: F.records,
        seq: r.seq,
        id: r.id,
        message: `${describeRecord(r.seq, r.id)} comes after position ${previous} (line ${number}): records were moved or swapped`,
      });
    }
    previous = Math.max(previous, r.seq);
    ids.add(r.id);
    const leaf = fromHex(r.leafHash);
    records.set(r.seq, { id: r.id, leaf, withheld: r.withheld !== null });
    if (r.withheld) {
      checkWithheldRecord(v, r);
      continue;
    }
    // The prefix before the statement is ASCII for an unmasked line, so the statement's bytes
    // are the line's bytes from the same offset: hash them without decoding and re-encoding.
    const statementBytes = line.subarray(text.length - r.canonical.length - 1, line.length - 1);
    const verified = checkRecordBytes(v, r, statementBytes, leaf);
    if (verified) result.recordsVerifiedByBytes++;
    if (openings) checkRecordOpenings(v, r, openings, verified);
  }
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
function checkRecordOpenings(v: Verification, r: BundleRecordLine, openings: OpeningsCheck, bytesVerified: boolean): void {
  const entries = openings.byRecord.get(r.id) ?? [];
  openings.byRecord.delete(r.id);
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
function checkLegacyRecords(v: Verification, records: Map<number, BundledRecord>, proven: ReadonlySet<number>): void {
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
function checkInclusionProofs(v: Verification, records: Map<number, BundledRecord>, cp: BundleCheckpoint): Set<number> {
  const { archive, out, result } = v;
  const proven = new Set<number>();
  const proofsBytes = archive.read(F.proofs);
  if (proofsBytes) {
    const listedProofs = v.listed.get(F.proofs);
    if (listedProofs) checkFileHash(v, F.proofs, listedProofs.sha256, proofsBytes);
    let n = 0;
    for (const { line, number } of lines(proofsBytes)) {
      n++;
      if (n % 2000 === 0) v.opts.onProgress?.({ phase: "proofs", done: n, total: v.manifest.recordCount });
      const seq = checkProofLine(v, line, number, records, cp);
      if (seq !== null) proven.add(seq);
    }
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

/** One line of proofs.jsonl; returns the seq it proves, or null (with a failure). */
function checkProofLine(v: Verification, line: Uint8Array, number: number, records: Map<number, BundledRecord>, cp: BundleCheckpoint): number | null {
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
function checkSha256Sums(v: Verification): void {
  const sums = readText(v, F.sha256sums, false);
  if (sums === null) return;
  for (const line of sums.split("\n").filter(Boolean)) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (!m) {
      v.out.add({ code: "file_modified", file: F.sha256sums, message: `malformed line in SHA256SUMS: ${line.slice(0, 80)}` });
      continue;
    }
    if (!v.archive.has(m[2]!) || v.archive.sha256Hex(m[2]!) !== m[1]) {
      v.out.add({ code: "file_modified", file: m[2]!, message: `${m[2]} does not match its line in SHA256SUMS` });
    }
  }
}

/** The export receipt authenticates the manifest: the export's own access-log entry, proven in the signed access log, names its SHA-256. */
async function checkExportReceipt(v: Verification, trust: Trust): Promise<void> {
  const { out, result } = v;
  const receiptText = readText(v, F.receipt, false);
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
