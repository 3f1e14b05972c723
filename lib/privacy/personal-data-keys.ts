import "server-only";
import { BlindIndexKey, loadBlindIndexKey } from "./blind-index";
import { KeyEncryptionKeyRing, LocalKeyEncryptionKey, loadKeyEncryptionKey, PREVIOUS_KEK_VARIABLE, type KeyEncryptionKey } from "./key-encryption-key";
import { readSecretKey, type KeyEnvironment } from "./key-material";

/**
 * The two secrets personal data needs, both from outside the database: the key-encryption
 * key that wraps every subject's data key, and the blind-index key that makes exact search
 * and idempotent retries possible without plaintext. Loaded once per process.
 */
export interface PersonalDataKeys {
  readonly kek: KeyEncryptionKey;
  readonly indexKey: BlindIndexKey;
}

/**
 * Both keys from PERSONAL_DATA_KEK(_FILE) and PERSONAL_DATA_INDEX_KEY(_FILE); throws
 * KeyConfigurationError naming what is missing. With PERSONAL_DATA_KEK_PREVIOUS(_FILE) set
 * too (during a rotation), the KEK is a ring that still unwraps what the previous one wrapped.
 */
export function loadPersonalDataKeys(env: KeyEnvironment): PersonalDataKeys {
  const current = loadKeyEncryptionKey(env);
  const previousRaw = readSecretKey(env, PREVIOUS_KEK_VARIABLE);
  let kek: KeyEncryptionKey = current;
  if (previousRaw !== null) {
    try {
      kek = new KeyEncryptionKeyRing(current, [new LocalKeyEncryptionKey(previousRaw)]);
    } finally {
      previousRaw.fill(0);
    }
  }
  return { kek, indexKey: loadBlindIndexKey(env) };
}

export { BlindIndexKey };
