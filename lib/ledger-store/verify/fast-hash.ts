import * as nodeCrypto from "node:crypto";

// The verifier hashes three times per record (leaf, chain, about one Merkle node) and
// compares as often, so its hashes are 32-character binary ("latin1") strings, not
// Buffers: crypto.hash returning a Buffer costs ~2.5x more than returning a string (each
// Buffer is a new ArrayBuffer for the garbage collector to track), and strings compare
// with ===. Same definitions as hash-node.ts: RFC 9162 leaf and node hashes, and
// chain(n) = SHA-256(chain(n-1) || leaf(n)).

/** A SHA-256 digest as a binary string: 32 chars, each one byte (U+0000-U+00FF). */
export type BinHash = string;

// crypto.hash (one call, no Hash object) arrived in Node 20.12; engines allow 20.9.
const hash: (algorithm: "sha256", data: Uint8Array, encoding: "binary") => string =
  typeof nodeCrypto.hash === "function"
    ? (algorithm, data, encoding) => nodeCrypto.hash(algorithm, data, encoding)
    : (algorithm, data, encoding) => nodeCrypto.createHash(algorithm).update(data).digest(encoding);

const pair = Buffer.alloc(64);
const node = Buffer.alloc(65);
node[0] = 0x01;
let leafScratch = Buffer.alloc(16 * 1024);

/** The leaf scratch buffer, grown to hold at least `size` bytes, with the 0x00 leaf prefix set. */
function leafBuffer(size: number): Buffer {
  if (size > leafScratch.length) leafScratch = Buffer.alloc(Math.max(size, leafScratch.length * 2));
  leafScratch[0] = 0x00;
  return leafScratch;
}

/** SHA-256(0x00 || utf8(text)). */
export function leafHashText(text: string): BinHash {
  // utf8 never needs more than 3 bytes per UTF-16 code unit.
  const buffer = leafBuffer(1 + text.length * 3);
  const n = buffer.write(text, 1, "utf8");
  return hash("sha256", buffer.subarray(0, n + 1), "binary");
}

/** SHA-256(0x00 || bytes), for canonical text that arrives as its UTF-8 bytes. */
export function leafHashBytes(bytes: Uint8Array): BinHash {
  const buffer = leafBuffer(bytes.length + 1);
  buffer.set(bytes, 1);
  return hash("sha256", buffer.subarray(0, bytes.length + 1), "binary");
}

/** chain(n) = SHA-256(chain(n-1) || leaf(n)). */
export function chainHash(previous: BinHash, leaf: BinHash): BinHash {
  pair.write(previous, 0, "binary");
  pair.write(leaf, 32, "binary");
  return hash("sha256", pair, "binary");
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: BinHash, right: BinHash): BinHash {
  node.write(left, 1, "binary");
  node.write(right, 33, "binary");
  return hash("sha256", node, "binary");
}

/** Whether `chain` = SHA-256(previous || leaf). */
export function chainFollows(chain: BinHash, previous: BinHash, leaf: BinHash): boolean {
  return chain === chainHash(previous, leaf);
}

export function toBin(bytes: Uint8Array): BinHash {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("binary");
}

export function binToHex(h: BinHash): string {
  return Buffer.from(h, "latin1").toString("hex");
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
