import "server-only";
import { z } from "zod";
import type { Db } from "../../db/client";
import { getDetectionSetting, type DetectionSettingRecord } from "../../db/queries/detection-settings";
import { personalDataDetectionSettings } from "../../db/schema";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { personalDataDetectionConfigSchema, type PersonalDataDetectionConfig } from "../ledger/personal-data-detection/detection-config";
import { requireActiveUserWith, requireServicePermission, type ServiceActorWithRole } from "./data-subject-input";
import { accessEventUser, ServiceInputError } from "./users";

/**
 * Sets which personal-data recognisers run over one AI system's free text at ingest, and
 * which regions' national phone formats they read. Takes effect with the system's next
 * append (appendDecisions reads the settings per batch); records already stored keep what
 * was committed when they were written.
 */

export const AI_SYSTEM_NAME_MAX = 200;

/** The request: the AI system (as the decisions' ai_system column names it) and its configuration. */
export const updateDetectionSettingsSchema = personalDataDetectionConfigSchema.extend({
  aiSystem: z
    .string({ error: "Name the AI system" })
    .trim()
    .min(1, { error: "Name the AI system (as its decisions record it)" })
    .max(AI_SYSTEM_NAME_MAX, { error: `The AI system's name is too long (${AI_SYSTEM_NAME_MAX} characters at most)` }),
});

function snapshot(config: PersonalDataDetectionConfig) {
  return { kinds: [...config.kinds], phoneRegions: [...config.phoneRegions] };
}

/**
 * Authorize (personal_data.configure, and the actor still active with it), parse, upsert, and
 * log `personal_data.detection_update` with the settings before and after, in one transaction.
 * Bad input is refused with the field named (`kinds.1`, `phoneRegions.0`, `aiSystem`).
 */
export async function updateDetectionSettings(db: Db, input: { request: unknown; actor: ServiceActorWithRole }): Promise<DetectionSettingRecord> {
  requireServicePermission(input.actor, "personal_data.configure", "configure personal-data detection");
  const parsed = updateDetectionSettingsSchema.safeParse(input.request);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  const { aiSystem, ...config } = parsed.data;
  return db.transaction(async (tx) => {
    await requireActiveUserWith(tx, input.actor, "personal_data.configure", "configure personal-data detection");
    const before = await getDetectionSetting(tx, { aiSystem });
    const updatedAt = new Date();
    await tx
      .insert(personalDataDetectionSettings)
      .values({ aiSystem, config, updatedBy: input.actor.email, updatedAt })
      .onConflictDoUpdate({ target: personalDataDetectionSettings.aiSystem, set: { config, updatedBy: input.actor.email, updatedAt } });
    const after = await getDetectionSetting(tx, { aiSystem });
    await appendAccessEvent(
      tx,
      {
        action: "personal_data.detection_update",
        outcome: "success",
        user: accessEventUser(input.actor),
        target: aiSystem,
        details: {
          aiSystem,
          before: { source: before.source, ...snapshot(before.config) },
          after: snapshot(after.config),
        },
        ip: input.actor.ip ?? null,
        userAgent: input.actor.userAgent ?? null,
      },
      tx,
    );
    return after;
  });
}
