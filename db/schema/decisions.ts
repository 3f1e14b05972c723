import { sql } from "drizzle-orm";
import { bigint, boolean, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Decision records (xAPI statements). Partitioned by month of recorded_at (see the
 * migration: drizzle-kit cannot express PARTITION BY, so the generated CREATE TABLE was
 * amended by hand), so old months can be archived as whole partitions.
 *
 * `canonical` holds the exact RFC 8785 bytes that were hashed; `statement` is the same
 * document as jsonb for querying only (jsonb reorders keys, it is never hashed).
 * Everything else is derived from the statement for filtering.
 */
export const decisions = pgTable(
  "decisions",
  {
    seq: bigint("seq", { mode: "number" }).notNull(),
    id: uuid("id").notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    canonical: text("canonical").notNull(),
    statement: jsonb("statement").notNull(),
    writer: text("writer").notNull(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id").notNull(),
    actorName: text("actor_name"),
    aiSystem: text("ai_system"),
    modelName: text("model_name"),
    modelVersion: text("model_version"),
    verb: text("verb").notNull(),
    entityType: text("entity_type"),
    entityId: text("entity_id"),
    outcome: text("outcome"),
    confidence: doublePrecision("confidence"),
    latencyMs: integer("latency_ms"),
    sessionId: text("session_id"),
    reviewerId: text("reviewer_id"),
    reviewerName: text("reviewer_name"),
    humanReview: text("human_review").notNull(),
    errorState: boolean("error_state").notNull(),
    searchText: text("search_text"),
  },
  // Explorer indexes (see db/queries/decisions.ts and docs/benchmarks.md "Explorer"). Every
  // filter the explorer offers has an index that yields rows already in the list order
  // (occurred_at desc, seq desc), so "newest 50 matching" stops after 50 index entries and
  // keyset pages (row comparison on (occurred_at, seq)) start inside the index. Indexes on
  // the partitioned parent are created on every monthly partition.
  (t) => [
    primaryKey({ columns: [t.seq, t.recordedAt] }),
    index("decisions_id_idx").on(t.id),
    index("decisions_occurred_at_idx").on(t.occurredAt.desc(), t.seq.desc()),
    index("decisions_entity_type_idx").on(t.entityType, t.occurredAt.desc(), t.seq.desc()),
    // text_pattern_ops: prefix matches (LIKE 'abc%') use the index whatever the collation.
    index("decisions_entity_idx").on(t.entityId.op("text_pattern_ops"), t.occurredAt.desc(), t.seq.desc()),
    index("decisions_model_idx").on(t.aiSystem, t.occurredAt.desc(), t.seq.desc()),
    index("decisions_model_version_idx").on(t.modelVersion, t.occurredAt.desc(), t.seq.desc()),
    index("decisions_actor_type_idx").on(t.actorType, t.occurredAt.desc(), t.seq.desc()),
    index("decisions_verb_idx").on(t.verb, t.occurredAt.desc(), t.seq.desc()),
    index("decisions_outcome_idx").on(t.outcome, t.occurredAt.desc(), t.seq.desc()),
    index("decisions_session_idx").on(t.sessionId, t.occurredAt.desc(), t.seq.desc()),
    index("decisions_human_review_idx").on(t.humanReview, t.occurredAt.desc(), t.seq.desc()),
    // Sort keys for "sort by confidence / latency": a missing value sorts as the lowest
    // (the same expressions are used in ORDER BY, in the keyset condition and, for confidence,
    // in the range filter). -2 is below every valid scaled score (-1..1).
    index("decisions_confidence_sort_idx").on(sql`coalesce(${t.confidence}, -2)`, t.seq),
    index("decisions_latency_sort_idx").on(sql`coalesce(${t.latencyMs}, -1)`, t.seq),
    // Free text over reason, response and output (search_text never holds personal data).
    index("decisions_search_idx").using("gin", sql`to_tsvector('english', coalesce(${t.searchText}, ''))`),
  ],
);
