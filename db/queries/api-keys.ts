import "server-only";
import { desc, eq } from "drizzle-orm";
import type { Db } from "../client";
import { apiKeys } from "../schema";
import { isUuid } from "../../lib/ledger/xapi/syntax";

/** An API key as the admin page shows it: never the secret or its hash. */
export interface ApiKeyRecord {
  id: string;
  owner: string;
  prefix: string;
  scope: string;
  createdBy: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

type Reader = Pick<Db, "select">;

const publicColumns = {
  id: apiKeys.id,
  owner: apiKeys.owner,
  prefix: apiKeys.prefix,
  scope: apiKeys.scope,
  createdBy: apiKeys.createdBy,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
  lastUsedAt: apiKeys.lastUsedAt,
};

/** All keys, newest first (active and revoked: revoked keys stay listed as evidence). */
export async function listApiKeys(db: Reader): Promise<ApiKeyRecord[]> {
  return db.select(publicColumns).from(apiKeys).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
}

export async function getApiKey(db: Reader, params: { id: string }): Promise<ApiKeyRecord | null> {
  if (!isUuid(params.id)) return null;
  const rows = await db.select(publicColumns).from(apiKeys).where(eq(apiKeys.id, params.id)).limit(1);
  return rows[0] ?? null;
}

/** Lookup by SHA-256 (hex) of the secret, for verifying a presented key. */
export async function getApiKeyBySecretHash(db: Reader, params: { secretHash: string }): Promise<ApiKeyRecord | null> {
  const rows = await db.select(publicColumns).from(apiKeys).where(eq(apiKeys.secretHash, params.secretHash)).limit(1);
  return rows[0] ?? null;
}
