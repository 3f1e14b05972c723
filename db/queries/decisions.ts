import "server-only";
/**
 * Read functions of the decision explorer (`verbEntity(db, params)`). Filtering, sorting and
 * paging all happen in the database:
 *
 *  - every filter maps onto an index that ends in (occurred_at DESC, seq DESC), see
 *    db/schema/decisions.ts, so the newest N matches are read in order and reading stops
 *    after N (no sort of the whole match set);
 *  - pages are KEYSET pages: a cursor holds the (sort value, seq) of the row a page starts
 *    next to, and the page condition is a row comparison the index can start at. seq is
 *    unique, so (value, seq) is a total order: no row is skipped or repeated between pages,
 *    however many rows arrive in the meantime;
 *  - counts and histograms over the dimension filters read the decision counts (rollups kept
 *    by the database, db/queries/decision-counts.ts) and are exact; other counts are exact
 *    up to COUNT_CAP and honest above it ("more than 10,000").
 *
 * Timestamps leave the database as text with microsecond precision (Postgres keeps µs, a
 * JS Date only ms): a cursor built from a Date could land between two rows of the same
 * millisecond and skip one.
 */
import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { executeSql, queryRows, type Db } from "../client";
import { bigintColumn, byteaColumn, numberColumn, timestampColumn } from "../rows/columns";
import { toHex } from "../../lib/ledger/bytes";
import { ACTOR_TYPES, type ActorType } from "../../lib/ledger/xapi/actor-type";
import {
  DECISION_COLUMNS,
  decisionColumnKeysWith,
  type DecisionColumnKey,
  type DecisionColumnSpec,
  type EnumeratedColumnKey,
  type ListColumnKey,
  type StoredDecisionValue,
} from "../../lib/ledger/xapi/decision-columns";
import { isUuid } from "../../lib/ledger/xapi/syntax";
import { answeredByCounts, DECISION_COUNT_TABLES, histogramGrains, splitWindow, type CountGrain, type WindowPiece } from "./decision-counts";
import type { XapiStatement } from "../../lib/ledger/xapi/types";
import type { DecisionCursor, DecisionFilters, DecisionSort, SortKey } from "../../lib/filters/decision-filters";

export const COUNT_CAP = 10_000;
export const MAX_PAGE_SIZE = 200;

/**
 * One row of the list: the catalogue's list columns (DECISION_COLUMNS `inList`), never the
 * statement itself. Timestamps (occurredAt, recordedAt) are ISO 8601 UTC with microseconds.
 */
export interface DecisionListRow extends DecisionColumnsOf<ListColumnKey, "iso-text", "checked"> {
  id: string;
  seq: number;
  recordedAt: string;
}

export interface DecisionPage {
  rows: DecisionListRow[];
  /** Cursor of the following page, or null on the last page. */
  nextCursor: DecisionCursor | null;
  /** Cursor of the preceding page, or null on the first page. */
  prevCursor: DecisionCursor | null;
}

const ts = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);

// ---------------------------------------------------------------------------------------
// The catalogue's columns (lib/ledger/xapi/decision-columns.ts) in raw SQL reads
// ---------------------------------------------------------------------------------------

type TimestampForm = "iso-text" | "date";
type EnumerationForm = "checked" | "text";

export interface DecisionColumnsReadOptions<T extends TimestampForm, E extends EnumerationForm> {
  /** Timestamps as the explorer's ISO microsecond text (see the header) or as Dates. */
  timestamps: T;
  /** Enumerated text columns (actor type, human review) checked against their values, or read as any text. */
  enumerations: E;
}

/** The columns `K` as `decisionColumnsRead` returns them: stored values, timestamps and enumerations in the form asked. */
export type DecisionColumnsOf<K extends DecisionColumnKey, T extends TimestampForm, E extends EnumerationForm> = {
  [P in K]: [E, P] extends ["text", EnumeratedColumnKey] ? string : StoredDecisionValue<P, T extends "date" ? Date : string>;
};

export interface DecisionColumnsRead<R> {
  /** The select list over the decisions table as `d` ("d.actor_type, d.actor_name, …"), named by SQL column. */
  select: SQL;
  /** zod schemas of the columns as the drivers return them, keyed by SQL column name (for z.object). */
  shape: Record<string, z.ZodType>;
  /** The columns of a row parsed with `shape`, under their DecisionColumns keys. */
  pick(row: Record<string, unknown>): R;
}

