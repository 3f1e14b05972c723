import { bigint, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { bytea } from "./columns";

/**
 * The sequence registry and hash chain of every log, one narrow row per record.
 *
 * Kept apart from the (partitioned) content tables on purpose: a unique index on a
 * partitioned table must include the partition key, so the global uniqueness of
 * (log, seq) and (log, entry id) is enforced here, on a plain table.
 *
 * leaf_hash = SHA-256(0x00 || canonical bytes)       (RFC 9162 §2.1.1)
 * chain_hash(n) = SHA-256(chain_hash(n-1) || leaf_hash(n)), chain_hash(-1) = 32 zero bytes
 */
export const logEntries = pgTable(
  "log_entries",
  {
    logId: text("log_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    entryId: uuid("entry_id").notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull(),
    leafHash: bytea("leaf_hash").notNull(),
    chainHash: bytea("chain_hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.logId, t.seq] }), unique("log_entries_entry_id_key").on(t.logId, t.entryId)],
);
