import "server-only";
import type { Db } from "../../db/client";
import { personalDataDetectionSettings } from "../../db/schema";
import {
  DEFAULT_PERSONAL_DATA_DETECTION_CONFIG,
  parsePersonalDataDetectionConfig,
  type PersonalDataDetectionConfig,
} from "../ledger/personal-data-detection/detection-config";

/**
 * The detection configuration of every AI system that has one, as a lookup: systems without
 * a row (and statements without an AI system) get every recogniser. A stored configuration
 * that no longer parses (a recogniser was renamed) also falls back to every recogniser:
 * detecting too much is safe, too little is not.
 */
export async function readDetectionSettings(db: Pick<Db, "select">): Promise<(aiSystem: string | null) => PersonalDataDetectionConfig> {
  const rows = await db.select({ aiSystem: personalDataDetectionSettings.aiSystem, config: personalDataDetectionSettings.config }).from(personalDataDetectionSettings);
  const byAiSystem = new Map<string, PersonalDataDetectionConfig>();
  for (const row of rows) {
    try {
      byAiSystem.set(row.aiSystem, parsePersonalDataDetectionConfig(row.config));
    } catch {
      // Falls back to the default for this system; see above.
    }
  }
  return (aiSystem) => (aiSystem === null ? undefined : byAiSystem.get(aiSystem)) ?? DEFAULT_PERSONAL_DATA_DETECTION_CONFIG;
}
