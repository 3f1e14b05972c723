import { boolean, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** Dashboard users. Mutable (role changes, deactivation); every change is written to the access log. */
export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  role: text("role").notNull(),
  /** bcrypt; null for users who only sign in through OIDC. */
  passwordHash: text("password_hash"),
  active: boolean("active").notNull().default(true),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
