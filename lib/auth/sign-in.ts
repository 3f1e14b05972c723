import "server-only";
import bcrypt from "bcryptjs";
import { z } from "zod";
import type { Db } from "../../db/client";
import { getSignInFailureStats, listSignInFailureGroups, type FailureStats } from "../../db/queries/access-events";
import { getUser, getUserCredentials, normalizeEmail } from "../../db/queries/users";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { isRole, type Role } from "./permissions";
import { lockedErrorCode, SIGN_IN_ERROR_CODES } from "./sign-in-errors";

/**
 * Brute-force protection, computed from the access log itself (no separate counter that
 * could drift from the evidence), over the failed sign-ins of the last 15 minutes:
 *
 * - per (account, IP) pair: from `pairThreshold` failures the pair is refused for a window
 *   that doubles with every further failure, up to 15 minutes after the latest failure;
 * - per IP, any account: the same from the higher `ipThreshold` (password spraying);
 * - per account, any IP: never a lockout, only a short delay. Locking an account on failures
 *   from anywhere would let anyone lock anyone out (the admin included) by typing wrong
 *   passwords; the attacker's own pair and IP back off instead.
 *
 * An admin unlock (`auth.sign_in_unlocked`, lib/services/unlock-sign-in.ts) cancels the
 * failures before it that it covers; a successful sign-in resets its pair and its account.
 */
export const SIGN_IN_THROTTLE = {
  windowMs: 15 * 60_000,
  pairThreshold: 5,
  // Higher: several people may share an office or VPN address.
  ipThreshold: 20,
  firstLockMs: 60_000,
  maxLockMs: 15 * 60_000,
  delayPerFailureMs: 250,
  maxDelayMs: 2_000,
} as const;

export const BCRYPT_COST = 12;

/** How long (ms from `now`) sign-in stays refused after `stats.count` failures; 0 = not locked. */
export function lockRemainingMs(stats: FailureStats, threshold: number, now: Date): number {
  if (stats.count < threshold || !stats.lastAt) return 0;
  const lockMs = Math.min(SIGN_IN_THROTTLE.firstLockMs * 2 ** (stats.count - threshold), SIGN_IN_THROTTLE.maxLockMs);
  return Math.max(0, stats.lastAt.getTime() + lockMs - now.getTime());
}

export interface SignInThrottle {
  lockedForMs: number;
  /** What is locked: the pair, the IP, or nothing. */
  lockedBy: "pair" | "ip" | null;
  delayMs: number;
}

export async function readSignInThrottle(db: Db, params: { email: string; ip: string | null; now?: Date }): Promise<SignInThrottle> {
  const now = params.now ?? new Date();
  const stats = await getSignInFailureStats(db, {
    email: normalizeEmail(params.email),
    ip: params.ip,
    since: new Date(now.getTime() - SIGN_IN_THROTTLE.windowMs),
  });
  const pairMs = lockRemainingMs(stats.pair, SIGN_IN_THROTTLE.pairThreshold, now);
  const ipMs = lockRemainingMs(stats.ip, SIGN_IN_THROTTLE.ipThreshold, now);
  const lockedForMs = Math.max(pairMs, ipMs);
  const lockedBy = lockedForMs === 0 ? null : pairMs >= ipMs ? "pair" : "ip";
  const failures = Math.max(stats.pair.count, stats.ip.count, stats.account.count);
  const delayMs = Math.min(failures * SIGN_IN_THROTTLE.delayPerFailureMs, SIGN_IN_THROTTLE.maxDelayMs);
  return { lockedForMs, lockedBy, delayMs };
}

/** Whole seconds for Retry-After (at least 1 while locked). */
export function retryAfterSeconds(lockedForMs: number): number {
  return Math.max(1, Math.ceil(lockedForMs / 1000));
}

export interface SignInLock {
  /** `too_many_attempts:<minutes>` (lib/auth/sign-in-errors.ts). */
  code: string;
  retryAfterSeconds: number;
  lockedBy: "pair" | "ip";
}

/**
 * Reads the throttle for an attempt; when its pair or IP is locked, logs the attempt as
 * `auth.sign_in_failed` with outcome "denied" (which the throttle does not count, so refused
 * attempts cannot extend a lock) and returns the lock.
 */
