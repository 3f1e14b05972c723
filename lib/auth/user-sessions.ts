import "server-only";
import { and, eq, lt, ne, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { activeSessionCondition, getActiveSessionWithUser, type ActiveSessionWithUser } from "../../db/queries/user-sessions";
import { getUser } from "../../db/queries/users";
import { isUuid } from "../ledger/xapi/syntax";
import { userSessions } from "../../db/schema";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { loadConfig } from "../server/config";
import type { ServiceActor } from "../services/users";

/**
 * Server-side dashboard sessions (OWASP ASVS V3.3.1, V3.3.3). next-auth's cookie names a
 * user_sessions row; the guard accepts the cookie only while that row is active, so ending
 * the row ends every copy of the cookie at once.
 */

export const SESSION_REVOKE_REASONS = [
  "sign_out",
  "sign_out_everywhere",
  "ended_by_user",
  "revoked_by_admin",
  "role_changed",
  "deactivated",
] as const;
export type SessionRevokeReason = (typeof SESSION_REVOKE_REASONS)[number];

/** last_seen_at is for people ("last active"), not security: one write a minute per session is enough. */
export const LAST_SEEN_THROTTLE_MS = 60_000;

/** Starts a session at sign-in; it ends at `now` + SESSION_MAX_AGE_SECONDS whatever happens. */
export async function createUserSession(
  db: Db,
  params: { userId: string; provider: string; ip: string | null; userAgent: string | null; now?: Date; maxAgeSeconds?: number },
): Promise<{ id: string; expiresAt: Date }> {
  const now = params.now ?? new Date();
  const maxAgeSeconds = params.maxAgeSeconds ?? loadConfig().SESSION_MAX_AGE_SECONDS;
  const [row] = await db
    .insert(userSessions)
    .values({
      userId: params.userId,
      provider: params.provider,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + maxAgeSeconds * 1000),
      ip: params.ip,
      userAgent: params.userAgent,
    })
    .returning({ id: userSessions.id, expiresAt: userSessions.expiresAt });
  return row!;
}

/**
 * The session with its user when it may still be used (null: missing, revoked, expired or
 * the user deactivated), recording the activity at most once a minute.
 */
export async function readActiveSession(db: Db, params: { id: string; now?: Date }): Promise<ActiveSessionWithUser | null> {
  const now = params.now ?? new Date();
  const found = await getActiveSessionWithUser(db, { id: params.id, now });
  if (found && now.getTime() - found.session.lastSeenAt.getTime() >= LAST_SEEN_THROTTLE_MS) {
    // The condition is repeated in SQL so concurrent requests of one session do not all write.
    const staleBefore = new Date(now.getTime() - LAST_SEEN_THROTTLE_MS + 1);
    await db
      .update(userSessions)
      .set({ lastSeenAt: now })
      .where(and(eq(userSessions.id, found.session.id), lt(userSessions.lastSeenAt, staleBefore)));
  }
  return found;
}

export interface RevokedSessions {
  sessionIds: string[];
  count: number;
}

/**
 * Ends the active sessions matching `where` and writes ONE `auth.sessions_revoked` access
 * event in the same transaction (none when nothing was active: there is nothing to record).
 */
async function revokeWhere(
  q: Db,
  params: { where: SQL | undefined; userId: string | null; reason: SessionRevokeReason; actor: ServiceActor; now: Date },
): Promise<RevokedSessions> {
  const rows = await q
    .update(userSessions)
    .set({ revokedAt: params.now, revokedReason: params.reason })
    .where(and(params.where, activeSessionCondition(params.now)))
    .returning({ id: userSessions.id, userId: userSessions.userId });
  const sessionIds = rows.map((r) => r.id).sort();
  if (sessionIds.length === 0) return { sessionIds, count: 0 };
  const userId = params.userId ?? rows[0]!.userId;
  const owner = await getUser(q, { id: userId });
  const { actor } = params;
  await appendAccessEvent(
    q,
    {
      action: "auth.sessions_revoked",
      outcome: "success",
      user: { id: actor.id ?? undefined, email: actor.email, role: actor.role ?? undefined },
      target: owner?.email ?? userId,
      details: { reason: params.reason, userId, sessionIds, count: sessionIds.length },
      ip: actor.ip,
      userAgent: actor.userAgent,
    },
    q,
  );
  return { sessionIds, count: sessionIds.length };
}

/**
 * Ends every active session of a user (but `exceptSessionId`), inside the caller's
 * transaction `tx` when given, so that a role change and the end of its sessions commit together.
 */
export async function revokeUserSessions(
  db: Db,
  params: { userId: string; exceptSessionId?: string; reason: SessionRevokeReason; actor: ServiceActor; now?: Date },
  tx?: Db,
): Promise<RevokedSessions> {
  const byUser = eq(userSessions.userId, params.userId);
  const where = params.exceptSessionId ? and(byUser, ne(userSessions.id, params.exceptSessionId)) : byUser;
  const run = (q: Db) => revokeWhere(q, { where, userId: params.userId, reason: params.reason, actor: params.actor, now: params.now ?? new Date() });
  return tx ? run(tx) : db.transaction(run);
}

/**
 * Ends one session. With `userId` only a session of that user is ended (someone ending
 * "their own" session cannot name another user's): anything else counts as not found.
 */
export async function revokeUserSession(
  db: Db,
  params: { id: string; userId?: string; reason: SessionRevokeReason; actor: ServiceActor; now?: Date },
): Promise<RevokedSessions> {
  // A malformed id cannot name a session; Postgres would refuse it with an error.
  if (!isUuid(params.id)) return { sessionIds: [], count: 0 };
  const byId = eq(userSessions.id, params.id);
  const where = params.userId ? and(byId, eq(userSessions.userId, params.userId)) : byId;
  return db.transaction((q) => revokeWhere(q, { where, userId: params.userId ?? null, reason: params.reason, actor: params.actor, now: params.now ?? new Date() }));
}
