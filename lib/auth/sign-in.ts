import "server-only";
import bcrypt from "bcryptjs";
import type { Db } from "../../db/client";
import { getSignInFailureStats, type FailureStats } from "../../db/queries/access-events";
import { getUser, getUserCredentials, normalizeEmail } from "../../db/queries/users";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { isRole, type Role } from "./permissions";
import { lockedErrorCode, SIGN_IN_ERROR_CODES } from "./sign-in-errors";

/**
 * Brute-force protection, computed from the access log itself (no separate counter that
 * could drift from the evidence): failed sign-ins in the last 15 minutes, per email and per
 * IP. Below the threshold each failure adds a short delay; from the threshold on the email
 * (or address) is refused for a window that doubles with every further failure, up to 15
 * minutes after the latest failure.
 */
export const SIGN_IN_THROTTLE = {
  windowMs: 15 * 60_000,
  emailThreshold: 5,
  // Higher: several people may share an office or VPN address.
  ipThreshold: 20,
  maxLockMs: 15 * 60_000,
  delayPerFailureMs: 250,
  maxDelayMs: 2_000,
} as const;

export const BCRYPT_COST = 12;

/** How long (ms from `now`) sign-in stays refused after `stats.count` failures; 0 = not locked. */
export function lockRemainingMs(stats: FailureStats, threshold: number, now: Date): number {
  if (stats.count < threshold || !stats.lastAt) return 0;
  const lockMs = Math.min(60_000 * 2 ** (stats.count - threshold), SIGN_IN_THROTTLE.maxLockMs);
  return Math.max(0, stats.lastAt.getTime() + lockMs - now.getTime());
}

export async function readSignInThrottle(
  db: Db,
  params: { email: string; ip: string | null; now?: Date },
): Promise<{ lockedForMs: number; delayMs: number }> {
  const now = params.now ?? new Date();
  const stats = await getSignInFailureStats(db, {
    email: normalizeEmail(params.email),
    ip: params.ip,
    since: new Date(now.getTime() - SIGN_IN_THROTTLE.windowMs),
  });
  const lockedForMs = Math.max(
    lockRemainingMs(stats.email, SIGN_IN_THROTTLE.emailThreshold, now),
    lockRemainingMs(stats.ip, SIGN_IN_THROTTLE.ipThreshold, now),
  );
  const failures = Math.max(stats.email.count, stats.ip.count);
  const delayMs = Math.min(failures * SIGN_IN_THROTTLE.delayPerFailureMs, SIGN_IN_THROTTLE.maxDelayMs);
  return { lockedForMs, delayMs };
}

// A real bcrypt hash (cost 12) of a random string nobody knows: unknown emails cost the
// same bcrypt work as known ones, so response time does not reveal which emails exist.
const DUMMY_HASH = "$2b$12$ucmwWbMiD/ihuPuM3skaGuha4ko5GVGaeJTBdtD6nPMeaSjVU3AM2";

export interface SignedInUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export type CredentialsResult =
  | { ok: true; user: SignedInUser }
  | { ok: false; code: string; reason: "invalid_input" | "unknown_user" | "wrong_password" | "no_password" | "locked" | "deactivated" };

export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Checks an email and password. Every refusal is written to the access log
 * (`auth.sign_in_failed`, with the email tried and the IP), which also feeds the throttle.
 * Success is logged by `recordSignIn` once next-auth has issued the session.
 */
export async function verifyCredentials(
  db: Db,
  input: { email: unknown; password: unknown } & RequestInfo,
  options: { now?: Date; wait?: (ms: number) => Promise<void> } = {},
): Promise<CredentialsResult> {
  const wait = options.wait ?? sleep;
  const email = typeof input.email === "string" ? normalizeEmail(input.email).slice(0, 320) : "";
  const password = typeof input.password === "string" ? input.password : "";
  const fail = async (reason: Exclude<CredentialsResult, { ok: true }>["reason"], code: string, user?: { id: string; role: string }) => {
    await appendAccessEvent(db, {
      action: "auth.sign_in_failed",
      // Attempts refused during a lockout are "denied", not "failure": they must not extend it.
      outcome: reason === "locked" ? "denied" : "failure",
      user: { id: user?.id, email: email || undefined, role: user?.role },
      target: email || null,
      details: { reason, provider: "credentials" },
      ip: input.ip,
      userAgent: input.userAgent,
    });
    return { ok: false as const, code, reason };
  };
  if (!email || !password || password.length > 1024) return fail("invalid_input", SIGN_IN_ERROR_CODES.invalid);

  const throttle = await readSignInThrottle(db, { email, ip: input.ip, now: options.now });
  if (throttle.lockedForMs > 0) return fail("locked", lockedErrorCode(throttle.lockedForMs / 60_000));
  if (throttle.delayMs > 0) await wait(throttle.delayMs);

  const row = await getUserCredentials(db, { email });
  const matches = await bcrypt.compare(password, row?.passwordHash ?? DUMMY_HASH);
  if (!row) return fail("unknown_user", SIGN_IN_ERROR_CODES.invalid);
  if (!row.passwordHash) return fail("no_password", SIGN_IN_ERROR_CODES.invalid, row);
  if (!matches) return fail("wrong_password", SIGN_IN_ERROR_CODES.invalid, row);
  // Told only after a correct password, so the message does not reveal account state to guessers.
  if (!row.active || !isRole(row.role)) return fail("deactivated", SIGN_IN_ERROR_CODES.deactivated, row);
  return { ok: true, user: { id: row.id, email: row.email, name: row.name, role: row.role } };
}

export async function recordSignIn(db: Db, params: { userId: string; provider: string } & RequestInfo): Promise<void> {
  const user = await getUser(db, { id: params.userId });
  await appendAccessEvent(db, {
    action: "auth.sign_in",
    outcome: "success",
    user: user ? { id: user.id, email: user.email, role: user.role } : { id: params.userId },
    target: user?.email ?? null,
    details: { provider: params.provider },
    ip: params.ip,
    userAgent: params.userAgent,
  });
}

export async function recordSignOut(db: Db, params: { userId: string | null; email: string | null } & RequestInfo): Promise<void> {
  const user = params.userId ? await getUser(db, { id: params.userId }) : null;
  await appendAccessEvent(db, {
    action: "auth.sign_out",
    outcome: "success",
    user: user ? { id: user.id, email: user.email, role: user.role } : { id: params.userId ?? undefined, email: params.email ?? undefined },
    target: user?.email ?? params.email,
    ip: params.ip,
    userAgent: params.userAgent,
  });
}

export async function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}
