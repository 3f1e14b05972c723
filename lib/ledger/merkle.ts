// RFC 9162 (Certificate Transparency v2, same tree as RFC 6962) Merkle proofs,
// shared by the server (proof generation from stored nodes) and the browser
// (proof verification). Hashing comes in as the ledger's one LogHasher
// (lib/ledger/hasher.ts): Node's native SHA-256 on the server, @noble/hashes in a
// page; both are synchronous, and so is everything here. The decomposition of a
// range into perfect subtrees and its hash are the compact range's
// (lib/ledger/compact-range.ts); this file plans and checks proofs with them.
//
// Two number domains on purpose:
//   - proof *planning* (which ranges/nodes a proof needs) uses JS numbers; the
//     ledger's own tree sizes are bounded by Number.MAX_SAFE_INTEGER and plain
//     numbers map directly onto database integers. Only arithmetic (no 32-bit
//     bitwise operators) is used there, so it is exact up to 2^53.
//   - proof *verification* accepts number | bigint and works in bigint, because
//     it must judge arbitrary uint64 inputs from other logs and test vectors
//     (e.g. an index of 2^64-1) without silently rounding them.

import { bytesEqual } from "./bytes";
import { checkCount, CompactRange, foldRange, nodeKey, ProofError, rangeNodes, type NodeId } from "./compact-range";
import { HASH_SIZE, type Hash, type LogHasher } from "./hasher";

export type { Hash, LogHasher } from "./hasher";
export type { NodeId } from "./compact-range";
export { HASH_SIZE, ProofError };

// ---------------------------------------------------------------------------
// Node identities and range decomposition (planning domain: safe integers)
// ---------------------------------------------------------------------------

/** A proof element: the RFC 9162 subtree hash MTH(D[start:end]). */
export interface ProofStep {
  start: number;
  end: number;
}

export function nodeRange(id: NodeId): ProofStep {
  const width = 2 ** id.level;
  return { start: id.index * width, end: (id.index + 1) * width };
}

/** Largest power of two strictly less than n (n >= 2): RFC 9162's split point k. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Whether [start, end) is a node of some RFC 9162 tree: non-empty and `start`
 * a multiple of the smallest power of two >= end - start. Exactly these ranges
 * occur as proof elements, and for them rangeHash() is their RFC 9162 hash.
 */
export function isValidSubtree(start: number, end: number): boolean {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start) return false;
  let ceil = 1;
  while (ceil < end - start) ceil *= 2;
  return start % ceil === 0;
}

/**
 * MTH of the range [start, end) from stored perfect-subtree hashes: the right fold
 * (foldRange) of its rangeNodes() decomposition n1..nk, left to right:
 * node(n1, node(n2, ... node(n_{k-1}, n_k))).
 *
 * Why a right fold: for a valid subtree [s, e) (s aligned to bitCeil(e - s)),
 * RFC 9162 splits at the largest power of two k < e - s. The left half
 * [s, s + k) is perfect and aligned, hence exactly n1; the right half
 * [s + k, e) is again a valid subtree whose decomposition is n2..nk. So
 * MTH = node(n1, MTH(n2..nk)), recursively, i.e. a fold from the right. A left
 * fold node(node(n1, n2), n3) would describe a different tree shape (for size 7
 * it would pair [0,4) with [4,6) before [6,7)). This matches transparency-dev's
 * HashAt, and is checked against the reference roots in the tests.
 *
 * The result is only an RFC 9162 subtree hash for valid subtrees; every range a
 * proof plan produces is one, and so is every [0, size).
 */
function rangeHash(hasher: LogHasher, start: number, end: number, lookup: (id: NodeId) => Hash | undefined): Hash {
  return foldRange(hasher, rangeNodes(start, end).map((id) => mustLookup(lookup, id)));
}

/**
 * The perfect nodes whose hashes become final when the leaf at `index` is
 * appended, bottom-up: the leaf itself, then each ancestor completed by it.
 * Node {level, i} (level > 0) has children {level-1, 2i} and {level-1, 2i+1}.
 * Perfect-node hashes never change once complete, which is what makes storing
 * them and serving every later proof from them sound.
 */
export function nodesCompletedByLeaf(index: number): NodeId[] {
  checkCount("index", index);
  const out: NodeId[] = [{ level: 0, index }];
  let level = 0;
  let width = 1;
  while ((index + 1) % (width * 2) === 0) {
    width *= 2;
    level++;
    out.push({ level, index: (index + 1) / width - 1 });
  }
  return out;
}

