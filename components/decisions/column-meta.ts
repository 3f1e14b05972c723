/**
 * Column metadata of the decisions table, kept in each column def's `meta` (tablecn style):
 * the label and description come from the column catalogue (DECISION_COLUMNS in
 * lib/ledger/xapi/decision-columns.ts), the UI-only parts (sort key, filter, hideable) are
 * given with each column def (decision-table-columns.tsx). The table, the column picker and
 * the filter bar (decision-filters.tsx) all read this meta, so a column, its filter and its
 * label cannot drift apart.
 */
import type { DecisionFilterOptions } from "@/db/queries/decisions";
import { DECISION_COLUMNS, type DecisionColumnKey } from "@/lib/ledger/xapi/decision-columns";
import { type DecisionsSearchParams } from "@/lib/search-params/decisions";
import { type SortKey } from "@/lib/filters/decision-filters";

export interface FilterOption {
  value: string;
  label: string;
  description?: string;
}

export type ColumnFilter =
  | {
      variant: "multiSelect";
      /** URL key holding the selected values. */
      param: "actor" | "system" | "version" | "verb" | "outcome" | "review";
      label: string;
      options: (o: DecisionFilterOptions) => FilterOption[];
    }
  | { variant: "text"; param: "session"; label: string; placeholder: string; hint?: string }
  | { variant: "entity"; label: string }
  | { variant: "range"; label: string; minParam: "confMin"; maxParam: "confMax"; min: number; max: number; step: number };

/** The `meta` of a column def of the decisions table. */
export interface DecisionColumnMeta {
  label: string;
  /** Shown to screen readers and as a tooltip on the header. */
  description: string;
  sortKey?: SortKey;
  /** Columns that cannot be hidden: the decision time (the link to the record). */
  hideable: boolean;
  filter?: ColumnFilter;
}

/**
 * The column def fields of the catalogue column `key`: its label as the header, the meta,
 * and sorting and hiding as the meta says (a column sorts iff it has a URL sort key).
 */
export function catalogueColumn(key: DecisionColumnKey, ui: Omit<DecisionColumnMeta, "label" | "description">) {
  const { label, description } = DECISION_COLUMNS[key];
  const meta: DecisionColumnMeta = { label, description, ...ui };
  return { header: label, meta, enableSorting: ui.sortKey !== undefined, enableHiding: ui.hideable };
}

/** Filter options that are the values themselves. */
export const valueOptions = (list: string[]): FilterOption[] => list.map((v) => ({ value: v, label: v }));

/** Hidden unless the viewer shows them with the column picker. */
export const DEFAULT_HIDDEN_COLUMNS = ["latencyMs", "sessionId"];

/**
 * Visibility from the URL: `hide` lists hidden columns. An absent `hide` means the defaults;
 * "none" is how the picker says "show everything" (an empty list would drop the key).
 */
export function hiddenColumns(params: Pick<DecisionsSearchParams, "hide">): Set<string> {
  if (params.hide.length === 0) return new Set(DEFAULT_HIDDEN_COLUMNS);
  return new Set(params.hide.filter((h) => h !== "none"));
}

export const SORT_LABELS: Record<SortKey, { desc: string; asc: string }> = {
  occurredAt: { desc: "Newest first", asc: "Oldest first" },
  confidence: { desc: "Highest confidence first", asc: "Lowest confidence first (no score first)" },
  latencyMs: { desc: "Slowest first", asc: "Fastest first (no timing first)" },
};
