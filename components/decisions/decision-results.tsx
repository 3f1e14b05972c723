"use client";

import Link from "next/link";
import { useState, type ReactNode } from "react";
import { useTable, type ColumnVisibilityState, type RowSelectionState, type SortingState, type Updater } from "@tanstack/react-table";
import type { DecisionListRow } from "@/db/queries/decisions";
import { Button, buttonClasses } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { controlClasses } from "@/components/ui/input";
import { EmptyState } from "@/components/ui/empty-state";
import { ExportButton } from "@/components/evidence/export-button";
import { PAGE_SIZES, encodeCursor, serializeDecisionsSearchParams } from "@/lib/search-params/decisions";
import { SORT_KEYS, type DecisionCursor, type SortKey } from "@/lib/filters/decision-filters";
import { SORT_LABELS, hiddenColumns } from "./column-meta";
import { DECISION_TABLE_COLUMNS, decisionTableFeatures, type DecisionTable } from "./decision-table-columns";
import { useExplorerState } from "./explorer-state";

export interface DecisionResultsProps {
  rows: DecisionListRow[];
  /** The result count ("1,234 decisions"), streamed by the page (result-count.tsx). */
  count: ReactNode;
  nextCursor: DecisionCursor | null;
  prevCursor: DecisionCursor | null;
  /** The list's query string without the cursor, carried into detail links so "Back" keeps the view. */
  listQuery: string;
  /** The time window as resolved by the server for this render (ISO), used by "Copy link". */
  window: { from: string | null; to: string };
  /** Filters besides time are set (for the empty state's advice). */
  filtered: boolean;
  /** The viewer may export evidence (shows the export button). */
  canExport: boolean;
  /** The viewer may include personal data in an export, with a reason (shows the choice). */
  canExportPersonalData: boolean;
  /** Called whenever the ticked rows change (ids), for a client parent that needs them. */
  onSelectionChange?: (ids: string[]) => void;
}

/**
 * The export button, except for a person filter without ticked rows: an export by filters is
 * resolved from the URL on the server without the person filter (its blind indexes are only
 * computed for the list), so it would hold every person's decisions. Ticked rows export as ticked.
 */
function ExportControl({ selectedIds, personFilter, canIncludePersonalData }: { selectedIds: string[]; personFilter: boolean; canIncludePersonalData: boolean }) {
  if (personFilter && selectedIds.length === 0) {
    return <span className="text-xs text-slate-600">To export a person&apos;s decisions, tick the rows to export.</span>;
  }
  return <ExportButton selectedIds={selectedIds} canIncludePersonalData={canIncludePersonalData} />;
}

