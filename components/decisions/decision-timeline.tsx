import Link from "next/link";
import type { DecisionListRow } from "@/db/queries/decisions";
import { ActorTypeBadge } from "./decision-badges";
import { LocalTime } from "./local-time";

/**
 * Decisions about the same entity (or in the same session) in time order, with this one
 * marked, each linked (carrying the list's filters so "Back to the list" still works).
 */
export function DecisionTimeline({
  title,
  empty,
  rows,
  truncated,
  listQuery,
  current,
  showAllHref,
}: {
  title: string;
  empty: string;
  rows: DecisionListRow[];
  truncated: boolean;
  listQuery: string;
  current: DecisionListRow;
  showAllHref: string | null;
}) {
  const all = [...rows, current].sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : a.seq - b.seq));
  return (
    <section aria-label={title} className="rounded-lg border border-slate-200 bg-white shadow-xs">
      <h2 className="border-b border-slate-200 px-4 py-3 text-sm font-semibold text-slate-900">{title}</h2>
      {rows.length === 0 ? (
        <p className="px-4 py-3 text-sm text-slate-600">{empty}</p>
      ) : (
        <ol className="relative space-y-0 px-4 py-3">
          {truncated ? <li className="pb-2 text-xs text-slate-600">Older decisions are not shown.</li> : null}
          {all.map((r) => {
            const isCurrent = r.id === current.id;
            return (
              <li key={r.id} className="border-l-2 border-slate-200 py-1.5 pl-3" aria-current={isCurrent ? "true" : undefined}>
                <div className="text-xs">
                  <LocalTime value={r.occurredAt} />
                </div>
                {isCurrent ? (
                  <p className="text-sm font-semibold text-slate-900">
                    {r.verb} <span className="font-normal text-slate-600">(this decision)</span>
                  </p>
                ) : (
                  <Link href={`/decisions/${r.id}${listQuery}`} prefetch={false} className="text-sm font-medium text-sky-800 underline decoration-sky-300 underline-offset-2">
                    {r.verb}
                    {r.outcome && r.outcome !== r.verb ? ` → ${r.outcome}` : ""}
                  </Link>
                )}
                <div className="mt-0.5">
                  <ActorTypeBadge actorType={r.actorType} />
                </div>
              </li>
            );
          })}
        </ol>
      )}
      {showAllHref && rows.length > 0 ? (
        <p className="border-t border-slate-200 px-4 py-2 text-sm">
          <Link href={showAllHref} prefetch={false} className="text-sky-800 underline">
            Show these in the list
          </Link>
        </p>
      ) : null}
    </section>
  );
}
