import "server-only";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "../../db/client";
import { bigintColumn, byteaColumn } from "../../db/rows/columns";
import { isDecisionId } from "../../db/queries/decisions";
import { toHex } from "../ledger/bytes";
import { readLatestCheckpoint } from "./create-checkpoint";
import { readInclusionProof } from "./merkle-store";

export interface DecisionProof {
  id: string;
  /** Leaf index in the decisions log. */
  seq: number;
  leafHash: string;
  chainHash: string;
  checkpoint: { treeSize: number; rootHash: string; signedNote: string; createdAt: string } | null;
  /** Hex hashes, leaf sibling first; null when the latest checkpoint does not cover the record yet. */
  proof: string[] | null;
  /** Whether the latest signed checkpoint covers this record (treeSize > seq). */
  covered: boolean;
}

const entryRow = z.object({ seq: bigintColumn, leaf_hash: byteaColumn, chain_hash: byteaColumn });

/** Inclusion proof of the decision in the latest signed checkpoint of the decisions log. */
export async function readDecisionProof(db: Db, id: string): Promise<DecisionProof | null> {
  if (!isDecisionId(id)) return null;
  const rows = await queryRows(
    db,
    sql`select e.seq, e.leaf_hash, e.chain_hash from log_entries e
        where e.log_id = 'decisions' and e.entry_id = ${id.toLowerCase()}::uuid limit 1`,
    entryRow,
  );
  const r = rows[0];
  if (!r) return null;
  const seq = r.seq;
  const checkpoint = await readLatestCheckpoint(db, "decisions");
  const covered = checkpoint !== null && checkpoint.treeSize > seq;
  const proof = covered ? (await readInclusionProof(db, "decisions", seq, checkpoint.treeSize)).map(toHex) : null;
  return {
    id: id.toLowerCase(),
    seq,
    leafHash: toHex(r.leaf_hash),
    chainHash: toHex(r.chain_hash),
    checkpoint: checkpoint
      ? {
          treeSize: checkpoint.treeSize,
          rootHash: toHex(checkpoint.rootHash),
          signedNote: checkpoint.signedNote,
          createdAt: checkpoint.createdAt.toISOString(),
        }
      : null,
    proof,
    covered,
  };
}
