/**
 * The decision explorer's URL state: every filter, the sort, the page cursor and the hidden
 * columns. ONE set of nuqs parsers, used by the server page (`loadDecisionsSearchParams`)
 * and by the client controls (`useQueryStates(decisionsSearchParams)`), so a link, a reload
 * and back/forward all show exactly the same view. Nothing here is copied into React state.
 *
 * Imported from "nuqs/server" on purpose: that entry holds no hooks, so this module is safe
 * in server components, route handlers, tests and the browser alike.
 */
import {
  createLoader,
  createParser,
  createSerializer,
  parseAsArrayOf,
  parseAsFloat,
  parseAsIsoDateTime,
  parseAsNumberLiteral,
  parseAsString,
  parseAsStringLiteral,
  type inferParserType,
} from "nuqs/server";
import { ACTOR_TYPES, HUMAN_REVIEW_VALUES, type ActorType } from "../ledger/xapi/actor-type";
import {
  SORT_DIRECTIONS,
  SORT_KEYS,
  type DecisionCursor,
  type DecisionFilters,
  type DecisionSort,
  type SortKey,
} from "../filters/decision-filters";

export const TIME_PRESETS = {
  "24h": { label: "Last 24 hours", ms: 24 * 3600_000 },
  "7d": { label: "Last 7 days", ms: 7 * 24 * 3600_000 },
  "30d": { label: "Last 30 days", ms: 30 * 24 * 3600_000 },
  "90d": { label: "Last 90 days", ms: 90 * 24 * 3600_000 },
} as const;
export type TimePreset = keyof typeof TIME_PRESETS;
export const TIME_PRESET_KEYS = Object.keys(TIME_PRESETS) as TimePreset[];

export const ACTOR_TYPE_VALUES = ACTOR_TYPES.map((t) => t.value) as ActorType[];

export const PAGE_SIZES = [25, 50, 100] as const;
export const MAX_TEXT_LENGTH = 200;
/** Longest identifier the person filter takes; a longer one is no identifier and is ignored. */
export const MAX_PERSONAL_IDENTIFIER_LENGTH = 200;

function toBase64Url(text: string): string {
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function fromBase64Url(text: string): string {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
}

const TIMESTAMP_TEXT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

export function encodeCursor(c: DecisionCursor): string {
  return toBase64Url(JSON.stringify([c.dir === "after" ? "a" : "b", c.sort, c.value, c.seq]));
}

/** Parses a cursor from the URL; anything malformed is null (the first page), never an error. */
export function decodeCursor(text: string): DecisionCursor | null {
  if (text.length === 0 || text.length > 200) return null;
  try {
    const v: unknown = JSON.parse(fromBase64Url(text));
    if (!Array.isArray(v) || v.length !== 4) return null;
    const [d, sort, value, seq] = v as unknown[];
    if ((d !== "a" && d !== "b") || !SORT_KEYS.includes(sort as SortKey)) return null;
    if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) return null;
    if (sort === "occurredAt") {
      if (typeof value !== "string" || !TIMESTAMP_TEXT_RE.test(value)) return null;
    } else if (typeof value !== "number" || !Number.isFinite(value)) {
      return null;
    }
    return { dir: d === "a" ? "after" : "before", sort: sort as SortKey, value: value as string | number, seq };
  } catch {
    return null;
  }
}

export const parseAsDecisionCursor = createParser<DecisionCursor>({
  parse: decodeCursor,
  serialize: encodeCursor,
  eq: (a, b) => encodeCursor(a) === encodeCursor(b),
});

/** The parsers. Keys are the URL keys; the client sets them with shallow: false (server renders). */
export const decisionsSearchParams = {
  /** Relative window; ignored while an absolute `from`/`to` is set. */
  range: parseAsStringLiteral(TIME_PRESET_KEYS).withDefault("7d"),
  from: parseAsIsoDateTime,
  to: parseAsIsoDateTime,
  entityType: parseAsString,
  entity: parseAsString,
  entityMatch: parseAsStringLiteral(["exact", "prefix"] as const).withDefault("exact"),
  actor: parseAsArrayOf(parseAsStringLiteral(ACTOR_TYPE_VALUES)).withDefault([]),
  system: parseAsArrayOf(parseAsString).withDefault([]),
  version: parseAsArrayOf(parseAsString).withDefault([]),
  verb: parseAsArrayOf(parseAsString).withDefault([]),
  outcome: parseAsArrayOf(parseAsString).withDefault([]),
  review: parseAsArrayOf(parseAsStringLiteral(HUMAN_REVIEW_VALUES)).withDefault([]),
  session: parseAsString,
  confMin: parseAsFloat,
  confMax: parseAsFloat,
  q: parseAsString,
  /**
   * "Person or identifier": a subject id, e-mail address, phone number, IBAN… Held in the URL
   * as typed (it is the browser's own state); the server turns it into blind indexes and only
   * those are logged. Honoured only for roles with personal_data.search (the page checks).
   */
  person: parseAsString,
  sort: parseAsStringLiteral(SORT_KEYS).withDefault("occurredAt"),
  dir: parseAsStringLiteral(SORT_DIRECTIONS).withDefault("desc"),
  size: parseAsNumberLiteral(PAGE_SIZES).withDefault(50),
  cursor: parseAsDecisionCursor,
  /** Column ids hidden with the column picker. */
  hide: parseAsArrayOf(parseAsString).withDefault([]),
};

export type DecisionsSearchParams = inferParserType<typeof decisionsSearchParams>;

/** Server side: `await loadDecisionsSearchParams(props.searchParams)`; also takes a URL or URLSearchParams. */
export const loadDecisionsSearchParams = createLoader(decisionsSearchParams);

