import { jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Per AI system (the decisions' ai_system column), which recognisers run over its free text
 * at ingest (lib/ledger/personal-data-detection/detection-config.ts). No row: every recogniser.
 */
export const personalDataDetectionSettings = pgTable("personal_data_detection_settings", {
  aiSystem: text("ai_system").primaryKey(),
  config: jsonb("config").notNull(),
  updatedBy: text("updated_by").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
});
