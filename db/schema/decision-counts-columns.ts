import { bigint, pgTable, text, timestamp, unique } from "drizzle-orm/pg-core";
import { DECISION_COLUMNS, type DecisionColumnKey } from "../../lib/ledger/xapi/decision-columns";

/**
 * The dimensions the decision counts (rollups) are kept by: the decisions columns that the
 * explorer filters on with a list of exact values. A filter on anything else (entity id,
 * session, confidence, free text, a person) cannot be answered from the counts.
 */
export const DECISION_COUNT_DIMENSIONS = ["actorType", "aiSystem", "modelVersion", "verb", "outcome", "humanReview", "entityType"] as const satisfies readonly DecisionColumnKey[];
export type DecisionCountDimension = (typeof DECISION_COUNT_DIMENSIONS)[number];

/** The SQL column names of the dimensions, in key order (the unique key's and the triggers' order). */
export const DECISION_COUNT_DIMENSION_COLUMNS = DECISION_COUNT_DIMENSIONS.map((k) => DECISION_COLUMNS[k].column);

type DimensionBuilders = { [K in DecisionCountDimension]: ReturnType<typeof text> };

function dimensionColumns(): DimensionBuilders {
  // Same names and nullability as the decisions columns (the catalogue), so counts group exactly as rows filter.
  return Object.fromEntries(
    DECISION_COUNT_DIMENSIONS.map((k) => {
      const spec = DECISION_COLUMNS[k];
      return [k, spec.nullable ? text(spec.column) : text(spec.column).notNull()];
    }),
  ) as DimensionBuilders;
}

/**
 * A table of decision counts per UTC time bucket (`bucket` = start of the hour or day) and
 * combination of dimension values. Written only by the database (the triggers of migration
 * 0009 on `decisions`), so it moves in the same transaction as the rows it counts. Null is a
 * value like any other here (NULLS NOT DISTINCT): "no outcome" is one combination.
 */
export function decisionCountsTable<N extends string>(name: N) {
  return pgTable(
    name,
    {
      bucket: timestamp("bucket", { withTimezone: true }).notNull(),
      ...dimensionColumns(),
      n: bigint("n", { mode: "number" }).notNull(),
    },
    (t) => [
      unique(`${name}_key`)
        .on(t.bucket, ...DECISION_COUNT_DIMENSIONS.map((k) => t[k]))
        .nullsNotDistinct(),
    ],
  );
}
