// The evidence bundle format, shared by the writer (server) and the verifier (browser and
// CLI). No node: imports here: the in-browser verifier bundles this file.
//
// A bundle is a .zip whose files are listed in BUNDLE_FILES. Its trust rests on three things
// the recipient can check without our server:
//   1. every record's leaf hash is recomputed from its canonical bytes (records.jsonl);
//   2. every leaf is proven included in one signed checkpoint (proofs.jsonl, tlog-proof);
//   3. that checkpoint is signed by the ledger's Ed25519 key (checkpoint/*, key/*).
// The manifest (filters, counts, file hashes) is authenticated by the export receipt: the
// export's own entry in the access log, which carries the manifest's SHA-256 and is itself
// proven included in a signed checkpoint of the access log.

import { bytesEqual, concatBytes, fromBase64, toBase64 } from "../ledger/bytes";

/**
 * v2: records with committed personal data (format 1) are always carried in full, only legacy
 * (format 0) records are ever masked, and a bundle that includes personal data carries its
 * openings (openings.jsonl) and says who disclosed them and why (manifest.disclosure).
 * The verifier still reads v1 bundles.
 */
export const BUNDLE_FORMAT = "decision-ledger-evidence-bundle/v2";
export const BUNDLE_FORMAT_V1 = "decision-ledger-evidence-bundle/v1";
export const BUNDLE_FORMATS: readonly string[] = [BUNDLE_FORMAT_V1, BUNDLE_FORMAT];

export const BUNDLE_FILES = {
  verifyText: "VERIFY.txt",
  verifierKey: "key/verifier-key.txt",
  keyPem: "key/key.pem",
  checkpointNote: "checkpoint/checkpoint.note",
  checkpointMessage: "checkpoint/checkpoint.msg",
  checkpointSignature: "checkpoint/checkpoint.sig",
  consistency: "checkpoint/consistency.json",
  records: "records.jsonl",
  proofs: "proofs.jsonl",
  openings: "openings.jsonl",
  report: "report.html",
  manifest: "manifest.json",
  receipt: "receipt/export-receipt.json",
  sha256sums: "SHA256SUMS",
} as const;

/** Files whose hashes the manifest does NOT list: itself, and what is written after it. */
export const FILES_AFTER_MANIFEST: readonly string[] = [BUNDLE_FILES.manifest, BUNDLE_FILES.receipt, BUNDLE_FILES.sha256sums];

export const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";

export interface ManifestFile {
  path: string;
  sha256: string;
  bytes: number;
}

/** Who disclosed personal data in a bundle, why, and how much (v2 manifests that include it). */
export interface BundleDisclosure {
  reason: string;
  disclosedBy: { id: string; email: string; name: string; role: string };
  /** Lines of openings.jsonl: commitments opened in this bundle. */
  openings: number;
  /** Commitments left unopened because their data subject's key was erased. */
  erasedValues: number;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT | typeof BUNDLE_FORMAT_V1;
  bundleId: string;
  createdAt: string;
  createdBy: { id: string; email: string; name: string; role: string };
  ledger: {
    /** Deployment origin (LEDGER_ORIGIN); the decisions log's checkpoint origin is `${origin}/decisions`. */
    deployment: string;
    checkpointOrigin: string;
    verifierKey: string;
  };
  selection: {
    /** The filters in words, for a reader. */
    description: string;
    /** The same filters as parameters (decisions-list URL parameters), or null when rows were picked by hand. */
    parameters: Record<string, unknown> | null;
    /** The ids picked by hand, or null when the filters chose the records. */
    selectedIds: string[] | null;
  };
  recordCount: number;
  /**
   * "included": every record in full, with the openings of committed values (v2);
   * "withheld": v2 masks only legacy (format 0) records, v1 masked every record with personal data.
   */
  personalData: "included" | "withheld";
  /** Masked records: in v2 always legacy (format 0) records. */
  withheldRecords: number;
  /** v2: set exactly when personal data is included. Absent from v1 manifests. */
  disclosure?: BundleDisclosure | null;
  firstSeq: number | null;
  lastSeq: number | null;
  checkpoint: { origin: string; treeSize: number; rootHash: string; keyName: string; keyId: string; signedAt: string | null };
  consistency: { fromSize: number; toSize: number }[];
  files: ManifestFile[];
}

