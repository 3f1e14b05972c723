import { decisionCountsTable } from "./decision-counts-columns";

/** Decisions per UTC hour of occurred_at and dimension combination (db/schema/decision-counts-columns.ts). */
export const decisionCountsHourly = decisionCountsTable("decision_counts_hourly");
