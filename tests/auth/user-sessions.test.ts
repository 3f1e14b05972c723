import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { listAccessEvents } from "@/db/queries/access-events";
import { countActiveSessionsByUser, getUserSession, listUserSessions } from "@/db/queries/user-sessions";
import { userSessions, users } from "@/db/schema";
import { createUserSession, LAST_SEEN_THROTTLE_MS, readActiveSession, revokeUserSession, revokeUserSessions } from "@/lib/auth/user-sessions";
import { createUser, updateUser, type ServiceActor } from "@/lib/services/users";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { withAccessEventsRefused } from "./refuse-access-events";

const HOUR = 3600_000;

/** The details of the newest auth.sessions_revoked event, or null when there is none. */
async function lastRevocation(database: TestDatabase) {
  const { rows } = await listAccessEvents(database.db, { action: "auth.sessions_revoked", limit: 1 });
  const row = rows[0];
  if (!row) return null;
  return { seq: row.seq, userEmail: row.userEmail, target: row.target, details: (row.event as { details: Record<string, unknown> }).details };
}

async function revocationCount(database: TestDatabase): Promise<number> {
  return (await listAccessEvents(database.db, { action: "auth.sessions_revoked", limit: 500 })).rows.length;
}

describe.each(DATABASE_KINDS)("server-side sessions on %s", (kind) => {
  let database: TestDatabase;
  let admin: ServiceActor & { id: string };
  let n = 0;

  /** A fresh active user, so each test starts from sessions it made itself. */
  async function newUser(role: "auditor" | "admin" = "auditor") {
    n += 1;
    const { user } = await createUser(database.db, { email: `s${n}@sessions.test`, name: `S${n}`, role, password: "a long enough password", actor: admin });
    return user;
  }
  const signIn = (userId: string, extra: { now?: Date; maxAgeSeconds?: number } = {}) =>
    createUserSession(database.db, { userId, provider: "credentials", ip: "192.0.2.7", userAgent: "vitest", ...extra });

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const { user } = await createUser(database.db, { email: "root@sessions.test", name: "Root", role: "admin", password: "first admin password", actor: { email: "cli" } });
    admin = { id: user.id, email: user.email, role: "admin", ip: "192.0.2.1", userAgent: "vitest" };
  });
  afterAll(async () => {
    await database?.drop();
  });

  test("a new session is active until its absolute end, and names its user", async () => {
    const user = await newUser();
    const now = new Date("2026-01-01T10:00:00Z");
    const { id, expiresAt } = await signIn(user.id, { now, maxAgeSeconds: 8 * 3600 });
    expect(expiresAt.toISOString()).toBe("2026-01-01T18:00:00.000Z");
    const active = await readActiveSession(database.db, { id, now: new Date(now.getTime() + HOUR) });
    expect(active?.user).toEqual({ id: user.id, email: user.email, name: user.name, role: "auditor" });
    expect(active?.session).toMatchObject({ id, userId: user.id, provider: "credentials", ip: "192.0.2.7", userAgent: "vitest", revokedAt: null });
    // Expired: refused at the end, and no longer listed as active.
    expect(await readActiveSession(database.db, { id, now: expiresAt })).toBeNull();
    expect(await listUserSessions(database.db, { userId: user.id, activeOnly: true, now: expiresAt })).toEqual([]);
    expect(await listUserSessions(database.db, { userId: user.id })).toHaveLength(1);
  });

  test("unknown and malformed ids are simply not sessions", async () => {
    expect(await readActiveSession(database.db, { id: "00000000-0000-4000-8000-000000000000" })).toBeNull();
    expect(await readActiveSession(database.db, { id: "not-a-uuid" })).toBeNull();
    expect(await getUserSession(database.db, { id: "not-a-uuid" })).toBeNull();
    expect(await revokeUserSession(database.db, { id: "not-a-uuid", reason: "sign_out", actor: admin })).toEqual({ sessionIds: [], count: 0 });
  });

  test("last_seen_at is written at most once a minute", async () => {
    const user = await newUser();
    const start = new Date(Date.now() - HOUR);
    const { id } = await signIn(user.id, { now: start });
    await readActiveSession(database.db, { id, now: new Date(start.getTime() + 30_000) });
    expect((await getUserSession(database.db, { id }))!.lastSeenAt.getTime()).toBe(start.getTime());
    const later = new Date(start.getTime() + LAST_SEEN_THROTTLE_MS);
    await readActiveSession(database.db, { id, now: later });
    expect((await getUserSession(database.db, { id }))!.lastSeenAt.getTime()).toBe(later.getTime());
  });

  test("revoking one session refuses it at once, writes one access event, and only the owner's id matches", async () => {
    const user = await newUser();
    const other = await newUser();
    const mine = await signIn(user.id);
    const kept = await signIn(user.id);
    // Naming another user as the owner ends nothing and logs nothing.
    const before = await revocationCount(database);
    expect(await revokeUserSession(database.db, { id: mine.id, userId: other.id, reason: "ended_by_user", actor: admin })).toEqual({ sessionIds: [], count: 0 });
    expect(await revocationCount(database)).toBe(before);
    expect(await readActiveSession(database.db, { id: mine.id })).not.toBeNull();

    const result = await revokeUserSession(database.db, { id: mine.id, userId: user.id, reason: "sign_out", actor: { id: user.id, email: user.email, role: "auditor" } });
    expect(result).toEqual({ sessionIds: [mine.id], count: 1 });
    expect(await readActiveSession(database.db, { id: mine.id })).toBeNull();
    expect(await readActiveSession(database.db, { id: kept.id })).not.toBeNull();
    expect(await getUserSession(database.db, { id: mine.id })).toMatchObject({ revokedReason: "sign_out" });
    expect(await lastRevocation(database)).toMatchObject({
      userEmail: user.email,
      target: user.email,
      details: { reason: "sign_out", userId: user.id, sessionIds: [mine.id], count: 1 },
    });
    // A second revocation (a replayed sign-out) changes nothing and logs nothing.
    expect((await revokeUserSession(database.db, { id: mine.id, reason: "sign_out", actor: admin })).count).toBe(0);
    expect(await revocationCount(database)).toBe(before + 1);
  });

  test("revoking all of a user's sessions can keep one, and leaves other users alone", async () => {
    const user = await newUser();
    const bystander = await newUser();
    const [a, b, current] = [await signIn(user.id), await signIn(user.id), await signIn(user.id)];
    const theirs = await signIn(bystander.id);
    const result = await revokeUserSessions(database.db, { userId: user.id, exceptSessionId: current.id, reason: "revoked_by_admin", actor: admin });
    expect(result).toEqual({ sessionIds: [a.id, b.id].sort(), count: 2 });
    expect(await readActiveSession(database.db, { id: a.id })).toBeNull();
    expect(await readActiveSession(database.db, { id: b.id })).toBeNull();
    expect(await readActiveSession(database.db, { id: current.id })).not.toBeNull();
    expect(await readActiveSession(database.db, { id: theirs.id })).not.toBeNull();
    const counts = await countActiveSessionsByUser(database.db);
    expect(counts.get(user.id)).toBe(1);
    expect(counts.get(bystander.id)).toBe(1);
    expect(await lastRevocation(database)).toMatchObject({
      userEmail: admin.email,
      target: user.email,
      details: { reason: "revoked_by_admin", userId: user.id, count: 2, sessionIds: [a.id, b.id].sort() },
    });

    await revokeUserSessions(database.db, { userId: user.id, reason: "sign_out_everywhere", actor: admin });
    expect(await readActiveSession(database.db, { id: current.id })).toBeNull();
  });

  test("a role change ends all the user's sessions; a name change does not", async () => {
    const user = await newUser();
    const [a, b] = [await signIn(user.id), await signIn(user.id)];
    await updateUser(database.db, { id: user.id, name: "Renamed", actor: admin });
    expect(await readActiveSession(database.db, { id: a.id })).not.toBeNull();
    await updateUser(database.db, { id: user.id, role: "compliance_officer", actor: admin });
    expect(await readActiveSession(database.db, { id: a.id })).toBeNull();
    expect(await readActiveSession(database.db, { id: b.id })).toBeNull();
    expect(await lastRevocation(database)).toMatchObject({ details: { reason: "role_changed", userId: user.id, count: 2 } });
  });

  test("a deactivation ends all the user's sessions, and a deactivated user's session is refused even if a row survived", async () => {
    const user = await newUser();
    const a = await signIn(user.id);
    await updateUser(database.db, { id: user.id, active: false, actor: admin });
    expect(await getUserSession(database.db, { id: a.id })).toMatchObject({ revokedReason: "deactivated" });
    expect(await lastRevocation(database)).toMatchObject({ details: { reason: "deactivated", sessionIds: [a.id], count: 1 } });
    // Belt and braces: an unrevoked row of an inactive user is still refused by the join.
    await database.db.update(userSessions).set({ revokedAt: null, revokedReason: null }).where(eq(userSessions.id, a.id));
    expect(await readActiveSession(database.db, { id: a.id })).toBeNull();
  });

  test("the role change and the end of its sessions commit together", async () => {
    const user = await newUser();
    const a = await signIn(user.id);
    await withAccessEventsRefused(database.db, "auth.sessions_revoked", () =>
      expect(updateUser(database.db, { id: user.id, role: "incident_reviewer", actor: admin })).rejects.toThrow(),
    );
    const rows = await database.db.select({ role: users.role }).from(users).where(eq(users.id, user.id));
    expect(rows[0]!.role).toBe("auditor");
    expect(await readActiveSession(database.db, { id: a.id })).not.toBeNull();
  });
});
