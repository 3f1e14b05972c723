import { bigint, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { bytea } from "./columns";

/** Signed checkpoints (C2SP tlog-checkpoint in a C2SP signed note), one per (log, tree size). */
export const checkpoints = pgTable(
  "checkpoints",
  {
    logId: text("log_id").notNull(),
    treeSize: bigint("tree_size", { mode: "number" }).notNull(),
    rootHash: bytea("root_hash").notNull(),
    keyId: text("key_id").notNull(),
    signedNote: text("signed_note").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.logId, t.treeSize] })],
);
