import type { Metadata } from "next";
import type { SearchParams } from "nuqs/server";
import { Suspense } from "react";
import { Alert } from "@/components/ui/alert";
import { PageHeader } from "@/components/ui/page-header";
import { DecisionFilters } from "@/components/decisions/decision-filters";
import { DecisionResults } from "@/components/decisions/decision-results";
import { ExplorerStateProvider } from "@/components/decisions/explorer-state";
import { HistogramSection, HistogramSkeleton } from "@/components/decisions/histogram-section";
import { ResultCount, ResultCountFallback } from "@/components/decisions/result-count";
import { listDecisionFilterOptions, listDecisions } from "@/db/queries/decisions";
import { requestContext, requirePagePermission } from "@/lib/auth/guard";
import { roleHas } from "@/lib/auth/permissions";
import { appendAccessEvent } from "@/lib/ledger-store/append-access-event";
import { countActiveFilters, loadDecisionsSearchParams, resolveDecisionQuery, serializeDecisionsSearchParams } from "@/lib/search-params/decisions";
import { describeFiltersForLog } from "@/lib/filters/decision-filters";
import { getRuntime } from "@/lib/server/runtime";
import { applyPersonFilter } from "@/lib/services/personal-identifier-search";
import { filtersForAccessLog, maskDecisionRow } from "@/lib/services/reveal-personal-data";

export const metadata: Metadata = { title: "Decisions" };

/**
 * The decision explorer. All state comes from the URL (lib/search-params/decisions.ts);
 * filtering, sorting and keyset paging run in the database (db/queries/decisions.ts). Every
 * search is written to the access log before any result is read. A person filter is turned
 * into blind indexes here, on the server, and only for roles with personal_data.search; the
 * log holds those indexes, never the identifier typed.
 */
export default async function DecisionsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const user = await requirePagePermission("decisions.read");
  const params = await loadDecisionsSearchParams(searchParams);
  const now = new Date();
  const query = resolveDecisionQuery(params, now);
  const { db, readDb, personalDataKeys } = await getRuntime();
  const person = applyPersonFilter(personalDataKeys, user.role, query.filters, query.personalIdentifier);
  const filters = person.status === "applied" ? person.filters : query.filters;
  const notices = person.status === "refused" ? [...query.notices, person.notice] : query.notices;
  const { ip, userAgent } = await requestContext();
  await appendAccessEvent(db, {
    action: "decisions.search",
    outcome: "success",
    user: { id: user.id, email: user.email, role: user.role },
    target: "decisions",
    details: {
      filters: describeFiltersForLog(filtersForAccessLog(filters)),
      ...(person.status === "refused" ? { personalIdentifier: "refused: the role lacks personal_data.search" } : {}),
      sort: `${query.sort.key} ${query.sort.direction}`,
      page: query.cursor ? "later page" : "first page",
    },
    ip,
    userAgent,
  });

  // Independent reads: on Postgres they run on separate pooled connections. The count and
  // the histogram stream in afterwards (Suspense), so they never hold up the rows.
  const [page, options] = await Promise.all([
    listDecisions(readDb, { filters, sort: query.sort, cursor: query.cursor, limit: query.limit }),
    listDecisionFilterOptions(readDb),
  ]);
  const canReveal = roleHas(user.role, "decisions.reveal_personal_data");
  const canSearchPerson = roleHas(user.role, "personal_data.search");
  const listQuery = serializeDecisionsSearchParams({ ...params, cursor: null });
  // The histogram and the count stream in on their own; their key changes only with the filters.
  const histogramKey = serializeDecisionsSearchParams({ ...params, cursor: null, sort: null, dir: null, size: null, hide: null });

  return (
    <ExplorerStateProvider>
      <PageHeader
        title="Decisions"
        description="Every decision your AI systems recorded. Filter by time, case, model and outcome, open a record to see what the model saw and said, and copy a link to share exactly this view."
      />
      <div className="space-y-4">
        {notices.length > 0 ? (
          <Alert tone="warning" title="Some filters were adjusted">
            <ul className="list-disc pl-5">
              {notices.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          </Alert>
        ) : null}
        <DecisionFilters options={options} canSearchPerson={canSearchPerson} />
        <Suspense key={histogramKey} fallback={<HistogramSkeleton />}>
          <HistogramSection filters={filters} now={now} />
        </Suspense>
        <DecisionResults
          rows={page.rows.map((r) => maskDecisionRow(r, canReveal))}
          count={
            <Suspense key={histogramKey} fallback={<ResultCountFallback />}>
              <ResultCount filters={filters} />
            </Suspense>
          }
          nextCursor={page.nextCursor}
          prevCursor={page.prevCursor}
          listQuery={listQuery}
          window={{ from: filters.from?.toISOString() ?? null, to: (filters.to ?? now).toISOString() }}
          filtered={countActiveFilters(params) > 0}
          canExport={roleHas(user.role, "evidence.export")}
          canExportPersonalData={roleHas(user.role, "evidence.export_personal_data")}
        />
      </div>
    </ExplorerStateProvider>
  );
}
