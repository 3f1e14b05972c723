import "server-only";
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import { users } from "../schema";
import { isUuid } from "../../lib/ledger/xapi/syntax";

/** A user as the dashboard sees it: never the password hash. */
export interface UserRecord {
  id: string;
  email: string;
  name: string;
  role: string;
  active: boolean;
  /** Whether the user can sign in with a password (false: single sign-on only). */
  hasPassword: boolean;
  createdAt: Date;
  updatedAt: Date;
}

type Reader = Pick<Db, "select">;

const publicColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  active: users.active,
  hasPassword: sql<boolean>`${users.passwordHash} is not null`.mapWith(Boolean),
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};

/** Emails are compared case-insensitively: stored and looked up trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function getUser(db: Reader, params: { id: string }): Promise<UserRecord | null> {
  // Postgres refuses a malformed uuid with an error; an id that cannot exist is simply "not found".
  if (!isUuid(params.id)) return null;
  const rows = await db.select(publicColumns).from(users).where(eq(users.id, params.id)).limit(1);
  return rows[0] ?? null;
}

export async function getUserByEmail(db: Reader, params: { email: string }): Promise<UserRecord | null> {
  const rows = await db.select(publicColumns).from(users).where(eq(users.email, normalizeEmail(params.email))).limit(1);
  return rows[0] ?? null;
}

/** The one read that returns the bcrypt hash: only the credentials check may use it. */
export async function getUserCredentials(
  db: Reader,
  params: { email: string },
): Promise<(UserRecord & { passwordHash: string | null }) | null> {
  const rows = await db
    .select({ ...publicColumns, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.email, normalizeEmail(params.email)))
    .limit(1);
  return rows[0] ?? null;
}

/** All users, active first, then by name (admin list; deployments have tens, not thousands). */
export async function listUsers(db: Reader, params: { activeOnly?: boolean } = {}): Promise<UserRecord[]> {
  return db
    .select(publicColumns)
    .from(users)
    .where(params.activeOnly ? eq(users.active, true) : undefined)
    .orderBy(sql`${users.active} desc`, asc(users.name), asc(users.email));
}

export async function countActiveAdmins(db: Reader): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(users)
    .where(and(eq(users.role, "admin"), eq(users.active, true)));
  return rows[0]?.n ?? 0;
}
