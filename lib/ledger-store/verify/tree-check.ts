import "server-only";
import type { Db } from "../../../db/client";
import { nodeBinaryBackend, nodeBinaryHasher, type BinHash } from "../../hash/node-sha256";
import { CompactRange, nodeKey, rangeNodes, type NodeId } from "../../ledger/compact-range";
import { readPerfectNodes } from "../log-append";
import type { LogId } from "../../ledger/log-id";
import { storedNode, type StoredLevel } from "./batch-reads";

const MAX_NODE_MISMATCHES = 10_000;

/** A stored Merkle node that disagrees with (or is missing under) the verified leaves. */
export interface NodeMismatch extends NodeId {
  expected: BinHash;
  actual: BinHash | null;
}

/**
 * The RFC 9162 tree of a log rebuilt leaf by leaf from the verified leaves: a compact range
 * over [0, size) in O(log n) memory. Every perfect node above the leaves that a new leaf
 * completes is compared with the stored merkle_nodes row, and the root is taken at each
 * size a signed checkpoint names. `range` is null while the tree cannot be rebuilt (a
 * position without a known leaf, or stored nodes missing where a gap restarts it).
 */
export class TreeCheck {
  private range: CompactRange<BinHash> | null = null;
  private stored = new Map<number, StoredLevel>();
  /** Index into checkSizes of the next size whose root is wanted. */
  private nextSize = 0;
  /** Roots of the rebuilt tree at the checkpoint sizes it reached. */
  readonly roots = new Map<number, BinHash>();
  /** The lowest mismatching nodes, in the order found (ancestors of a mismatch are left out). */
  readonly nodeMismatches: NodeMismatch[] = [];
  private readonly mismatched = new Set<string>();

  /** `checkSizes`: the signed tree sizes to take roots at, ascending. */
  constructor(readonly checkSizes: readonly number[]) {}

  /** Starts (or restarts, past a gap) from a tree rebuilt from the stored nodes, or none. */
  restart(range: CompactRange<BinHash> | null): void {
    this.range = range;
    this.captureRoot();
  }

  /** The stored nodes completed by the next batch's leaves, to compare with. */
  useStoredNodes(levels: Map<number, StoredLevel>): void {
    this.stored = levels;
  }

  /** The verified leaf of the next position; null when none is known, which stops the rebuild. */
  addLeaf(leaf: BinHash | null): void {
    if (!this.range) return;
    if (!leaf) {
      this.range = null;
      return;
    }
    this.range.append(leaf, this.compareNode);
    this.captureRoot();
  }

  private captureRoot(): void {
    if (!this.range) return;
    const size = this.range.end;
    while (this.nextSize < this.checkSizes.length && this.checkSizes[this.nextSize]! < size) this.nextSize++;
    if (this.checkSizes[this.nextSize] === size) this.roots.set(size, this.range.root());
  }

  private readonly compareNode = (id: NodeId, hash: BinHash): void => {
    if (id.level === 0) return; // leaves are the registry's, checked by the chain analyzer
    const stored = storedNode(this.stored, id.level, id.index);
    if (stored === hash) return;
    this.mismatched.add(nodeKey(id));
    // Ancestors of a mismatching node mismatch too: only the lowest one is news.
    const left = { level: id.level - 1, index: id.index * 2 };
    const right = { level: id.level - 1, index: id.index * 2 + 1 };
    if (id.level > 1 && (this.mismatched.has(nodeKey(left)) || this.mismatched.has(nodeKey(right)))) return;
    if (this.nodeMismatches.length < MAX_NODE_MISMATCHES) this.nodeMismatches.push({ ...id, expected: hash, actual: stored ?? null });
  };
}

/**
 * The tree of `size` leaves from the stored perfect nodes, trusted as the starting point of
 * a range (or of the rest of the log past a gap); null, with a warning, when one is missing.
 */
export async function storedTree(db: Db, logId: LogId, size: number, warnings: string[]): Promise<CompactRange<BinHash> | null> {
  if (size === 0) return CompactRange.empty(nodeBinaryHasher);
  const ids = rangeNodes(0, size);
  const nodes = await readPerfectNodes(db, logId, ids);
  const hashes: BinHash[] = [];
  for (const id of ids) {
    const hash = nodes.get(nodeKey(id));
    if (!hash) {
      warnings.push(
        `the Merkle tree cannot be rebuilt from seq ${size} on (stored node ${nodeKey(id)} is missing); checkpoints after it are checked by signature only`,
      );
      return null;
    }
    hashes.push(nodeBinaryBackend.fromBytes(hash));
  }
  return new CompactRange(nodeBinaryHasher, 0, size, hashes);
}
