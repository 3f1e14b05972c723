import "server-only";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows } from "../../../db/client";
import { bigintColumn } from "../../../db/rows/columns";
import { DECISION_COUNT_TABLES, type CountGrain } from "../../../db/queries/decision-counts";
import { DECISION_COUNT_DIMENSION_COLUMNS } from "../../../db/schema/decision-counts-columns";
import type { VerifyRun } from "./verify-run";

/**
 * The decision counts (rollups, migration 0009) against a recount of the decision rows. The
 * counts are kept by triggers, not hashed: what could make them differ is a write that
 * bypassed the triggers (a statement against one partition, a dropped partition without
 * decision_counts_forget_partition, disabled triggers) or an edit of the count tables. The
 * records and hashes are unaffected; the explorer's histogram and counts would be wrong.
 * Reported as findings, never thrown. One statement per grain, so the counts and the rows
 * are read in one snapshot (appends running meanwhile move both or neither).
 */

const GRAINS: CountGrain[] = ["hour", "day"];
/** Buckets named in a finding's message (the total number is always given). */
const NAMED = 5;

const differenceRow = z.object({ bucket: z.string(), counted: bigintColumn, recorded: bigintColumn, total: bigintColumn });

export async function reportCountDifferences(run: VerifyRun): Promise<void> {
  for (const grain of GRAINS) {
    const table = DECISION_COUNT_TABLES[grain];
    const dims = DECISION_COUNT_DIMENSION_COLUMNS.join(", ");
    const rows = await queryRows(
      run.db,
      sql`select to_char(s.bucket at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') as bucket, sum(s.counted) as counted, sum(s.recorded) as recorded,
                 count(*) over () as total
          from (
            select bucket, ${sql.raw(dims)}, n as counted, 0::bigint as recorded from ${sql.raw(table)}
            union all
            select date_trunc(${grain}, occurred_at, 'UTC'), ${sql.raw(dims)}, 0::bigint, count(*) from decisions group by ${sql.raw(groupByPositions())}
          ) s
          group by s.bucket, ${sql.raw(DECISION_COUNT_DIMENSION_COLUMNS.map((c) => `s.${c}`).join(", "))}
          having sum(s.counted) <> sum(s.recorded)
          order by s.bucket
          limit ${NAMED}`,
      differenceRow,
    );
    if (rows.length === 0) continue;
    // Buckets and numbers only, never the dimension values of a combination.
    run.findings.report({
      class: "modified_record",
      message:
        `the ${grain === "hour" ? "hourly" : "daily"} decision counts (${table}) disagree with the decision rows for ${rows[0]!.total} combination(s) of bucket and filter values, ` +
        `first: ${rows.map((r) => `${r.bucket} counted ${r.counted}, rows ${r.recorded}`).join("; ")}. ` +
        "The records and their hashes are not affected; the explorer's histogram and counts are wrong there until the counts are rebuilt",
    });
  }
}

/** "1, 2, …, 8": the bucket and the dimensions, as GROUP BY positions. */
function groupByPositions(): string {
  return Array.from({ length: DECISION_COUNT_DIMENSION_COLUMNS.length + 1 }, (_, i) => String(i + 1)).join(", ");
}
