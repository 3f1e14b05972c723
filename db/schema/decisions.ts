import { sql, type $Type, type NotNull } from "drizzle-orm";
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
  type PgBooleanBuilderInitial,
  type PgDoublePrecisionBuilderInitial,
  type PgIntegerBuilderInitial,
  type PgTextBuilderInitial,
  type PgTimestampBuilderInitial,
} from "drizzle-orm/pg-core";
import { bytea } from "./columns";
import { DECISION_COLUMN_ENTRIES, type DecisionColumnKey, type DecisionColumnSpec, type DECISION_COLUMNS } from "../../lib/ledger/xapi/decision-columns";

/** The drizzle builder of one catalogue column, typed from its spec so the table's row types stay exact. */
type BaseBuilder<S extends DecisionColumnSpec> = S["type"] extends "timestamp"
  ? PgTimestampBuilderInitial<S["column"]>
  : S["type"] extends "double"
    ? PgDoublePrecisionBuilderInitial<S["column"]>
    : S["type"] extends "integer"
      ? PgIntegerBuilderInitial<S["column"]>
      : S["type"] extends "boolean"
        ? PgBooleanBuilderInitial<S["column"]>
        : S extends { values: readonly (infer V)[] }
          ? $Type<PgTextBuilderInitial<S["column"], [string, ...string[]]>, V>
          : PgTextBuilderInitial<S["column"], [string, ...string[]]>;
type ColumnBuilder<S extends DecisionColumnSpec> = S["nullable"] extends true ? BaseBuilder<S> : NotNull<BaseBuilder<S>>;

type DerivedColumnBuilders = { [K in DecisionColumnKey]: ColumnBuilder<(typeof DECISION_COLUMNS)[K]> };

/** The builder a spec describes (catalogue timestamps are all timestamptz). */
function columnBuilder(spec: DecisionColumnSpec) {
  const builder =
    spec.type === "timestamp"
      ? timestamp(spec.column, { withTimezone: true })
      : spec.type === "double"
        ? doublePrecision(spec.column)
        : spec.type === "integer"
          ? integer(spec.column)
          : spec.type === "boolean"
            ? boolean(spec.column)
            : text(spec.column);
  return spec.nullable ? builder : builder.notNull();
}

/** The derived columns' builders, from the catalogue (lib/ledger/xapi/decision-columns.ts). */
function derivedColumns(): DerivedColumnBuilders {
  // `$type` (the enumerations' narrower type) exists only in the types: no call is needed.
  return Object.fromEntries(DECISION_COLUMN_ENTRIES.map(([key, spec]) => [key, columnBuilder(spec)])) as DerivedColumnBuilders;
}

/**
 * Decision records (xAPI statements). Partitioned by month of recorded_at (see the
 * migration: drizzle-kit cannot express PARTITION BY, so the generated CREATE TABLE was
 * amended by hand), so old months can be archived as whole partitions.
 *
 * `canonical` holds the exact RFC 8785 bytes that were hashed, and is the only copy of the
 * statement: a second one as jsonb (dropped in 0008) was never read, and carrying the
 * statement twice halved the insert rate (docs/benchmarks.md, "Ingest").
 * Everything else is derived from the statement for filtering: those columns are the
 * catalogue's (DECISION_COLUMNS), so the table, the derivation and every read agree.
 */
export const decisions = pgTable(
  "decisions",
  {
    seq: bigint("seq", { mode: "number" }).notNull(),
    id: uuid("id").notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull(),
    canonical: text("canonical").notNull(),
    writer: text("writer").notNull(),
    /**
     * HMAC (blind-index key) of the submitted statement without server fields, before its
     * personal values were committed: what an idempotent retry is compared by, since fresh
     * salts make the committed bytes differ on every attempt. Null for legacy records.
     */
    contentDigest: bytea("content_digest"),
    // Key order only orders drizzle's own select lists; the table's column order is the migration's.
    ...derivedColumns(),
  },
  // Explorer indexes (see db/queries/decisions.ts and docs/benchmarks.md "Explorer"). Every
  // filter the explorer offers has an index that yields rows already in the list order
  // (occurred_at desc, seq desc), so "newest 50 matching" stops after 50 index entries and
  // keyset pages (row comparison on (occurred_at, seq)) start inside the index. Indexes on
  // the partitioned parent are created on every monthly partition.
  (t) => [
    // No index on id: a lookup by id goes through log_entries' unique (log_id, entry_id) and
    // then this primary key. An index of random UUIDs cost every insert (bench:index-cost).
    primaryKey({ columns: [t.seq, t.recordedAt] }),
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