/** Builds `?…` for links (the detail page's "Back to the list", timeline links, copy link). */
export const serializeDecisionsSearchParams = createSerializer(decisionsSearchParams);

/** Keys that change the result set: changing any of them must drop the page cursor. */
export const FILTER_KEYS = [
  "range",
  "from",
  "to",
  "entityType",
  "entity",
  "entityMatch",
  "actor",
  "system",
  "version",
  "verb",
  "outcome",
  "review",
  "session",
  "confMin",
  "confMax",
  "q",
  "person",
] as const satisfies readonly (keyof DecisionsSearchParams)[];

// ---------------------------------------------------------------------------------------
// From URL state to a database query
// ---------------------------------------------------------------------------------------

export interface ResolvedDecisionQuery {
  filters: DecisionFilters;
  sort: DecisionSort;
  cursor: DecisionCursor | null;
  limit: number;
  /** Human-readable notes about input that was corrected (shown above the results). */
  notices: string[];
  /** The window as shown to the user: "preset" or "custom". */
  window: { kind: "preset"; preset: TimePreset } | { kind: "custom" };
  /**
   * The identifier typed in the person filter, trimmed, or null. NOT in `filters`: only the
   * server may turn it into blind indexes (filters.personalIdentifierIndexes), and only for a
   * role allowed to search by person.
   */
  personalIdentifier: string | null;
}

function clean(v: string | null, max = 200): string | null {
  if (v === null) return null;
  const t = v.trim();
  return t.length === 0 ? null : t.slice(0, max);
}

function uniq<T>(values: readonly T[]): T[] {
  return [...new Set(values)].slice(0, 50);
}

/**
 * Turns parsed URL state into query parameters, correcting what cannot be meant (a range
 * that ends before it starts, a confidence outside 0..1) and saying so in `notices`, so
 * bad input never becomes an error page. `now` anchors the relative presets.
 */
export function resolveDecisionQuery(p: DecisionsSearchParams, now: Date): ResolvedDecisionQuery {
  const notices: string[] = [];
  let from: Date | null;
  let to: Date | null;
  let window: ResolvedDecisionQuery["window"];
  if (p.from || p.to) {
    from = p.from;
    to = p.to;
    window = { kind: "custom" };
    if (from && to && from.getTime() > to.getTime()) {
      [from, to] = [to, from];
      notices.push("The time range ended before it started, so its start and end were swapped.");
    }
  } else {
    to = null;
    from = new Date(now.getTime() - TIME_PRESETS[p.range].ms);
    window = { kind: "preset", preset: p.range };
  }

  const clamp01 = (v: number | null, name: string): number | null => {
    if (v === null) return null;
    if (v < 0 || v > 1) notices.push(`Confidence is between 0 and 1; the ${name} ${v} was adjusted.`);
    return Math.min(1, Math.max(0, v));
  };
  let confidenceMin = clamp01(p.confMin, "minimum");
  let confidenceMax = clamp01(p.confMax, "maximum");
  if (confidenceMin !== null && confidenceMax !== null && confidenceMin > confidenceMax) {
    [confidenceMin, confidenceMax] = [confidenceMax, confidenceMin];
    notices.push("The minimum confidence was above the maximum, so they were swapped.");
  }

  let text = clean(p.q, MAX_TEXT_LENGTH + 1);
  if (text !== null && text.length > MAX_TEXT_LENGTH) {
    text = text.slice(0, MAX_TEXT_LENGTH);
    notices.push(`The search text was shortened to ${MAX_TEXT_LENGTH} characters.`);
  }

  let personalIdentifier = clean(p.person, MAX_PERSONAL_IDENTIFIER_LENGTH + 1);
  if (personalIdentifier !== null && personalIdentifier.length > MAX_PERSONAL_IDENTIFIER_LENGTH) {
    // Shortening would search for a different identifier: better none than a wrong one.
    personalIdentifier = null;
    notices.push(`The person or identifier was longer than ${MAX_PERSONAL_IDENTIFIER_LENGTH} characters and was ignored.`);
  }

  const sort: DecisionSort = { key: p.sort, direction: p.dir };
  // A cursor made for another order would start the page at a meaningless position.
  const cursor = p.cursor && p.cursor.sort === sort.key ? p.cursor : null;

  return {
    filters: {
      from,
      to,
      entityType: clean(p.entityType),
      entityId: clean(p.entity),
      entityMatch: p.entityMatch,
      actorTypes: uniq(p.actor),
      aiSystems: uniq(p.system.map((s) => s.trim()).filter(Boolean)),
      modelVersions: uniq(p.version.map((s) => s.trim()).filter(Boolean)),
      verbs: uniq(p.verb.map((s) => s.trim()).filter(Boolean)),
      outcomes: uniq(p.outcome.map((s) => s.trim()).filter(Boolean)),
      humanReview: uniq(p.review),
      sessionId: clean(p.session),
      confidenceMin,
      confidenceMax,
      text,
    },
    sort,
    cursor,
    limit: p.size,
    notices,
    window,
    personalIdentifier,
  };
}

/** Number of filters set besides the time window (for "Clear filters" and the empty state). */
export function countActiveFilters(p: DecisionsSearchParams): number {
  let n = 0;
  if (p.entityType) n++;
  if (p.entity) n++;
  for (const k of ["actor", "system", "version", "verb", "outcome", "review"] as const) if (p[k].length > 0) n++;
  if (p.session) n++;
  if (p.confMin !== null || p.confMax !== null) n++;
  if (p.q) n++;
  if (p.person) n++;
  return n;
}
