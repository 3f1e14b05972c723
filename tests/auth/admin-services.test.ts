import bcrypt from "bcryptjs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { listAccessEvents } from "@/db/queries/access-events";
import { getApiKey, listApiKeys } from "@/db/queries/api-keys";
import { getUserCredentials } from "@/db/queries/users";
import { apiKeys, users } from "@/db/schema";
import { createApiKey, hashApiKeySecret, revokeApiKey, verifyApiKey } from "@/lib/services/api-keys";
import { createUser, ServiceInputError, updateUser, type ServiceActor } from "@/lib/services/users";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/test-databases";
import { withAccessEventsRefused } from "./refuse-access-events";

async function refused(promise: Promise<unknown>): Promise<ServiceInputError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceInputError);
  return error as ServiceInputError;
}

describe.each(DATABASE_KINDS)("admin services on %s", (kind) => {
  let database: TestDatabase;
  let admin: ServiceActor & { id: string };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const { user } = await createUser(database.db, {
      email: "root@example.test",
      name: "Root",
      role: "admin",
      password: "first admin password",
      actor: { email: "cli" },
    });
    admin = { id: user.id, email: user.email, role: "admin", ip: "192.0.2.1", userAgent: "vitest" };
  });
  afterAll(async () => {
    await database?.drop();
  });

  describe("users", () => {
    test("createUser generates a strong password when none is given, stores only a bcrypt hash (cost 12) and logs users.create", async () => {
      const { user, generatedPassword } = await createUser(database.db, { email: "bob@example.test", name: " Bob ", role: "incident_reviewer", actor: admin });
      expect(user).toMatchObject({ email: "bob@example.test", name: "Bob", role: "incident_reviewer", active: true, hasPassword: true });
      expect(generatedPassword).toMatch(/^[A-Za-z0-9]{20}$/);
      const creds = await getUserCredentials(database.db, { email: "bob@example.test" });
      expect(creds!.passwordHash).toMatch(/^\$2[aby]\$12\$/);
      expect(await bcrypt.compare(generatedPassword!, creds!.passwordHash!)).toBe(true);
      const { rows } = await listAccessEvents(database.db, { action: "users.create", limit: 1 });
      expect(rows[0]).toMatchObject({ userEmail: admin.email, userId: admin.id, target: "bob@example.test", ip: "192.0.2.1" });
      const details = (rows[0]!.event as { details: Record<string, unknown> }).details;
      expect(details.before).toBeNull();
      expect(details.after).toEqual({ email: "bob@example.test", name: "Bob", role: "incident_reviewer", active: true });
      expect(JSON.stringify(rows[0]!.event)).not.toContain(generatedPassword!);
    });

    test("a given password is used and not returned", async () => {
      const { generatedPassword } = await createUser(database.db, { email: "carol@example.test", name: "Carol", role: "auditor", password: "carol's own password", actor: admin });
      expect(generatedPassword).toBeNull();
    });

    test("bad input names the field; duplicate emails are a 409 on the email field", async () => {
      const bad = await refused(createUser(database.db, { email: "not-an-email", name: "", role: "root" as never, password: "short", actor: admin }));
      expect(bad.status).toBe(400);
      expect(Object.keys(bad.fieldErrors).sort()).toEqual(["email", "name", "password", "role"]);
      const dup = await refused(createUser(database.db, { email: "BOB@example.test", name: "Bob 2", role: "auditor", actor: admin }));
      expect(dup.status).toBe(409);
      expect(dup.fieldErrors.email).toBeDefined();
    });

    test("updateUser changes role and active flag and logs before/after", async () => {
      const { user } = await createUser(database.db, { email: "dave@example.test", name: "Dave", role: "auditor", actor: admin });
      const updated = await updateUser(database.db, { id: user.id, role: "compliance_officer", actor: admin });
      expect(updated.role).toBe("compliance_officer");
      const off = await updateUser(database.db, { id: user.id, active: false, actor: admin });
      expect(off.active).toBe(false);
      const { rows } = await listAccessEvents(database.db, { action: "users.update", limit: 2 });
      const [deactivate, promote] = rows.map((r) => (r.event as { details: { before: unknown; after: unknown } }).details);
      expect(promote).toMatchObject({ before: { role: "auditor", active: true }, after: { role: "compliance_officer", active: true } });
      expect(deactivate).toMatchObject({ before: { active: true }, after: { active: false } });
    });

    test("you cannot deactivate yourself or remove your own admin role", async () => {
      expect((await refused(updateUser(database.db, { id: admin.id, active: false, actor: admin }))).fieldErrors.active).toBeDefined();
      expect((await refused(updateUser(database.db, { id: admin.id, role: "auditor", actor: admin }))).fieldErrors.role).toBeDefined();
    });

    test("the last active administrator cannot be deactivated or demoted by someone else", async () => {
      const other: ServiceActor = { email: "cli" };
      const last = await refused(updateUser(database.db, { id: admin.id, active: false, actor: other }));
      expect(last.status).toBe(409);
      expect(last.message).toMatch(/last active administrator/);
      // With a second admin, the first may go.
      const { user: second } = await createUser(database.db, { email: "second@example.test", name: "Second", role: "admin", actor: admin });
      await updateUser(database.db, { id: second.id, role: "auditor", actor: admin });
      expect((await refused(updateUser(database.db, { id: admin.id, role: "auditor", actor: other }))).status).toBe(409);
    });

    test("a refused change writes nothing: no update, no log entry", async () => {
      const before = await listAccessEvents(database.db, { limit: 1 });
      await refused(updateUser(database.db, { id: admin.id, active: false, actor: admin }));
      await refused(updateUser(database.db, { id: "00000000-0000-4000-8000-000000000000", role: "auditor", actor: admin }));
      await refused(updateUser(database.db, { id: "not-a-uuid", role: "auditor", actor: admin }));
      const after = await listAccessEvents(database.db, { limit: 1 });
      expect(after.rows[0]!.seq).toBe(before.rows[0]!.seq);
    });

    test("the change and its log entry commit together: a failing log append rolls back the change", async () => {
      const { user } = await createUser(database.db, { email: "erin@example.test", name: "Erin", role: "auditor", actor: admin });
      // Make the access-log insert of users.update fail, as a full disk or lost connection would.
      await withAccessEventsRefused(database.db, "users.update", () =>
        expect(updateUser(database.db, { id: user.id, role: "compliance_officer", actor: admin })).rejects.toThrow(),
      );
      const rows = await database.db.select({ role: users.role }).from(users).where(eq(users.id, user.id));
      expect(rows[0]!.role).toBe("auditor");
      // And with the log available again the same change goes through.
      expect((await updateUser(database.db, { id: user.id, role: "compliance_officer", actor: admin })).role).toBe("compliance_officer");
    });
  });

  describe("API keys", () => {
    test("createApiKey returns a dl_live_ secret once and stores only its SHA-256", async () => {
      const { key, secret } = await createApiKey(database.db, { owner: "loan-model", scope: "ingest", createdBy: admin.email, actor: admin });
      expect(secret).toMatch(/^dl_live_[0-9A-Za-z]{32}$/);
      expect(key).toMatchObject({ owner: "loan-model", scope: "ingest", createdBy: admin.email, revokedAt: null, lastUsedAt: null });
      expect(secret.startsWith(key.prefix)).toBe(true);
      const [stored] = await database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
      expect(stored!.secretHash).toBe(hashApiKeySecret(secret));
      expect(stored!.secretHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(stored)).not.toContain(secret);
      const { rows } = await listAccessEvents(database.db, { action: "api_keys.create", limit: 1 });
      expect(rows[0]).toMatchObject({ target: key.id, userEmail: admin.email });
      expect(JSON.stringify(rows[0]!.event)).not.toContain(secret);
    });

    test("callable without a signed-in user (CLI / seed): createdBy is logged", async () => {
      const { key } = await createApiKey(database.db, { owner: "seeded-model", createdBy: "demo-seed" });
      expect(key.scope).toBe("ingest");
      const { rows } = await listAccessEvents(database.db, { action: "api_keys.create", limit: 1 });
      expect(rows[0]!.userEmail).toBe("demo-seed");
    });

    test("bad input names the field", async () => {
      const error = await refused(createApiKey(database.db, { owner: "  ", scope: "admin", createdBy: admin.email }));
      expect(Object.keys(error.fieldErrors).sort()).toEqual(["owner", "scope"]);
    });

    test("verifyApiKey accepts the key, records its use at most once a minute, rejects unknown and malformed secrets", async () => {
      const { key, secret } = await createApiKey(database.db, { owner: "fraud-model", createdBy: admin.email });
      const t0 = new Date();
      expect(await verifyApiKey(database.db, secret, t0)).toEqual({ id: key.id, owner: "fraud-model", scope: "ingest" });
      const first = (await getApiKey(database.db, { id: key.id }))!.lastUsedAt!;
      expect(Math.abs(first.getTime() - t0.getTime())).toBeLessThan(1000);
      await verifyApiKey(database.db, secret, new Date(t0.getTime() + 30_000));
      expect((await getApiKey(database.db, { id: key.id }))!.lastUsedAt!.getTime()).toBe(first.getTime());
      await verifyApiKey(database.db, secret, new Date(t0.getTime() + 61_000));
      expect((await getApiKey(database.db, { id: key.id }))!.lastUsedAt!.getTime()).toBe(first.getTime() + 61_000);

      const other = secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A");
      expect(await verifyApiKey(database.db, other)).toBeNull();
      for (const bad of [null, undefined, "", "dl_live_short", "Bearer " + secret, secret + "x", secret.replace("dl_live_", "dl_test_")]) {
        expect(await verifyApiKey(database.db, bad as string)).toBeNull();
      }
    });

    test("a revoked key is refused, stays listed, and cannot be revoked twice", async () => {
      const { key, secret } = await createApiKey(database.db, { owner: "old-model", createdBy: admin.email });
      const revoked = await revokeApiKey(database.db, { id: key.id, actor: admin });
      expect(revoked.revokedAt).toBeInstanceOf(Date);
      expect(await verifyApiKey(database.db, secret)).toBeNull();
      expect((await listApiKeys(database.db)).some((k) => k.id === key.id && k.revokedAt)).toBe(true);
      const { rows } = await listAccessEvents(database.db, { action: "api_keys.revoke", limit: 1 });
      expect((rows[0]!.event as { details: { before: { revokedAt: unknown }; after: { revokedAt: unknown } } }).details).toMatchObject({
        before: { revokedAt: null },
        after: { revokedAt: revoked.revokedAt!.toISOString() },
      });
      expect((await refused(revokeApiKey(database.db, { id: key.id, actor: admin }))).status).toBe(409);
      expect((await refused(revokeApiKey(database.db, { id: "nope", actor: admin }))).status).toBe(400);
    });
  });
});
