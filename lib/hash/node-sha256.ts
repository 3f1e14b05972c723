import * as nodeCrypto from "node:crypto";
import { bytesBackend, LEAF_PREFIX, logHasher, type Hash, type LogHasher, type Sha256Backend } from "../ledger/hasher";

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

export const nodeBytesBackend: Sha256Backend<Hash> = bytesBackend(sha256);

/** The ledger hasher on Node's SHA-256, over bytes. */
export const nodeHasher: LogHasher<Hash> = logHasher(nodeBytesBackend);

// Scratch buffers: the verifier is single-threaded JavaScript, and every digest is taken
// before the next write, so one buffer per shape serves all calls.
const pair = Buffer.alloc(65);
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
    const offset = prefix === undefined ? 0 : 1;
    if (prefix !== undefined) pair[0] = prefix;
    pair.write(left, offset, "binary");
    pair.write(right, offset + 32, "binary");
    return hashOnce(pair.subarray(0, offset + 64), "binary") as string;
  },
  fromBytes: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("binary"),
  toBytes: (hash) => Buffer.from(hash, "binary"),
  equal: (a, b) => a === b,
};

/** The ledger hasher on Node's SHA-256, over binary strings (the verifier's hot path). */
export const nodeBinaryHasher: LogHasher<BinHash> = logHasher(nodeBinaryBackend);

/**
 * SHA-256(LEAF_PREFIX || utf8(text)) as a binary string, without an intermediate Buffer: the
 * verifier's leaf hash for canonical text. Same definition as hashLeaf (tested equal).
 */
export function hashLeafText(text: string): BinHash {
  // utf8 never needs more than 3 bytes per UTF-16 code unit.
  const buffer = scratchFor(1 + text.length * 3);
  buffer[0] = LEAF_PREFIX;
  const n = buffer.write(text, 1, "utf8");
  return hashOnce(buffer.subarray(0, n + 1), "binary") as string;
}
