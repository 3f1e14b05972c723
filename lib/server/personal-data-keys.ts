import "server-only";
import { randomBytes } from "node:crypto";
import { INDEX_KEY_VARIABLE } from "../privacy/blind-index";
import { KEK_VARIABLE, PREVIOUS_KEK_VARIABLE } from "../privacy/key-encryption-key";
import { KeyConfigurationError, readSecretKey } from "../privacy/key-material";
import { loadPersonalDataKeys, type PersonalDataKeys } from "../privacy/personal-data-keys";
import type { ServerConfig } from "./config";
import { readOrCreateSecretFile } from "./secrets";

const GENERATED_FILES: Record<string, string> = { [KEK_VARIABLE]: "personal-data-kek", [INDEX_KEY_VARIABLE]: "personal-data-index-key" };

/**
 * The deployment's personal-data keys (docs/privacy.md "Keys"): from the environment or the
 * files it names, else, for the embedded demo, keys generated once into DATA_DIR (mode 0600)
 * with a warning. A server on its own Postgres with the demo off must be given both: a key
 * generated beside the data and lost with the container would make every opening unreadable.
 */
export function loadOrCreatePersonalDataKeys(config: ServerConfig, warn: (text: string) => void): PersonalDataKeys {
  const env: Record<string, string | undefined> = {
    [KEK_VARIABLE]: config.PERSONAL_DATA_KEK,
    [`${KEK_VARIABLE}_FILE`]: config.PERSONAL_DATA_KEK_FILE,
    [INDEX_KEY_VARIABLE]: config.PERSONAL_DATA_INDEX_KEY,
    [`${INDEX_KEY_VARIABLE}_FILE`]: config.PERSONAL_DATA_INDEX_KEY_FILE,
    [PREVIOUS_KEK_VARIABLE]: config.PERSONAL_DATA_KEK_PREVIOUS,
    [`${PREVIOUS_KEK_VARIABLE}_FILE`]: config.PERSONAL_DATA_KEK_PREVIOUS_FILE,
  };
  for (const [variable, fileName] of Object.entries(GENERATED_FILES)) {
    if (readSecretKey(env, variable) !== null) continue;
    if (config.DATABASE_URL && !config.DEMO)
      throw new KeyConfigurationError(variable, `${variable} or ${variable}_FILE must be set when DATABASE_URL is set and DEMO is false`);
    const { value, created } = readOrCreateSecretFile(config.DATA_DIR, fileName, () => randomBytes(32).toString("hex"));
    if (created) warn(`WARNING: generated ${variable} into ${config.DATA_DIR}/${fileName}. Demo only: in production supply ${variable}_FILE from a secret store.`);
    env[variable] = value;
  }
  return loadPersonalDataKeys(env);
}
