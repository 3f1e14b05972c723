// C2SP signed-note (c2sp.org/signed-note) with Ed25519 keys, and the
// tlog-checkpoint note body (c2sp.org/tlog-checkpoint). Shared by the server
// (signing checkpoints) and the browser (verifying them), so all crypto goes
// through WebCrypto. Key strings use the golang.org/x/mod/sumdb/note formats,
// which is what the Go ecosystem (witnesses, monitors) exchanges.

import { asBufferSource, bytesEqual, concatBytes, fromBase64, fromBase64Url, toBase64, toHex, utf8Encode } from "./bytes";

export class NoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoteError";
  }
}

/** Signature type byte for Ed25519 in key IDs and key encodings. */
export const SIG_TYPE_ED25519 = 0x01;

/** Parsing stops beyond this many signature lines (the spec requires >= 16). */
export const MAX_NOTE_SIGNATURES = 100;

const ED25519 = { name: "Ed25519" } as const;
// DER PKCS#8 header for an Ed25519 private key; the 32-byte seed follows. WebCrypto
// has no raw import for private keys.
const PKCS8_ED25519_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

const EM_DASH_PREFIX = "\u2014 ";

// Go's unicode.IsSpace set (what the reference implementation rejects in names),
// which differs from JS \s: it includes U+0085 and excludes U+FEFF.
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
// Notes may not contain C0 controls other than newline (nor DEL, which we also
// keep out of names).
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Key names: non-empty, no Unicode spaces, no '+' (it separates the fields of a
 * key string), and representable in a note (valid UTF-8, no control chars).
 */
export function isValidKeyName(name: string): boolean {
  return (
    name.length > 0 &&
    !name.includes("+") &&
    !UNICODE_SPACE.test(name) &&
    !/[\u0000-\u001f\u007f]/.test(name) &&
    !LONE_SURROGATE.test(name)
  );
}

function assertKeyName(name: string): void {
  if (!isValidKeyName(name)) throw new NoteError(`invalid key name ${JSON.stringify(name)}`);
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", asBufferSource(data)));
}

/** key ID = SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4]. */
export async function keyId(name: string, publicKey: Uint8Array): Promise<Uint8Array> {
  if (publicKey.length !== 32) throw new NoteError(`Ed25519 public key must be 32 bytes, got ${publicKey.length}`);
  const digest = await sha256(concatBytes(utf8Encode(name), new Uint8Array([0x0a, SIG_TYPE_ED25519]), publicKey));
  return digest.slice(0, 4);
}

export interface VerifierKey {
  name: string;
  keyId: Uint8Array;
  publicKey: Uint8Array;
}

export interface SignerKey extends VerifierKey {
  seed: Uint8Array;
}

export async function formatVerifierKey(name: string, publicKey: Uint8Array): Promise<string> {
  assertKeyName(name);
  const id = await keyId(name, publicKey);
  return `${name}+${toHex(id)}+${toBase64(concatBytes(new Uint8Array([SIG_TYPE_ED25519]), publicKey))}`;
}

// The key ID travels as exactly 8 lowercase hex digits; anything else is a
// different string for the same key, which we refuse rather than normalise.
function parseKeyIdHex(hex: string, what: string): Uint8Array {
  if (!/^[0-9a-f]{8}$/.test(hex)) throw new NoteError(`${what}: key ID must be 8 lowercase hex digits`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function decodeKeyMaterial(b64: string, what: string): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = fromBase64(b64);
  } catch {
    throw new NoteError(`${what}: key material is not valid base64`);
  }
  if (raw.length === 0) throw new NoteError(`${what}: empty key material`);
  if (raw[0] !== SIG_TYPE_ED25519) throw new NoteError(`${what}: unsupported signature type 0x${toHex(raw.subarray(0, 1))}`);
  if (raw.length !== 33) throw new NoteError(`${what}: Ed25519 key must be 32 bytes`);
  return raw.slice(1);
}

/** The fields of `<name>+<hex keyid>+<base64(0x01 || key)>`, checked one by one (`what` names the string in errors). */
function parseKeyFields(text: string, what: "verifier key" | "signer key"): { name: string; id: Uint8Array; key: Uint8Array } {
  // Split on the first two '+' only: base64 may itself contain '+'.
  const a = text.indexOf("+");
  const b = a < 0 ? -1 : text.indexOf("+", a + 1);
  if (b < 0) throw new NoteError(`malformed ${what}`);
  const name = text.slice(0, a);
  assertKeyName(name);
  const id = parseKeyIdHex(text.slice(a + 1, b), what);
  return { name, id, key: decodeKeyMaterial(text.slice(b + 1), what) };
}

/** Parses `<name>+<hex keyid>+<base64(0x01 || pub)>` and checks the key ID. */
export async function parseVerifierKey(vkey: string): Promise<VerifierKey> {
  const { name, id, key: publicKey } = parseKeyFields(vkey, "verifier key");
  if (!bytesEqual(id, await keyId(name, publicKey))) throw new NoteError("verifier key: key ID does not match the key");
  return { name, keyId: id, publicKey };
}

