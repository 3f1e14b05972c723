import { decisionCountsTable } from "./decision-counts-columns";

/**
 * Decisions per UTC day of occurred_at and dimension combination: what whole-day spans of a
 * wide window read, so a year is ~365 × combinations rows instead of ~8,760 × combinations.
 */
export const decisionCountsDaily = decisionCountsTable("decision_counts_daily");
