import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { seededRandom } from "@/tests/support/seeded-random";
import { fromBase64, fromHex, toHex, type Hash } from "@/lib/ledger/bytes";
import { portableBytesBackend, portableHasher } from "@/lib/hash/browser-sha256";
import { nodeHasher, sha256 } from "@/lib/hash/node-sha256";
import { foldRange, nodeKey, rangeNodes } from "@/lib/ledger/compact-range";
import {
  assembleProof,
  consistencyProofPlan,
  inclusionProofPlan,
  isValidSubtree,
  nodeRange,
  nodesCompletedByLeaf,
  nodesNeededForConsistency,
  nodesNeededForInclusion,
  ProofError,
  rootFromInclusionProof,
  rootFromLeafHashes,
  rootFromNodes,
  subtreeConsistencyProofPlan,
  subtreeInclusionProofPlan,
  verifyConsistency,
  verifyInclusion,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
  type LogHasher,
  type NodeId,
} from "@/lib/ledger/merkle";
import { testVectorsDir } from "../support/test-vectors";

const VECTORS = testVectorsDir("rfc9162");

// The heavy property tests hash with nodeHasher (Node's native SHA-256); the vectors
// run with portableHasher so the browser path is what is pinned to the reference data.

function listJson(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listJson(p));
    else if (name.endsWith(".json")) out.push(p);
  }
  return out;
}

// Sizes and indices are uint64 in the vectors (e.g. 2^64 - 1 for an underflowed
// index); JSON.parse would round them, so they are read as bigint from the text.
const INT_FIELDS = /"(leafIdx|treeSize|size1|size2|start|end|size)":\s*(\d+)/g;

function readVector(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8").replace(INT_FIELDS, '"$1": "$2"')) as Record<string, unknown>;
}

const u64 = (v: unknown): bigint => BigInt(v as string);
const b64 = (v: unknown): Hash => fromBase64(v as string);
// Go marshals a nil proof as null.
const b64list = (v: unknown): Hash[] => ((v as string[] | null) ?? []).map((s) => fromBase64(s));

type Runner = (v: Record<string, unknown>) => void;

const runners: Record<string, Runner> = {
  inclusion: (v) =>
    verifyInclusion(portableHasher, u64(v.leafIdx), u64(v.treeSize), b64(v.leafHash), b64list(v.proof), b64(v.root)),
  consistency: (v) =>
    verifyConsistency(portableHasher, u64(v.size1), u64(v.size2), b64list(v.proof), b64(v.root1), b64(v.root2)),
  subtreeinclusion: (v) =>
    verifySubtreeInclusion(
      portableHasher,
      u64(v.leafIdx),
      u64(v.start),
      u64(v.end),
      b64(v.leafHash),
      b64list(v.proof),
      b64(v.root),
    ),
  subtreeconsistency: (v) =>
    verifySubtreeConsistency(
      portableHasher,
      u64(v.start),
      u64(v.end),
      u64(v.size),
      b64list(v.proof),
      b64(v.root1),
      b64(v.root2),
    ),
};

for (const [kind, run] of Object.entries(runners)) {
  describe(`rfc9162 vectors: ${kind}`, () => {
    const files = listJson(path.join(VECTORS, kind));
    test("vector files are present", () => {
      expect(files.length).toBeGreaterThan(10);
    });
    for (const file of files) {
      const rel = path.relative(path.join(VECTORS, kind), file);
      test(rel, () => {
        const v = readVector(file);
        let err: unknown = null;
        try {
          // Decoding happens inside: invalid base64 in a vector counts as an error.
          run(v);
        } catch (e) {
          err = e;
        }
        if (v.wantErr === true) {
          expect(err, `${rel} (${String(v.desc)}) should be rejected`).not.toBeNull();
        } else {
          expect(err, `${rel} (${String(v.desc)}) should verify`).toBeNull();
        }
        // Rejections must be our own typed errors, never crashes.
        if (err !== null && (err as Error).name !== "EncodingError") expect(err).toBeInstanceOf(ProofError);
      });
    }
  });
}