function columnSchema(spec: DecisionColumnSpec, options: DecisionColumnsReadOptions<TimestampForm, EnumerationForm>): z.ZodType {
  switch (spec.type) {
    case "timestamp":
      return options.timestamps === "iso-text" ? z.string() : timestampColumn;
    case "double":
    case "integer":
      return numberColumn;
    case "boolean":
      return z.boolean();
    case "text":
      return spec.values && options.enumerations === "checked" ? z.enum(spec.values) : z.string();
  }
}

/** Selects and parses the catalogue columns `keys` in a raw SQL read. */
export function decisionColumnsRead<K extends DecisionColumnKey, T extends TimestampForm, E extends EnumerationForm>(
  keys: readonly K[],
  options: DecisionColumnsReadOptions<T, E>,
): DecisionColumnsRead<DecisionColumnsOf<K, T, E>> {
  const specs = keys.map((key): [K, DecisionColumnSpec] => [key, DECISION_COLUMNS[key]]);
  const select = specs.map(([, { column, type }]) =>
    type === "timestamp" && options.timestamps === "iso-text" ? sql`${ts(`d.${column}`)} as ${sql.raw(column)}` : sql.raw(`d.${column}`),
  );
  return {
    select: sql.join(select, sql`, `),
    shape: Object.fromEntries(specs.map(([, spec]) => [spec.column, spec.nullable ? columnSchema(spec, options).nullable() : columnSchema(spec, options)])),
    // `shape` checked each value against its column's spec: the cast only names the result.
    pick: (row) => Object.fromEntries(specs.map(([key, spec]) => [key, row[spec.column]])) as DecisionColumnsOf<K, T, E>,
  };
}

const LIST_KEYS = decisionColumnKeysWith("inList");
const listColumnsRead = decisionColumnsRead(LIST_KEYS, { timestamps: "iso-text", enumerations: "checked" });

const LIST_COLUMNS = sql`d.id, d.seq, ${ts("d.recorded_at")} as recorded_at, ${listColumnsRead.select}`;

const actorTypeColumn = z.enum(ACTOR_TYPES.map((t) => t.value));
const textOrNull = z.string().nullable();

/** The columns LIST_COLUMNS selects, as the drivers return them. */
const listColumns = { id: z.string(), seq: bigintColumn, recorded_at: z.string(), ...listColumnsRead.shape };
type RawListRow = z.output<z.ZodObject<typeof listColumns>>;

const listRow = z.object(listColumns).transform(toListRow);

function toListRow(r: RawListRow): DecisionListRow {
  return { id: r.id, seq: r.seq, recordedAt: r.recorded_at, ...listColumnsRead.pick(r) };
}

function list(values: readonly string[]): SQL {
  return sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => "\\" + c);
}

/** The WHERE clause for a set of filters (always valid SQL, `true` when nothing is set). */
export function decisionFilterSql(f: DecisionFilters): SQL {
  const parts: SQL[] = [];
  if (f.from) parts.push(sql`d.occurred_at >= ${f.from.toISOString()}::timestamptz`);
  if (f.to) parts.push(sql`d.occurred_at < ${f.to.toISOString()}::timestamptz`);
  if (f.entityType) parts.push(sql`d.entity_type = ${f.entityType}`);
  if (f.entityId) {
    if (f.entityMatch === "prefix") {
      // The ~>=~ / ~<~ bounds are what the text_pattern_ops index starts and stops at (they
      // hold for any plan, generic or not); LIKE keeps the match exact.
      parts.push(
        sql`d.entity_id ~>=~ ${f.entityId} and d.entity_id ~<~ ${f.entityId + "\u{10FFFF}"} and d.entity_id like ${escapeLike(f.entityId) + "%"}`,
      );
    } else {
      parts.push(sql`d.entity_id = ${f.entityId}`);
    }
  }
  if (f.actorTypes.length > 0) parts.push(sql`d.actor_type in (${list(f.actorTypes)})`);
  if (f.aiSystems.length > 0) parts.push(sql`d.ai_system in (${list(f.aiSystems)})`);
  if (f.modelVersions.length > 0) parts.push(sql`d.model_version in (${list(f.modelVersions)})`);
  if (f.verbs.length > 0) parts.push(sql`d.verb in (${list(f.verbs)})`);
  if (f.outcomes.length > 0) parts.push(sql`d.outcome in (${list(f.outcomes)})`);
  if (f.humanReview.length > 0) parts.push(sql`d.human_review in (${list(f.humanReview)})`);
  if (f.sessionId) parts.push(sql`d.session_id = ${f.sessionId}`);
  if (f.confidenceMin !== null || f.confidenceMax !== null) {
    // Written on the sort-index expression so a narrow range is an index range. The lower
    // bound is at least -1 (the smallest valid score), which also excludes missing values.
    const lo = Math.max(-1, f.confidenceMin ?? -1);
    const hi = f.confidenceMax ?? 1;
    parts.push(sql`coalesce(d.confidence, ${sql.raw(String(NO_CONFIDENCE))}) between ${lo}::float8 and ${hi}::float8`);
  }
  if (f.text) {
    // Same expression as decisions_search_idx, so the GIN index applies.
    parts.push(sql`to_tsvector('english', coalesce(d.search_text, '')) @@ websearch_to_tsquery('english', ${f.text})`);
  }
  if (f.personalIdentifierIndexes && f.personalIdentifierIndexes.length > 0) parts.push(personalIdentifierSql(f.personalIdentifierIndexes));
  return parts.length === 0 ? sql`true` : sql.join(parts, sql` and `);
}

