import { sql } from "drizzle-orm";
import { index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/**
 * One data key per data subject (docs/privacy.md): every opening about the subject is sealed
 * under it, wrapped by the key-encryption key, which lives outside the database. The subject
 * is named only by its blind index (HMAC), never in plaintext.
 *
 * Erasure is the one change a row may see (the migration's trigger refuses any other): the
 * wrapped key becomes null and erased_at is set. A subject written to after its erasure gets
 * a new key, so at most one key per subject is active.
 */
export const personalDataKeys = pgTable(
  "personal_data_keys",
  {
    id: uuid("id").primaryKey(),
    subjectIndex: text("subject_index").notNull(),
    /** serializeWrappedDataKey(...) while active; null once erased. */
    wrappedKey: text("wrapped_key"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    erasedAt: timestamp("erased_at", { withTimezone: true }),
    erasureRequestId: uuid("erasure_request_id"),
  },
  (t) => [
    uniqueIndex("personal_data_keys_active_subject_idx").on(t.subjectIndex).where(sql`${t.erasedAt} is null`),
    index("personal_data_keys_subject_idx").on(t.subjectIndex),
  ],
);