const REFERENCE_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
const REFERENCE_ROOT_PREFIXES = ["6e340b9c", "fac54203", "aeb6bcfe", "d37ee418", "4e3bbb1f", "76e67dad", "ddb89be4", "5dc9da79"];

// Straight transcription of the RFC 9162 §2.1.1 definition, used as the oracle.
function refMth(sha: LogHasher, leaves: readonly Hash[]): Hash {
  if (leaves.length === 0) return sha.backend.digest(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha.hashChildren(refMth(sha, leaves.slice(0, k)), refMth(sha, leaves.slice(k)));
}

describe("tree hashing", () => {
  test("empty root is SHA-256 of the empty string", () => {
    expect(toHex(portableHasher.emptyRoot())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(portableBytesBackend.digest(new Uint8Array(0)))).toBe(toHex(portableHasher.emptyRoot()));
    expect(toHex(rootFromLeafHashes(portableHasher, []))).toBe(toHex(portableHasher.emptyRoot()));
    const copy = portableHasher.emptyRoot();
    copy[0] = 0;
    expect(toHex(portableHasher.emptyRoot()).slice(0, 2)).toBe("e3");
  });

  test("leaf and node hashes use the 0x00 / 0x01 domain prefixes", () => {
    expect(toHex(portableHasher.hashLeaf(new Uint8Array(0)))).toBe(
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    );
    const l = portableHasher.hashLeaf(fromHex("00"));
    const r = portableHasher.hashLeaf(fromHex("10"));
    expect(toHex(portableHasher.hashChildren(l, r))).toBe(
      toHex(sha256(new Uint8Array([1, ...l, ...r]))),
    );
  });

  test("roots of the reference leaves for sizes 1..8 match the README prefixes", () => {
    const hashes = REFERENCE_LEAVES.map((h) => portableHasher.hashLeaf(fromHex(h)));
    for (let size = 1; size <= 8; size++) {
      const root = rootFromLeafHashes(portableHasher, hashes.slice(0, size));
      expect(toHex(root).slice(0, 8), `size ${size}`).toBe(REFERENCE_ROOT_PREFIXES[size - 1]);
      expect(toHex(refMth(portableHasher, hashes.slice(0, size)))).toBe(toHex(root));
    }
  });

  test("foldRange is a right fold (and a left fold is not the RFC 9162 hash)", () => {
    const hashes = REFERENCE_LEAVES.slice(0, 7).map((h) => portableHasher.hashLeaf(fromHex(h)));
    const byNode = new Map<string, Hash>();
    const store = (id: NodeId): Hash => {
      const key = nodeKey(id);
      const { start, end } = nodeRange(id);
      const h = byNode.get(key) ?? refMth(portableHasher, hashes.slice(start, end));
      byNode.set(key, h);
      return h;
    };
    const parts = rangeNodes(0, 7).map(store);
    expect(rangeNodes(0, 7)).toEqual([
      { level: 2, index: 0 },
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
    const right = foldRange(portableHasher, parts);
    expect(toHex(right).slice(0, 8)).toBe(REFERENCE_ROOT_PREFIXES[6]);
    const left = portableHasher.hashChildren(portableHasher.hashChildren(parts[0]!, parts[1]!), parts[2]!);
    expect(toHex(left)).not.toBe(toHex(right));
  });
});

describe("range decomposition", () => {
  test("rangeNodes is minimal, aligned, contiguous and ordered", () => {
    for (let start = 0; start <= 70; start++) {
      for (let end = start; end <= 140; end++) {
        const ids = rangeNodes(start, end);
        let pos = start;
        for (const id of ids) {
          const r = nodeRange(id);
          expect(r.start).toBe(pos);
          pos = r.end;
        }
        expect(pos).toBe(end);
        // Minimality: no two neighbours could merge into their common parent.
        for (let i = 0; i + 1 < ids.length; i++) {
          const a = ids[i]!;
          const b = ids[i + 1]!;
          expect(a.level === b.level && a.index % 2 === 0 && b.index === a.index + 1).toBe(false);
        }
        expect(ids.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(end - start + 1)) + 1);
      }
    }
  });

  test("works beyond 32-bit sizes", () => {
    const big = 2 ** 52 + 12345;
    const ids = rangeNodes(0, big);
    expect(ids[0]).toEqual({ level: 52, index: 0 });
    expect(ids.reduce((n, id) => n + 2 ** id.level, 0)).toBe(big);
    expect(inclusionProofPlan(big - 1, big).length).toBeGreaterThan(0);
  });

  test("nodesCompletedByLeaf lists each newly final node with correct children", () => {
    expect(nodesCompletedByLeaf(0)).toEqual([{ level: 0, index: 0 }]);
    expect(nodesCompletedByLeaf(7)).toEqual([
      { level: 0, index: 7 },
      { level: 1, index: 3 },
      { level: 2, index: 1 },
      { level: 3, index: 0 },
    ]);
    expect(nodesCompletedByLeaf(5)).toEqual([
      { level: 0, index: 5 },
      { level: 1, index: 2 },
    ]);
  });

  test("isValidSubtree", () => {
    expect(isValidSubtree(0, 7)).toBe(true);
    expect(isValidSubtree(8, 13)).toBe(true);
    expect(isValidSubtree(4, 7)).toBe(true);
    expect(isValidSubtree(1, 3)).toBe(false);
    expect(isValidSubtree(2, 5)).toBe(false);
    expect(isValidSubtree(3, 3)).toBe(false);
  });

  test("known plans", () => {
    // RFC 9162 examples from the reference test data: (6,8) and (2,5).
    expect(consistencyProofPlan(6, 8)).toEqual([
      { start: 4, end: 6 },
      { start: 6, end: 8 },
      { start: 0, end: 4 },
    ]);
    expect(consistencyProofPlan(4, 8)).toEqual([{ start: 4, end: 8 }]);
    expect(inclusionProofPlan(2, 5)).toEqual([
      { start: 3, end: 4 },
      { start: 0, end: 2 },
      { start: 4, end: 5 },
    ]);
    expect(consistencyProofPlan(3, 3)).toEqual([]);
    expect(() => consistencyProofPlan(0, 3)).toThrow(ProofError);
    expect(() => consistencyProofPlan(4, 3)).toThrow(ProofError);
    expect(() => inclusionProofPlan(3, 3)).toThrow(ProofError);
    expect(() => rangeNodes(0.5, 3)).toThrow(ProofError);
  });

  test("a proof over 10,000,000 leaves needs O(log n) stored nodes", () => {
    const n = 10_000_000;
    const bound = 2 * Math.ceil(Math.log2(n));
    let worstInclusion = 0;
    let worstConsistency = 0;
    for (const index of [0, 1, 4_999_999, 8_388_607, 8_388_608, 9_999_998, n - 1, 1234567]) {
      worstInclusion = Math.max(worstInclusion, nodesNeededForInclusion(index, n).length);
    }
    for (const size1 of [1, 2, 3, 1_000_001, 8_388_607, 8_388_608, 8_388_609, 9_999_999, 7_777_777]) {
      worstConsistency = Math.max(worstConsistency, nodesNeededForConsistency(size1, n).length);
    }
    expect(worstInclusion).toBeLessThanOrEqual(bound);
    expect(worstConsistency).toBeLessThanOrEqual(bound);
    expect(inclusionProofPlan(n - 1, n).length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
  });
});

describe("proofs from stored perfect-subtree hashes verify (property test)", () => {
  const MAX = 300;

  function buildStore(): { leaves: Hash[]; store: Map<string, Hash>; roots: Hash[] } {
    const leaves: Hash[] = [];
    const store = new Map<string, Hash>();
    for (let i = 0; i < MAX; i++) {
      const lh = nodeHasher.hashLeaf(randomBytes(1 + (i % 40)));
      leaves.push(lh);
      // Ingest-style: store exactly the nodes each append completes.
      for (const id of nodesCompletedByLeaf(i)) {
        const h =
          id.level === 0
            ? lh
            : nodeHasher.hashChildren(
                store.get(nodeKey({ level: id.level - 1, index: 2 * id.index }))!,
                store.get(nodeKey({ level: id.level - 1, index: 2 * id.index + 1 }))!,
              );
        store.set(nodeKey(id), h);
      }
    }
    // roots[n] = root of the first n leaves, by the RFC definition.
    const roots: Hash[] = [nodeHasher.emptyRoot()];
    for (let n = 1; n <= MAX; n++) roots.push(refMth(nodeHasher, leaves.slice(0, n)));
    return { leaves, store, roots };
  }

  const ready = buildStore();

  test("stored nodes reproduce every root", () => {
    const { store, roots, leaves } = ready;
    const lookup = (id: NodeId) => store.get(nodeKey(id));
    for (let n = 0; n <= MAX; n++) {
      expect(toHex(rootFromNodes(nodeHasher, n, lookup))).toBe(toHex(roots[n]!));
      if (n % 37 === 0) expect(toHex(rootFromLeafHashes(nodeHasher, leaves.slice(0, n)))).toBe(toHex(roots[n]!));
    }
  });

  test("inclusion proofs for every size 1..300 (all indices up to 64, sampled above)", () => {
    const { store, roots, leaves } = ready;
    const lookup = (id: NodeId) => store.get(nodeKey(id));
    const rnd = seededRandom(1);
    let checked = 0;
    for (let size = 1; size <= MAX; size++) {
      const indices = new Set<number>([0, size - 1, Math.floor(size / 2)]);
      if (size <= 64) for (let i = 0; i < size; i++) indices.add(i);
      else while (indices.size < 24) indices.add(Math.floor(rnd() * size));
      for (const index of indices) {
        const proof = assembleProof(nodeHasher, inclusionProofPlan(index, size), lookup);
        verifyInclusion(nodeHasher, index, size, leaves[index]!, proof, roots[size]!);
        expect(nodesNeededForInclusion(index, size).length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size + 1)));
        // The proof binds the index: the neighbour's leaf must not verify.
        if (size > 1) {
          const other = (index + 1) % size;
          expect(() => verifyInclusion(nodeHasher, index, size, leaves[other]!, proof, roots[size]!)).toThrow(
            ProofError,
          );
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });

  test("consistency proofs (all pairs up to 64, sampled above)", () => {
    const { store, roots } = ready;
    const lookup = (id: NodeId) => store.get(nodeKey(id));
    const rnd = seededRandom(2);
    let checked = 0;
    for (let size2 = 1; size2 <= MAX; size2++) {
      const firsts = new Set<number>([1, size2, Math.max(1, size2 - 1)]);
      if (size2 <= 64) for (let s = 1; s <= size2; s++) firsts.add(s);
      else while (firsts.size < 24) firsts.add(1 + Math.floor(rnd() * size2));
      for (const size1 of firsts) {
        const proof = assembleProof(nodeHasher, consistencyProofPlan(size1, size2), lookup);
        verifyConsistency(nodeHasher, size1, size2, proof, roots[size1]!, roots[size2]!);
        if (size1 < size2) {
          // A different old root must be rejected.
          expect(() => verifyConsistency(nodeHasher, size1, size2, proof, roots[size1 - 1] ?? nodeHasher.emptyRoot(), roots[size2]!)).toThrow(ProofError);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });

  test("subtree inclusion and subtree consistency proofs for valid subtrees", () => {
    const { store, roots, leaves } = ready;
    const lookup = (id: NodeId) => store.get(nodeKey(id));
    const rnd = seededRandom(3);
    let checked = 0;
    for (let trial = 0; trial < 1500; trial++) {
      const size = 1 + Math.floor(rnd() * MAX);
      // Random valid subtree [start, end) with end <= size.
      const width = 1 + Math.floor(rnd() * size);
      let ceil = 1;
      while (ceil < width) ceil *= 2;
      const slots = Math.floor((size - width) / ceil);
      const start = ceil * Math.floor(rnd() * (slots + 1));
      const end = start + width;
      if (end > size) continue;
      expect(isValidSubtree(start, end)).toBe(true);
      const subRoot = refMth(nodeHasher, leaves.slice(start, end));

      const index = start + Math.floor(rnd() * width);
      const inc = assembleProof(nodeHasher, subtreeInclusionProofPlan(index, start, end), lookup);
      verifySubtreeInclusion(nodeHasher, index, start, end, leaves[index]!, inc, subRoot);

      const cons = assembleProof(nodeHasher, subtreeConsistencyProofPlan(start, end, size), lookup);
      verifySubtreeConsistency(nodeHasher, start, end, size, cons, subRoot, roots[size]!);
      if (!(start === 0 && end === size)) {
        const wrong = refMth(nodeHasher, leaves.slice(start, end - 1 > start ? end - 1 : end + 1));
        expect(() => verifySubtreeConsistency(nodeHasher, start, end, size, cons, wrong, roots[size]!)).toThrow(ProofError);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(500);
  });

  test("subtree consistency with start = 0 is the RFC 9162 consistency proof", () => {
    for (let size = 2; size <= 40; size++) {
      for (let end = 1; end < size; end++) {
        expect(subtreeConsistencyProofPlan(0, end, size)).toEqual(consistencyProofPlan(end, size));
      }
    }
  });
});

describe("verifier input handling", () => {
  test("assembleProof reports a missing stored node", () => {
    expect(() => assembleProof(portableHasher, inclusionProofPlan(1, 5), () => undefined)).toThrow(
      /missing stored node/,
    );
  });

  test("rejects wrong proof lengths, non-32-byte elements and bad sizes with ProofError", () => {
    const leaves = [1, 2, 3, 4, 5].map((i) => portableHasher.hashLeaf(new Uint8Array([i])));
    const root = rootFromLeafHashes(portableHasher, leaves);
    const plan = inclusionProofPlan(1, 5);
    const good = plan.map((s) => refMth(portableHasher, leaves.slice(s.start, s.end)));
    verifyInclusion(portableHasher, 1, 5, leaves[1]!, good, root);
    expect(toHex(rootFromInclusionProof(portableHasher, 1n, 5n, leaves[1]!, good))).toBe(toHex(root));

    expect(() => verifyInclusion(portableHasher, 1, 5, leaves[1]!, good.slice(1), root)).toThrow(/length/);
    expect(() => verifyInclusion(portableHasher, 1, 5, leaves[1]!, [good[0]!.slice(1), ...good.slice(1)], root)).toThrow(/bytes/);
    expect(() => verifyInclusion(portableHasher, -1, 5, leaves[1]!, good, root)).toThrow(ProofError);
    expect(() => verifyInclusion(portableHasher, 1.5, 5, leaves[1]!, good, root)).toThrow(ProofError);
    expect(() => verifyInclusion(portableHasher, 1, 2n ** 64n, leaves[1]!, good, root)).toThrow(ProofError);
    expect(() => verifyInclusion(portableHasher, 5, 5, leaves[1]!, good, root)).toThrow(/beyond/);
    expect(() => verifyInclusion(portableHasher, 1, 5, leaves[1]!, good, leaves[0]!)).toThrow(/does not match/);
  });

  test("misaligned subtrees are rejected before any hashing", () => {
    const h = portableHasher.emptyRoot();
    for (const [start, end] of [
      [1, 3],
      [2, 5],
      [2, 6],
      [1, 15],
    ] as const) {
      expect(() => verifySubtreeConsistency(portableHasher, start, end, 16, [h], h, h)).toThrow(/invalid subtree/);
      expect(() => verifySubtreeInclusion(portableHasher, start, start, end, h, [h], h)).toThrow(/invalid subtree/);
    }
    expect(() => verifySubtreeInclusion(portableHasher, 1n, 1n, 2n ** 63n + 2n, h, [], h)).toThrow(/2\^63/);
    expect(() => subtreeConsistencyProofPlan(2, 6, 8)).toThrow(ProofError);
    expect(() => subtreeInclusionProofPlan(2, 2, 5)).toThrow(ProofError);
  });
});