/**
 * Decisions with a lookup under any of the blind indexes: a semi-join the planner can start
 * from personal_data_lookups_seq_idx (blind_index, seq desc), a handful of index entries for
 * one person, and then probe each decision by its primary key (seq leads it); the record id
 * is matched as well so a lookup never names another record than the one it was stored for.
 */
function personalIdentifierSql(indexes: readonly string[]): SQL {
  return sql`(d.seq, d.id) in (select l.seq, l.record_id from personal_data_lookups l where l.blind_index = any(array[${list(indexes)}]::text[]))`;
}

/** Sort value of a decision without a confidence score: below every valid score (-1..1). */
export const NO_CONFIDENCE = -2;

/** Sort key expression: the same expressions as the sort indexes (missing values sort lowest). */
function sortExpr(key: SortKey): SQL {
  switch (key) {
    case "occurredAt":
      return sql.raw("d.occurred_at");
    case "confidence":
      return sql.raw(`coalesce(d.confidence, ${NO_CONFIDENCE})`);
    case "latencyMs":
      return sql.raw("coalesce(d.latency_ms, -1)");
  }
}

/**
 * ASC/DESC with the NULLS placement of the key's index. The sort keys are never null, but
 * the planner only reads an index in ORDER BY order when the NULLS placement matches too:
 * the (occurred_at DESC NULLS LAST, seq DESC NULLS LAST) indexes serve "desc nulls last"
 * forwards and "asc nulls first" backwards; the ascending coalesce() sort indexes serve
 * "asc nulls last" forwards and "desc nulls first" backwards.
 */
function orderSpec(key: SortKey, desc: boolean): string {
  if (key === "occurredAt") return desc ? "desc nulls last" : "asc nulls first";
  return desc ? "desc nulls first" : "asc nulls last";
}

function cursorValueSql(c: DecisionCursor): SQL {
  switch (c.sort) {
    case "occurredAt":
      return sql`${String(c.value)}::timestamptz`;
    case "confidence":
      return sql`${Number(c.value)}::float8`;
    case "latencyMs":
      return sql`${Math.trunc(Number(c.value))}::int`;
  }
}

function cursorOf(row: DecisionListRow, key: SortKey, dir: DecisionCursor["dir"]): DecisionCursor {
  const value = key === "occurredAt" ? row.occurredAt : key === "confidence" ? (row.confidence ?? NO_CONFIDENCE) : (row.latencyMs ?? -1);
  return { dir, sort: key, value, seq: row.seq };
}

export interface ListDecisionsParams {
  filters: DecisionFilters;
  sort: DecisionSort;
  cursor?: DecisionCursor | null;
  limit?: number;
}

interface PlannedList {
  query: SQL;
  limit: number;
  key: SortKey;
  cursor: DecisionCursor | null;
  backwards: boolean;
}

