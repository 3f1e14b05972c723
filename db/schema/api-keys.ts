import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** Ingest API keys. Only a SHA-256 of the secret is stored; the secret is shown once. */
export const apiKeys = pgTable("api_keys", {
  id: uuid("id").primaryKey().defaultRandom(),
  /** Who writes with this key: becomes the xAPI `authority` of every statement it stores. */
  owner: text("owner").notNull(),
  /** First characters of the secret, to recognise a key without revealing it. */
  prefix: text("prefix").notNull(),
  secretHash: text("secret_hash").notNull().unique(),
  scope: text("scope").notNull().default("ingest"),
  createdBy: text("created_by").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
});
