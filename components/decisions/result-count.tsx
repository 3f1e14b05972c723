import { countDecisions } from "@/db/queries/decisions";
import type { DecisionFilters } from "@/lib/filters/decision-filters";
import { getRuntime } from "@/lib/server/runtime";

/**
 * "1,234 decisions" / "More than 10,000 decisions". Streams in after the rows (Suspense in
 * the page): an honest count can take longer than a page of rows for broad filters, and
 * the rows should not wait for it.
 */
export async function ResultCount({ filters }: { filters: DecisionFilters }) {
  const { readDb: db } = await getRuntime();
  const count = await countDecisions(db, filters);
  const n = count.count.toLocaleString("en-GB");
  return (
    <>
      <span data-testid="result-count">{count.capped ? `More than ${n}` : n}</span> {count.count === 1 && !count.capped ? "decision" : "decisions"}
    </>
  );
}

export function ResultCountFallback() {
  return <span className="text-slate-600">Counting decisions…</span>;
}
