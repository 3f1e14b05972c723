import { bigint, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * The openings (value and salt) of the commitments in decision statements, each sealed with
 * AES-256-GCM under its subject's data key (lib/privacy/opening-encryption.ts), bound to
 * (ref, record id, pointer). Insert-only: erasing a subject destroys its key, not these rows,
 * which from then on are ciphertext nobody can open.
 */
export const personalDataOpenings = pgTable(
  "personal_data_openings",
  {
    /** The commitment's reference (pd:v1:<ref>:…). */
    ref: uuid("ref").primaryKey(),
    recordId: uuid("record_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    /** RFC 6901 pointer to the field holding the commitment. */
    pointer: text("pointer").notNull(),
    /** Why it was committed: a profile rule or the kind of identifier detected. */
    kind: text("kind").notNull(),
    keyId: uuid("key_id").notNull(),
    sealed: text("sealed").notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("personal_data_openings_record_idx").on(t.recordId), index("personal_data_openings_key_idx").on(t.keyId)],
);
