import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { listAccessEvents } from "@/db/queries/access-events";
import { lockRemainingMs, recordSignIn, recordSignOut, SIGN_IN_THROTTLE, verifyCredentials } from "@/lib/auth/sign-in";
import { safeCallbackPath, signInErrorMessage } from "@/lib/auth/sign-in-errors";
import { createUser, updateUser } from "@/lib/services/users";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";

const noWait = async () => {};
const ADMIN = { email: "setup@test", id: null };

describe("sign-in messages and redirects", () => {
  test("codes map to plain messages, lockout states the minutes", () => {
    expect(signInErrorMessage("invalid_credentials")).toBe("The email or password is not correct.");
    expect(signInErrorMessage("too_many_attempts:3")).toBe("Too many attempts, try again in 3 minutes.");
    expect(signInErrorMessage("too_many_attempts:1")).toBe("Too many attempts, try again in 1 minute.");
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

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const { user } = await createUser(database.db, { email: "Alice@Example.test", name: "Alice", role: "auditor", password, actor: ADMIN });
    userId = user.id;
  });
  afterAll(async () => {
    await database?.drop();
  });

  const attempt = (email: string, pw: string, ip = "10.0.0.1", now?: Date) =>
    verifyCredentials(database.db, { email, password: pw, ip, userAgent: "vitest" }, { wait: noWait, now });

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

  test("locks an email after 5 failures, says for how long, and a lockout refusal does not extend it", async () => {
    const email = "locked@example.test";
    await createUser(database.db, { email, name: "Locked", role: "auditor", password, actor: ADMIN });
    for (let i = 0; i < 5; i++) {
      expect(await attempt(email, `wrong password ${i}`, `10.1.0.${i}`)).toMatchObject({ reason: "wrong_password" });
    }
    // Even the right password is refused while locked.
    const locked = await attempt(email, password, "10.1.0.99");
    expect(locked).toMatchObject({ ok: false, code: "too_many_attempts:1", reason: "locked" });
    expect(signInErrorMessage((locked as { code: string }).code)).toBe("Too many attempts, try again in 1 minute.");
    const { rows } = await listAccessEvents(database.db, { action: "auth.sign_in_failed", userEmail: email, limit: 1 });
    expect(rows[0]!.outcome).toBe("denied");
    // After the one-minute window the right password works again (the denied attempt did not count).
    const later = new Date(Date.now() + 61_000);
    expect(await attempt(email, password, "10.1.0.99", later)).toMatchObject({ ok: true });
  });

  test("a successful sign-in resets the per-email count", async () => {
    const email = "reset@example.test";
    const { user } = await createUser(database.db, { email, name: "Reset", role: "auditor", password, actor: ADMIN });
    for (let i = 0; i < 4; i++) await attempt(email, `wrong ${i} wrong`, `10.2.0.${i}`);
    expect(await attempt(email, password, "10.2.0.9")).toMatchObject({ ok: true });
    await recordSignIn(database.db, { userId: user.id, provider: "credentials", ip: "10.2.0.9", userAgent: null });
    await attempt(email, "wrong again wrong", "10.2.0.10");
    // 1 failure since the success, not 5: not locked.
    expect(await attempt(email, password, "10.2.0.11")).toMatchObject({ ok: true });
  });

  test("locks an IP that fails across many accounts", async () => {
    const ip = "10.3.0.1";
    for (let i = 0; i < SIGN_IN_THROTTLE.ipThreshold; i++) await attempt(`spray${i}@example.test`, "guess guess guess", ip);
    expect(await attempt("alice@example.test", password, ip)).toMatchObject({ ok: false, reason: "locked" });
    expect(await attempt("alice@example.test", password, "10.3.0.2")).toMatchObject({ ok: true });
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
