"use client";

import Link from "next/link";
import {
  columnVisibilityFeature,
  createColumnHelper,
  metaHelper,
  rowSelectionFeature,
  rowSortingFeature,
  tableFeatures,
  type useTable,
} from "@tanstack/react-table";
import type { DecisionListRow } from "@/db/queries/decisions";
import { ACTOR_TYPES, HUMAN_REVIEW_LABELS, HUMAN_REVIEW_VALUES } from "@/lib/ledger/xapi/actor-type";
import { CommittedText, holdsCommitment, plainCommittedText } from "./committed-value";
import { catalogueColumn, valueOptions, type ColumnFilter, type DecisionColumnMeta } from "./column-meta";
import { ActorTypeBadge, HumanReviewLabel, formatConfidence, formatLatency } from "./decision-badges";
import { LocalTime } from "./local-time";

/** What the cells read from the table: the list's query string, carried into detail links so "Back" keeps the view. */
interface DecisionTableMeta {
  listQuery: string;
}

export const decisionTableFeatures = tableFeatures({
  columnVisibilityFeature,
  rowSelectionFeature,
  rowSortingFeature,
  columnMeta: metaHelper<DecisionColumnMeta>(),
  tableMeta: metaHelper<DecisionTableMeta>(),
});

export type DecisionTable = ReturnType<typeof useTable<typeof decisionTableFeatures, DecisionListRow>>;

const helper = createColumnHelper<typeof decisionTableFeatures, DecisionListRow>();

/**
 * The columns of the decisions table, in display order: the row checkbox, then one column
 * per catalogue field shown (labels from the catalogue, sort key, filter and hideable in
 * `meta`). Column ids are URL state (`hide`), so they never change.
 */
