import "server-only";
import { toBase64 } from "../ledger/bytes";
import { signNote } from "../ledger/signed-note";
import type { CheckpointSigner } from "../ledger-store/create-checkpoint";
import { headRange, readLogHead, type Queryable } from "../ledger-store/log-append";
import type { SubjectErasure } from "../ledger-store/erase-subject-keys";

/**
 * The signed erasure receipt (docs/privacy.md "Erasure"): a C2SP signed note by the
 * deployment's checkpoint key, so whoever trusts the ledger's checkpoints can check it with the
 * same verifier key. Its first line names the format; a checkpoint's second line is a tree
 * size, a receipt's is not, so neither can be passed off as the other.
 *
 *   decision-ledger erasure receipt v1
 *   origin <LEDGER_ORIGIN>
 *   request <request id>
 *   subject-index <blind index>          (one line per index, sorted)
 *   requested-by <email> <RFC 3339>
 *   approved-by <email> <RFC 3339>
 *   keys-erased <n>
 *   values-unreadable <n>
 *   records-affected <n>
 *   decisions-tree-size <n>
 *   decisions-root-hash <base64>
 *
 * The decisions tree is the log's head at the moment of erasure: the records whose values
 * became unreadable are in that tree, unchanged, and keep verifying against it.
 */
export const ERASURE_RECEIPT_FORMAT = "decision-ledger erasure receipt v1";

export interface ErasureReceiptInput extends SubjectErasure {
  origin: string;
  requestId: string;
  subjectIndexes: readonly string[];
  requestedBy: string;
  requestedAt: Date;
  approvedBy: string;
  approvedAt: Date;
  decisionsTreeSize: number;
  decisionsRootHash: Uint8Array;
}

/** The receipt's text (signed as it is). */
export function formatErasureReceipt(r: ErasureReceiptInput): string {
  const lines = [
    ERASURE_RECEIPT_FORMAT,
    `origin ${r.origin}`,
    `request ${r.requestId}`,
    ...[...r.subjectIndexes].sort().map((i) => `subject-index ${i}`),
    `requested-by ${r.requestedBy} ${r.requestedAt.toISOString()}`,
    `approved-by ${r.approvedBy} ${r.approvedAt.toISOString()}`,
    `keys-erased ${r.keysErased}`,
    `values-unreadable ${r.valuesUnreadable}`,
    `records-affected ${r.recordsAffected}`,
    `decisions-tree-size ${r.decisionsTreeSize}`,
    `decisions-root-hash ${toBase64(r.decisionsRootHash)}`,
  ];
  return lines.join("\n") + "\n";
}

/** The decisions log's current tree size and root, read in the caller's transaction. */
export async function readDecisionsTree(tx: Queryable): Promise<{ size: number; rootHash: Uint8Array }> {
  const head = await readLogHead(tx, "decisions");
  return { size: head.size, rootHash: headRange(head).root() };
}

/** Formats and signs the receipt with the checkpoint signer key. */
export async function signErasureReceipt(signer: CheckpointSigner, receipt: ErasureReceiptInput): Promise<string> {
  return signNote(formatErasureReceipt(receipt), signer.signerKey);
}
