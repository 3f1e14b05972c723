import "server-only";
import { nodeHasher } from "../hash/node-sha256";
import type { Hash } from "../ledger/bytes";
import { nodeKey, rangeNodes, type NodeId } from "../ledger/compact-range";
import { assembleProof, consistencyProofPlan, inclusionProofPlan, rootFromNodes, type ProofStep } from "../ledger/merkle";
import { readPerfectNodes, type Queryable } from "./log-append";
import type { LogId } from "../ledger/log-id";

/**
 * Reads every stored node the ranges decompose into, in one round trip, and returns a
 * lookup over them for the core's proof assembly. A node that should be stored but is not
 * means the database was damaged: the lookup throws instead of letting a proof come out short.
 */
async function readStoredNodes(tx: Queryable, logId: LogId, ranges: readonly ProofStep[]): Promise<(id: NodeId) => Hash> {
  const nodes = await readPerfectNodes(tx, logId, ranges.flatMap((r) => rangeNodes(r.start, r.end)));
  return (id) => {
    const hash = nodes.get(nodeKey(id));
    if (!hash) throw new Error(`Merkle node ${nodeKey(id)} of log ${logId} is missing`);
    return hash;
  };
}

export async function readTreeRoot(tx: Queryable, logId: LogId, size: number): Promise<Uint8Array> {
  if (size === 0) return nodeHasher.emptyRoot();
  return rootFromNodes(nodeHasher, size, await readStoredNodes(tx, logId, [{ start: 0, end: size }]));
}

/** Inclusion proof of leaf `index` in the tree of `size` leaves: O(log n) node reads. */
export async function readInclusionProof(tx: Queryable, logId: LogId, index: number, size: number): Promise<Uint8Array[]> {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  const plan = inclusionProofPlan(index, size);
  return assembleProof(nodeHasher, plan, await readStoredNodes(tx, logId, plan));
}

/** Consistency proof between tree sizes size1 <= size2: O(log n) node reads. */
export async function readConsistencyProof(tx: Queryable, logId: LogId, size1: number, size2: number): Promise<Uint8Array[]> {
  if (!(size1 >= 0 && size1 <= size2)) throw new RangeError(`no consistency proof from ${size1} to ${size2}`);
  if (size1 === 0 || size1 === size2) return [];
  const plan = consistencyProofPlan(size1, size2);
  return assembleProof(nodeHasher, plan, await readStoredNodes(tx, logId, plan));
}