export const DECISION_TABLE_COLUMNS = helper.columns([
  helper.display({
    id: "select",
    header: ({ table }) => (
      <input
        type="checkbox"
        className="size-4 rounded border-slate-400"
        aria-label="Select all decisions on this page"
        checked={table.getIsAllPageRowsSelected()}
        ref={(el) => {
          if (el) el.indeterminate = !table.getIsAllPageRowsSelected() && table.getIsSomePageRowsSelected();
        }}
        onChange={table.getToggleAllPageRowsSelectedHandler()}
      />
    ),
    cell: ({ row }) => (
      <input
        type="checkbox"
        className="size-4 rounded border-slate-400"
        aria-label={`Select decision ${row.original.verb} ${plainCommittedText(row.original.entityId ?? "")} at ${row.original.occurredAt}`}
        checked={row.getIsSelected()}
        onChange={row.getToggleSelectedHandler()}
      />
    ),
    enableSorting: false,
    enableHiding: false,
  }),
  helper.accessor("occurredAt", {
    ...catalogueColumn("occurredAt", { sortKey: "occurredAt", hideable: false }),
    cell: ({ row, table }) => (
      <Link
        href={`/decisions/${row.original.id}${table.options.meta?.listQuery ?? ""}`}
        prefetch={false}
        className="font-medium whitespace-nowrap text-sky-800 underline decoration-sky-300 underline-offset-2 hover:decoration-sky-700"
        aria-label={`Open decision: ${row.original.verb}${row.original.entityId ? ` about ${plainCommittedText(row.original.entityId)}` : ""}, ${row.original.occurredAt}`}
      >
        <LocalTime value={row.original.occurredAt} />
      </Link>
    ),
  }),
  helper.accessor("actorType", {
    ...catalogueColumn("actorType", {
      hideable: true,
      filter: {
        variant: "multiSelect",
        param: "actor",
        label: "Decided by",
        options: () => ACTOR_TYPES.map((t) => ({ value: t.value, label: t.label, description: t.description })),
      },
    }),
    cell: ({ getValue }) => <ActorTypeBadge actorType={getValue()} />,
  }),
  helper.accessor("aiSystem", {
    ...catalogueColumn("aiSystem", {
      hideable: true,
      filter: { variant: "multiSelect", param: "system", label: "AI system", options: (o) => valueOptions(o.aiSystems) },
    }),
    cell: ({ row }) =>
      row.original.aiSystem ? (
        <span>
          {row.original.aiSystem}
          {row.original.modelName ? <span className="block text-xs text-slate-600">{row.original.modelName}</span> : null}
        </span>
      ) : (
        <span className="text-slate-600">No AI</span>
      ),
  }),
  helper.accessor("modelVersion", {
    ...catalogueColumn("modelVersion", {
      hideable: true,
      filter: {
        variant: "multiSelect",
        param: "version",
        label: "Model version",
        options: (o) => o.modelVersions.map((v) => ({ value: v.value, label: v.modelName ? `${v.value} (${v.modelName})` : v.value })),
      },
    }),
    cell: ({ getValue }) => <span className="font-mono text-xs">{getValue() ?? "—"}</span>,
  }),
  helper.accessor("verb", {
    ...catalogueColumn("verb", {
      hideable: true,
      filter: { variant: "multiSelect", param: "verb", label: "Decision", options: (o) => valueOptions(o.verbs) },
    }),
    cell: ({ getValue }) => <span className="font-medium">{getValue()}</span>,
  }),
  helper.accessor((r) => r.entityId, {
    id: "entity",
    ...catalogueColumn("entityId", { hideable: true, filter: { variant: "entity", label: "About (entity)" } }),
    cell: ({ row }) => (
      <span>
        {row.original.entityId !== null && holdsCommitment(row.original.entityId) ? (
          <CommittedText text={row.original.entityId} />
        ) : (
          <span className="font-mono text-xs whitespace-nowrap">{row.original.entityId ?? "—"}</span>
        )}
        {row.original.entityType ? <span className="block text-xs text-slate-600">{row.original.entityType}</span> : null}
      </span>
    ),
  }),
  helper.accessor("outcome", {
    ...catalogueColumn("outcome", {
      hideable: true,
      filter: { variant: "multiSelect", param: "outcome", label: "Outcome", options: (o) => valueOptions(o.outcomes) },
    }),
    cell: ({ row }) => (
      <span>
        {row.original.outcome ?? "—"}
        {row.original.errorState ? <span className="ml-1 rounded bg-red-50 px-1 text-xs font-medium text-red-800 ring-1 ring-red-300">error</span> : null}
      </span>
    ),
  }),
  helper.accessor("confidence", {
    ...catalogueColumn("confidence", {
      sortKey: "confidence",
      hideable: true,
      filter: { variant: "range", label: "Confidence", minParam: "confMin", maxParam: "confMax", min: 0, max: 1, step: 0.01 },
    }),
    cell: ({ getValue }) => <span className="tabular-nums">{formatConfidence(getValue())}</span>,
  }),
  helper.accessor("humanReview", {
    ...catalogueColumn("humanReview", {
      hideable: true,
      filter: {
        variant: "multiSelect",
        param: "review",
        label: "Human review",
        options: () => HUMAN_REVIEW_VALUES.map((v) => ({ value: v, label: HUMAN_REVIEW_LABELS[v] })),
      },
    }),
    // A reviewer's name that is (or holds) a commitment is shown as the placeholder text, never as hex.
    cell: ({ row }) => {
      const name = row.original.reviewerName;
      return <HumanReviewLabel review={row.original.humanReview} reviewerName={name !== null && holdsCommitment(name) ? plainCommittedText(name) : name} />;
    },
  }),
  helper.accessor("latencyMs", {
    ...catalogueColumn("latencyMs", { sortKey: "latencyMs", hideable: true }),
    cell: ({ getValue }) => <span className="tabular-nums">{formatLatency(getValue())}</span>,
  }),
  helper.accessor("sessionId", {
    ...catalogueColumn("sessionId", {
      hideable: true,
      filter: { variant: "text", param: "session", label: "Session id", placeholder: "e.g. ea53870f-…", hint: "Exact session id" },
    }),
    cell: ({ getValue }) => <span className="font-mono text-xs break-all">{getValue() ?? "—"}</span>,
  }),
]);

/** The filters the columns offer, in column order (tablecn: the filter bar is generated from the column meta). */
export const DECISION_COLUMN_FILTERS: ColumnFilter[] = DECISION_TABLE_COLUMNS.flatMap((c) => (c.meta?.filter ? [c.meta.filter] : []));
