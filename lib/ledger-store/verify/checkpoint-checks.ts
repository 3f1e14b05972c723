import "server-only";
import { binHashToHex, nodeBinaryBackend, nodeHasher, type BinHash } from "../../hash/node-sha256";
import { toHex } from "../../ledger/bytes";
import { verifyConsistency } from "../../ledger/merkle";
import { readConsistencyProof } from "../merkle-store";
import type { CheckedCheckpoint } from "./checkpoint-notes";
import type { TreeCheck } from "./tree-check";
import type { VerifyRun } from "./verify-run";

// The signed half of the verification, after the stream: the rebuilt tree's roots against
// the signed ones, stored Merkle nodes against the verified leaves, consecutive checkpoints
// against each other, and the database's checkpoints against the external store.

export interface RootMismatch {
  size: number;
  checkpoint: CheckedCheckpoint;
  actual: BinHash;
}

/** The rebuilt roots against every valid checkpoint of their size. */
export function compareSignedRoots(tree: TreeCheck, valid: CheckedCheckpoint[]): { rootMismatches: RootMismatch[]; matched: Set<number> } {
  const rootMismatches: RootMismatch[] = [];
  const matched = new Set<number>();
  for (const size of tree.checkSizes) {
    const actual = tree.roots.get(size);
    if (!actual) continue;
    let ok = true;
    for (const c of valid) {
      if (c.size !== size || !c.root) continue;
      if (nodeBinaryBackend.fromBytes(c.root) !== actual) {
        ok = false;
        rootMismatches.push({ size, checkpoint: c, actual });
      }
    }
    if (ok) matched.add(size);
  }
  return { rootMismatches, matched };
}

/**
 * The first signed root the database no longer produces, unless a structural failure before
 * it already explains the difference (holes, insertions and swaps shift the tree).
 */
export async function reportRewrittenHistory(
  run: VerifyRun,
  tree: TreeCheck,
  rootMismatches: RootMismatch[],
  matched: Set<number>,
  entryIdAt: (seq: number) => Promise<string | undefined>,
): Promise<void> {
  const firstReportable = rootMismatches.find((m) => m.size <= run.findings.firstStructural);
  if (!firstReportable) return;
  const { size, checkpoint, actual } = firstReportable;
  let lo = run.range.fromSeq;
  for (const n of matched) if (n < size) lo = Math.max(lo, n);
  // Stored nodes that no longer match the leaves localise the change, when they were left alone.
  const evidence = tree.nodeMismatches.find((n) => n.index * 2 ** n.level + 2 ** n.level > lo && n.index * 2 ** n.level < size);
  const seq = evidence ? Math.max(lo, evidence.index * 2 ** evidence.level) : lo;
  const last = evidence ? Math.min(size - 1, (evidence.index + 1) * 2 ** evidence.level - 1) : size - 1;
  const later = new Set(rootMismatches.filter((m) => m.size > size).map((m) => m.size)).size;
  run.findings.report({
    class: "rewritten_history",
    seq,
    statementId: await entryIdAt(seq),
    toSeq: last,
    checkpointSize: size,
    source: checkpoint.source,
    message:
      `the database no longer produces the signed root of checkpoint ${size} (${checkpoint.source === "external" ? "external store" : "database"}), ` +
      `although its own hashes agree: records were changed and their hashes recomputed, ` +
      (seq === last ? `at seq ${seq}` : `somewhere in seqs ${seq}-${last}`) +
      (later > 0 ? `; ${later} later checkpoint(s) do not match either` : ""),
    expected: toHex(checkpoint.root!),
    actual: binHashToHex(actual),
  });
}

