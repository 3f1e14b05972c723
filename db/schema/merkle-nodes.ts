import { bigint, pgTable, primaryKey, smallint, text } from "drizzle-orm/pg-core";
import { bytea } from "./columns";

/**
 * Hashes of the complete (perfect) subtrees of each log's RFC 9162 Merkle tree, levels >= 1
 * (level 0 is log_entries.leaf_hash). Node (level, idx) covers leaves [idx*2^level, (idx+1)*2^level).
 * A perfect subtree never changes once complete, so rows are only ever inserted, and any
 * inclusion or consistency proof is assembled from O(log n) of them.
 */
export const merkleNodes = pgTable(
  "merkle_nodes",
  {
    logId: text("log_id").notNull(),
    level: smallint("level").notNull(),
    idx: bigint("idx", { mode: "number" }).notNull(),
    hash: bytea("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.logId, t.level, t.idx] })],
);
