import "server-only";
import { and, asc, desc, eq, gt, gte, lt, lte, max, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { accessEvents } from "../schema";

type Reader = Pick<Db, "select" | "selectDistinct">;

export interface AccessEventRow {
  seq: number;
  id: string;
  recordedAt: Date;
  action: string;
  outcome: string;
  userId: string | null;
  userEmail: string | null;
  target: string | null;
  ip: string | null;
  /** The logged event as hashed into the chain (details, role, user agent...). */
  event: unknown;
}

export interface AccessEventFilters {
  action?: string | null;
  userEmail?: string | null;
  /** Inclusive lower bound of recorded_at. */
  from?: Date | null;
  /** Exclusive upper bound of recorded_at. */
  to?: Date | null;
}

export interface AccessEventPage {
  rows: AccessEventRow[];
  /** seq to pass as `before` for the next (older) page, null when this is the oldest page. */
  olderCursor: number | null;
  /** seq to pass as `after` for the previous (newer) page, null when this is the newest page. */
  newerCursor: number | null;
}

function filterConditions(f: AccessEventFilters): SQL[] {
  const where: SQL[] = [];
  if (f.action) where.push(eq(accessEvents.action, f.action));
  if (f.userEmail) where.push(eq(accessEvents.userEmail, f.userEmail));
  if (f.from) where.push(gte(accessEvents.recordedAt, f.from));
  if (f.to) where.push(lt(accessEvents.recordedAt, f.to));
  return where;
}

/**
 * One page of the access log, newest first, with keyset pagination on seq (the chain
 * position, gap-free and increasing with time): `before` pages to older entries, `after`
 * back to newer ones. Offsets would skip or repeat entries while the log grows.
 */
export async function listAccessEvents(
  db: Reader,
  params: AccessEventFilters & { before?: number | null; after?: number | null; limit?: number },
): Promise<AccessEventPage> {
  const limit = Math.min(Math.max(params.limit ?? 50, 1), 500);
  const where = filterConditions(params);
  const goingNewer = params.after != null && params.before == null;
  if (params.before != null) where.push(lt(accessEvents.seq, params.before));
  if (goingNewer) where.push(gt(accessEvents.seq, params.after!));
  const fetched = await db
    .select({
      seq: accessEvents.seq,
      id: accessEvents.id,
      recordedAt: accessEvents.recordedAt,
      action: accessEvents.action,
      outcome: accessEvents.outcome,
      userId: accessEvents.userId,
      userEmail: accessEvents.userEmail,
      target: accessEvents.target,
      ip: accessEvents.ip,
      event: accessEvents.event,
    })
    .from(accessEvents)
    .where(where.length ? and(...where) : undefined)
    .orderBy(goingNewer ? asc(accessEvents.seq) : desc(accessEvents.seq))
    .limit(limit + 1);
  const hasMore = fetched.length > limit;
  const page = fetched.slice(0, limit);
  const rows = goingNewer ? page.reverse() : page;
  const first = rows[0];
  const last = rows[rows.length - 1];
  // Whether a page exists on the other side of the cursor we came from.
  const olderExists = goingNewer ? true : hasMore;
  const newerExists = goingNewer ? hasMore : params.before != null;
  return {
    rows,
    olderCursor: olderExists && last ? last.seq : null,
    newerCursor: newerExists && first ? first.seq : null,
  };
}

/** Distinct user emails that appear in the access log (for the "who" filter). */
export async function listAccessEventUsers(db: Reader): Promise<string[]> {
  const rows = await db
    .selectDistinct({ email: accessEvents.userEmail })
    .from(accessEvents)
    .where(sql`${accessEvents.userEmail} is not null`)
    .orderBy(asc(accessEvents.userEmail))
    .limit(1000);
  return rows.map((r) => r.email).filter((e): e is string => e !== null);
}

export interface FailureStats {
  count: number;
  lastAt: Date | null;
}

/**
 * Failed sign-ins since `since` for one email (only those after that email's last
 * successful sign-in: a success resets its count) and for one IP (not reset: one address
 * guessing many accounts). Only outcome "failure" counts, i.e. a wrong password or unknown
 * user; attempts refused during a lockout are logged as "denied" so they cannot extend it.
 */
export async function getSignInFailureStats(
  db: Reader,
  params: { email: string; ip: string | null; since: Date },
): Promise<{ email: FailureStats; ip: FailureStats }> {
  const lastSuccess = await db
    .select({ at: max(accessEvents.recordedAt) })
    .from(accessEvents)
    .where(and(eq(accessEvents.action, "auth.sign_in"), eq(accessEvents.userEmail, params.email), gte(accessEvents.recordedAt, params.since)));
  const lastSuccessAt = lastSuccess[0]?.at ? new Date(lastSuccess[0].at) : null;
  const emailSince = lastSuccessAt && lastSuccessAt > params.since ? lastSuccessAt : params.since;
  const stats = async (extra: SQL, since: Date): Promise<FailureStats> => {
    const rows = await db
      .select({ n: sql<number>`count(*)`.mapWith(Number), last: max(accessEvents.recordedAt) })
      .from(accessEvents)
      .where(and(eq(accessEvents.action, "auth.sign_in_failed"), eq(accessEvents.outcome, "failure"), gte(accessEvents.recordedAt, since), extra));
    const last = rows[0]?.last;
    return { count: rows[0]?.n ?? 0, lastAt: last ? new Date(last) : null };
  };
  const email = await stats(eq(accessEvents.userEmail, params.email), emailSince);
  const ip = params.ip ? await stats(eq(accessEvents.ip, params.ip), params.since) : { count: 0, lastAt: null };
  return { email, ip };
}

/** Entries recorded in [from, to], for tests and summaries. */
export async function countAccessEvents(db: Reader, params: AccessEventFilters & { until?: Date }): Promise<number> {
  const where = filterConditions(params);
  if (params.until) where.push(lte(accessEvents.recordedAt, params.until));
  const rows = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(accessEvents)
    .where(where.length ? and(...where) : undefined);
  return rows[0]?.n ?? 0;
}
