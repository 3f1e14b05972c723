import { bigint, index, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";

/**
 * Exact-match search on personal identifiers without plaintext in any index: the keyed blind
 * index (HMAC-SHA-256, lib/privacy/blind-index.ts) of each identifier a record commits, and of
 * its data subject. Insert-only.
 */
export const personalDataLookups = pgTable(
  "personal_data_lookups",
  {
    blindIndex: text("blind_index").notNull(),
    recordId: uuid("record_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    /** The blind index's kind (email, phone, entity-id, …); already inside the HMAC, kept for reports. */
    kind: text("kind").notNull(),
  },
  (t) => [primaryKey({ columns: [t.blindIndex, t.recordId] }), index("personal_data_lookups_seq_idx").on(t.blindIndex, t.seq.desc())],
);