/** One line of records.jsonl, as parsed. `canonical` is the verbatim text after `"statement":`. */
export interface BundleRecordLine {
  seq: number;
  id: string;
  leafHash: string;
  /** Pointers masked in this copy; present only when the canonical bytes are withheld. */
  withheld: string[] | null;
  canonical: string;
}

/**
 * Formats a records.jsonl line. The statement's canonical (RFC 8785) text is embedded
 * verbatim as the last member, so the line is valid JSON and the exact bytes that were hashed
 * are the text between `"statement":` and the final `}`. JCS output never contains a raw
 * newline (control characters are escaped), so a line is one record.
 */
export function formatRecordLine(r: { seq: number; id: string; leafHash: string; withheld?: string[] | null; canonical: string }): string {
  const withheld = r.withheld && r.withheld.length > 0 ? `,"withheld":${JSON.stringify(r.withheld)}` : "";
  return `{"seq":${r.seq},"id":${JSON.stringify(r.id)},"leafHash":"${r.leafHash}"${withheld},"statement":${r.canonical}}`;
}

const STATEMENT_MEMBER = ',"statement":';

/**
 * Parses a records.jsonl line back into its parts; null when the line is not in the format.
 * The first `,"statement":` is the member boundary: inside a JSON string every `"` is escaped,
 * so that sequence cannot occur within the members before it.
 */
export function parseRecordLine(line: string): BundleRecordLine | null {
  const at = line.indexOf(STATEMENT_MEMBER);
  if (!line.startsWith('{"seq":') || at < 0 || !line.endsWith("}")) return null;
  let head: unknown;
  try {
    head = JSON.parse(line.slice(0, at) + "}");
  } catch {
    return null;
  }
  if (typeof head !== "object" || head === null) return null;
  const h = head as Record<string, unknown>;
  const keys = Object.keys(h).join(",");
  if (keys !== "seq,id,leafHash" && keys !== "seq,id,leafHash,withheld") return null;
  if (typeof h.seq !== "number" || !Number.isSafeInteger(h.seq) || h.seq < 0) return null;
  if (typeof h.id !== "string" || typeof h.leafHash !== "string" || !/^[0-9a-f]{64}$/.test(h.leafHash)) return null;
  let withheld: string[] | null = null;
  if (h.withheld !== undefined) {
    if (!Array.isArray(h.withheld) || !h.withheld.every((p) => typeof p === "string")) return null;
    withheld = h.withheld as string[];
  }
  return { seq: h.seq, id: h.id, leafHash: h.leafHash, withheld, canonical: line.slice(at + STATEMENT_MEMBER.length, -1) };
}

/** One line of openings.jsonl: what opens one commitment of one record, the salt in base64. */
export interface BundleOpeningLine {
  recordId: string;
  ref: string;
  /** Where the commitment is in the record's statement (findCommitments' pointer). */
  pointer: string;
  value: unknown;
  salt: string;
}

export function formatOpeningLine(o: BundleOpeningLine): string {
  return JSON.stringify({ recordId: o.recordId, ref: o.ref, pointer: o.pointer, value: o.value, salt: o.salt });
}

/** Parses an openings.jsonl line; null when it is not one. */
export function parseOpeningLine(line: string): BundleOpeningLine | null {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) return null;
  const r = o as Record<string, unknown>;
  if (typeof r.recordId !== "string" || typeof r.ref !== "string" || typeof r.pointer !== "string" || typeof r.salt !== "string") return null;
  if (!("value" in r)) return null;
  return { recordId: r.recordId, ref: r.ref, pointer: r.pointer, value: r.value, salt: r.salt };
}

/** A c2sp.org/tlog-proof@v1 text: header, index, proof hashes (base64), blank line, checkpoint. */
export function formatTlogProof(index: number, proof: string[], checkpointNote: string): string {
  return `${TLOG_PROOF_HEADER}\nindex ${index}\n${proof.map((h) => `${h}\n`).join("")}\n${checkpointNote}`;
}

export interface ParsedTlogProof {
  index: number;
  extra: string | null;
  proof: string[];
  checkpoint: string;
}

