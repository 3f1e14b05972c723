import { histogramDecisions } from "@/db/queries/decisions";
import type { DecisionFilters } from "@/lib/filters/decision-filters";
import { getRuntime } from "@/lib/server/runtime";
import { DecisionHistogram } from "./decision-histogram";

/**
 * Server part of the histogram: reads the buckets for the filters (the page has already
 * checked the permission and logged the search) and hands them to the chart.
 */
export async function HistogramSection({ filters, now }: { filters: DecisionFilters; now: Date }) {
  const { readDb: db } = await getRuntime();
  const histogram = await histogramDecisions(db, filters, now);
  if (!histogram) return null;
  return <DecisionHistogram histogram={histogram} />;
}

export function HistogramSkeleton() {
  return (
    <div className="h-[13.5rem] animate-pulse rounded-lg border border-slate-200 bg-white p-4 shadow-xs" role="status">
      <span className="sr-only">Loading the chart of decisions over time…</span>
    </div>
  );
}
