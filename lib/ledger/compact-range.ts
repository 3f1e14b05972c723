// The one compact range of the ledger, after transparency-dev/merkle's compact.Range: the
// minimal set of perfect subtrees covering the leaves [begin, end), left to right. Appending
// a leaf merges equal-sized neighbours like a binary counter and hands every node it
// completes to a visitor, which is how the store learns which Merkle nodes to insert and
// the verifier which stored nodes to compare. The root of [0, end) is the right fold of the
// range's hashes. Used by the append path, the checkpoint signer, the proof reader and the
// database verifier alike.
//
// Numbers, not bigints: the ledger's own tree sizes stay below 2^53, and only arithmetic
// (no 32-bit bitwise operators) is used, so every index is exact.

import type { LogHasher } from "./hasher";

/**
 * A tree size, index, range or proof that does not describe a part of an RFC 9162 tree.
 * Defined with the compact range, the lowest layer of the tree math, so that a bad range
 * fails the same way whether it reached rangeNodes directly or came in through a proof
 * (merkle.ts re-exports it).
 */
export class ProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProofError";
  }
}

/** A perfect subtree covering leaves [index * 2^level, (index + 1) * 2^level). */
export interface NodeId {
  level: number;
  index: number;
}

export interface RangeNode<H> extends NodeId {
  hash: H;
}

/** Called for each node a leaf completes, bottom-up: the leaf itself (level 0), then each ancestor. */
export type NodeVisitor<H> = (id: NodeId, hash: H) => void;

/** Stable string key of a node, for maps. */
export function nodeKey(id: NodeId): string {
  return `${id.level}:${id.index}`;
}

/** Throws ProofError unless `v` is a leaf count or index the planning domain handles exactly. */
export function checkCount(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new ProofError(`${name} must be a non-negative safe integer, got ${String(v)}`);
}

/**
 * The nodes of the compact range [begin, end) (compact.RangeNodes): sizes first grow, while
 * `begin`'s alignment allows, then shrink as `end` limits them, so there are at most
 * 2·log2(end − begin) of them. With begin = 0 these are the frontier of a tree of `end` leaves.
 */
export function rangeNodes(begin: number, end: number): NodeId[] {
  checkCount("begin", begin);
  checkCount("end", end);
  if (begin > end) throw new ProofError(`range begin ${begin} > end ${end}`);
  const out: NodeId[] = [];
  let pos = begin;
  while (pos < end) {
    let level = 0;
    let width = 1;
    while (pos % (width * 2) === 0 && pos + width * 2 <= end) {
      width *= 2;
      level++;
    }
    out.push({ level, index: pos / width });
    pos += width;
  }
  return out;
}

/**
 * The RFC 9162 hash of a range from its nodes' hashes, left to right:
 * node(n1, node(n2, … node(n_{k−1}, n_k))). A right fold, because RFC 9162 splits a tree at
 * the largest power of two below its size: the left part is the perfect n1, the right part
 * again a range. (A left fold would describe another tree shape.)
 */
export function foldRange<H>(hasher: LogHasher<H>, hashes: readonly H[]): H {
  if (hashes.length === 0) throw new ProofError("cannot hash an empty range");
  let acc: H = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = hasher.hashChildren(hashes[i]!, acc);
  return acc;
}

export class CompactRange<H> {
  private readonly ids: NodeId[];
  private readonly hashes: H[];

  /** A range [begin, end) from its nodes (as rangeNodes(begin, end) lists them) and their hashes. */
  constructor(
    private readonly hasher: LogHasher<H>,
    public readonly begin: number,
    private endIndex: number,
    hashes: readonly H[],
  ) {
    this.ids = rangeNodes(begin, endIndex);
    if (this.ids.length !== hashes.length) {
      throw new ProofError(`a range [${begin}, ${endIndex}) has ${this.ids.length} nodes, got ${hashes.length} hashes`);
    }
    this.hashes = hashes.slice();
  }

  /** The empty range at `begin` (0 for a whole tree). */
  static empty<H>(hasher: LogHasher<H>, begin = 0): CompactRange<H> {
    return new CompactRange(hasher, begin, begin, []);
  }

  get end(): number {
    return this.endIndex;
  }

  /** Extends the range by one leaf hash; `visit` sees the leaf and every node it completes. */
  append(leafHash: H, visit?: NodeVisitor<H>): void {
    let id: NodeId = { level: 0, index: this.endIndex };
    let hash = leafHash;
    visit?.(id, hash);
    // Merge while the last node is the left sibling of the new one (same level, and the
    // new node is a right child): exactly when a perfect parent becomes complete.
    while (this.ids.length > 0 && this.ids[this.ids.length - 1]!.level === id.level && id.index % 2 === 1) {
      const left = this.ids.pop()!;
      hash = this.hasher.hashChildren(this.hashes.pop()!, hash);
      id = { level: left.level + 1, index: left.index / 2 };
      visit?.(id, hash);
    }
    this.ids.push(id);
    this.hashes.push(hash);
    this.endIndex++;
  }

  /** The range's nodes with their hashes, left to right, largest first. */
  nodes(): RangeNode<H>[] {
    return this.ids.map((id, i) => ({ ...id, hash: this.hashes[i]! }));
  }

  /** RFC 9162 MTH of the leaves [begin, end); for begin = 0 the tree root (empty: SHA-256("")). */
  root(): H {
    if (this.hashes.length === 0) return this.hasher.emptyRoot();
    return foldRange(this.hasher, this.hashes);
  }
}
