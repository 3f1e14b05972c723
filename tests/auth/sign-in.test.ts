import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { listAccessEvents } from "@/db/queries/access-events";
import {
  checkSignInThrottle,
  listSignInLocks,
  lockRemainingMs,
  readSignInThrottle,
  recordSignIn,
  recordSignOut,
  SIGN_IN_THROTTLE,
  verifyCredentials,
} from "@/lib/auth/sign-in";
import { appendAccessEvent } from "@/lib/ledger-store/append-access-event";
import { unlockSignIn } from "@/lib/services/unlock-sign-in";
import { safeCallbackPath, signInErrorMessage } from "@/lib/auth/sign-in-errors";
import { createUser, updateUser } from "@/lib/services/users";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";

const noWait = async () => {};

// For the route test: the wrapped next-auth handler with next-auth itself and the runtime stood in for.
const runtime = vi.hoisted(() => ({ current: null as unknown }));
const nextAuthCalls = vi.hoisted(() => [] as string[]);
vi.mock("@/lib/server/runtime", () => ({ getRuntime: async () => runtime.current }));
vi.mock("@/lib/auth/auth-options", () => ({ getAuthOptions: () => ({}) }));
vi.mock("next-auth", () => ({
  default: async (req: Request) => {
    // next-auth reads the body after the wrapper: it must still be there.
    nextAuthCalls.push(await req.text());
    return Response.json({ url: "http://ledger.test/decisions" });
  },
}));
const ADMIN = { email: "setup@test", id: null };

describe("sign-in messages and redirects", () => {
  test("codes map to plain messages, lockout states the minutes", () => {
    expect(signInErrorMessage("invalid_credentials")).toBe("The email or password is not correct.");
    expect(signInErrorMessage("too_many_attempts:3")).toBe("Too many attempts, try again in 3 minutes. An administrator can unlock sign-in sooner.");
    expect(signInErrorMessage("too_many_attempts:1")).toMatch(/^Too many attempts, try again in 1 minute\. /);
    expect(signInErrorMessage("account_deactivated")).toMatch(/deactivated/);
    expect(signInErrorMessage(null)).toBeNull();
  });

  test("callback paths stay on this site", () => {
    expect(safeCallbackPath("/decisions/abc?x=1")).toBe("/decisions/abc?x=1");
    expect(safeCallbackPath("https://evil.example/steal")).toBe("/steal");
    expect(safeCallbackPath("//evil.example")).toBe("/decisions");
    expect(safeCallbackPath("/\\evil.example")).toBe("/decisions");
    expect(safeCallbackPath("javascript:alert(1)")).toBe("/decisions");
    expect(safeCallbackPath("/sign-in?callbackUrl=/x")).toBe("/decisions");
    expect(safeCallbackPath(undefined)).toBe("/decisions");
  });

  test("lock window doubles per failure past the threshold, capped at 15 minutes", () => {
    const now = new Date("2026-01-01T12:00:00Z");
    const at = (count: number) => lockRemainingMs({ count, lastAt: now }, 5, now);
    expect(at(4)).toBe(0);
    expect(at(5)).toBe(60_000);
    expect(at(6)).toBe(120_000);
    expect(at(8)).toBe(480_000);
    expect(at(12)).toBe(SIGN_IN_THROTTLE.maxLockMs);
    expect(lockRemainingMs({ count: 5, lastAt: new Date(now.getTime() - 61_000) }, 5, now)).toBe(0);
  });
});