export function parseTlogProof(text: string): ParsedTlogProof {
  const lines = text.split("\n");
  if (lines[0] !== TLOG_PROOF_HEADER) throw new Error(`not a tlog proof (first line must be ${TLOG_PROOF_HEADER})`);
  let i = 1;
  let extra: string | null = null;
  if (lines[i]?.startsWith("extra ")) {
    extra = lines[i]!.slice(6);
    i++;
  }
  const indexLine = /^index (0|[1-9]\d*)$/.exec(lines[i] ?? "");
  if (!indexLine) throw new Error("tlog proof: missing or malformed index line");
  i++;
  const proof: string[] = [];
  while (i < lines.length && lines[i] !== "") proof.push(lines[i++]!);
  if (lines[i] !== "") throw new Error("tlog proof: missing blank line before the checkpoint");
  const checkpoint = lines.slice(i + 1).join("\n");
  if (checkpoint === "") throw new Error("tlog proof: missing checkpoint");
  return { index: Number(indexLine[1]), extra, proof, checkpoint };
}

/** One line of proofs.jsonl. */
export interface BundleProofLine {
  seq: number;
  id: string;
  tlogProof: string;
}

export interface ConsistencyFile {
  proofs: { fromSize: number; toSize: number; fromCheckpoint: string; proof: string[] }[];
}

export interface ExportReceipt {
  /** The access log entry of this export, as the exact canonical text that was hashed. */
  accessEvent: string;
  seq: number;
  leafHash: string;
  /** tlog-proof of the entry in a signed checkpoint of the access log. */
  tlogProof: string;
}

/** `sha256sum -c` input: "<hex>  <path>" lines. */
export function formatSha256Sums(files: { path: string; sha256: string }[]): string {
  return files.map((f) => `${f.sha256}  ${f.path}\n`).join("");
}

/** Ed25519 SubjectPublicKeyInfo DER prefix (RFC 8410): SEQUENCE { AlgorithmIdentifier id-Ed25519, BIT STRING }. */
export const ED25519_SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/**
 * Splits a C2SP signed note into the signed text (ending in a newline, without the blank
 * separator line) and its signature lines. Only the layout is checked here; the signature
 * itself is verified by lib/ledger/signed-note.ts.
 */
export function splitSignedNote(note: string): { text: string; signatures: { keyName: string; signature: string }[] } {
  const at = note.lastIndexOf("\n\n");
  if (at < 0) throw new Error("signed note: no blank line before the signatures");
  const text = note.slice(0, at + 1);
  const sigBlock = note.slice(at + 2);
  if (!sigBlock.endsWith("\n")) throw new Error("signed note: the signature block must end with a newline");
  const signatures = sigBlock
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m) throw new Error(`signed note: malformed signature line "${line.slice(0, 80)}"`);
      return { keyName: m[1]!, signature: m[2]! };
    });
  return { text, signatures };
}

/** Parts of a C2SP Ed25519 verifier key `<name>+<hex key id>+<base64(0x01 || public key)>`. */
export function splitVerifierKey(vkey: string): { name: string; keyIdHex: string; publicKey: Uint8Array } {
  // Split on the first two '+' only: base64 may itself contain '+'.
  const k = vkey.trim();
  const a = k.indexOf("+");
  const b = a < 0 ? -1 : k.indexOf("+", a + 1);
  if (b < 0 || !/^[0-9a-f]{8}$/.test(k.slice(a + 1, b))) throw new Error("verifier key: expected <name>+<8 hex digits>+<base64 key>");
  const raw = fromBase64(k.slice(b + 1));
  if (raw.length !== 33 || raw[0] !== 0x01) throw new Error("verifier key: not an Ed25519 key (type 0x01, 32 bytes)");
  return { name: k.slice(0, a), keyIdHex: k.slice(a + 1, b), publicKey: raw.slice(1) };
}

/** The verifier key's Ed25519 public key as a PEM SubjectPublicKeyInfo, for openssl. */
export function verifierKeyToPem(vkey: string): string {
  const { publicKey } = splitVerifierKey(vkey);
  const der = concatBytes(ED25519_SPKI_PREFIX, publicKey);
  return `-----BEGIN PUBLIC KEY-----\n${toBase64(der)}\n-----END PUBLIC KEY-----\n`;
}

/** Raw Ed25519 public key from a PEM written by verifierKeyToPem (or openssl). */
export function pemToEd25519PublicKey(pem: string): Uint8Array {
  const m = /-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----/.exec(pem);
  if (!m) throw new Error("key.pem: no PUBLIC KEY block");
  const der = fromBase64(m[1]!.replace(/\s+/g, ""));
  if (der.length !== 44 || !bytesEqual(der.subarray(0, 12), ED25519_SPKI_PREFIX)) throw new Error("key.pem: not an Ed25519 public key");
  return der.slice(12);
}
