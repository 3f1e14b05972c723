import { index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const LEGAL_HOLD_SCOPES = ["subject"] as const;
export type LegalHoldScope = (typeof LEGAL_HOLD_SCOPES)[number];

/**
 * Legal holds: while one is active (released_at null) what it covers may be neither erased
 * nor, once retention exists, expired. Today a hold covers a data subject, named by the blind
 * index of its id like everywhere else; holds by case, entity, AI system and time range come
 * with the retention work (issue: lifecycle tiers) as further scopes of this table.
 */
export const legalHolds = pgTable(
  "legal_holds",
  {
    id: uuid("id").primaryKey(),
    scope: text("scope").$type<LegalHoldScope>().notNull(),
    /** For scope "subject": the subject's blind indexes (one per kind its id may be recorded as). */
    subjectIndexes: jsonb("subject_indexes").$type<string[]>(),
    reason: text("reason").notNull(),
    placedBy: text("placed_by").notNull(),
    placedAt: timestamp("placed_at", { withTimezone: true }).notNull(),
    releasedBy: text("released_by"),
    releasedAt: timestamp("released_at", { withTimezone: true }),
  },
  // GIN, so "is any of these indexes held" (?|) is an index lookup.
  (t) => [index("legal_holds_subject_idx").using("gin", t.subjectIndexes)],
);
