import { createHash } from "node:crypto";

/**
 * Synchronous SHA-256 for the server's hot paths (append, full verification). The shared
 * (browser) code in merkle.ts uses WebCrypto; both produce the same RFC 9162 hashes.
 */
export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** RFC 9162 §2.1.1: MTH({d}) = SHA-256(0x00 || d). */
export function leafHashOf(data: Uint8Array | string): Buffer {
  return sha256(LEAF_PREFIX, typeof data === "string" ? Buffer.from(data, "utf8") : data);
}

/** RFC 9162 §2.1.1: interior node = SHA-256(0x01 || left || right). */
export function nodeHashOf(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE_PREFIX, left, right);
}

/** chain_hash(n) = SHA-256(chain_hash(n-1) || leaf_hash(n)); chain_hash(-1) is 32 zero bytes. */
export const CHAIN_GENESIS: Buffer = Buffer.alloc(32);
export function chainHashOf(previous: Uint8Array, leafHash: Uint8Array): Buffer {
  return sha256(previous, leafHash);
}
