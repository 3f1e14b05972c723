/**
 * What a decision query filters and sorts on, independent of where the values came from:
 * the explorer's URL state (lib/search-params), an export request or the CLI all produce a
 * DecisionFilters, and db/queries/decisions.ts turns one into SQL. Plain data, no imports
 * of the URL-state library or the database.
 */
import type { ActorType, HumanReview } from "../ledger/xapi/actor-type";

export const SORT_KEYS = ["occurredAt", "confidence", "latencyMs"] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const SORT_DIRECTIONS = ["desc", "asc"] as const;
export type SortDirection = (typeof SORT_DIRECTIONS)[number];

/**
 * A keyset position: the sort value and seq of the row next to which a page starts.
 * `dir: "after"` reads onwards (next page), `"before"` reads backwards (previous page).
 * The sort key is part of the cursor so a cursor never applies to a different order.
 * `value` is text for timestamps (microsecond precision, as Postgres prints it) and a
 * number for confidence and latency.
 */
export interface DecisionCursor {
  dir: "after" | "before";
  sort: SortKey;
  value: string | number;
  seq: number;
}

/** What a decision query filters on. Time is the decision time (occurred_at), [from, to). */
export interface DecisionFilters {
  from: Date | null;
  to: Date | null;
  entityType: string | null;
  entityId: string | null;
  entityMatch: "exact" | "prefix";
  actorTypes: ActorType[];
  aiSystems: string[];
  modelVersions: string[];
  verbs: string[];
  outcomes: string[];
  humanReview: HumanReview[];
  sessionId: string | null;
  confidenceMin: number | null;
  confidenceMax: number | null;
  text: string | null;
  /**
   * Decisions about a person: the blind indexes (hex HMACs, lib/privacy/blind-index.ts) an
   * identifier typed by an officer may be stored under in personal_data_lookups. The HMACs,
   * not the identifier, because the database layer may not hold the index key, and so that
   * what is logged and passed around is never the identifier itself. Absent or empty: no
   * person filter. Left out of noDecisionFilters() so exports' stored filters stay as they were.
   */
  personalIdentifierIndexes?: string[];
}

/** No filter at all: every decision. A fresh object each time, so callers may change theirs. */
export function noDecisionFilters(): DecisionFilters {
  return {
    from: null,
    to: null,
    entityType: null,
    entityId: null,
    entityMatch: "exact",
    actorTypes: [],
    aiSystems: [],
    modelVersions: [],
    verbs: [],
    outcomes: [],
    humanReview: [],
    sessionId: null,
    confidenceMin: null,
    confidenceMax: null,
    text: null,
  };
}

export interface DecisionSort {
  key: SortKey;
  direction: SortDirection;
}

/**
 * The filters as a plain JSON object for the access log (only what was set). A person filter
 * appears as its blind indexes, never as the identifier typed.
 */
export function describeFiltersForLog(f: DecisionFilters): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    if (k === "entityMatch" && f.entityId === null) continue;
    out[k] = v instanceof Date ? v.toISOString() : v;
  }
  return out;
}
