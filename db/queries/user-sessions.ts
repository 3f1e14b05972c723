import "server-only";
import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { Db } from "../client";
import { userSessions, users } from "../schema";
import { isUuid } from "../../lib/ledger/xapi/syntax";

/** A dashboard session as the account and admin pages show it. */
export interface UserSessionRecord {
  id: string;
  userId: string;
  provider: string;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
  ip: string | null;
  userAgent: string | null;
  revokedAt: Date | null;
  revokedReason: string | null;
}

/** An active session with the user it belongs to: what the guard needs, in one read. */
export interface ActiveSessionWithUser {
  session: UserSessionRecord;
  user: { id: string; email: string; name: string; role: string };
}

type Reader = Pick<Db, "select">;

const columns = {
  id: userSessions.id,
  userId: userSessions.userId,
  provider: userSessions.provider,
  createdAt: userSessions.createdAt,
  expiresAt: userSessions.expiresAt,
  lastSeenAt: userSessions.lastSeenAt,
  ip: userSessions.ip,
  userAgent: userSessions.userAgent,
  revokedAt: userSessions.revokedAt,
  revokedReason: userSessions.revokedReason,
};

/** Not revoked and not past its absolute end: the one definition of "active". */
export function activeSessionCondition(now: Date) {
  return and(isNull(userSessions.revokedAt), gt(userSessions.expiresAt, now));
}

export async function getUserSession(db: Reader, params: { id: string }): Promise<UserSessionRecord | null> {
  // A cookie naming a malformed id is simply "no such session", not a database error.
  if (!isUuid(params.id)) return null;
  const rows = await db.select(columns).from(userSessions).where(eq(userSessions.id, params.id)).limit(1);
  return rows[0] ?? null;
}

/** A user's sessions, most recently active first; `activeOnly` leaves out revoked and expired ones. */
export async function listUserSessions(
  db: Reader,
  params: { userId: string; activeOnly?: boolean; now?: Date },
): Promise<UserSessionRecord[]> {
  if (!isUuid(params.userId)) return [];
  const byUser = eq(userSessions.userId, params.userId);
  return db
    .select(columns)
    .from(userSessions)
    .where(params.activeOnly ? and(byUser, activeSessionCondition(params.now ?? new Date())) : byUser)
    .orderBy(desc(userSessions.lastSeenAt), desc(userSessions.createdAt));
}

/**
 * The session `id` joined with its user, or null when the session is missing, revoked or
 * expired, or the user is deactivated. One round trip: the guard calls it on every request.
 */
export async function getActiveSessionWithUser(db: Reader, params: { id: string; now: Date }): Promise<ActiveSessionWithUser | null> {
  if (!isUuid(params.id)) return null;
  const rows = await db
    .select({ session: columns, user: { id: users.id, email: users.email, name: users.name, role: users.role } })
    .from(userSessions)
    .innerJoin(users, eq(users.id, userSessions.userId))
    .where(and(eq(userSessions.id, params.id), activeSessionCondition(params.now), eq(users.active, true)))
    .limit(1);
  return rows[0] ?? null;
}

/** Active sessions per user id (users without one are absent), for the admin user list. */
export async function countActiveSessionsByUser(db: Reader, params: { now?: Date } = {}): Promise<Map<string, number>> {
  const rows = await db
    .select({ userId: userSessions.userId, n: sql<number>`count(*)`.mapWith(Number) })
    .from(userSessions)
    .where(activeSessionCondition(params.now ?? new Date()))
    .groupBy(userSessions.userId);
  return new Map(rows.map((r) => [r.userId, r.n]));
}