/** Root hash of a tree from its leaf hashes (O(n) time, O(log n) memory: a compact range). */
export function rootFromLeafHashes(hasher: LogHasher, hashes: readonly Hash[]): Hash {
  const range = CompactRange.empty(hasher);
  for (const leaf of hashes) range.append(leaf);
  return range.root();
}

/** Root of a tree of `size` leaves from stored perfect-subtree hashes. */
export function rootFromNodes(hasher: LogHasher, size: number, lookup: (id: NodeId) => Hash | undefined): Hash {
  checkCount("size", size);
  if (size === 0) return hasher.emptyRoot();
  return rangeHash(hasher, 0, size, lookup);
}

/**
 * RFC 9162 §2.1.3.1 PATH(index, D[size]) as ranges, leaf sibling first and the
 * root's child last.
 */
export function inclusionProofPlan(index: number, size: number): ProofStep[] {
  checkCount("index", index);
  checkCount("size", size);
  if (index >= size) throw new ProofError(`index ${index} is beyond tree size ${size}`);
  const topDown: ProofStep[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      topDown.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      topDown.push({ start: lo, end: lo + k });
      lo += k;
    }
  }
  return topDown.reverse();
}

/**
 * Inclusion proof of leaf `index` in the valid subtree [start, end), as
 * absolute ranges. Since `start` is aligned to bitCeil(end - start), ranges of
 * the standalone subtree shifted by `start` stay aligned, so the same stored
 * perfect nodes serve them.
 */
export function subtreeInclusionProofPlan(index: number, start: number, end: number): ProofStep[] {
  if (!isValidSubtree(start, end)) throw new ProofError(`[${start}, ${end}) is not a valid subtree`);
  checkCount("index", index);
  if (index < start || index >= end) throw new ProofError(`index ${index} is outside subtree [${start}, ${end})`);
  return inclusionProofPlan(index - start, end - start).map((s) => ({ start: s.start + start, end: s.end + start }));
}

/**
 * Subtree consistency proof (SUBTREE_PROOF in the Merkle Tree Certificates
 * draft, as verified by transparency-dev's VerifySubtreeConsistency): proves the
 * valid subtree [start, end) is part of the tree of `size` leaves. With
 * start = 0 this is exactly RFC 9162 PROOF(end, D[size]).
 */
