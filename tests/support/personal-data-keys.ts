import { randomBytes } from "node:crypto";
import { BlindIndexKey } from "@/lib/privacy/blind-index";
import { LocalKeyEncryptionKey } from "@/lib/privacy/key-encryption-key";
import type { PersonalDataKeys } from "@/lib/privacy/personal-data-keys";

/** Fresh random personal-data keys, as a deployment configures them (PERSONAL_DATA_KEK, PERSONAL_DATA_INDEX_KEY). */
export function newPersonalDataKeys(): PersonalDataKeys {
  return { kek: new LocalKeyEncryptionKey(randomBytes(32)), indexKey: new BlindIndexKey(randomBytes(32)) };
}

/** One set for a test file's whole ledger: the same keys must open what they sealed. */
export const TEST_KEYS: PersonalDataKeys = newPersonalDataKeys();
