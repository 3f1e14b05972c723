import { bigint, pgTable, primaryKey, smallint, text } from "drizzle-orm/pg-core";
import { bytea } from "./columns";

/**
 * Hashes of the complete (perfect) subtrees of each log's RFC 9162 Merkle tree, levels >= 1
 * (level 0 is log_entries.leaf_hash). Node (level, idx) covers leaves [idx*2^level, (idx+1)*2^level).
 * A perfect subtree never changes once complete, so rows are only ever inserted, and any
 * inclusion or consistency proof is assembled from O(log n) of them.
 *
 * Only lib/ledger-store reads and writes these rows, in raw SQL the query builder does not
 * express (one round trip for many nodes: unions with log_entries, lateral lookups per
 * range, multi-row inserts), so this object may go unreferenced by code. It stays in the
 * schema because drizzle-kit generates migrations from it.
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
