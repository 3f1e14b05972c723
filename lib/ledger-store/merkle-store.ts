import { consistencyProofPlan, inclusionProofPlan, perfectSubtrees, type ProofStep } from "../ledger/merkle";
import { nodeHashOf } from "./hash-node";
import { frontierIds, readPerfectNodes, type LogId, type Queryable } from "./log-append";

/**
 * RFC 9162 hash of a range from the hashes of its perfect-subtree decomposition (left to
 * right): a non-perfect subtree's hash is node(n1, node(n2, ... node(n_k-1, n_k))).
 */
export function foldPerfectSubtrees(hashes: Uint8Array[]): Uint8Array {
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHashOf(hashes[i]!, acc);
  return acc;
}

const EMPTY_ROOT = Buffer.from("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "hex");

/** Fetches every node the steps need in one round trip per level group and assembles the proof. */
async function assemble(tx: Queryable, logId: LogId, steps: ProofStep[]): Promise<Uint8Array[]> {
  const perStep = steps.map((s) => perfectSubtrees(s.start, s.end));
  const ids = perStep.flat().map(({ level, index }) => ({ level, idx: index }));
  const nodes = await readPerfectNodes(tx, logId, ids);
  return perStep.map((parts) =>
    foldPerfectSubtrees(
      parts.map(({ level, index }) => {
        const h = nodes.get(`${level}:${index}`);
        if (!h) throw new Error(`Merkle node ${level}:${index} of log ${logId} is missing`);
        return h;
      }),
    ),
  );
}

export async function readTreeRoot(tx: Queryable, logId: LogId, size: number): Promise<Uint8Array> {
  if (size === 0) return EMPTY_ROOT;
  const ids = frontierIds(size);
  const nodes = await readPerfectNodes(tx, logId, ids);
  return foldPerfectSubtrees(
    ids.map(({ level, idx }) => {
      const h = nodes.get(`${level}:${idx}`);
      if (!h) throw new Error(`Merkle node ${level}:${idx} of log ${logId} is missing`);
      return h;
    }),
  );
}

/** Inclusion proof of leaf `index` in the tree of `size` leaves: O(log n) node reads. */
export async function readInclusionProof(tx: Queryable, logId: LogId, index: number, size: number): Promise<Uint8Array[]> {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  return assemble(tx, logId, inclusionProofPlan(index, size));
}

/** Consistency proof between tree sizes size1 <= size2: O(log n) node reads. */
export async function readConsistencyProof(tx: Queryable, logId: LogId, size1: number, size2: number): Promise<Uint8Array[]> {
  if (!(size1 >= 0 && size1 <= size2)) throw new RangeError(`no consistency proof from ${size1} to ${size2}`);
  if (size1 === 0 || size1 === size2) return [];
  return assemble(tx, logId, consistencyProofPlan(size1, size2));
}
