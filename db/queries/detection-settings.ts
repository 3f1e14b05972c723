import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../client";
import { personalDataDetectionSettings } from "../schema";
import {
  DEFAULT_PERSONAL_DATA_DETECTION_CONFIG,
  parsePersonalDataDetectionConfig,
  type PersonalDataDetectionConfig,
} from "../../lib/ledger/personal-data-detection/detection-config";
import { listAiSystems } from "./decisions";

/**
 * The personal-data detection settings per AI system, as the admin page and the CLI show
 * them: what ingest will apply (lib/ledger-store/detection-settings.ts reads the same rows
 * with the same fallback), and whether that is a stored choice or the default.
 */
export interface DetectionSettingRecord {
  aiSystem: string;
  /** What ingest applies to this system's next statements. */
  config: PersonalDataDetectionConfig;
  /**
   * "configured": a stored row; "default": no row (every recogniser); "invalid": a stored row
   * that no longer parses (a recogniser was renamed), so ingest applies the default.
   */
  source: "configured" | "default" | "invalid";
  updatedBy: string | null;
  updatedAt: Date | null;
}

type Reader = Pick<Db, "select">;

function toRecord(row: typeof personalDataDetectionSettings.$inferSelect): DetectionSettingRecord {
  const meta = { aiSystem: row.aiSystem, updatedBy: row.updatedBy, updatedAt: row.updatedAt };
  try {
    return { ...meta, config: parsePersonalDataDetectionConfig(row.config), source: "configured" };
  } catch {
    return { ...meta, config: DEFAULT_PERSONAL_DATA_DETECTION_CONFIG, source: "invalid" };
  }
}

function defaultRecord(aiSystem: string): DetectionSettingRecord {
  return { aiSystem, config: DEFAULT_PERSONAL_DATA_DETECTION_CONFIG, source: "default", updatedBy: null, updatedAt: null };
}

/** The setting of one AI system, the default when it has no row. */
export async function getDetectionSetting(db: Reader, params: { aiSystem: string }): Promise<DetectionSettingRecord> {
  const [row] = await db.select().from(personalDataDetectionSettings).where(eq(personalDataDetectionSettings.aiSystem, params.aiSystem));
  return row ? toRecord(row) : defaultRecord(params.aiSystem);
}

/**
 * Every AI system known to the ledger (it recorded a decision) or configured ahead of its
 * first decision, with its setting, sorted by name.
 */
export async function listDetectionSettings(db: Reader & Pick<Db, "execute">): Promise<DetectionSettingRecord[]> {
  const rows = await db.select().from(personalDataDetectionSettings);
  const byAiSystem = new Map(rows.map((row) => [row.aiSystem, toRecord(row)]));
  for (const aiSystem of await listAiSystems(db)) if (!byAiSystem.has(aiSystem)) byAiSystem.set(aiSystem, defaultRecord(aiSystem));
  return [...byAiSystem.values()].sort((a, b) => a.aiSystem.localeCompare(b.aiSystem, "en"));
}