async function importSeed(seed: Uint8Array, extractable: boolean): Promise<CryptoKey> {
  if (seed.length !== 32) throw new NoteError(`Ed25519 seed must be 32 bytes, got ${seed.length}`);
  return globalThis.crypto.subtle.importKey(
    "pkcs8",
    asBufferSource(concatBytes(PKCS8_ED25519_PREFIX, seed)),
    ED25519,
    extractable,
    ["sign"],
  );
}

async function publicKeyFromSeed(seed: Uint8Array): Promise<Uint8Array> {
  // WebCrypto cannot derive a public key directly; the private JWK carries it.
  const jwk = await globalThis.crypto.subtle.exportKey("jwk", await importSeed(seed, true));
  if (typeof jwk.x !== "string") throw new NoteError("could not derive the Ed25519 public key");
  return fromBase64Url(jwk.x);
}

/** `PRIVATE+KEY+<name>+<hex keyid>+<base64(0x01 || seed)>` (sumdb/note format). */
export async function formatSignerKey(name: string, seed: Uint8Array): Promise<string> {
  assertKeyName(name);
  const id = await keyId(name, await publicKeyFromSeed(seed));
  return `PRIVATE+KEY+${name}+${toHex(id)}+${toBase64(concatBytes(new Uint8Array([SIG_TYPE_ED25519]), seed))}`;
}

export async function parseSignerKey(skey: string): Promise<SignerKey> {
  const prefix = "PRIVATE+KEY+";
  if (!skey.startsWith(prefix)) throw new NoteError("malformed signer key");
  const { name, id, key: seed } = parseKeyFields(skey.slice(prefix.length), "signer key");
  // The ID commits to the public key, which only exists after derivation; a
  // mismatch means the string was assembled from parts of different keys.
  const publicKey = await publicKeyFromSeed(seed);
  if (!bytesEqual(id, await keyId(name, publicKey))) throw new NoteError("signer key: key ID does not match the key");
  return { name, keyId: id, publicKey, seed };
}

export async function generateSignerKey(name: string): Promise<{ signerKey: string; verifierKey: string }> {
  assertKeyName(name);
  const seed = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const signerKey = await formatSignerKey(name, seed);
  const verifierKey = await formatVerifierKey(name, await publicKeyFromSeed(seed));
  seed.fill(0);
  return { signerKey, verifierKey };
}

// ---------------------------------------------------------------------------
// Notes
// ---------------------------------------------------------------------------

function assertNoteCharacters(text: string, what: string): void {
  if (CONTROL_EXCEPT_NEWLINE.test(text)) throw new NoteError(`${what}: control characters other than newline are not allowed`);
  if (LONE_SURROGATE.test(text)) throw new NoteError(`${what}: not representable as UTF-8 (lone surrogate)`);
}

/**
 * Signs `text` (which must end in a newline) and returns the signed note:
 * text, a blank line, then one `— <name> base64(keyid || signature)` line per key.
 */
export async function signNote(text: string, signerKey: string | readonly string[]): Promise<string> {
  if (!text.endsWith("\n")) throw new NoteError("note text must end with a newline");
  assertNoteCharacters(text, "note text");
  const keys = typeof signerKey === "string" ? [signerKey] : signerKey;
  if (keys.length === 0) throw new NoteError("no signer keys");
  const msg = asBufferSource(utf8Encode(text));
  let lines = "";
  for (const skey of keys) {
    const key = await parseSignerKey(skey);
    const priv = await importSeed(key.seed, false);
    const sig = new Uint8Array(await globalThis.crypto.subtle.sign(ED25519, priv, msg));
    lines += `${EM_DASH_PREFIX}${key.name} ${toBase64(concatBytes(key.keyId, sig))}\n`;
  }
  return `${text}\n${lines}`;
}

export interface NoteSignature {
  name: string;
  keyId: Uint8Array;
}

export interface VerifiedNote {
  /** The signed text, including its final newline. */
  text: string;
  /** Signatures by the given keys, all verified. Never empty. */
  signatures: NoteSignature[];
  /** Signatures by keys not in the given list (e.g. witnesses); not checked. */
  unverifiedSignatures: NoteSignature[];
}

/**
 * Verifies a signed note against trusted verifier keys. Per the spec, signatures
 * from unknown keys are ignored (reported as unverified), a signature from a
 * known key that fails to verify rejects the whole note, and a note with no
 * valid signature from a known key is rejected. Throws NoteError.
 */
