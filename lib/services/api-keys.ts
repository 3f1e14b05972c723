import "server-only";
import { createHash, randomInt } from "node:crypto";
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client";
import { getApiKey, getApiKeyBySecretHash, type ApiKeyRecord } from "../../db/queries/api-keys";
import { apiKeys } from "../../db/schema";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { accessEventUser, ServiceInputError, type ServiceActor } from "./users";

/** Scopes a key may have. `ingest`: may append decision records through the ingest API. */
export const API_KEY_SCOPES = ["ingest"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const API_KEY_PREFIX = "dl_live_";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SECRET_PATTERN = /^dl_live_[0-9A-Za-z]{32}$/;
/** Characters of the secret kept in clear (prefix column) so admins can tell keys apart. */
const VISIBLE_PREFIX_LENGTH = API_KEY_PREFIX.length + 4;
/** last_used_at is refreshed at most once a minute per key: ingest traffic must not turn every request into a write. */
const LAST_USED_THROTTLE_MS = 60_000;

/** `dl_live_` + 32 base62 characters from the CSPRNG (~190 bits). */
export function generateApiKeySecret(): string {
  let body = "";
  for (let i = 0; i < 32; i++) body += BASE62[randomInt(BASE62.length)];
  return API_KEY_PREFIX + body;
}

/** Only this hash is stored: a database leak does not reveal usable keys. */
export function hashApiKeySecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export const createApiKeyInput = z.object({
  owner: z
    .string({ error: "Enter who will use this key" })
    .trim()
    .min(1, { error: "Enter who will use this key (e.g. the AI system's name)" })
    .max(200, { error: "Owner is too long (200 characters at most)" }),
  scope: z.enum(API_KEY_SCOPES, { error: `Choose a scope: ${API_KEY_SCOPES.join(", ")}` }).default("ingest"),
  createdBy: z.string().trim().min(1, { error: "createdBy is required" }).max(320),
});

function actorEntry(actor: ServiceActor | undefined, fallbackEmail: string) {
  return actor ? accessEventUser(actor) : { email: fallbackEmail };
}

function snapshot(k: ApiKeyRecord) {
  return { owner: k.owner, prefix: k.prefix, scope: k.scope, revokedAt: k.revokedAt?.toISOString() ?? null };
}

/**
 * Creates an ingest key; logs `api_keys.create` in the same transaction. The secret is
 * returned once and never stored: show it to the caller and forget it.
 * `createdBy` names the creator (an admin's email, "cli", "demo-seed"); `actor` adds the id,
 * role and request context when a signed-in user acts.
 */
export async function createApiKey(
  db: Db,
  input: { owner: string; scope?: string; createdBy: string; actor?: ServiceActor },
): Promise<{ key: ApiKeyRecord; secret: string }> {
  const parsed = createApiKeyInput.safeParse(input);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  const { owner, scope, createdBy } = parsed.data;
  const secret = generateApiKeySecret();
  const key = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({ owner, scope, createdBy, prefix: secret.slice(0, VISIBLE_PREFIX_LENGTH), secretHash: hashApiKeySecret(secret) })
      .returning({ id: apiKeys.id });
    const created = (await getApiKey(tx, { id: row!.id }))!;
    await appendAccessEvent(
      db,
      {
        action: "api_keys.create",
        outcome: "success",
        user: actorEntry(input.actor, createdBy),
        target: created.id,
        details: { keyId: created.id, before: null, after: snapshot(created) },
        ip: input.actor?.ip,
        userAgent: input.actor?.userAgent,
      },
      tx,
    );
    return created;
  });
  return { key, secret };
}

/** Revokes a key for good (keys are never deleted); logs `api_keys.revoke` in the same transaction. */
export async function revokeApiKey(db: Db, input: { id: unknown; actor: ServiceActor }): Promise<ApiKeyRecord> {
  const parsed = z.object({ id: z.uuid({ error: "Unknown API key" }) }).safeParse({ id: input.id });
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  return db.transaction(async (tx) => {
    const [locked] = await tx.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.id, parsed.data.id)).for("update");
    const before = locked ? await getApiKey(tx, { id: locked.id }) : null;
    if (!before) throw new ServiceInputError("This API key does not exist", { id: ["This API key does not exist"] }, 404);
    if (before.revokedAt) throw new ServiceInputError("This API key is already revoked", { id: ["This API key is already revoked"] }, 409);
    await tx.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, before.id));
    const after = (await getApiKey(tx, { id: before.id }))!;
    await appendAccessEvent(
      db,
      {
        action: "api_keys.revoke",
        outcome: "success",
        user: actorEntry(input.actor, input.actor.email),
        target: before.id,
        details: { keyId: before.id, before: snapshot(before), after: snapshot(after) },
        ip: input.actor.ip,
        userAgent: input.actor.userAgent,
      },
      tx,
    );
    return after;
  });
}

/**
 * The key a presented secret belongs to, or null when it is malformed, unknown or revoked.
 * Records the use (last_used_at), at most once a minute per key.
 */
export async function verifyApiKey(
  db: Db,
  secret: string | null | undefined,
  now: Date = new Date(),
): Promise<{ id: string; owner: string; scope: ApiKeyScope } | null> {
  if (typeof secret !== "string" || !SECRET_PATTERN.test(secret)) return null;
  const key = await getApiKeyBySecretHash(db, { secretHash: hashApiKeySecret(secret) });
  if (!key || key.revokedAt) return null;
  if (!(API_KEY_SCOPES as readonly string[]).includes(key.scope)) return null;
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() >= LAST_USED_THROTTLE_MS) {
    // The condition is repeated in SQL so concurrent requests do not all write.
    await db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(
        and(
          eq(apiKeys.id, key.id),
          or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now.getTime() - LAST_USED_THROTTLE_MS + 1))),
        ),
      );
  }
  return { id: key.id, owner: key.owner, scope: key.scope as ApiKeyScope };
}
