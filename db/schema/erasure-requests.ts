import { integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const ERASURE_STATUSES = ["pending", "rejected", "completed"] as const;
export type ErasureStatus = (typeof ERASURE_STATUSES)[number];

/**
 * Requests to erase a data subject's personal data (GDPR Art. 17): requested by one admin,
 * approved by another (four eyes). The subject is named by its blind indexes only. Every step
 * is also written to the access log; the receipt is a signed note (docs/privacy.md).
 */
export const erasureRequests = pgTable("erasure_requests", {
  id: uuid("id").primaryKey(),
  /** Blind indexes of the subject id as each kind it may have been recorded as. */
  subjectIndexes: jsonb("subject_indexes").$type<string[]>().notNull(),
  reason: text("reason").notNull(),
  status: text("status").$type<ErasureStatus>().notNull(),
  requestedBy: text("requested_by").notNull(),
  requestedAt: timestamp("requested_at", { withTimezone: true }).notNull(),
  decidedBy: text("decided_by"),
  decidedAt: timestamp("decided_at", { withTimezone: true }),
  keysErased: integer("keys_erased"),
  valuesUnreadable: integer("values_unreadable"),
  recordsAffected: integer("records_affected"),
  /** The signed erasure receipt (a C2SP signed note by the ledger key). */
  receipt: text("receipt"),
});
