// The offline evidence-bundle verifier, shared by the browser page (/verify-bundle) and the
// CLI (`decision-ledger verify`). No node: imports: hashing is WebCrypto by default (the CLI
// may inject a faster synchronous SHA-256), unzipping is fflate.
//
// It trusts nothing in the bundle except what it can recompute: file hashes, each record's
// leaf hash from its exact bytes, each inclusion proof up to the checkpoint's root, the
// checkpoint's Ed25519 signature, the consistency proofs and the export receipt. Every
// failure names the file and, for records, the position (seq) and id.

import { unzipSync } from "fflate";
import { bytesEqual, fromBase64, fromHex, toHex, utf8Decode, utf8Encode } from "../ledger/bytes";
import { leafHash, verifyConsistency, verifyInclusion, webSha256, type Sha256 } from "../ledger/merkle";
import { parseCheckpoint, verifyNote, type Checkpoint } from "../ledger/signed-note";
import {
  BUNDLE_FILES as F,
  BUNDLE_FORMAT,
  FILES_AFTER_MANIFEST,
  parseRecordLine,
  parseTlogProof,
  pemToEd25519PublicKey,
  splitSignedNote,
  splitVerifierKey,
  type BundleManifest,
  type ConsistencyFile,
  type ExportReceipt,
} from "./bundle-format";

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
  recordsVerifiedByBytes: number;
  withheldRecords: number;
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
  /** SHA-256 to use (default WebCrypto). Must produce the same bytes. */
  sha?: Sha256;
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

