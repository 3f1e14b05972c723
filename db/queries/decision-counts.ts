/**
 * Which part of a count or histogram the decision counts (rollups, db/schema/decision-counts-*.ts)
 * can answer, and which part must still read decision rows. Plain planning, no SQL: the
 * queries that use it are in db/queries/decisions.ts.
 *
 * The counts are kept per UTC hour and per UTC day of occurred_at and combination of the
 * dimension columns (DECISION_COUNT_DIMENSIONS). A window [from, to) is split into
 *
 *   rows   [from, first whole hour)            at most one partial hour of rows
 *   hourly [first whole hour, first midnight)  at most 23 hourly buckets per combination
 *   daily  [first midnight, last midnight)     whole days
 *   hourly [last midnight, last whole hour)    at most 23 hourly buckets per combination
 *   rows   [last whole hour, to)               at most one partial hour of rows
 *
 * so the rows read are bounded by two partial hours whatever the window, and the count rows
 * read by ~46 hours + the days of the window, per combination. An open end needs no piece
 * on its side (the counts hold every decision, whenever it occurred).
 */
import type { DecisionFilters } from "../../lib/filters/decision-filters";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export type CountGrain = "hour" | "day";

/** The table of each grain (migration 0009 keeps both in step with `decisions`). */
export const DECISION_COUNT_TABLES: Record<CountGrain, string> = { hour: "decision_counts_hourly", day: "decision_counts_daily" };

/** A part of a window and where it is read from; a null end is open (no bound on that side). */
export interface WindowPiece {
  source: CountGrain | "rows";
  from: Date | null;
  to: Date | null;
}

/**
 * Whether the counts can answer these filters: only the time window and the dimension filters
 * (actor type, AI system, model version, verb, outcome, human review, entity type) are set.
 * Entity id, session, confidence, free text and a person filter need the rows.
 */
export function answeredByCounts(f: DecisionFilters): boolean {
  return !f.entityId && !f.sessionId && f.confidenceMin === null && f.confidenceMax === null && !f.text && !f.personalIdentifierIndexes?.length;
}

const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;
const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit;

/** a < b with null as -∞ for `a` (a lower bound) and +∞ for `b` (an upper bound). */
const before = (a: number | null, b: number | null) => a === null || b === null || a < b;

const date = (t: number | null) => (t === null ? null : new Date(t));

/**
 * Splits [from, to) into the pieces above. `grains` are the count tables the caller may use:
 * ["hour", "day"] for a count or a histogram with day-wide buckets, ["hour"] for buckets of
 * 1–12 hours (a day row would straddle several of them). An empty window gives no pieces.
 */
export function splitWindow(from: Date | null, to: Date | null, grains: readonly CountGrain[]): WindowPiece[] {
  const lo = from?.getTime() ?? null;
  const hi = to?.getTime() ?? null;
  if (!before(lo, hi)) return [];
  const h0 = lo === null ? null : ceilTo(lo, HOUR_MS);
  const h1 = hi === null ? null : floorTo(hi, HOUR_MS);
  // No whole hour inside: the window is less than two partial hours of rows.
  if (!before(h0, h1)) return [{ source: "rows", from, to }];
  const pieces: WindowPiece[] = [];
  if (lo !== null && lo < h0!) pieces.push({ source: "rows", from, to: date(h0) });
  pieces.push(...splitWholeHours(h0, h1, grains));
  if (hi !== null && h1! < hi) pieces.push({ source: "rows", from: date(h1), to });
  return pieces;
}

/** Whole hours [h0, h1) as daily pieces for the whole days inside and hourly pieces around them. */
function splitWholeHours(h0: number | null, h1: number | null, grains: readonly CountGrain[]): WindowPiece[] {
  if (!grains.includes("day")) return [{ source: "hour", from: date(h0), to: date(h1) }];
  const d0 = h0 === null ? null : ceilTo(h0, DAY_MS);
  const d1 = h1 === null ? null : floorTo(h1, DAY_MS);
  if (!before(d0, d1)) return [{ source: "hour", from: date(h0), to: date(h1) }];
  const pieces: WindowPiece[] = [];
  if (h0 !== null && h0 < d0!) pieces.push({ source: "hour", from: date(h0), to: date(d0) });
  pieces.push({ source: "day", from: date(d0), to: date(d1) });
  if (h1 !== null && d1! < h1) pieces.push({ source: "hour", from: date(d1), to: date(h1) });
  return pieces;
}

/**
 * The grains a histogram with buckets of `bucketMs` may read, or null when its buckets are
 * finer than an hour (windows up to ~50 hours pick 1–30 minute buckets): those keep the row
 * path, which reads every matching row of a window of at most ~50 hours. Every width of
 * pickBucketMs from an hour up is a whole number of hours (of days from a day up) and bucket
 * edges are multiples of the width since the epoch, so a count row never straddles two bars.
 */
export function histogramGrains(bucketMs: number): CountGrain[] | null {
  if (bucketMs % DAY_MS === 0) return ["hour", "day"];
  if (bucketMs % HOUR_MS === 0) return ["hour"];
  return null;
}
