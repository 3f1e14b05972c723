import { nodeHash, type BinHash } from "./fast-hash";

/**
 * The RFC 9162 tree of a log rebuilt leaf by leaf from the verified leaves, in O(log n)
 * memory: the frontier holds the perfect subtrees covering [0, size), largest first.
 * Every perfect node a new leaf completes is handed to `onNode` so it can be compared
 * with the stored merkle_nodes row; the root at any size is the right fold of the frontier.
 */
export class TreeTracker {
  private readonly levels: number[] = [];
  private readonly hashes: BinHash[] = [];

  constructor(
    public size: number,
    frontier: { level: number; hash: BinHash }[],
  ) {
    for (const n of frontier) {
      this.levels.push(n.level);
      this.hashes.push(n.hash);
    }
  }

  push(leaf: BinHash, onNode: (level: number, idx: number, hash: BinHash) => void): void {
    let hash = leaf;
    let level = 0;
    let idx = this.size;
    while (this.levels.length > 0 && this.levels[this.levels.length - 1] === level) {
      this.levels.pop();
      hash = nodeHash(this.hashes.pop()!, hash);
      level++;
      idx = Math.floor(idx / 2);
      onNode(level, idx, hash);
    }
    this.levels.push(level);
    this.hashes.push(hash);
    this.size++;
  }

  root(emptyRoot: BinHash): BinHash {
    if (this.hashes.length === 0) return emptyRoot;
    let acc = this.hashes[this.hashes.length - 1]!;
    for (let i = this.hashes.length - 2; i >= 0; i--) acc = nodeHash(this.hashes[i]!, acc);
    return acc;
  }
}