function planList(params: ListDecisionsParams): PlannedList {
  const limit = Math.min(Math.max(1, Math.trunc(params.limit ?? 50)), MAX_PAGE_SIZE);
  const { key, direction } = params.sort;
  const cursor = params.cursor && params.cursor.sort === key ? params.cursor : null;
  const backwards = cursor?.dir === "before";
  // Reading backwards = reading the opposite order from the cursor, then reversing.
  const readDesc = (direction === "desc") !== backwards;
  const order = sql.raw(orderSpec(key, readDesc));
  const expr = sortExpr(key);
  const where: SQL[] = [decisionFilterSql(params.filters)];
  if (cursor) {
    const cmp = readDesc ? sql.raw("<") : sql.raw(">");
    where.push(sql`(${expr}, d.seq) ${cmp} (${cursorValueSql(cursor)}, ${cursor.seq}::bigint)`);
  }
  const query = sql`select ${LIST_COLUMNS} from decisions d
        where ${sql.join(where, sql` and `)}
        order by ${expr} ${order}, d.seq ${order}
        limit ${limit + 1}`;
  return { query, limit, key, cursor, backwards };
}

/** The SQL listDecisions runs (for EXPLAIN in bench/explorer.ts). */
export function listDecisionsSql(params: ListDecisionsParams): SQL {
  return planList(params).query;
}

/**
 * One page of decisions matching `filters`, in `sort` order (ties broken by seq in the
 * same direction). With a cursor the page starts right after (or, for "before", ends right
 * before) the cursor row.
 */
export async function listDecisions(db: Pick<Db, "execute">, params: ListDecisionsParams): Promise<DecisionPage> {
  const { query, limit, key, cursor, backwards } = planList(params);
  const read = await queryRows(db, query, listRow);
  const more = read.length > limit;
  const rows = read.slice(0, limit);
  if (backwards) {
    rows.reverse();
    // Back at the start: show the true first page (it may hold more rows than remained).
    if (!more) return listDecisions(db, { ...params, cursor: null, limit });
    return { rows, prevCursor: cursorOf(rows[0]!, key, "before"), nextCursor: cursorOf(rows[rows.length - 1]!, key, "after") };
  }
  return {
    rows,
    nextCursor: more ? cursorOf(rows[rows.length - 1]!, key, "after") : null,
    prevCursor: cursor && rows.length > 0 ? cursorOf(rows[0]!, key, "before") : null,
  };
}

export interface DecisionCount {
  /** Exact when `capped` is false; otherwise at least this many. */
  count: number;
  capped: boolean;
}

export function countDecisionsSql(filters: DecisionFilters, cap = COUNT_CAP): SQL {
  return sql`select count(*) as n from (select 1 from decisions d where ${decisionFilterSql(filters)} limit ${cap + 1}) s`;
}

/**
 * Memory for the bitmaps of the count and histogram queries, which visit every match (up to
 * the cap). With the server default (4 MB) a bitmap over ~100k matches turns lossy and every
 * row of a lossy page is rechecked, to_tsvector recomputed included: 1.2 s instead of 0.24 s
 * for a text + 7 filters count at 1M rows. Set per transaction, never server-wide.
 */
const AGGREGATE_WORK_MEM = "32MB";

async function withAggregateMemory<T>(db: Pick<Db, "execute" | "transaction">, run: (q: Pick<Db, "execute">) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await executeSql(tx, sql.raw(`set local work_mem = '${AGGREGATE_WORK_MEM}'`));
    return run(tx);
  });
}

const countRow = z.object({ n: bigintColumn });

/**
 * Counts matches. Filters the decision counts can answer (answeredByCounts) are counted
 * exactly from them, reading O(days + hours at the edges) count rows and at most two
 * partial hours of decisions; any other filter counts rows, reading at most cap + 1 index
 * entries: exact up to the cap, "more than" above.
 */
export async function countDecisions(db: Pick<Db, "execute" | "transaction">, filters: DecisionFilters, cap = COUNT_CAP): Promise<DecisionCount> {
  if (!answeredByCounts(filters)) return countDecisionRows(db, filters, cap);
  const rows = await queryRows(db, countDecisionsFromCountsSql(filters), countRow);
  return { count: rows[0]?.n ?? 0, capped: false };
}

/** The row path of countDecisions (every filter; capped): what the counts must agree with. */
export async function countDecisionRows(db: Pick<Db, "execute" | "transaction">, filters: DecisionFilters, cap = COUNT_CAP): Promise<DecisionCount> {
  const rows = await withAggregateMemory(db, (q) => queryRows(q, countDecisionsSql(filters, cap), countRow));
  const n = rows[0]?.n ?? 0;
  return n > cap ? { count: cap, capped: true } : { count: n, capped: false };
}