export function subtreeConsistencyProofPlan(start: number, end: number, size: number): ProofStep[] {
  checkCount("size", size);
  if (!isValidSubtree(start, end)) throw new ProofError(`[${start}, ${end}) is not a valid subtree`);
  if (end > size) throw new ProofError(`subtree end ${end} is beyond tree size ${size}`);
  // Iterative form of SUBPROOF(start, end, D[lo:hi], known): walking down from
  // the root, each level contributes the sibling of the half containing the
  // subtree; `known` turns false once the subtree's own hash would be
  // insufficient to seed verification (we descended into a right half while the
  // subtree still starts at the left edge of the current segment).
  const topDown: ProofStep[] = [];
  let lo = 0;
  let hi = size;
  let known = true;
  for (;;) {
    if (start === lo && end === hi) {
      if (!known) topDown.push({ start: lo, end: hi });
      break;
    }
    const k = splitPoint(hi - lo);
    if (end <= lo + k) {
      topDown.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else if (lo + k <= start) {
      topDown.push({ start: lo, end: lo + k });
      lo += k;
    } else {
      // The subtree straddles the split, so (being valid) it starts at lo; its
      // right part continues in [lo + k, hi) and the verifier can no longer
      // derive that part from the subtree hash alone.
      topDown.push({ start: lo, end: lo + k });
      lo += k;
      start = lo;
      known = false;
    }
  }
  return topDown.reverse();
}

/**
 * RFC 9162 §2.1.4.1 PROOF(size1, D[size2]). Requires 0 < size1 <= size2
 * (an empty tree is consistent with everything, so a proof from it proves
 * nothing; the verifier rejects it, and so does planning one).
 */
export function consistencyProofPlan(size1: number, size2: number): ProofStep[] {
  checkCount("size1", size1);
  checkCount("size2", size2);
  if (size1 === 0) throw new ProofError("consistency proof from an empty tree is meaningless");
  if (size1 > size2) throw new ProofError(`size1 ${size1} > size2 ${size2}`);
  if (size1 === size2) return [];
  return subtreeConsistencyProofPlan(0, size1, size2);
}

function dedupeNodes(plan: readonly ProofStep[]): NodeId[] {
  const seen = new Set<string>();
  const out: NodeId[] = [];
  for (const step of plan) {
    for (const id of rangeNodes(step.start, step.end)) {
      const key = nodeKey(id);
      if (!seen.has(key)) {
        seen.add(key);
        out.push(id);
      }
    }
  }
  return out;
}

/** Every stored node an inclusion proof needs, deduplicated: one DB query. */
export function nodesNeededForInclusion(index: number, size: number): NodeId[] {
  return dedupeNodes(inclusionProofPlan(index, size));
}

/** Every stored node a consistency proof needs, deduplicated: one DB query. */
export function nodesNeededForConsistency(size1: number, size2: number): NodeId[] {
  return dedupeNodes(consistencyProofPlan(size1, size2));
}

function mustLookup(lookup: (id: NodeId) => Hash | undefined, id: NodeId): Hash {
  const h = lookup(id);
  if (h === undefined) throw new ProofError(`missing stored node ${nodeKey(id)}`);
  return h;
}

/** Turns a plan into proof hashes using stored perfect-subtree hashes. */
export function assembleProof(hasher: LogHasher, plan: readonly ProofStep[], lookup: (id: NodeId) => Hash | undefined): Hash[] {
  return plan.map((step) => rangeHash(hasher, step.start, step.end, lookup));
}

// ---------------------------------------------------------------------------
// Verification (uint64 domain: bigint)
// ---------------------------------------------------------------------------

const U64_MAX = (1n << 64n) - 1n;

function toU64(name: string, v: number | bigint): bigint {
  if (typeof v === "bigint") {
    if (v < 0n || v > U64_MAX) throw new ProofError(`${name} ${v} is outside the uint64 range`);
    return v;
  }
  if (!Number.isSafeInteger(v) || v < 0) throw new ProofError(`${name} must be a non-negative integer, got ${v}`);
  return BigInt(v);
}

function bitLen(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function onesCount(x: bigint): number {
  let n = 0;
  for (const c of x.toString(2)) if (c === "1") n++;
  return n;
}

function trailingZeros(x: bigint): number {
  if (x === 0n) return 64;
  let n = 0;
  while ((x & 1n) === 0n) {
    x >>= 1n;
    n++;
  }
  return n;
}

function bitCeil(n: bigint): bigint {
  return n <= 1n ? 1n : 1n << BigInt(bitLen(n - 1n));
}

/** Mirrors transparency-dev isSubtreeValid, except empty ranges are left to callers. */
function checkSubtree(start: bigint, end: bigint): void {
  if (start >= end) throw new ProofError(`invalid subtree: start ${start} must be less than end ${end}`);
  if (start === 0n) return;
  const width = end - start;
  if (width > 1n << 63n) throw new ProofError(`invalid subtree: start ${start} must be 0 when width ${width} > 2^63`);
  if (start % bitCeil(width) !== 0n) {
    throw new ProofError(`invalid subtree: start ${start} is not a multiple of bit_ceil(${width})`);
  }
}

function checkProofHashes(proof: readonly Hash[]): void {
  for (let i = 0; i < proof.length; i++) {
    if (proof[i]!.length !== HASH_SIZE) {
      throw new ProofError(`proof element ${i} has ${proof[i]!.length} bytes, want ${HASH_SIZE}`);
    }
  }
}

function mismatch(what: string): ProofError {
  return new ProofError(`${what} does not match the expected root hash`);
}

// The inclusion path splits where the paths to `index` and to the last leaf
// (size - 1) diverge: below that level siblings may sit on either side
// ("inner"); above it the path runs along the right border, where every
// sibling is a left sibling and levels with no left sibling are skipped
// ("border"). Lengths determine the exact proof size; any other length is
// rejected before hashing.
function decompInclusion(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = bitLen(index ^ (size - 1n));
  return { inner, border: onesCount(index >> BigInt(inner)) };
}

function chainInner(hasher: LogHasher, seed: Hash, proof: readonly Hash[], index: bigint): Hash {
  for (let i = 0; i < proof.length; i++) {
    seed = ((index >> BigInt(i)) & 1n) === 0n ? hasher.hashChildren(seed, proof[i]!) : hasher.hashChildren(proof[i]!, seed);
  }
  return seed;
}

// Like chainInner but only folds in left siblings: yields the hash of the same
// subtree as it looked before any leaves to the right of the path existed.
function chainInnerRight(hasher: LogHasher, seed: Hash, proof: readonly Hash[], index: bigint): Hash {
  for (let i = 0; i < proof.length; i++) {
    if (((index >> BigInt(i)) & 1n) === 1n) seed = hasher.hashChildren(proof[i]!, seed);
  }
  return seed;
}

function chainBorderRight(hasher: LogHasher, seed: Hash, proof: readonly Hash[]): Hash {
  for (const h of proof) seed = hasher.hashChildren(h, seed);
  return seed;
}

/** Root implied by an inclusion proof. Requires index < size. */
export function rootFromInclusionProof(
  hasher: LogHasher,
  index: number | bigint,
  size: number | bigint,
  leaf: Hash,
  proof: readonly Hash[],
): Hash {
  const idx = toU64("index", index);
  const sz = toU64("size", size);
  if (idx >= sz) throw new ProofError(`index ${idx} is beyond tree size ${sz}`);
  if (leaf.length !== HASH_SIZE) throw new ProofError(`leaf hash has ${leaf.length} bytes, want ${HASH_SIZE}`);
  const { inner, border } = decompInclusion(idx, sz);
  if (proof.length !== inner + border) {
    throw new ProofError(`wrong inclusion proof length ${proof.length}, want ${inner + border}`);
  }
  checkProofHashes(proof);
  const res = chainInner(hasher, leaf, proof.slice(0, inner), idx);
  return chainBorderRight(hasher, res, proof.slice(inner));
}

/** Throws ProofError unless `proof` shows leaf `index` with hash `leaf` is in the tree (`size`, `root`). */
export function verifyInclusion(
  hasher: LogHasher,
  index: number | bigint,
  size: number | bigint,
  leaf: Hash,
  proof: readonly Hash[],
  root: Hash,
): void {
  const computed = rootFromInclusionProof(hasher, index, size, leaf, proof);
  if (!bytesEqual(computed, root)) throw mismatch("root computed from the inclusion proof");
}

/**
 * Inclusion of leaf `index` in the valid subtree [start, end) whose hash is
 * `subtreeRoot`. The proof is the ordinary inclusion proof of index - start in
 * the standalone tree of those leaves.
 */
export function verifySubtreeInclusion(
  hasher: LogHasher,
  index: number | bigint,
  start: number | bigint,
  end: number | bigint,
  leaf: Hash,
  proof: readonly Hash[],
  subtreeRoot: Hash,
): void {
  const idx = toU64("index", index);
  const s = toU64("start", start);
  const e = toU64("end", end);
  checkSubtree(s, e);
  if (idx < s || idx >= e) throw new ProofError(`index ${idx} is outside subtree [${s}, ${e})`);
  const computed = rootFromInclusionProof(hasher, idx - s, e - s, leaf, proof);
  if (!bytesEqual(computed, subtreeRoot)) throw mismatch("subtree hash computed from the inclusion proof");
}

// Core of (subtree) consistency verification, following transparency-dev's
// rootFromSubtreeConsistencyProof. Preconditions: [start, end) valid, end <=
// size, not (start == 0 && end == size), proof non-empty or end == size.
// Verifies that the proof's nodes inside the subtree hash to subRoot and
// returns the root of the tree of `size` they imply.
function rootFromSubtreeConsistency(
  hasher: LogHasher,
  start: bigint,
  end: bigint,
  size: bigint,
  proof: readonly Hash[],
  subRoot: Hash,
): Hash {
  checkProofHashes(proof);
  if (end === size) {
    // The subtree lies on the tree's right border: climbing from its root only
    // meets left siblings, one per level where the ancestor is a right child.
    const level = bitLen((end - 1n) ^ start);
    const want = onesCount(start >> BigInt(level));
    if (proof.length !== want) throw new ProofError(`wrong consistency proof length ${proof.length}, want ${want}`);
    return chainBorderRight(hasher, subRoot, proof);
  }

  // Split where the paths to leaves end-1 and size-1 diverge (see decompInclusion).
  const { inner: forkLevel, border } = decompInclusion(end - 1n, size);
  // Proof chaining starts at the root of the rightmost perfect subtree inside
  // [start, end), whose height is the number of trailing zeros of its width.
  const shift = trailingZeros(end - start);
  const inner = forkLevel - shift; // > 0 because end < size
  let seed: Hash;
  let rest: readonly Hash[];
  const perfect = end - start === 1n << BigInt(shift);
  if (perfect) {
    // The rightmost perfect subtree is the subtree itself, whose hash the
    // verifier already has, so the prover omits it.
    seed = subRoot;
    rest = proof;
  } else {
    seed = proof[0]!;
    rest = proof.slice(1);
  }
  const want = (perfect ? 0 : 1) + inner + border;
  if (proof.length !== want) throw new ProofError(`wrong consistency proof length ${proof.length}, want ${want}`);
  const mask = (end - 1n) >> BigInt(shift);

  if (!perfect) {
    // The proof carries nodes inside the subtree; they must rebuild subRoot,
    // otherwise the "old" side of the proof is unauthenticated. Only the inner
    // nodes up to the subtree's height and the border nodes below it belong to
    // the subtree.
    const height = bitLen((end - 1n) ^ start);
    const subInner = Math.min(height, forkLevel) - shift;
    const subBorder = Math.max(0, border - onesCount((end - 1n) >> BigInt(height)));
    let h1 = chainInnerRight(hasher, seed, rest.slice(0, subInner), mask);
    h1 = chainBorderRight(hasher, h1, rest.slice(inner, inner + subBorder));
    if (!bytesEqual(h1, subRoot)) throw mismatch("subtree/old root computed from the consistency proof");
  }

  const h2 = chainInner(hasher, seed, rest.slice(0, inner), mask);
  return chainBorderRight(hasher, h2, rest.slice(inner));
}

/**
 * Throws ProofError unless `proof` shows the tree (size1, root1) is a prefix of
 * (size2, root2). Requires 0 < size1 <= size2: a proof from the empty tree is
 * rejected as meaningless (transparency-dev semantics, pinned by the vectors).
 */
export function verifyConsistency(
  hasher: LogHasher,
  size1: number | bigint,
  size2: number | bigint,
  proof: readonly Hash[],
  root1: Hash,
  root2: Hash,
): void {
  const s1 = toU64("size1", size1);
  const s2 = toU64("size2", size2);
  if (s2 < s1) throw new ProofError(`size2 ${s2} < size1 ${s1}`);
  if (s1 === 0n) throw new ProofError("consistency proof from an empty tree is meaningless");
  if (s1 === s2) {
    if (proof.length > 0) throw new ProofError("size1 == size2 but the proof is not empty");
    if (!bytesEqual(root1, root2)) throw new ProofError("size1 == size2 but the roots differ");
    return;
  }
  if (proof.length === 0) throw new ProofError("empty consistency proof");
  const computed = rootFromSubtreeConsistency(hasher, 0n, s1, s2, proof, root1);
  if (!bytesEqual(computed, root2)) throw mismatch("new root computed from the consistency proof");
}

/**
 * Throws ProofError unless `proof` shows the subtree [start, end) with hash
 * `subtreeRoot` is part of the tree of `size` leaves with root `root`
 * (transparency-dev VerifySubtreeConsistency). An empty subtree (start == end)
 * is trivially contained in any tree: it is accepted with an empty proof iff
 * its hash is the empty-tree hash, without looking at `root` (as the vectors
 * require).
 */
export function verifySubtreeConsistency(
  hasher: LogHasher,
  start: number | bigint,
  end: number | bigint,
  size: number | bigint,
  proof: readonly Hash[],
  subtreeRoot: Hash,
  root: Hash,
): void {
  const s = toU64("start", start);
  const e = toU64("end", end);
  const n = toU64("size", size);
  if (s > e) throw new ProofError(`invalid subtree: start ${s} > end ${e}`);
  if (e > n) throw new ProofError(`subtree end ${e} is beyond tree size ${n}`);
  if (s === e) {
    if (proof.length > 0) throw new ProofError("empty subtree but the proof is not empty");
    if (!bytesEqual(subtreeRoot, hasher.emptyRoot())) throw new ProofError("empty subtree hash is not SHA-256(\"\")");
    return;
  }
  checkSubtree(s, e);
  if (s === 0n && e === n) {
    if (proof.length > 0) throw new ProofError("subtree is the whole tree but the proof is not empty");
    if (!bytesEqual(subtreeRoot, root)) throw new ProofError("subtree is the whole tree but the hashes differ");
    return;
  }
  if (proof.length === 0) throw new ProofError("empty subtree consistency proof");
  const computed = rootFromSubtreeConsistency(hasher, s, e, n, proof, subtreeRoot);
  if (!bytesEqual(computed, root)) throw mismatch("tree root computed from the subtree consistency proof");
}