export function DecisionResults(props: DecisionResultsProps) {
  const { rows, count, nextCursor, prevCursor, listQuery } = props;
  const { params, setParams, isPending } = useExplorerState();
  // Row selection is view state, not URL state: ticking rows is not part of a shared link.
  const [rowSelection, setRowSelection] = useState<RowSelectionState>({});
  const hidden = hiddenColumns(params);

  const sorting: SortingState = [{ id: params.sort, desc: params.dir === "desc" }];
  const columnVisibility: ColumnVisibilityState = Object.fromEntries([...hidden].map((id) => [id, false]));
  const resolve = <T,>(u: Updater<T>, old: T): T => (typeof u === "function" ? (u as (o: T) => T)(old) : u);

  const table = useTable({
    features: decisionTableFeatures,
    columns: DECISION_TABLE_COLUMNS,
    data: rows,
    meta: { listQuery },
    getRowId: (r) => r.id,
    state: { sorting, columnVisibility, rowSelection },
    manualSorting: true,
    enableMultiSort: false,
    enableSortingRemoval: false,
    onSortingChange: (u) => {
      const next = resolve(u, sorting)[0];
      if (!next || !(SORT_KEYS as readonly string[]).includes(next.id)) return;
      void setParams({ sort: next.id as SortKey, dir: next.desc ? "desc" : "asc", cursor: null });
    },
    onColumnVisibilityChange: (u) => {
      const next = resolve(u, columnVisibility);
      const hide = Object.entries(next)
        .filter(([, visible]) => visible === false)
        .map(([id]) => id);
      void setParams({ hide: hide.length > 0 ? hide : ["none"] });
    },
    onRowSelectionChange: (u) => {
      const next = resolve(u, rowSelection);
      setRowSelection(next);
      props.onSelectionChange?.(Object.keys(next).filter((k) => next[k]));
    },
  });

  const selectedIds = Object.keys(rowSelection).filter((k) => rowSelection[k]);
  const pageLink = (cursor: DecisionCursor | null) => `/decisions${serializeDecisionsSearchParams({ ...params, cursor })}`;
  const headingId = "decision-results-heading";

  return (
    <section aria-labelledby={headingId} aria-busy={isPending} data-testid="decision-results" className="rounded-lg border border-slate-200 bg-white shadow-xs">
      <div className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 px-4 py-3">
        <div>
          <h2 id={headingId} className="text-base font-semibold text-slate-900">
            {count}
          </h2>
          <p className="text-xs text-slate-600" aria-live="polite">
            {isPending ? "Updating results…" : `${SORT_LABELS[params.sort][params.dir]} · ${rows.length} on this page`}
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <label className="flex items-center gap-2 text-sm text-slate-700">
            Sort
            <select
              className={cn(controlClasses, "w-auto py-1")}
              value={`${params.sort}:${params.dir}`}
              onChange={(e) => {
                const [sort, dir] = e.currentTarget.value.split(":") as [SortKey, "asc" | "desc"];
                void setParams({ sort, dir, cursor: null });
              }}
            >
              {SORT_KEYS.flatMap((k) =>
                (["desc", "asc"] as const).map((d) => (
                  <option key={`${k}:${d}`} value={`${k}:${d}`}>
                    {SORT_LABELS[k][d]}
                  </option>
                )),
              )}
            </select>
          </label>
          <label className="flex items-center gap-2 text-sm whitespace-nowrap text-slate-700">
            Per page
            <select className={cn(controlClasses, "w-auto py-1")} value={params.size} onChange={(e) => void setParams({ size: Number(e.currentTarget.value) as (typeof PAGE_SIZES)[number], cursor: null })}>
              {PAGE_SIZES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <ColumnPicker table={table} />
          <CopyLinkButton window={props.window} />
          {/* SLOT(h7): evidence export. The button reads the filters from the URL itself and
              gets the ticked rows (ids, kept across pages) from the table's selection. */}
          {props.canExport ? <ExportControl selectedIds={selectedIds} personFilter={params.person !== null} canIncludePersonalData={props.canExportPersonalData} /> : null}
        </div>
      </div>
      {selectedIds.length > 0 ? (
        <div className="flex items-center gap-3 border-b border-slate-200 bg-sky-50 px-4 py-2 text-sm text-sky-950" role="status">
          {selectedIds.length} selected
          <Button variant="ghost" size="sm" onClick={() => table.resetRowSelection(true)}>
            Clear selection
          </Button>
        </div>
      ) : null}
      {rows.length === 0 ? (
        <EmptyState title="No decisions match these filters">
          {props.filtered ? "Remove a filter (the chips above) or " : ""}widen the time range, for example to “Last 90 days”. Free-text search matches whole words in reasons and responses.
        </EmptyState>
      ) : (
        <div className={cn("overflow-x-auto transition-opacity", isPending && "opacity-60")}>
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">Decisions matching the filters. Column headers with a button sort the list.</caption>
            <thead className="bg-slate-50">
              {table.getHeaderGroups().map((group) => (
                <tr key={group.id}>
                  {group.headers.map((header) => {
                    const meta = header.column.columnDef.meta;
                    const sorted = header.column.getIsSorted();
                    const canSort = Boolean(meta?.sortKey);
                    return (
                      <th
                        key={header.id}
                        scope="col"
                        aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : undefined}
                        title={meta?.description}
                        className="px-3 py-2.5 text-left text-xs font-semibold tracking-wide whitespace-nowrap text-slate-700 uppercase"
                      >
                        {canSort ? (
                          <button
                            type="button"
                            onClick={header.column.getToggleSortingHandler()}
                            className="inline-flex items-center gap-1 rounded-sm uppercase hover:text-slate-900"
                          >
                            <table.FlexRender header={header} />
                            <span aria-hidden="true">{sorted === "asc" ? "▲" : sorted === "desc" ? "▼" : "↕"}</span>
                            <span className="sr-only">, sort</span>
                          </button>
                        ) : (
                          <table.FlexRender header={header} />
                        )}
                      </th>
                    );
                  })}
                </tr>
              ))}
            </thead>
            <tbody className="divide-y divide-slate-100 bg-white">
              {table.getRowModel().rows.map((row) => (
                <tr
                  key={row.id}
                  className={cn("hover:bg-slate-50", row.getIsSelected() && "bg-sky-50")}
                  data-testid="decision-row"
                  data-decision-id={row.original.id}
                  data-entity-id={row.original.entityId ?? ""}
                >
                  {row.getVisibleCells().map((cell) => (
                    <td key={cell.id} className="px-3 py-2 align-top text-slate-800">
                      <table.FlexRender cell={cell} />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav aria-label="Pages" className="flex items-center justify-between gap-3 border-t border-slate-200 px-4 py-3">
        {isPending ? (
          // The cursors below belong to the results being replaced: no stale page links.
          <span className="text-xs text-slate-600">Updating…</span>
        ) : prevCursor ? (
          <Link href={pageLink(prevCursor)} scroll={false} className={buttonClasses("secondary", "sm")} rel="prev" prefetch={false}>
            ← Newer page
          </Link>
        ) : (
          <span />
        )}
        {params.cursor && !isPending ? (
          <Link href={pageLink(null)} className={buttonClasses("ghost", "sm")} prefetch={false}>
            Back to the first page
          </Link>
        ) : null}
        {isPending ? null : nextCursor ? (
          <Link href={pageLink(nextCursor)} scroll={false} className={buttonClasses("secondary", "sm")} rel="next" prefetch={false} data-cursor={encodeCursor(nextCursor)}>
            Next page →
          </Link>
        ) : (
          <span className="text-xs text-slate-600">{rows.length > 0 ? "End of the list" : ""}</span>
        )}
      </nav>
    </section>
  );
}

function ColumnPicker({ table }: { table: DecisionTable }) {
  return (
    <details className="relative">
      <summary className={cn(buttonClasses("secondary", "sm"), "cursor-pointer list-none")}>Columns</summary>
      <fieldset className="absolute right-0 z-20 mt-1 w-56 rounded-md border border-slate-200 bg-white p-3 shadow-lg">
        <legend className="sr-only">Columns to show</legend>
        <ul className="space-y-1">
          {table
            .getAllLeafColumns()
            .filter((c) => c.getCanHide())
            .map((c) => (
              <li key={c.id}>
                <label className="flex items-center gap-2 text-sm text-slate-800">
                  <input type="checkbox" className="size-4 rounded border-slate-400" checked={c.getIsVisible()} onChange={c.getToggleVisibilityHandler()} />
                  {c.columnDef.meta?.label ?? c.id}
                </label>
              </li>
            ))}
        </ul>
      </fieldset>
    </details>
  );
}

/**
 * Copies a link to exactly this view. A relative window ("last 7 days") is pinned to the
 * absolute window shown now, so a colleague opening the link later sees the same records.
 */
function CopyLinkButton({ window: win }: { window: DecisionResultsProps["window"] }) {
  const { params } = useExplorerState();
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    const pinned = params.from || params.to ? params : { ...params, from: win.from ? new Date(win.from) : null, to: new Date(win.to) };
    const url = serializeDecisionsSearchParams(`${globalThis.location.origin}/decisions`, pinned);
    try {
      await navigator.clipboard.writeText(url);
      setState("copied");
    } catch {
      globalThis.prompt("Copy this link:", url);
      setState("failed");
    }
    setTimeout(() => setState("idle"), 3000);
  };
  return (
    <>
      <Button variant="secondary" size="sm" onClick={copy} data-testid="copy-link">
        {state === "copied" ? "Link copied" : "Copy link"}
      </Button>
      <span className="sr-only" aria-live="polite">
        {state === "copied" ? "Link to this view copied. It is pinned to the time window shown now." : ""}
      </span>
    </>
  );
}
