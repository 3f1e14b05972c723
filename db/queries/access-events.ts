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

/** The three counts the sign-in throttle reads (lib/auth/sign-in.ts says what each one does). */
export interface SignInFailureStats {
  /** This account from this IP. */
  pair: FailureStats;
  /** This IP, any account (password spraying). */
  ip: FailureStats;
  /** This account, any IP: only ever a small delay, never a lockout. */
  account: FailureStats;
}

// The unlocked account and IP as written by lib/services/unlock-sign-in.ts (details of the event).
const unlockedAccount = sql`u.event->'details'->>'account'`;
const unlockedIp = sql`u.event->'details'->>'ip'`;

/**
 * A failure counts unless an admin unlock recorded after it covers it: an unlock names an
 * account, an IP or both, and covers every failure of that account, IP or pair.
 */
const notUnlocked = sql`not exists (select 1 from ${accessEvents} u where u.action = 'auth.sign_in_unlocked' and u.seq > ${accessEvents.seq}
  and (${unlockedAccount} is null or ${unlockedAccount} = ${accessEvents.userEmail})
  and (${unlockedIp} is null or ${unlockedIp} = ${accessEvents.ip}))`;

/** ...and, for the per-account counts, unless the account signed in after it (from the same IP when `sameIp`). */
function notFollowedBySignIn(sameIp: boolean): SQL {
  const ip = sameIp ? sql`and s.ip is not distinct from ${accessEvents.ip}` : sql``;
  return sql`not exists (select 1 from ${accessEvents} s where s.action = 'auth.sign_in' and s.seq > ${accessEvents.seq}
    and s.user_email = ${accessEvents.userEmail} ${ip})`;
}

/**
 * The failed sign-ins since `since` that count. Only outcome "failure" (a wrong password, an
 * unknown account, bad input); attempts refused while throttled are logged as "denied" so
 * they cannot extend the throttle.
 */
function countedFailures(since: Date): SQL {
  return and(eq(accessEvents.action, "auth.sign_in_failed"), eq(accessEvents.outcome, "failure"), gte(accessEvents.recordedAt, since), notUnlocked)!;
}

/**
 * The throttle's counts for one sign-in attempt, read from the access log itself (no counter
 * that could drift from the evidence). A success resets the pair (same account and IP) and
 * the account; it does not reset the IP (one address guessing many accounts).
 */
export async function getSignInFailureStats(db: Reader, params: { email: string; ip: string | null; since: Date }): Promise<SignInFailureStats> {
  const stats = async (extra: SQL): Promise<FailureStats> => {
    const rows = await db
      .select({ n: sql<number>`count(*)`.mapWith(Number), last: max(accessEvents.recordedAt) })
      .from(accessEvents)
      .where(and(countedFailures(params.since), extra));
    const last = rows[0]?.last;
    return { count: rows[0]?.n ?? 0, lastAt: last ? new Date(last) : null };
  };
  const sameIp = params.ip === null ? sql`${accessEvents.ip} is null` : eq(accessEvents.ip, params.ip);
  const [pair, ip, account] = await Promise.all([
    stats(and(eq(accessEvents.userEmail, params.email), sameIp, notFollowedBySignIn(true))!),
    params.ip === null ? Promise.resolve({ count: 0, lastAt: null }) : stats(eq(accessEvents.ip, params.ip)),
    stats(and(eq(accessEvents.userEmail, params.email), notFollowedBySignIn(false))!),
  ]);
  return { pair, ip, account };
}

export interface SignInFailureGroup extends FailureStats {
  /** Null for a per-IP group. */
  email: string | null;
  ip: string;
  lastAt: Date;
}

/**
 * Every (account, IP) pair with at least `pairThreshold` counted failures since `since`, and
 * every IP with at least `ipThreshold`: the candidates the admin page checks for a running
 * throttle. Same counting rules as getSignInFailureStats.
 */
export async function listSignInFailureGroups(
  db: Reader,
  params: { since: Date; pairThreshold: number; ipThreshold: number; limit?: number },
): Promise<{ pairs: SignInFailureGroup[]; ips: SignInFailureGroup[] }> {
  const limit = Math.min(Math.max(params.limit ?? 200, 1), 1000);
  const n = sql<number>`count(*)`.mapWith(Number);
  const last = max(accessEvents.recordedAt);
  const pairRows = await db
    .select({ email: accessEvents.userEmail, ip: accessEvents.ip, n, last })
    .from(accessEvents)
    .where(and(countedFailures(params.since), notFollowedBySignIn(true), sql`${accessEvents.userEmail} is not null and ${accessEvents.ip} is not null`))
    .groupBy(accessEvents.userEmail, accessEvents.ip)
    .having(sql`count(*) >= ${params.pairThreshold}`)
    .orderBy(desc(last))
    .limit(limit);
  const ipRows = await db
    .select({ ip: accessEvents.ip, n, last })
    .from(accessEvents)
    .where(and(countedFailures(params.since), sql`${accessEvents.ip} is not null`))
    .groupBy(accessEvents.ip)
    .having(sql`count(*) >= ${params.ipThreshold}`)
    .orderBy(desc(last))
    .limit(limit);
  const group = (email: string | null, ip: string | null, count: number, at: Date | string | null): SignInFailureGroup[] =>
    ip && at ? [{ email, ip, count, lastAt: new Date(at) }] : [];
  return {
    pairs: pairRows.flatMap((r) => group(r.email, r.ip, r.n, r.last)),
    ips: ipRows.flatMap((r) => group(null, r.ip, r.n, r.last)),
  };
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