/** The count from the decision counts (filters answeredByCounts only; for EXPLAIN in bench/explorer.ts too). */
export function countDecisionsFromCountsSql(filters: DecisionFilters): SQL {
  return sql`select coalesce(sum(s.n), 0) as n from (${windowPiecesSql(filters, splitWindow(filters.from, filters.to, ["hour", "day"]))}) s`;
}

/**
 * The pieces of a window (splitWindow) as one union of (t, actor_type, n): a count row's
 * bucket start and count, or a decision's time and 1. One statement, so one snapshot: the
 * counts and the rows at the edges are read as of the same moment.
 */
function windowPiecesSql(filters: DecisionFilters, pieces: WindowPiece[]): SQL {
  if (pieces.length === 0) return sql`select null::timestamptz as t, null::text as actor_type, 0::bigint as n where false`;
  // The count tables carry the dimension columns under the decisions' names, so the same
  // filter SQL (alias d) applies to them; answeredByCounts left no other filter set.
  const dimensions = decisionFilterSql({ ...filters, from: null, to: null });
  const parts = pieces.map((p) => {
    if (p.source === "rows") {
      return sql`select d.occurred_at as t, d.actor_type, 1::bigint as n from decisions d where ${decisionFilterSql({ ...filters, from: p.from, to: p.to })}`;
    }
    const bounds = [dimensions];
    if (p.from) bounds.push(sql`d.bucket >= ${p.from.toISOString()}::timestamptz`);
    if (p.to) bounds.push(sql`d.bucket < ${p.to.toISOString()}::timestamptz`);
    return sql`select d.bucket as t, d.actor_type, d.n from ${sql.raw(DECISION_COUNT_TABLES[p.source])} d where ${sql.join(bounds, sql` and `)}`;
  });
  return sql.join(parts, sql` union all `);
}

// ---------------------------------------------------------------------------------------
// Histogram
// ---------------------------------------------------------------------------------------

/** Bucket widths the histogram picks from (smallest giving at most MAX_BUCKETS bars). */
const BUCKET_SIZES_MS = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000, 7 * 86_400_000];
export const MAX_BUCKETS = 100;

export function pickBucketMs(spanMs: number): number {
  for (const size of BUCKET_SIZES_MS) if (spanMs / size <= MAX_BUCKETS) return size;
  return Math.ceil(spanMs / MAX_BUCKETS / 86_400_000) * 86_400_000;
}

export interface HistogramBucket {
  /** Bucket start, ISO 8601 UTC; the bucket is [start, start + bucketMs). */
  start: string;
  counts: Record<ActorType, number>;
  total: number;
}

export interface DecisionHistogram {
  from: string;
  to: string;
  bucketMs: number;
  buckets: HistogramBucket[];
}

/** True when no filter but the time window and the actor types is set. */
function constrainsOnlyTimeAndActor(f: DecisionFilters): boolean {
  return (
    !f.entityType &&
    !f.entityId &&
    f.aiSystems.length === 0 &&
    f.modelVersions.length === 0 &&
    f.verbs.length === 0 &&
    f.outcomes.length === 0 &&
    f.humanReview.length === 0 &&
    !f.sessionId &&
    f.confidenceMin === null &&
    f.confidenceMax === null &&
    !f.text &&
    !f.personalIdentifierIndexes?.length
  );
}

const histogramBoundsRow = z.object({ lo: textOrNull, hi: textOrNull });
// An actor type outside ACTOR_TYPES still counts in the bucket's total, under no type.
const histogramRow = z.object({ bucket: z.string(), actor_type: actorTypeColumn.nullable().catch(null), n: bigintColumn });

const emptyCounts = (): Record<ActorType, number> =>
  Object.fromEntries(ACTOR_TYPES.map((t) => [t.value, 0])) as Record<ActorType, number>;

export interface HistogramOptions {
  /**
   * Read the decision counts where they can answer (default true). false: the row path
   * always, what the counts must agree with (tests and bench/explorer.ts compare the two).
   */
  useCounts?: boolean;
}

/**
 * Decisions per time bucket for the current filters, split by actor type. Buckets tile the
 * window [from, to); empty buckets are included so the axis is honest. An open-ended window
 * is closed at the first/last matching decision.
 *
 * Buckets of an hour or more over filters the decision counts can answer read the counts
 * (O(buckets × combinations), plus at most two partial hours of rows at the window's edges;
 * see db/queries/decision-counts.ts). Finer buckets (windows up to ~50 hours) and other
 * filters read every matching row of the window.
 */