describe.each(DATABASE_KINDS)("credentials check on %s", (kind) => {
  let database: TestDatabase;
  const password = "correct horse battery";
  let userId = "";
  let admin = { id: "", email: "root@example.test", role: "admin", ip: "192.0.2.1", userAgent: "vitest" };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const { user } = await createUser(database.db, { email: "Alice@Example.test", name: "Alice", role: "auditor", password, actor: ADMIN });
    userId = user.id;
    const { user: root } = await createUser(database.db, { email: admin.email, name: "Root", role: "admin", password, actor: ADMIN });
    admin = { ...admin, id: root.id };
  });
  afterAll(async () => {
    await database?.drop();
  });

  const attempt = (email: string, pw: string, ip = "10.0.0.1", now?: Date) =>
    verifyCredentials(database.db, { email, password: pw, ip, userAgent: "vitest" }, { wait: noWait, now });
  const logFailure = (email: string, ip: string) =>
    appendAccessEvent(database.db, {
      action: "auth.sign_in_failed",
      outcome: "failure",
      user: { email },
      target: email,
      details: { reason: "wrong_password", provider: "credentials" },
      ip,
    });

  test("accepts the right password (email case-insensitive)", async () => {
    const result = await attempt(" alice@example.TEST ", password);
    expect(result).toEqual({ ok: true, user: { id: userId, email: "alice@example.test", name: "Alice", role: "auditor" } });
  });

  test("refuses a wrong password and an unknown email with the same code, and logs both with email and IP", async () => {
    const wrong = await attempt("alice@example.test", "nope nope nope", "10.0.0.2");
    const unknown = await attempt("nobody@example.test", "whatever it is", "10.0.0.2");
    expect(wrong).toMatchObject({ ok: false, code: "invalid_credentials", reason: "wrong_password" });
    expect(unknown).toMatchObject({ ok: false, code: "invalid_credentials", reason: "unknown_user" });
    const { rows } = await listAccessEvents(database.db, { action: "auth.sign_in_failed", limit: 10 });
    expect(rows.map((r) => [r.userEmail, r.ip, r.outcome])).toEqual([
      ["nobody@example.test", "10.0.0.2", "failure"],
      ["alice@example.test", "10.0.0.2", "failure"],
    ]);
    expect((rows[1]!.event as { details: { reason: string } }).details.reason).toBe("wrong_password");
  });

  test("locks an (account, IP) pair after 5 failures, says for how long, and a refused attempt does not extend it", async () => {
    const email = "locked@example.test";
    await createUser(database.db, { email, name: "Locked", role: "auditor", password, actor: ADMIN });
    for (let i = 0; i < SIGN_IN_THROTTLE.pairThreshold; i++) {
      expect(await attempt(email, `wrong password ${i}`, "10.1.0.1")).toMatchObject({ reason: "wrong_password" });
    }
    // Even the right password is refused from that address while the pair is locked.
    const locked = await attempt(email, password, "10.1.0.1");
    expect(locked).toMatchObject({ ok: false, code: "too_many_attempts:1", reason: "locked" });
    expect(signInErrorMessage((locked as { code: string }).code)).toMatch(/^Too many attempts, try again in 1 minute\. /);
    const { rows } = await listAccessEvents(database.db, { action: "auth.sign_in_failed", userEmail: email, limit: 1 });
    expect(rows[0]!.outcome).toBe("denied");
    // After the one-minute window the right password works again (the denied attempt did not count).
    const later = new Date(Date.now() + 61_000);
    expect(await attempt(email, password, "10.1.0.1", later)).toMatchObject({ ok: true });
  });

  test("attackers failing for the admin's account from their IPs do not stop the admin signing in from another", async () => {
    const email = "admin@example.test";
    await createUser(database.db, { email, name: "Admin", role: "admin", password, actor: ADMIN });
    // Three attacker addresses, each up to the pair threshold: each attacker pair is locked...
    const attackers = ["203.0.113.66", "203.0.113.67", "203.0.113.68"];
    for (const ip of attackers) {
      for (let i = 0; i < SIGN_IN_THROTTLE.pairThreshold; i++) await attempt(email, `guess ${i} guess`, ip);
      expect(await attempt(email, password, ip)).toMatchObject({ ok: false, reason: "locked" });
    }
    // ...and the account is not: the admin, elsewhere, signs in (after the capped delay, at most).
    const delays: number[] = [];
    const result = await verifyCredentials(
      database.db,
      { email, password, ip: "198.51.100.7", userAgent: "vitest" },
      { wait: async (ms) => void delays.push(ms) },
    );
    expect(result).toMatchObject({ ok: true });
    expect(delays).toEqual([SIGN_IN_THROTTLE.maxDelayMs]);
  });

  test("the pair's wait doubles per further failure, capped at 15 minutes", async () => {
    const email = "backoff@example.test";
    const ip = "10.7.0.1";
    const throttle = () => readSignInThrottle(database.db, { email, ip });
    for (let i = 0; i < SIGN_IN_THROTTLE.pairThreshold - 1; i++) await attempt(email, `wrong ${i} wrong`, ip);
    expect((await throttle()).lockedForMs).toBe(0);
    const waits: number[] = [];
    // Failures logged while locked are "denied"; to measure the doubling, write "failure" rows directly.
    for (let i = 0; i < 6; i++) {
      await logFailure(email, ip);
      waits.push(Math.ceil((await throttle()).lockedForMs / 60_000));
    }
    expect(waits).toEqual([1, 2, 4, 8, 15, 15]);
    const { locked } = await checkSignInThrottle(database.db, { email, ip, userAgent: null });
    expect(locked).toMatchObject({ lockedBy: "pair", code: "too_many_attempts:15" });
    expect(locked!.retryAfterSeconds).toBeGreaterThan(14 * 60);
    expect(locked!.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
  });

  test("a successful sign-in resets the pair", async () => {
    const email = "reset@example.test";
    const { user } = await createUser(database.db, { email, name: "Reset", role: "auditor", password, actor: ADMIN });
    for (let i = 0; i < 4; i++) await attempt(email, `wrong ${i} wrong`, "10.2.0.1");
    expect(await attempt(email, password, "10.2.0.1")).toMatchObject({ ok: true });
    await recordSignIn(database.db, { userId: user.id, provider: "credentials", ip: "10.2.0.1", userAgent: null });
    await attempt(email, "wrong again wrong", "10.2.0.1");
    // 1 failure since the success, not 5: not locked.
    expect(await attempt(email, password, "10.2.0.1")).toMatchObject({ ok: true });
  });

  test("locks an IP that fails across many accounts (password spraying), and only that IP", async () => {
    const ip = "10.3.0.1";
    for (let i = 0; i < SIGN_IN_THROTTLE.ipThreshold; i++) await attempt(`spray${i}@example.test`, "guess guess guess", ip);
    expect(await attempt("alice@example.test", password, ip)).toMatchObject({ ok: false, reason: "locked" });
    const { locked } = await checkSignInThrottle(database.db, { email: "fresh@example.test", ip, userAgent: null });
    expect(locked).toMatchObject({ lockedBy: "ip", retryAfterSeconds: 60 });
    expect(await attempt("alice@example.test", password, "10.3.0.2")).toMatchObject({ ok: true });
    expect((await listSignInLocks(database.db)).filter((l) => l.ip === ip).map((l) => [l.kind, l.email])).toEqual([["ip", null]]);
  });

  test("an admin unlock clears the pair it names and is logged; failures after it count again", async () => {
    const email = "unlock@example.test";
    const ip = "10.8.0.1";
    await createUser(database.db, { email, name: "Unlock", role: "auditor", password, actor: ADMIN });
    for (let i = 0; i < 8; i++) await attempt(email, `wrong ${i} wrong`, ip);
    expect(await attempt(email, password, ip)).toMatchObject({ reason: "locked" });
    expect((await listSignInLocks(database.db)).map((l) => `${l.kind}:${l.email}:${l.ip}`)).toContain(`pair:${email}:${ip}`);

    await expect(unlockSignIn(database.db, { request: { account: email, ip, reason: "short" }, actor: admin })).rejects.toThrow(/reason/);
    await expect(unlockSignIn(database.db, { request: { reason: "ticket SEC-12 called in" }, actor: admin })).rejects.toThrow(/account, the IP/);
    const auditor = { ...admin, role: "auditor" };
    await expect(unlockSignIn(database.db, { request: { account: email, reason: "ticket SEC-12 called in" }, actor: auditor })).rejects.toThrow(/may not/);

    const unlock = await unlockSignIn(database.db, { request: { account: ` ${email.toUpperCase()} `, ip, reason: "ticket SEC-12 called in" }, actor: admin });
    expect(unlock).toMatchObject({ account: email, ip });
    const { rows } = await listAccessEvents(database.db, { action: "auth.sign_in_unlocked", limit: 1 });
    expect(rows[0]).toMatchObject({ userEmail: admin.email, outcome: "success", target: `${email} from ${ip}` });
    expect((rows[0]!.event as { details: unknown }).details).toEqual({ account: email, ip, reason: "ticket SEC-12 called in" });
    expect((await listSignInLocks(database.db)).map((l) => l.email)).not.toContain(email);
    expect(await readSignInThrottle(database.db, { email, ip })).toMatchObject({ lockedForMs: 0 });

    for (let i = 0; i < SIGN_IN_THROTTLE.pairThreshold; i++) await attempt(email, `again ${i} wrong`, ip);
    expect(await attempt(email, password, ip)).toMatchObject({ reason: "locked" });
    // An unlock naming only the IP covers that IP's pairs too.
    await unlockSignIn(database.db, { request: { ip, reason: "ticket SEC-13 office NAT" }, actor: admin });
    expect(await attempt(email, password, ip)).toMatchObject({ ok: true });
  });

  test("a deactivated user is told so only after the right password", async () => {
    const email = "gone@example.test";
    const { user } = await createUser(database.db, { email, name: "Gone", role: "auditor", password, actor: ADMIN });
    await updateUser(database.db, { id: user.id, active: false, actor: ADMIN });
    expect(await attempt(email, "not the password", "10.4.0.1")).toMatchObject({ code: "invalid_credentials" });
    expect(await attempt(email, password, "10.4.0.1")).toMatchObject({ ok: false, code: "account_deactivated", reason: "deactivated" });
  });

  test("single sign-on users have no password to guess", async () => {
    const { user } = await createUser(database.db, { email: "sso@example.test", name: "SSO", role: "auditor", ssoOnly: true, actor: ADMIN });
    expect(user.hasPassword).toBe(false);
    expect(await attempt("sso@example.test", "", "10.5.0.1")).toMatchObject({ reason: "invalid_input" });
    expect(await attempt("sso@example.test", "anything at all", "10.5.0.1")).toMatchObject({ reason: "no_password" });
  });

  test("sign-in and sign-out are logged with the user", async () => {
    await recordSignIn(database.db, { userId, provider: "credentials", ip: "10.6.0.1", userAgent: "ua" });
    await recordSignOut(database.db, { userId, email: "alice@example.test", ip: "10.6.0.1", userAgent: "ua" });
    const { rows } = await listAccessEvents(database.db, { userEmail: "alice@example.test", limit: 2 });
    expect(rows.map((r) => [r.action, r.outcome, r.userId, r.ip])).toEqual([
      ["auth.sign_out", "success", userId, "10.6.0.1"],
      ["auth.sign_in", "success", userId, "10.6.0.1"],
    ]);
  });
});

