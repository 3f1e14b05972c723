import "server-only";

/** The keyed digests and blind indexes of the personal-data store (docs/privacy.md); sealing is seal-openings.ts. */
import { concatBytes, utf8Encode } from "../ledger/bytes";
import { canonicalBytes } from "../ledger/jcs";
import type { DataSubject } from "../ledger/xapi/commit-statement";
import type { XapiStatement } from "../ledger/xapi/types";
import { blindIndex } from "../privacy/blind-index";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import { contentWithoutServerFields } from "../ledger/xapi/server-fields";
import { isUuid } from "../ledger/xapi/syntax";

const CONTENT_DIGEST_PREFIX = concatBytes(utf8Encode("decision-ledger/content-digest/v1"), new Uint8Array([0x00]));

/**
 * What an idempotent retry is compared by: HMAC (index key) of the submitted statement's
 * canonical form without `stored`, before commitment. Keyed, because the plaintext
 * statement's hash would let anyone holding a guess at the personal data confirm it.
 */
export function contentDigestOf(keys: PersonalDataKeys, prepared: XapiStatement): Uint8Array {
  return new Uint8Array(keys.indexKey.mac(concatBytes(CONTENT_DIGEST_PREFIX, canonicalBytes(contentWithoutServerFields(prepared)))));
}

/** The blind index that names a subject; a record without one is a subject of its own. */
export function subjectIndexOf(keys: PersonalDataKeys, subject: DataSubject | null, recordId: string): string {
  return subject ? blindIndex(keys.indexKey, subject.kind, subject.id) : blindIndex(keys.indexKey, "entity-id", `record:${recordId}`);
}

/** Null when nothing is left to index once normalised (a phone number of punctuation only). */
export function lookupIndexOrNull(keys: PersonalDataKeys, kind: Parameters<typeof blindIndex>[1], value: string): string | null {
  try {
    return blindIndex(keys.indexKey, kind, value);
  } catch (error) {
    if (error instanceof TypeError) return null;
    throw error;
  }
}

/**
 * The blind indexes a subject id typed by a person (an admin erasing, an officer searching)
 * may have been stored under: as an entity id, as text, as an e-mail address when it looks
 * like one, and as a record of its own when it is a record id (dataSubjectOf gives each kind).
 */
export function subjectIndexCandidates(keys: PersonalDataKeys, typedId: string): string[] {
  const id = typedId.trim();
  if (id === "") return [];
  const out = [blindIndex(keys.indexKey, "entity-id", id), blindIndex(keys.indexKey, "text", id)];
  if (id.includes("@")) out.push(blindIndex(keys.indexKey, "email", id));
  if (isUuid(id)) out.push(blindIndex(keys.indexKey, "entity-id", `record:${id.toLowerCase()}`));
  return [...new Set(out)];
}