export async function histogramDecisions(
  db: Pick<Db, "execute" | "transaction">,
  filters: DecisionFilters,
  now: Date = new Date(),
  options: HistogramOptions = {},
): Promise<DecisionHistogram | null> {
  const useCounts = options.useCounts !== false && answeredByCounts(filters);
  const bounds = await histogramWindow(db, filters, now, useCounts);
  if (!bounds) return null;
  const { from, to } = bounds;
  const bucketMs = pickBucketMs(Math.max(1, to.getTime() - from.getTime()));
  // Bucket edges on round UTC multiples of the width (whole hours, midnights), so bars read
  // "06:00–09:00" rather than "06:41–09:41"; the first and last bucket may be partly outside
  // the window and only count what is inside it.
  const origin = Math.floor(from.getTime() / bucketMs) * bucketMs;
  const window = { ...filters, from, to };
  const grains = useCounts ? histogramGrains(bucketMs) : null;
  const query = grains ? histogramFromCountsSql(window, grains, bucketMs, origin) : histogramRowsSql(window, bucketMs, origin);
  const rows = await withAggregateMemory(db, (q) => queryRows(q, query, histogramRow));
  const n = Math.max(1, Math.ceil((to.getTime() - origin) / bucketMs));
  const buckets: HistogramBucket[] = Array.from({ length: n }, (_, i) => ({
    start: new Date(origin + i * bucketMs).toISOString(),
    counts: emptyCounts(),
    total: 0,
  }));
  for (const r of rows) {
    const b = buckets[Math.round((Date.parse(r.bucket) - origin) / bucketMs)];
    if (!b) continue;
    if (r.actor_type) b.counts[r.actor_type] += r.n;
    b.total += r.n;
  }
  return { from: from.toISOString(), to: to.toISOString(), bucketMs, buckets };
}

/** The histogram's window: the filters' own, an open end closed at the first/last match; null when nothing matches. */
async function histogramWindow(db: Pick<Db, "execute">, filters: DecisionFilters, now: Date, useCounts: boolean): Promise<{ from: Date; to: Date } | null> {
  const from = filters.from;
  const to = filters.to ?? (filters.from ? now : null);
  if (from && to) return { from, to };
  const query = useCounts
    ? histogramBoundsFromCountsSql(filters)
    : sql`select min(d.occurred_at)::text as lo, max(d.occurred_at)::text as hi from decisions d where ${decisionFilterSql(filters)}`;
  const b = (await queryRows(db, query, histogramBoundsRow))[0];
  if (!b?.lo || !b.hi) return null;
  const lo = new Date(b.lo);
  // Only `from` is open here, and the counts' first match ignored `to`: a first match at or after it means none before.
  if (to && lo >= to) return null;
  return { from: from ?? lo, to: to ?? new Date(new Date(b.hi).getTime() + 1) };
}

/**
 * The first and last matching decision, found through the counts: the first/last day with a
 * match, its first/last hour with one, then the rows of that one hour. Bounded (the daily
 * counts, 24 hourly buckets and an hour of rows per end) where min()/max() over the rows may
 * walk far along an index when several filters are combined. Ignores the window's bounds
 * (only called with `from` open; the caller checks `to`).
 */
function histogramBoundsFromCountsSql(filters: DecisionFilters): SQL {
  const dims = decisionFilterSql({ ...filters, from: null, to: null });
  const end = (agg: "min" | "max") => {
    const fn = sql.raw(agg);
    const day = sql`(select ${fn}(d.bucket) from ${sql.raw(DECISION_COUNT_TABLES.day)} d where ${dims})`;
    const hour = sql`(select ${fn}(d.bucket) from ${sql.raw(DECISION_COUNT_TABLES.hour)} d where ${dims} and d.bucket >= b.day and d.bucket < b.day + interval '1 day')`;
    const row = sql`(select ${fn}(d.occurred_at) from decisions d where ${dims} and d.occurred_at >= h.hour and d.occurred_at < h.hour + interval '1 hour')`;
    return sql`(select ${row}::text from (select ${hour} as hour from (select ${day} as day) b) h)`;
  };
  return sql`select ${end("min")} as lo, ${end("max")} as hi`;
}