describe("POST /api/auth/callback/credentials", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    runtime.current = { db: database.db };
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function post(email: string, ip: string, provider = "credentials"): Promise<Response> {
    const { POST } = await import("@/app/api/auth/[...nextauth]/route");
    const body = new URLSearchParams({ email, password: "whatever it is", csrfToken: "t", json: "true" }).toString();
    const req = new Request(`http://ledger.test/api/auth/callback/${provider}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": ip },
      body,
    });
    return POST(req as never, { params: Promise.resolve({ nextauth: ["callback", provider] }) });
  }

  test("a throttled pair is answered 429 with Retry-After and a body next-auth's client reads; others reach next-auth", async () => {
    const email = "route@example.test";
    const ip = "10.9.0.1";
    for (let i = 0; i < SIGN_IN_THROTTLE.pairThreshold; i++) {
      await verifyCredentials(database.db, { email, password: `wrong ${i} wrong`, ip, userAgent: null }, { wait: noWait });
    }
    const refused = await post(email, ip);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await refused.json()) as { url: string; error: string; retryAfterSeconds: number };
    expect(body).toEqual({ url: "http://ledger.test/sign-in?error=too_many_attempts%3A1", error: "too_many_attempts:1", retryAfterSeconds: retryAfter });
    // What next-auth's signIn() does with it: the error code from the url's query.
    expect(new URL(body.url).searchParams.get("error")).toBe("too_many_attempts:1");
    expect(nextAuthCalls).toEqual([]);
    const { rows } = await listAccessEvents(database.db, { action: "auth.sign_in_failed", userEmail: email, limit: 1 });
    expect(rows[0]).toMatchObject({ outcome: "denied", ip });

    // Another address for the same account, and other next-auth routes, go through untouched.
    const other = await post(email, "10.9.0.2");
    expect(other.status).toBe(200);
    expect(new URLSearchParams(nextAuthCalls[0]).get("email")).toBe(email);
    expect((await post(email, ip, "oidc")).status).toBe(200);
  });
});
