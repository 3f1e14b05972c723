import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The logs this deployment keeps. Each log has its own sequence numbers, hash chain,
 * Merkle tree and checkpoints: `decisions` (the ingest API) and `access` (the access log).
 * Append-only, like every ledger table.
 */
export const ledgerLogs = pgTable("ledger_logs", {
  id: text("id").primaryKey(),
  description: text("description").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