/**
 * The bucket of a timestamp expression as ISO text. date_bin is timestamp arithmetic;
 * extract(epoch) would be numeric arithmetic per row, which costs more than reading the
 * index (153 ms vs 94 ms for 95k rows).
 */
function bucketSql(t: SQL, bucketMs: number, origin: number): SQL {
  return sql`to_char(date_bin(${`${bucketMs / 1000} seconds`}::interval, ${t}, ${new Date(origin).toISOString()}::timestamptz) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
}

/** The row path: every matching decision of the window, bucketed. */
function histogramRowsSql(window: DecisionFilters, bucketMs: number, origin: number): SQL {
  const bucket = bucketSql(sql`d.occurred_at`, bucketMs, origin);
  // With nothing but a time window (the default view), one index-only range scan of the
  // (actor_type, occurred_at) index per actor type reads just the window; a single query
  // would walk that whole index filtering on its second column (24 h: 15 ms instead of 70 ms).
  return constrainsOnlyTimeAndActor(window)
    ? sql`select ${bucket} as bucket, t.actor_type, count(*) as n
          from unnest(array[${list(window.actorTypes.length > 0 ? window.actorTypes : ACTOR_TYPES.map((a) => a.value))}]::text[]) as t(actor_type)
          cross join lateral (select d.occurred_at from decisions d where d.actor_type = t.actor_type and ${decisionFilterSql({ ...window, actorTypes: [] })}) d
          group by 1, 2`
    : sql`select ${bucket} as bucket, d.actor_type, count(*) as n from decisions d where ${decisionFilterSql(window)} group by 1, 2`;
}

/** The counts path: count rows of whole hours/days and the rows of the partial hours at the edges, bucketed. */
function histogramFromCountsSql(window: DecisionFilters, grains: CountGrain[], bucketMs: number, origin: number): SQL {
  const pieces = windowPiecesSql(window, splitWindow(window.from, window.to, grains));
  return sql`select ${bucketSql(sql`s.t`, bucketMs, origin)} as bucket, s.actor_type, sum(s.n) as n from (${pieces}) s group by 1, 2`;
}

// ---------------------------------------------------------------------------------------
// Filter options
// ---------------------------------------------------------------------------------------

export interface DecisionFilterOptions {
  entityTypes: string[];
  aiSystems: string[];
  /** Each model version with the model name(s) seen with it, for labels. */
  modelVersions: { value: string; modelName: string | null }[];
  verbs: string[];
  outcomes: string[];
}

const MAX_OPTIONS = 200;

const distinctValueRow = z.object({ v: z.string() });
const modelNameRow = z.object({ v: z.string(), model_name: textOrNull });

/**
 * Distinct values of an indexed column by a loose index scan (one index probe per value),
 * so offering "values that exist" stays cheap at millions of rows.
 */
async function distinctValues(db: Pick<Db, "execute">, column: "entity_type" | "ai_system" | "model_version" | "verb" | "outcome"): Promise<string[]> {
  const c = sql.raw(column);
  const rows = await queryRows(
    db,
    sql`with recursive t(v) as (
          (select ${c} from decisions where ${c} is not null order by ${c} limit 1)
          union all
          select (select ${c} from decisions where ${c} > t.v order by ${c} limit 1) from t where t.v is not null
        )
        select v from t where v is not null limit ${MAX_OPTIONS}`,
    distinctValueRow,
  );
  return rows.map((r) => r.v);
}

/** Every AI system that recorded a decision (the ai_system column), sorted; at most MAX_OPTIONS. */
export async function listAiSystems(db: Pick<Db, "execute">): Promise<string[]> {
  return distinctValues(db, "ai_system");
}

export async function listDecisionFilterOptions(db: Pick<Db, "execute">): Promise<DecisionFilterOptions> {
  const [entityTypes, aiSystems, versions, verbs, outcomes] = [
    await distinctValues(db, "entity_type"),
    await distinctValues(db, "ai_system"),
    await distinctValues(db, "model_version"),
    await distinctValues(db, "verb"),
    await distinctValues(db, "outcome"),
  ];
  const modelVersions: DecisionFilterOptions["modelVersions"] = [];
  if (versions.length > 0) {
    const names = await queryRows(
      db,
      sql`select v, (select model_name from decisions where model_version = v order by occurred_at desc nulls last limit 1) as model_name
          from unnest(array[${list(versions)}]::text[]) as v`,
      modelNameRow,
    );
    const byVersion = new Map(names.map((r) => [r.v, r.model_name]));
    for (const v of versions) modelVersions.push({ value: v, modelName: byVersion.get(v) ?? null });
  }
  return { entityTypes, aiSystems, modelVersions, verbs, outcomes };
}

// ---------------------------------------------------------------------------------------
// One decision
// ---------------------------------------------------------------------------------------

export interface DecisionDetail extends DecisionListRow, DecisionColumnsOf<(typeof DETAIL_KEYS)[number], "iso-text", "checked"> {
  writer: string;
  /** The exact RFC 8785 text that was hashed. Personal data included: mask before sending. */
  canonical: string;
  statement: XapiStatement;
  /** Hex SHA-256 leaf hash and chain hash from the log entry. */
  leafHash: string;
  chainHash: string;
}

export function isDecisionId(id: string): boolean {
  return isUuid(id);
}

/** The catalogue columns the detail shows besides the list's (never search_text). */
const DETAIL_KEYS = ["actorId", "reviewerId"] as const;
const detailColumnsRead = decisionColumnsRead(DETAIL_KEYS, { timestamps: "iso-text", enumerations: "checked" });

const detailRow = z
  .object({
    ...listColumns,
    ...detailColumnsRead.shape,
    writer: z.string(),
    canonical: z.string(),
    leaf_hash: byteaColumn,
    chain_hash: byteaColumn,
  })
  .transform(
    (r): DecisionDetail => ({
      ...toListRow(r),
      ...detailColumnsRead.pick(r),
      writer: r.writer,
      canonical: r.canonical,
      statement: JSON.parse(r.canonical) as XapiStatement,
      leafHash: toHex(r.leaf_hash),
      chainHash: toHex(r.chain_hash),
    }),
  );

/** The decision with this id (any case), or null (also for a malformed id). */
export async function getDecision(db: Pick<Db, "execute">, id: string): Promise<DecisionDetail | null> {
  if (!isDecisionId(id)) return null;
  const rows = await queryRows(
    db,
    // Found through the registry's unique (log_id, entry_id) and then the content row's
    // primary key: decisions has no index on id of its own (random UUIDs cost every insert).
    sql`select ${LIST_COLUMNS}, ${detailColumnsRead.select}, d.writer, d.canonical, e.leaf_hash, e.chain_hash
        from log_entries e
        join decisions d on d.seq = e.seq and d.recorded_at = e.recorded_at
        where e.log_id = 'decisions' and e.entry_id = ${id.toLowerCase()}::uuid and d.id = e.entry_id
        limit 1`,
    detailRow,
  );
  return rows[0] ?? null;
}

export interface RelatedDecisions {
  sameEntity: DecisionListRow[];
  sameSession: DecisionListRow[];
  /** True when a list was cut at `limit`. */
  entityTruncated: boolean;
  sessionTruncated: boolean;
}

/** Other decisions about the same entity and in the same session, oldest first (a timeline). */
export async function listRelatedDecisions(
  db: Pick<Db, "execute">,
  params: { id: string; entityType: string | null; entityId: string | null; sessionId: string | null; limit?: number },
): Promise<RelatedDecisions> {
  const limit = params.limit ?? 50;
  const around = async (cond: SQL) => {
    const rows = await queryRows(
      db,
      sql`select * from (
            select ${LIST_COLUMNS} from decisions d where ${cond} and d.id <> ${params.id}::uuid
            order by d.occurred_at desc nulls last, d.seq desc nulls last limit ${limit + 1}
          ) s order by s.occurred_at asc, s.seq asc`,
      listRow,
    );
    // The newest `limit` (the query read newest first), shown oldest first.
    const truncated = rows.length > limit;
    return { rows: truncated ? rows.slice(1) : rows, truncated };
  };
  const entity = params.entityId
    ? await around(params.entityType ? sql`d.entity_id = ${params.entityId} and d.entity_type = ${params.entityType}` : sql`d.entity_id = ${params.entityId}`)
    : { rows: [], truncated: false };
  const session = params.sessionId ? await around(sql`d.session_id = ${params.sessionId}`) : { rows: [], truncated: false };
  return { sameEntity: entity.rows, sameSession: session.rows, entityTruncated: entity.truncated, sessionTruncated: session.truncated };
}
