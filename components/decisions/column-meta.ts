/**
 * Column metadata of the decisions table: labels, which columns sort (and by which URL sort
 * key) and which filter each column offers. The table (decision-table.tsx), the column
 * picker and the filter bar (decision-filters.tsx) are all generated from this list
 * (tablecn style), so a column, its filter and its label cannot drift apart.
 */
import type { DecisionFilterOptions } from "@/db/queries/decisions";
import { ACTOR_TYPES, HUMAN_REVIEW_LABELS, HUMAN_REVIEW_VALUES } from "@/lib/ledger/xapi/actor-type";
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

export interface DecisionColumnMeta {
  id: string;
  label: string;
  /** Shown to screen readers and as a tooltip on the header. */
  description: string;
  sortKey?: SortKey;
  /** Columns that cannot be hidden: the decision time (the link to the record). */
  hideable: boolean;
  filter?: ColumnFilter;
}

const values = (list: string[]): FilterOption[] => list.map((v) => ({ value: v, label: v }));

export const DECISION_COLUMNS: DecisionColumnMeta[] = [
  { id: "occurredAt", label: "Time", description: "When the decision was made (in your time zone)", sortKey: "occurredAt", hideable: false },
  {
    id: "actorType",
    label: "Decided by",
    description: "Who made the final call: an AI alone, an AI approved by a person, a person helped by an AI, or a person",
    hideable: true,
    filter: {
      variant: "multiSelect",
      param: "actor",
      label: "Decided by",
      options: () => ACTOR_TYPES.map((t) => ({ value: t.value, label: t.label, description: t.description })),
    },
  },
  {
    id: "aiSystem",
    label: "AI system",
    description: "The AI system involved and its model version",
    hideable: true,
    filter: { variant: "multiSelect", param: "system", label: "AI system", options: (o) => values(o.aiSystems) },
  },
  {
    id: "modelVersion",
    label: "Model version",
    description: "Version of the model that produced the AI output",
    hideable: true,
    filter: {
      variant: "multiSelect",
      param: "version",
      label: "Model version",
      options: (o) => o.modelVersions.map((v) => ({ value: v.value, label: v.modelName ? `${v.value} (${v.modelName})` : v.value })),
    },
  },
  {
    id: "verb",
    label: "Decision",
    description: "What kind of decision was made (denied, approved, flagged, …)",
    hideable: true,
    filter: { variant: "multiSelect", param: "verb", label: "Decision", options: (o) => values(o.verbs) },
  },
  { id: "entity", label: "About", description: "The case the decision is about (entity type and id)", hideable: true, filter: { variant: "entity", label: "About (entity)" } },
  {
    id: "outcome",
    label: "Outcome",
    description: "The outcome code recorded with the decision",
    hideable: true,
    filter: { variant: "multiSelect", param: "outcome", label: "Outcome", options: (o) => values(o.outcomes) },
  },
  {
    id: "confidence",
    label: "Confidence",
    description: "The AI's confidence in its own output (0 to 1)",
    sortKey: "confidence",
    hideable: true,
    filter: { variant: "range", label: "Confidence", minParam: "confMin", maxParam: "confMax", min: 0, max: 1, step: 0.01 },
  },
  {
    id: "humanReview",
    label: "Human review",
    description: "Whether a person approved or overrode the AI, and who",
    hideable: true,
    filter: {
      variant: "multiSelect",
      param: "review",
      label: "Human review",
      options: () => HUMAN_REVIEW_VALUES.map((v) => ({ value: v, label: HUMAN_REVIEW_LABELS[v] })),
    },
  },
  { id: "latencyMs", label: "Latency", description: "How long the decision took, end to end", sortKey: "latencyMs", hideable: true },
  {
    id: "sessionId",
    label: "Session",
    description: "The session (conversation or case handling) the decision belongs to",
    hideable: true,
    filter: { variant: "text", param: "session", label: "Session id", placeholder: "e.g. ea53870f-…", hint: "Exact session id" },
  },
];

/** Hidden unless the viewer shows them with the column picker. */
export const DEFAULT_HIDDEN_COLUMNS = ["latencyMs", "sessionId"];

export function columnMeta(id: string): DecisionColumnMeta | undefined {
  return DECISION_COLUMNS.find((c) => c.id === id);
}

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