export async function checkSignInThrottle(
  db: Db,
  input: { email: string; now?: Date } & RequestInfo,
): Promise<{ locked: SignInLock | null; delayMs: number }> {
  const email = normalizeEmail(input.email).slice(0, 320);
  const throttle = await readSignInThrottle(db, { email, ip: input.ip, now: input.now });
  if (!throttle.lockedBy) return { locked: null, delayMs: throttle.delayMs };
  const locked = {
    code: lockedErrorCode(throttle.lockedForMs / 60_000),
    retryAfterSeconds: retryAfterSeconds(throttle.lockedForMs),
    lockedBy: throttle.lockedBy,
  };
  await appendAccessEvent(db, {
    action: "auth.sign_in_failed",
    outcome: "denied",
    user: { email: email || undefined },
    target: email || null,
    details: { reason: "locked", provider: "credentials", lockedBy: locked.lockedBy, retryAfterSeconds: locked.retryAfterSeconds },
    ip: input.ip,
    userAgent: input.userAgent,
  });
  return { locked, delayMs: throttle.delayMs };
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
      outcome: "failure",
      user: { id: user?.id, email: email || undefined, role: user?.role },
      target: email || null,
      details: { reason, provider: "credentials" },
      ip: input.ip,
      userAgent: input.userAgent,
    });
    return { ok: false as const, code, reason };
  };
  if (!email || !password || password.length > 1024) return fail("invalid_input", SIGN_IN_ERROR_CODES.invalid);

  // The route answers throttled attempts with 429 before they get here; checked again so the
  // credentials check is safe on its own (the route is not the only caller).
  const throttle = await checkSignInThrottle(db, { email, ip: input.ip, userAgent: input.userAgent, now: options.now });
  if (throttle.locked) return { ok: false, code: throttle.locked.code, reason: "locked" };
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

const postedJson = z.object({ email: z.string() });

/** The email of a credentials sign-in POST (form-encoded or JSON, as next-auth accepts), read from a clone. */
async function postedEmail(req: Request): Promise<string> {
  const type = req.headers.get("content-type") ?? "";
  // A clone: next-auth reads the original body after us.
  const text = await req.clone().text();
  if (type.includes("application/x-www-form-urlencoded")) return new URLSearchParams(text).get("email") ?? "";
  if (type.includes("application/json")) {
    try {
      const parsed = postedJson.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data.email : "";
    } catch {
      return "";
    }
  }
  return "";
}

/**
 * For POST /api/auth/callback/credentials: a 429 with Retry-After when the (account, IP)
 * pair or the IP is throttled, else null (next-auth handles the request). The body is what
 * next-auth's client `signIn()` reads: `url` (absolute, it parses `?error=` from it) and the
 * wait in seconds for other clients.
 */
export async function throttledSignInResponse(db: Db, req: Request, client: RequestInfo): Promise<Response | null> {
  const email = await postedEmail(req);
  const { locked } = await checkSignInThrottle(db, { email, ...client });
  if (!locked) return null;
  const url = new URL(`/sign-in?error=${encodeURIComponent(locked.code)}`, req.url).toString();
  return Response.json(
    { url, error: locked.code, retryAfterSeconds: locked.retryAfterSeconds },
    { status: 429, headers: { "retry-after": String(locked.retryAfterSeconds), "cache-control": "no-store" } },
  );
}

export interface SignInLockEntry {
  kind: "pair" | "ip";
  /** The account of a pair; null for an IP lock. */
  email: string | null;
  ip: string;
  failures: number;
  lastFailureAt: Date;
  remainingMs: number;
}

/** Every pair and IP refused right now, longest wait first (the admin page's list). */
export async function listSignInLocks(db: Db, now = new Date()): Promise<SignInLockEntry[]> {
  const groups = await listSignInFailureGroups(db, {
    since: new Date(now.getTime() - SIGN_IN_THROTTLE.windowMs),
    pairThreshold: SIGN_IN_THROTTLE.pairThreshold,
    ipThreshold: SIGN_IN_THROTTLE.ipThreshold,
  });
  const entries = [
    ...groups.pairs.map((g) => ({ kind: "pair" as const, g, threshold: SIGN_IN_THROTTLE.pairThreshold })),
    ...groups.ips.map((g) => ({ kind: "ip" as const, g, threshold: SIGN_IN_THROTTLE.ipThreshold })),
  ].map(({ kind, g, threshold }) => ({
    kind,
    email: g.email,
    ip: g.ip,
    failures: g.count,
    lastFailureAt: g.lastAt,
    remainingMs: lockRemainingMs(g, threshold, now),
  }));
  return entries.filter((e) => e.remainingMs > 0).sort((a, b) => b.remainingMs - a.remainingMs);
}
