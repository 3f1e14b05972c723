import "server-only";
import { BlindIndexKey, loadBlindIndexKey } from "./blind-index";
import { loadKeyEncryptionKey, type KeyEncryptionKey } from "./key-encryption-key";
import type { KeyEnvironment } from "./key-material";

/**
 * The two secrets personal data needs, both from outside the database: the key-encryption
 * key that wraps every subject's data key, and the blind-index key that makes exact search
 * and idempotent retries possible without plaintext. Loaded once per process.
 */
export interface PersonalDataKeys {
  readonly kek: KeyEncryptionKey;
  readonly indexKey: BlindIndexKey;
}

/** Both keys from PERSONAL_DATA_KEK(_FILE) and PERSONAL_DATA_INDEX_KEY(_FILE); throws KeyConfigurationError naming what is missing. */
export function loadPersonalDataKeys(env: KeyEnvironment): PersonalDataKeys {
  return { kek: loadKeyEncryptionKey(env), indexKey: loadBlindIndexKey(env) };
}

export { BlindIndexKey };
