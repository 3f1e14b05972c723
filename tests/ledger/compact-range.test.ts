import { describe, expect, test } from "vitest";
import { portableHasher } from "@/lib/hash/browser-sha256";
import { CompactRange, ProofError, rangeNodes, type NodeId } from "@/lib/ledger/compact-range";
import { bytesEqual, toHex } from "@/lib/ledger/bytes";
import { isValidSubtree, nodesCompletedByLeaf } from "@/lib/ledger/merkle";

const hasher = portableHasher;
const leaf = (i: number) => hasher.hashLeaf(new TextEncoder().encode(`leaf ${i}`));

/** RFC 9162 §2.1.1 MTH by its recursive definition: the reference the compact range must match. */
function referenceHash(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return hasher.emptyRoot();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hasher.hashChildren(referenceHash(leaves.slice(0, k)), referenceHash(leaves.slice(k)));
}

describe("CompactRange", () => {
  test("appending leaf i visits exactly the nodes it completes, and the root is RFC 9162's MTH", () => {
    const leaves: Uint8Array[] = [];
    const range = CompactRange.empty(hasher);
    for (let i = 0; i < 130; i++) {
      const visited: NodeId[] = [];
      const hashes = new Map<string, Uint8Array>();
      leaves.push(leaf(i));
      range.append(leaves[i]!, (id, hash) => {
        visited.push(id);
        hashes.set(`${id.level}:${id.index}`, hash);
      });
      expect(visited).toEqual(nodesCompletedByLeaf(i));
      // Each visited node's hash is the MTH of the leaves it covers.
      for (const id of visited) {
        const width = 2 ** id.level;
        expect(toHex(hashes.get(`${id.level}:${id.index}`)!)).toBe(toHex(referenceHash(leaves.slice(id.index * width, (id.index + 1) * width))));
      }
      expect(range.end).toBe(i + 1);
      expect(range.nodes().map(({ level, index }) => ({ level, index }))).toEqual(rangeNodes(0, i + 1));
      expect(toHex(range.root())).toBe(toHex(referenceHash(leaves)));
    }
  });

  test("the empty range's root is SHA-256 of the empty string", () => {
    expect(toHex(CompactRange.empty(hasher).root())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  test("a range rebuilt from its nodes continues exactly like the original (the append path resumes from the stored frontier)", () => {
    const leaves = Array.from({ length: 100 }, (_, i) => leaf(i));
    for (const cut of [0, 1, 2, 3, 7, 8, 13, 64, 99]) {
      const original = CompactRange.empty(hasher);
      leaves.slice(0, cut).forEach((h) => original.append(h));
      const resumed = new CompactRange(hasher, 0, cut, original.nodes().map((n) => n.hash));
      leaves.slice(cut).forEach((h) => {
        original.append(h);
        resumed.append(h);
      });
      expect(bytesEqual(resumed.root(), original.root())).toBe(true);
      expect(toHex(resumed.root())).toBe(toHex(referenceHash(leaves)));
    }
  });

  test("a range that starts inside the tree hashes to the subtree's MTH when [begin, end) is a valid subtree", () => {
    const leaves = Array.from({ length: 64 }, (_, i) => leaf(i));
    let checked = 0;
    for (let begin = 0; begin < 64; begin++) {
      for (let end = begin + 1; end <= 64; end++) {
        if (!isValidSubtree(begin, end)) continue;
        const range = CompactRange.empty(hasher, begin);
        leaves.slice(begin, end).forEach((h) => range.append(h));
        expect(range.nodes().map(({ level, index }) => ({ level, index }))).toEqual(rangeNodes(begin, end));
        expect(toHex(range.root())).toBe(toHex(referenceHash(leaves.slice(begin, end))));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  test("refuses a node list that does not fit the range", () => {
    expect(() => new CompactRange(hasher, 0, 3, [leaf(0)])).toThrow(ProofError);
    expect(() => rangeNodes(5, 4)).toThrow(ProofError);
  });
});
