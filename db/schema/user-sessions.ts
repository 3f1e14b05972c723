import { sql } from "drizzle-orm";
import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

/**
 * Server-side dashboard sessions (OWASP ASVS V3.3). The session cookie (next-auth's encrypted
 * JWT) carries only this row's id; the guard reads the row on every request, so signing out,
 * "sign out everywhere", a role change and a deactivation end a session at once, whatever
 * copies of the cookie exist. Mutable (revoked_at, last_seen_at): every revocation is also
 * written to the access log, which is the tamper-evident record.
 */
export const userSessions = pgTable(
  "user_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    /** "credentials" or the OIDC provider id. */
    provider: text("provider").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Absolute end of the session (sign-in + SESSION_MAX_AGE_SECONDS); never extended. */
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** Updated at most once a minute per session, to show "last active" without a write per request. */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    /** "sign_out", "sign_out_everywhere", "ended_by_user", "revoked_by_admin", "role_changed", "deactivated". */
    revokedReason: text("revoked_reason"),
  },
  (t) => [index("user_sessions_active_user_idx").on(t.userId).where(sql`revoked_at is null`)],
);