/** Stored Merkle nodes that disagree with the verified leaves while the signed roots agree. */
export async function reportNodeMismatches(
  run: VerifyRun,
  tree: TreeCheck,
  rootMismatches: RootMismatch[],
  signedSize: number,
  entryIdAt: (seq: number) => Promise<string | undefined>,
): Promise<void> {
  const mismatchedSizes = rootMismatches.map((m) => m.size);
  for (const n of tree.nodeMismatches) {
    const first = n.index * 2 ** n.level;
    const end = first + 2 ** n.level;
    if (run.findings.firstStructural < end) continue;
    const covering = tree.checkSizes.find((s) => s >= end && tree.roots.has(s));
    if (covering !== undefined && mismatchedSizes.includes(covering)) continue; // evidence of a rewrite, reported above
    if (!n.actual && first >= signedSize) {
      run.findings.report({
        class: "inserted_record",
        seq: end - 1,
        statementId: await entryIdAt(end - 1),
        message: `seqs ${first}-${end - 1} were not written by the ledger: their Merkle node (level ${n.level}, index ${n.index}) was never stored, and no signed checkpoint covers them`,
      });
    } else {
      run.findings.report({
        class: "modified_hash",
        seq: first,
        toSeq: end - 1,
        message: n.actual
          ? `stored Merkle node (level ${n.level}, index ${n.index}) over seqs ${first}-${end - 1} was altered; proofs served from it would fail`
          : `stored Merkle node (level ${n.level}, index ${n.index}) over seqs ${first}-${end - 1} is missing`,
        expected: binHashToHex(n.expected),
        actual: n.actual ? binHashToHex(n.actual) : undefined,
      });
    }
  }
}

/** Consecutive database checkpoints must be consistent (proofs served from the stored nodes). */
export async function checkConsecutiveCheckpoints(
  run: VerifyRun,
  dbCheckpoints: CheckedCheckpoint[],
  logSize: number,
  rootMismatches: RootMismatch[],
  matched: Set<number>,
): Promise<void> {
  const { fromSeq, toSeq } = run.range;
  const dbValid = dbCheckpoints.filter((c) => c.valid && c.size <= logSize && c.size >= fromSeq && c.size <= toSeq + 1);
  for (let i = 1; i < dbValid.length; i++) {
    const a = dbValid[i - 1]!;
    const b = dbValid[i]!;
    if (a.size === b.size || a.size === 0) continue;
    try {
      const proof = await readConsistencyProof(run.db, run.logId, a.size, b.size);
      verifyConsistency(nodeHasher, a.size, b.size, proof, a.root!, b.root!);
    } catch (error) {
      const bothReproduced = matched.has(a.size) && matched.has(b.size);
      if (bothReproduced ? run.findings.nodeProblems : rootMismatches.length > 0 || run.findings.firstStructural < b.size) continue;
      run.findings.report({
        class: bothReproduced ? "modified_hash" : "rewritten_history",
        checkpointSize: b.size,
        source: "database",
        message: bothReproduced
          ? `the consistency proof from checkpoint ${a.size} to ${b.size} assembled from the stored Merkle nodes does not verify (${(error as Error).message})`
          : `checkpoints ${a.size} and ${b.size} are not consistent with each other: the signed history forks (${(error as Error).message})`,
      });
    }
  }
}

/** The database's checkpoints against the external store's: each must be in both. */
export function compareWithExternalStore(
  run: VerifyRun,
  dbCheckpoints: CheckedCheckpoint[],
  external: CheckedCheckpoint[],
  logSize: number,
  tree: TreeCheck,
  matched: Set<number>,
): void {
  const externalSizes = new Map(external.filter((c) => c.valid).map((c) => [c.size, c]));
  const databaseSizes = new Set(dbCheckpoints.map((c) => c.size));
  for (const c of dbCheckpoints) {
    if (c.valid && !externalSizes.has(c.size)) {
      run.findings.report({
        class: "inserted_record",
        checkpointSize: c.size,
        source: "database",
        message: `checkpoint ${c.size} is in the database but not in the external store (${run.opts.externalStore?.description}): the checkpointer always writes there first, so it was added by someone else`,
      });
    }
  }
  for (const c of externalSizes.values()) {
    if (!databaseSizes.has(c.size) && c.size <= logSize && matched.has(c.size)) {
      run.warnings.push(
        `checkpoint ${c.size} is in the external store but not in the database; the log still produces its root, ` +
          "so the database row was lost (e.g. a crash after the external write) or deleted",
      );
    } else if (!databaseSizes.has(c.size) && c.size <= logSize && !tree.roots.has(c.size) && run.range.fullRun) {
      run.warnings.push(`checkpoint ${c.size} is in the external store but not in the database`);
    }
  }
}