export async function verifyNote(note: string, verifierKeys: readonly string[]): Promise<VerifiedNote> {
  assertNoteCharacters(note, "malformed note");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new NoteError("malformed note: no blank line before the signatures");
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block.length === 0 || !block.endsWith("\n")) throw new NoteError("malformed note: missing signature lines");

  const known = new Map<string, VerifierKey[]>();
  for (const vkey of verifierKeys) {
    const k = await parseVerifierKey(vkey);
    const id = `${k.name}+${toHex(k.keyId)}`;
    const list = known.get(id) ?? [];
    if (!list.some((o) => bytesEqual(o.publicKey, k.publicKey))) list.push(k);
    known.set(id, list);
  }

  const msg = asBufferSource(utf8Encode(text));
  const signatures: NoteSignature[] = [];
  const unverifiedSignatures: NoteSignature[] = [];
  const seenKnown = new Set<string>();
  const seenUnknownLines = new Set<string>();
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) throw new NoteError(`malformed note: more than ${MAX_NOTE_SIGNATURES} signatures`);

  for (const line of lines) {
    if (!line.startsWith(EM_DASH_PREFIX)) throw new NoteError("malformed note: signature line must start with an em dash");
    const body = line.slice(EM_DASH_PREFIX.length);
    const space = body.indexOf(" ");
    const name = space < 0 ? body : body.slice(0, space);
    const b64 = space < 0 ? "" : body.slice(space + 1);
    let raw: Uint8Array;
    try {
      raw = fromBase64(b64);
    } catch {
      throw new NoteError("malformed note: signature is not valid base64");
    }
    if (!isValidKeyName(name) || raw.length < 5) throw new NoteError("malformed note: bad signature line");
    const sigKeyId = raw.slice(0, 4);
    const sig = raw.subarray(4);
    const id = `${name}+${toHex(sigKeyId)}`;

    const candidates = known.get(id);
    if (candidates === undefined) {
      // Unknown (name, key ID): must be ignored, even if only one of the two
      // matches a known key.
      if (!seenUnknownLines.has(body)) {
        seenUnknownLines.add(body);
        unverifiedSignatures.push({ name, keyId: sigKeyId });
      }
      continue;
    }
    // Two different trusted keys sharing name and ID means the trust list is
    // corrupt; refuse to guess which one was meant.
    if (candidates.length > 1) throw new NoteError(`ambiguous verifier key ${id}`);
    if (seenKnown.has(id)) continue;
    seenKnown.add(id);

    const ok =
      sig.length === 64 &&
      (await globalThis.crypto.subtle.verify(
        ED25519,
        await globalThis.crypto.subtle.importKey("raw", asBufferSource(candidates[0]!.publicKey), ED25519, false, [
          "verify",
        ]),
        asBufferSource(sig),
        msg,
      ));
    if (!ok) throw new NoteError(`invalid signature for key ${id}`);
    signatures.push({ name, keyId: sigKeyId });
  }

  if (signatures.length === 0) throw new NoteError("note has no valid signature from a known key");
  return { text, signatures, unverifiedSignatures };
}

// ---------------------------------------------------------------------------
// Checkpoints (note text only; sign/verify with signNote/verifyNote)
// ---------------------------------------------------------------------------

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensionLines: string[];
}

export interface CheckpointInput {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensionLines?: readonly string[];
}

function assertCheckpointLine(line: string, what: string): void {
  if (line.length === 0) throw new NoteError(`checkpoint: ${what} must be non-empty`);
  if (line.includes("\n")) throw new NoteError(`checkpoint: ${what} must not contain a newline`);
  assertNoteCharacters(line, `checkpoint: ${what}`);
}

/** `origin\nsize\nbase64(root)\n` followed by any extension lines. */
export function formatCheckpoint(cp: CheckpointInput): string {
  assertCheckpointLine(cp.origin, "origin");
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new NoteError("checkpoint: size must be a non-negative safe integer");
  if (cp.rootHash.length !== 32) throw new NoteError("checkpoint: root hash must be 32 bytes");
  let out = `${cp.origin}\n${cp.size}\n${toBase64(cp.rootHash)}\n`;
  for (const ext of cp.extensionLines ?? []) {
    assertCheckpointLine(ext, "extension line");
    out += `${ext}\n`;
  }
  return out;
}

/**
 * Strictly parses checkpoint note text (the `text` of a verified note, i.e.
 * without signatures). Exactly one textual form is accepted per checkpoint:
 * decimal size without leading zeros, canonical base64 of a 32-byte hash, and
 * no empty lines.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith("\n")) throw new NoteError("checkpoint: text must end with a newline");
  assertNoteCharacters(text, "checkpoint");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw new NoteError("checkpoint: needs origin, size and root hash lines");
  const [origin, sizeLine, rootLine, ...extensionLines] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw new NoteError("checkpoint: origin must be non-empty");
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) throw new NoteError("checkpoint: size must be decimal without leading zeros");
  const size = Number(sizeLine);
  // Sizes up to 2^64-1 are legal, but nothing above 2^53-1 round-trips through a
  // JS number; refusing beats silently verifying against a rounded size.
  if (!Number.isSafeInteger(size)) throw new NoteError("checkpoint: size exceeds 2^53-1, unsupported");
  let rootHash: Uint8Array;
  try {
    rootHash = fromBase64(rootLine);
  } catch {
    throw new NoteError("checkpoint: root hash is not valid base64");
  }
  if (rootHash.length !== 32) throw new NoteError("checkpoint: root hash must be 32 bytes");
  for (const ext of extensionLines) if (ext.length === 0) throw new NoteError("checkpoint: extension lines must be non-empty");
  return { origin, size, rootHash, extensionLines };
}
