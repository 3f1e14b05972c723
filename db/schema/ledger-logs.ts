import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The logs this deployment keeps. Each log has its own sequence numbers, hash chain,
 * Merkle tree and checkpoints: `decisions` (the ingest API) and `access` (the access log).
 * Append-only, like every ledger table.
 *
 * No code reads this table, so nothing references this object: its two rows are written by
 * migration 0001 and the code knows the logs by the LogId type (lib/ledger/log-id.ts). It
 * stays in the schema because drizzle-kit generates migrations from the schema: without it,
 * the next `drizzle-kit generate` would drop the table.
 */
export const ledgerLogs = pgTable("ledger_logs", {
  id: text("id").primaryKey(),
  description: text("description").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
