import { bigint, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * The access log: every use of the dashboard (sign-in, search, view, reveal, export,
 * verification, admin change). Content of the `access` log, hash-chained and checkpointed
 * with the same machinery as decisions; `canonical` is the hashed JCS form of `event`.
 */
export const accessEvents = pgTable(
  "access_events",
  {
    seq: bigint("seq", { mode: "number" }).primaryKey(),
    id: uuid("id").notNull().unique(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull(),
    canonical: text("canonical").notNull(),
    event: jsonb("event").notNull(),
    action: text("action").notNull(),
    outcome: text("outcome").notNull(),
    userId: text("user_id"),
    userEmail: text("user_email"),
    target: text("target"),
    ip: text("ip"),
  },
  (t) => [
    index("access_events_recorded_at_idx").on(t.recordedAt.desc()),
    index("access_events_action_idx").on(t.action, t.recordedAt.desc()),
    index("access_events_user_idx").on(t.userEmail, t.recordedAt.desc()),
  ],
);