/** Verifies an evidence bundle (.zip bytes). Never throws for a bad bundle: problems are failures. */
export async function verifyBundle(zip: Uint8Array, opts: VerifyBundleOptions = {}): Promise<BundleVerification> {
  const t0 = Date.now();
  const sha = opts.sha ?? webSha256;
  const out = new Collector(opts.maxFailures ?? 200);
  const checks: BundleCheck[] = [];
  const warnings: string[] = [];
  const result: BundleVerification = {
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
    proofsChecked: 0,
    consistencyProofsChecked: 0,
    receiptVerified: false,
    checks,
    failures: [],
    moreFailures: 0,
    warnings,
    durationMs: 0,
  };
  const finish = (): BundleVerification => {
    result.failures = out.failures;
    result.moreFailures = out.more;
    result.ok = out.count === 0;
    result.durationMs = Date.now() - t0;
    return result;
  };
  const hex = async (data: Uint8Array) => toHex(await sha(data));

  // --- The archive ------------------------------------------------------------------
  const names: string[] = [];
  // Files are unpacked one at a time (the two large ones only once each), so memory holds the
  // archive plus one unpacked file, not the whole bundle unpacked.
  const small = new Map<string, Uint8Array | null>();
  const hashes = new Map<string, string>();
  const read = (name: string): Uint8Array | null => {
    if (small.has(name)) return small.get(name)!;
    let bytes: Uint8Array | null;
    try {
      bytes = unzipSync(zip, { filter: (f) => f.name === name })[name] ?? null;
    } catch {
      bytes = null;
    }
    if (!bigFiles.has(name)) small.set(name, bytes);
    return bytes;
  };
  /** SHA-256 (hex) of a file in the bundle, computed once. */
  const hashOf = async (name: string, bytes?: Uint8Array | null): Promise<string | null> => {
    const known = hashes.get(name);
    if (known) return known;
    const b = bytes ?? read(name);
    if (!b) return null;
    const h = await hex(b);
    hashes.set(name, h);
    return h;
  };
  const bigFiles = new Set<string>([F.records, F.proofs]);
  try {
    unzipSync(zip, {
      filter: (f) => {
        names.push(f.name);
        return false;
      },
    });
  } catch (error) {
    out.add({ code: "bundle_unreadable", message: `not a readable .zip file: ${errorMessage(error)}` });
    return finish();
  }
  const nameSet = new Set(names);
  if (names.length !== nameSet.size) out.add({ code: "unexpected_file", message: "the archive lists the same file name twice" });

  const readText = (name: string, required: boolean): string | null => {
    const bytes = nameSet.has(name) ? read(name) : null;
    if (!bytes) {
      if (required) out.add({ code: "file_missing", file: name, message: `${name} is missing from the bundle` });
      return null;
    }
    try {
      return utf8Decode(bytes);
    } catch {
      out.add({ code: "manifest_invalid", file: name, message: `${name} is not valid UTF-8 text` });
      return null;
    }
  };

  // --- Manifest -----------------------------------------------------------------------
  const manifestBytes = nameSet.has(F.manifest) ? read(F.manifest) : null;
  if (!manifestBytes) {
    out.add({ code: "file_missing", file: F.manifest, message: "manifest.json is missing: this is not an evidence bundle" });
    return finish();
  }
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(utf8Decode(manifestBytes)) as BundleManifest;
    if (manifest.format !== BUNDLE_FORMAT) throw new Error(`unknown format "${String(manifest.format)}" (expected ${BUNDLE_FORMAT})`);
    if (!Array.isArray(manifest.files) || !manifest.checkpoint || !manifest.ledger || typeof manifest.recordCount !== "number") {
      throw new Error("required fields are missing");
    }
  } catch (error) {
    out.add({ code: "manifest_invalid", file: F.manifest, message: `manifest.json cannot be read: ${errorMessage(error)}` });
    return finish();
  }
  result.bundleId = manifest.bundleId ?? null;
  result.createdAt = manifest.createdAt ?? null;
  result.createdBy = manifest.createdBy ? `${manifest.createdBy.name} <${manifest.createdBy.email}> (${manifest.createdBy.role})` : null;
  result.selection = manifest.selection?.description ?? null;
  result.deployment = manifest.ledger.deployment ?? null;
  const manifestSha256 = await hex(manifestBytes);

  // --- File hashes (small files now; records and proofs while they are read) -----------
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  let filesOk = true;
  for (const f of manifest.files) {
    if (!nameSet.has(f.path)) {
      out.add({ code: "file_missing", file: f.path, message: `${f.path} is listed in the manifest but missing from the bundle` });
      filesOk = false;
      continue;
    }
    if (bigFiles.has(f.path)) continue;
    if ((await hashOf(f.path)) !== f.sha256) {
      out.add({ code: "file_modified", file: f.path, message: `${f.path} does not match the SHA-256 in the manifest` });
      filesOk = false;
    }
  }
  for (const name of names) {
    if (!listed.has(name) && !FILES_AFTER_MANIFEST.includes(name) && !name.endsWith("/")) {
      out.add({ code: "unexpected_file", file: name, message: `${name} is in the bundle but not in its manifest` });
      filesOk = false;
    }
  }
  for (const required of [F.records, F.proofs, F.checkpointNote, F.verifierKey]) {
    if (!listed.has(required)) {
      out.add({ code: "manifest_invalid", file: F.manifest, message: `the manifest does not list ${required}` });
      filesOk = false;
    }
  }

  // --- Keys ---------------------------------------------------------------------------
  const bundledKey = readText(F.verifierKey, true)?.trim() ?? null;
  if (bundledKey !== null && bundledKey !== manifest.ledger.verifierKey) {
    out.add({ code: "key_mismatch", file: F.verifierKey, message: "the verifier key file differs from the key named in the manifest" });
  }
  const pem = readText(F.keyPem, false);
  if (bundledKey && pem !== null) {
    try {
      if (!bytesEqual(pemToEd25519PublicKey(pem), splitVerifierKey(bundledKey).publicKey)) {
        out.add({ code: "key_mismatch", file: F.keyPem, message: "key.pem holds a different public key than verifier-key.txt" });
      }
    } catch (error) {
      out.add({ code: "key_mismatch", file: F.keyPem, message: `key files cannot be read: ${errorMessage(error)}` });
    }
  }
  const supplied = opts.trustedKey?.trim() || null;
  const trustedKeys = supplied ? [supplied] : bundledKey ? [bundledKey] : [];
  result.keyUsed = supplied ? "supplied" : bundledKey ? "bundled" : null;
  if (!supplied) {
    warnings.push(
      "The signature was checked only against the key inside the bundle. Anyone able to alter the bundle could replace that key: " +
        "compare it with the verifier key the ledger's operator gave you or its dashboard publishes at /api/v1/verifier-key, " +
        "or verify again with that key supplied.",
    );
  } else if (bundledKey && supplied !== bundledKey) {
    warnings.push("The key you supplied differs from the key inside the bundle; only your key was trusted.");
  }

  // --- Checkpoint ---------------------------------------------------------------------
  const note = readText(F.checkpointNote, true);
  let checkpoint: Checkpoint | null = null;
  let signatureOk = false;
  if (note !== null && trustedKeys.length > 0) {
    try {
      const verified = await verifyNote(note, trustedKeys);
      signatureOk = true;
      checkpoint = parseCheckpoint(verified.text);
    } catch (error) {
      out.add({
        code: "checkpoint_signature",
        file: F.checkpointNote,
        message: `the checkpoint is not validly signed by the ${supplied ? "key you supplied" : "bundled key"}: ${errorMessage(error)}`,
      });
      // Still read its content so the records can be checked against it (and reported).
      try {
        checkpoint = parseCheckpoint(splitSignedNote(note).text);
      } catch {
        checkpoint = null;
      }
    }
  }
  checks.push({
    label: "Checkpoint signature",
    ok: signatureOk,
    detail: signatureOk
      ? `signed by ${supplied ? "the key you supplied" : "the key inside the bundle"}`
      : "does not verify",
  });
  if (checkpoint) {
    const rootB64 = manifest.checkpoint.rootHash;
    result.checkpoint = { origin: checkpoint.origin, treeSize: checkpoint.size, rootHash: toHex(checkpoint.rootHash) };
    let rootMatches = false;
    try {
      rootMatches = bytesEqual(fromBase64(rootB64), checkpoint.rootHash);
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
  // The shell-tool copies must say exactly what the note says.
  if (note !== null) {
    const msg = nameSet.has(F.checkpointMessage) ? read(F.checkpointMessage) : null;
    const sig = nameSet.has(F.checkpointSignature) ? read(F.checkpointSignature) : null;
    try {
      const parts = splitSignedNote(note);
      const raw = fromBase64(parts.signatures[0]?.signature ?? "");
      if (msg && !bytesEqual(msg, utf8Encode(parts.text))) {
        out.add({ code: "checkpoint_mismatch", file: F.checkpointMessage, message: "checkpoint.msg is not the signed text of checkpoint.note" });
      }
      if (sig && !bytesEqual(sig, raw.subarray(4))) {
        out.add({ code: "checkpoint_mismatch", file: F.checkpointSignature, message: "checkpoint.sig is not the signature in checkpoint.note" });
      }
    } catch (error) {
      out.add({ code: "checkpoint_signature", file: F.checkpointNote, message: `checkpoint.note is malformed: ${errorMessage(error)}` });
    }
  }

  // --- Consistency with earlier checkpoints --------------------------------------------
  const consistencyText = readText(F.consistency, false);
  if (consistencyText !== null && checkpoint) {
    try {
      const file = JSON.parse(consistencyText) as ConsistencyFile;
      for (const p of file.proofs ?? []) {
        try {
          const earlier = await verifyNote(p.fromCheckpoint, trustedKeys);
          const old = parseCheckpoint(earlier.text);
          if (old.origin !== checkpoint.origin) throw new Error(`earlier checkpoint is of another log (${old.origin})`);
          if (old.size !== p.fromSize || p.toSize !== checkpoint.size) throw new Error("sizes do not match the checkpoints");
          await verifyConsistency(sha, old.size, checkpoint.size, p.proof.map((h) => fromBase64(h)), old.rootHash, checkpoint.rootHash);
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
  checks.push({
    label: "Consistency with earlier checkpoints",
    ok: !out.failures.some((f) => f.code === "consistency_invalid"),
    detail:
      result.consistencyProofsChecked > 0
        ? `${result.consistencyProofsChecked} earlier checkpoint(s) are prefixes of this one`
        : "no earlier checkpoint in the bundle (this is the ledger's first)",
  });

  // --- Records ------------------------------------------------------------------------
  const records = new Map<number, { id: string; leaf: Uint8Array }>();
  let recordsBytes: Uint8Array | null = nameSet.has(F.records) ? read(F.records) : null;
  const recordsRead = recordsBytes !== null;
  if (!recordsBytes) {
    if (nameSet.has(F.records)) out.add({ code: "bundle_unreadable", file: F.records, message: "records.jsonl cannot be unpacked" });
  } else {
    const listedRecords = listed.get(F.records);
    if (listedRecords && (await hashOf(F.records, recordsBytes)) !== listedRecords.sha256) {
      out.add({ code: "file_modified", file: F.records, message: "records.jsonl does not match the SHA-256 in the manifest" });
      filesOk = false;
    }
    let previous = -1;
    const ids = new Set<string>();
    let n = 0;
    for (const { line, number } of lines(recordsBytes)) {
      n++;
      if (n % 2000 === 0) opts.onProgress?.({ phase: "records", done: n, total: manifest.recordCount });
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
      records.set(r.seq, { id: r.id, leaf });
      if (r.withheld) {
        result.withheldRecords++;
        continue;
      }
      // The prefix before the statement is ASCII for an unmasked line, so the statement's bytes
      // are the line's bytes from the same offset: hash them without decoding and re-encoding.
      const computed = await leafHash(sha, line.subarray(text.length - r.canonical.length - 1, line.length - 1));
      if (!bytesEqual(computed, leaf)) {
        out.add({
          code: "record_modified",
          file: F.records,
          seq: r.seq,
          id: r.id,
          message: `${describeRecord(r.seq, r.id)}: its bytes hash to ${toHex(computed)}, not to its leaf hash ${r.leafHash}`,
        });
        continue;
      }
      const statementId = topLevelStringMember(r.canonical, "id");
      if (statementId === null || statementId.toLowerCase() !== r.id) {
        out.add({ code: "record_modified", file: F.records, seq: r.seq, id: r.id, message: `${describeRecord(r.seq, r.id)}: the line's id is not the statement's id` });
        continue;
      }
      result.recordsVerifiedByBytes++;
    }
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
  recordsBytes = null; // let the unpacked records go before the proofs are unpacked
  const recordFailures = out.failures.filter((f) => f.file === F.records).length;
  checks.push({
    label: "Record contents",
    ok: recordsRead && recordFailures === 0,
    detail:
      `${result.recordsVerifiedByBytes.toLocaleString("en-US")} record(s) match their leaf hashes byte for byte` +
      (result.withheldRecords > 0 ? `; ${result.withheldRecords.toLocaleString("en-US")} masked (personal data withheld, content not checkable)` : ""),
  });

  // --- Inclusion proofs ---------------------------------------------------------------
  const proven = new Set<number>();
  let proofsBytes: Uint8Array | null = nameSet.has(F.proofs) ? read(F.proofs) : null;
  if (proofsBytes) {
    const listedProofs = listed.get(F.proofs);
    if (listedProofs && (await hashOf(F.proofs, proofsBytes)) !== listedProofs.sha256) {
      out.add({ code: "file_modified", file: F.proofs, message: "proofs.jsonl does not match the SHA-256 in the manifest" });
      filesOk = false;
    }
    let n = 0;
    for (const { line, number } of lines(proofsBytes)) {
      n++;
      if (n % 2000 === 0) opts.onProgress?.({ phase: "proofs", done: n, total: manifest.recordCount });
      let entry: { seq?: unknown; id?: unknown; tlogProof?: unknown };
      try {
        entry = JSON.parse(utf8Decode(line)) as typeof entry;
      } catch {
        out.add({ code: "proof_invalid", file: F.proofs, message: `line ${number} of proofs.jsonl cannot be read` });
        continue;
      }
      const seq = typeof entry.seq === "number" ? entry.seq : undefined;
      const id = typeof entry.id === "string" ? entry.id : undefined;
      const record = seq !== undefined ? records.get(seq) : undefined;
      if (seq === undefined || typeof entry.tlogProof !== "string") {
        out.add({ code: "proof_invalid", file: F.proofs, message: `line ${number} of proofs.jsonl is incomplete` });
        continue;
      }
      if (!record) {
        out.add({ code: "record_missing", file: F.records, seq, id, message: `${describeRecord(seq, id)} has a proof but is missing from records.jsonl` });
        continue;
      }
      if (id !== undefined && id !== record.id) {
        out.add({ code: "proof_invalid", file: F.proofs, seq, id: record.id, message: `the proof for position ${seq} names id ${id}, the record is ${record.id}` });
        continue;
      }
      try {
        const p = parseTlogProof(entry.tlogProof);
        if (p.index !== seq) throw new Error(`the proof is for position ${p.index}`);
        if (p.checkpoint !== note) throw new Error("the proof refers to a different checkpoint than the bundle's");
        if (!checkpoint) throw new Error("there is no readable checkpoint to check it against");
        await verifyInclusion(sha, seq, checkpoint.size, record.leaf, p.proof.map((h) => fromBase64(h)), checkpoint.rootHash);
        proven.add(seq);
        result.proofsChecked++;
      } catch (error) {
        out.add({
          code: "proof_invalid",
          file: F.proofs,
          seq,
          id: record.id,
          message: `${describeRecord(seq, record.id)} is not proven to be in the signed ledger: ${errorMessage(error)}`,
        });
      }
    }
    for (const [seq, r] of records) {
      if (!proven.has(seq) && !out.failures.some((f) => f.seq === seq && f.code === "proof_invalid")) {
        out.add({ code: "proof_missing", file: F.proofs, seq, id: r.id, message: `${describeRecord(seq, r.id)} has no inclusion proof` });
      }
    }
    proofsBytes = null;
  } else if (nameSet.has(F.proofs)) {
    out.add({ code: "bundle_unreadable", file: F.proofs, message: "proofs.jsonl cannot be unpacked" });
  }
  checks.push({
    label: "Inclusion in the signed ledger",
    ok: result.proofsChecked === records.size && records.size > 0 && signatureOk,
    detail: checkpoint
      ? `${result.proofsChecked.toLocaleString("en-US")} of ${records.size.toLocaleString("en-US")} record(s) proven in ${checkpoint.origin} at ${checkpoint.size.toLocaleString("en-US")} records`
      : "no readable checkpoint",
  });
  checks.push({ label: "File hashes", ok: filesOk, detail: filesOk ? `all ${manifest.files.length} files match the manifest` : "some files do not match" });

  // --- SHA256SUMS (for shell users) must agree with the files --------------------------
  const sums = readText(F.sha256sums, false);
  if (sums !== null) {
    for (const line of sums.split("\n").filter(Boolean)) {
      const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
      if (!m) {
        out.add({ code: "file_modified", file: F.sha256sums, message: `malformed line in SHA256SUMS: ${line.slice(0, 80)}` });
        continue;
      }
      if (!nameSet.has(m[2]!) || (await hashOf(m[2]!)) !== m[1]) {
        out.add({ code: "file_modified", file: m[2]!, message: `${m[2]} does not match its line in SHA256SUMS` });
      }
    }
  }

  // --- Export receipt: authenticates the manifest ---------------------------------------
  const receiptText = readText(F.receipt, false);
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
      const receipt = JSON.parse(receiptText) as ExportReceipt;
      const leaf = await leafHash(sha, utf8Encode(receipt.accessEvent));
      if (toHex(leaf) !== receipt.leafHash) throw new Error("the access-log entry does not match its leaf hash");
      const p = parseTlogProof(receipt.tlogProof);
      if (p.index !== receipt.seq) throw new Error("the proof is for another position");
      const verified = await verifyNote(p.checkpoint, trustedKeys);
      const accessCp = parseCheckpoint(verified.text);
      const expectedOrigin = `${manifest.ledger.deployment}/access`;
      if (accessCp.origin !== expectedOrigin) throw new Error(`the receipt's checkpoint is for ${accessCp.origin}, not ${expectedOrigin}`);
      await verifyInclusion(sha, receipt.seq, accessCp.size, leaf, p.proof.map((h) => fromBase64(h)), accessCp.rootHash);
      const event = JSON.parse(receipt.accessEvent) as { action?: string; details?: Record<string, unknown> };
      if (event.action !== "evidence.export") throw new Error(`the access-log entry is a ${event.action}, not an export`);
      const d = event.details ?? {};
      if (d.bundleId !== manifest.bundleId) throw new Error("the access-log entry is for another bundle");
      if (d.manifestSha256 !== manifestSha256) {
        out.add({
          code: "manifest_not_authenticated",
          file: F.manifest,
          message: `manifest.json hashes to ${manifestSha256}, but the export's access-log entry recorded ${String(d.manifestSha256)}: the manifest was changed after export`,
        });
      } else if (d.recordCount !== manifest.recordCount) {
        out.add({ code: "manifest_not_authenticated", file: F.manifest, message: "the record count differs from the export's access-log entry" });
      } else {
        result.receiptVerified = true;
      }
    } catch (error) {
      out.add({ code: "receipt_invalid", file: F.receipt, message: `the export receipt does not verify: ${errorMessage(error)}` });
    }
  }
  checks.push({
    label: "Manifest tied to the ledger",
    ok: result.receiptVerified,
    detail: result.receiptVerified
      ? "the export's own access-log entry, proven in the signed access log, names this manifest's SHA-256"
      : receiptText === null
        ? "no export receipt"
        : "the export receipt does not match",
  });

  return finish();
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
