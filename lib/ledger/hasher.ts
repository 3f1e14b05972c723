// The one RFC 9162 (RFC 6962) hasher of the ledger, after transparency-dev/merkle's
// rfc6962.Hasher: leaf and interior-node hashing, the empty root, and the ledger's row
// chain, defined once. What SHA-256 *is* comes in from outside (a Sha256Backend), so the
// same definitions serve the browser (a pure-JS SHA-256), the server's hot paths (Node's
// native SHA-256) and the verifier, which works on 32-character binary strings because
// they are cheaper to make and compare than Buffers (lib/hash/node-sha256.ts).
//
// Nothing here imports Node, the database or Next.js: the core stays runnable in a page.

import { bytesEqual, type Hash } from "./bytes";

/** Domain separation (RFC 9162 §2.1.1): a leaf is hashed after 0x00, an interior node after 0x01. */
export const LEAF_PREFIX = 0x00;
export const NODE_PREFIX = 0x01;
export const HASH_SIZE = 32;

/**
 * A SHA-256 implementation working on digests of type H (bytes, or binary strings for speed).
 * It knows nothing of trees: prefixes and order are the hasher's business.
 */
export interface Sha256Backend<H> {
  /** SHA-256(data). */
  digest(data: Uint8Array): H;
  /** SHA-256(prefix || data), prefix one byte. */
  digestPrefixed(prefix: number, data: Uint8Array): H;
  /** SHA-256(left || right), or SHA-256(prefix || left || right) when prefix is given. */
  digestPair(left: H, right: H, prefix?: number): H;
  fromBytes(bytes: Uint8Array): H;
  toBytes(hash: H): Uint8Array;
  equal(a: H, b: H): boolean;
}

/** Digests as bytes (Uint8Array): what proofs, bundles and the browser exchange. */
export type { Hash } from "./bytes";

export interface LogHasher<H = Hash> {
  readonly backend: Sha256Backend<H>;
  /** MTH({}) = SHA-256(""). */
  emptyRoot(): H;
  /** MTH({d}) = SHA-256(0x00 || d). */
  hashLeaf(data: Uint8Array): H;
  /** Interior node = SHA-256(0x01 || left || right). */
  hashChildren(left: H, right: H): H;
  /** The row chain: chain(n) = SHA-256(chain(n-1) || leaf(n)); chain(-1) is chainGenesis(). */
  hashChain(previous: H, leaf: H): H;
  /** 32 zero bytes: the chain hash before the first entry. */
  chainGenesis(): H;
}

/** The ledger's hasher over the given SHA-256 backend. */
export function logHasher<H>(backend: Sha256Backend<H>): LogHasher<H> {
  const empty = backend.digest(new Uint8Array(0));
  const genesis = backend.fromBytes(new Uint8Array(HASH_SIZE));
  return {
    backend,
    // Bytes are mutable, so every call hands out a fresh copy of the constants. A copy by
    // construction, not .slice(): on a Node buffer, slice returns a view of the same memory.
    emptyRoot: () => backend.fromBytes(new Uint8Array(backend.toBytes(empty))),
    chainGenesis: () => backend.fromBytes(new Uint8Array(backend.toBytes(genesis))),
    hashLeaf: (data) => backend.digestPrefixed(LEAF_PREFIX, data),
    hashChildren: (left, right) => backend.digestPair(left, right, NODE_PREFIX),
    hashChain: (previous, leaf) => backend.digestPair(previous, leaf),
  };
}

/**
 * A Uint8Array backend from any function that computes SHA-256 of one buffer (Node's
 * createHash, @noble/hashes in the browser). Concatenates, so it allocates per call: fine
 * for proofs and bundles; the server's hot paths use a backend with scratch buffers.
 */
export function bytesBackend(sha256: (data: Uint8Array) => Uint8Array): Sha256Backend<Hash> {
  return {
    digest: (data) => sha256(data),
    digestPrefixed: (prefix, data) => {
      const buf = new Uint8Array(1 + data.length);
      buf[0] = prefix;
      buf.set(data, 1);
      return sha256(buf);
    },
    digestPair: (left, right, prefix) => {
      const offset = prefix === undefined ? 0 : 1;
      const buf = new Uint8Array(offset + left.length + right.length);
      if (prefix !== undefined) buf[0] = prefix;
      buf.set(left, offset);
      buf.set(right, offset + left.length);
      return sha256(buf);
    },
    fromBytes: (bytes) => bytes,
    toBytes: (hash) => hash,
    equal: bytesEqual,
  };
}
