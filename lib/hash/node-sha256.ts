import "server-only";
import * as nodeCrypto from "node:crypto";
import { toHex } from "../ledger/bytes";
import { bytesBackend, HASH_SIZE, LEAF_PREFIX, logHasher, type Hash, type LogHasher, type Sha256Backend } from "../ledger/hasher";

// Node's native SHA-256 for the ledger's hasher, in two digest representations:
// - bytes (Uint8Array), for the append path, checkpoints, proofs and bundles;
// - binary strings (32 chars, each one byte U+0000–U+00FF), for the database verifier,
//   which hashes three times per record and compares as often: crypto.hash returning a
//   string costs ~2.5x less than returning a Buffer (each Buffer is a new ArrayBuffer for
//   the garbage collector to track), and strings compare with ===.

/** A SHA-256 digest as a binary string. */
export type BinHash = string;

// crypto.hash (one call, no Hash object) arrived in Node 20.12; engines allow 20.9.
const hashOnce: (data: Uint8Array, encoding: "binary" | "buffer") => string | Buffer =
  typeof nodeCrypto.hash === "function"
    ? (data, encoding) => nodeCrypto.hash("sha256", data, encoding as "binary")
    : (data, encoding) =>
        encoding === "binary" ? nodeCrypto.createHash("sha256").update(data).digest("binary") : nodeCrypto.createHash("sha256").update(data).digest();

/** SHA-256 of one buffer, as bytes. */
export function sha256(data: Uint8Array): Buffer {
  return nodeCrypto.createHash("sha256").update(data).digest();
}

const PREFIXES = [Uint8Array.of(0), Uint8Array.of(1)];
const prefixBytes = (prefix: number) => PREFIXES[prefix] ?? Uint8Array.of(prefix);

/**
 * Digests of a prefix and buffers are taken in updates, not over a concatenated copy: the
 * bundle verifier and the export hash a ~3 KB record per leaf and ~17 node pairs per proof,
 * and every copy is an ArrayBuffer the collector sees only late (RSS, docs/benchmarks.md).
 */
export const nodeBytesBackend: Sha256Backend<Hash> = {
  ...bytesBackend(sha256),
  digestPrefixed: (prefix, data) => nodeCrypto.createHash("sha256").update(prefixBytes(prefix)).update(data).digest(),
  digestPair: (left, right, prefix) => {
    const hash = nodeCrypto.createHash("sha256");
    if (prefix !== undefined) hash.update(prefixBytes(prefix));
    return hash.update(left).update(right).digest();
  },
};

/** The ledger hasher on Node's SHA-256, over bytes. */
export const nodeHasher: LogHasher<Hash> = logHasher(nodeBytesBackend);

// Scratch buffers: the verifier is single-threaded JavaScript, and every digest is taken
// before the next write, so one buffer per shape serves all calls. The two pair shapes
// (chain, and prefixed node) get a buffer each, used whole, so hashing a pair allocates
// nothing but the digest string (no subarray view): this runs about twice per record verified.
const chainPair = Buffer.alloc(2 * HASH_SIZE);
const prefixedPair = Buffer.alloc(1 + 2 * HASH_SIZE);
let scratch = Buffer.alloc(16 * 1024);

function scratchFor(size: number): Buffer {
  if (size > scratch.length) scratch = Buffer.alloc(Math.max(size, scratch.length * 2));
  return scratch;
}

export const nodeBinaryBackend: Sha256Backend<BinHash> = {
  digest: (data) => hashOnce(data, "binary") as string,
  digestPrefixed: (prefix, data) => {
    const buffer = scratchFor(data.length + 1);
    buffer[0] = prefix;
    buffer.set(data, 1);
    return hashOnce(buffer.subarray(0, data.length + 1), "binary") as string;
  },
  digestPair: (left, right, prefix) => {
    if (prefix === undefined) return hashPairInto(chainPair, 0, left, right);
    prefixedPair[0] = prefix;
    return hashPairInto(prefixedPair, 1, left, right);
  },
  fromBytes: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("binary"),
  toBytes: (hash) => Buffer.from(hash, "binary"),
  equal: (a, b) => a === b,
};

function hashPairInto(buffer: Buffer, offset: number, left: BinHash, right: BinHash): BinHash {
  buffer.write(left, offset, "binary");
  buffer.write(right, offset + HASH_SIZE, "binary");
  return hashOnce(buffer, "binary") as string;
}

/** The ledger hasher on Node's SHA-256, over binary strings (the verifier's hot path). */
export const nodeBinaryHasher: LogHasher<BinHash> = logHasher(nodeBinaryBackend);

/** A binary-string digest as lowercase hex, for reports. */
export function binHashToHex(hash: BinHash): string {
  return toHex(nodeBinaryBackend.toBytes(hash));
}

/**
 * SHA-256(LEAF_PREFIX || utf8(text)) as a binary string, without an intermediate Buffer: the
 * verifier's leaf hash for canonical text. Same definition as hashLeaf(utf8(text)): the
 * verifier hashes text this way on PGlite and the bytes on Postgres, and its clean-ledger
 * tests run on both.
 */
export function hashLeafText(text: string): BinHash {
  // utf8 never needs more than 3 bytes per UTF-16 code unit.
  const buffer = scratchFor(1 + text.length * 3);
  buffer[0] = LEAF_PREFIX;
  const n = buffer.write(text, 1, "utf8");
  return hashOnce(buffer.subarray(0, n + 1), "binary") as string;
}
