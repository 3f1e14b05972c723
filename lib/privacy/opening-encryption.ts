import "server-only";
import { EncodingError, fromBase64, fromBase64Url, toBase64, toBase64Url, utf8Decode } from "../ledger/bytes";
import { canonicalBytes } from "../ledger/jcs";
import { parseJsonPointer } from "../ledger/json-pointer";
import { PD_SALT_BYTES, type PdOpening } from "../ledger/xapi/pd-commitment";
import { openAes256Gcm, sealAes256Gcm } from "./aes-256-gcm";
import { DATA_KEY_BYTES } from "./data-keys";

// An opening (docs/decision-profile.md §15: the personal value and its salt) sealed under its
// data subject's data key, format v1:
//
//   sealed    = "pdo:v1:" base64url(iv) ":" base64url(ciphertext || tag)
//   plaintext = JCS({ "salt": base64(salt), "value": value })
//   aad       = JCS({ "pointer", "purpose": "decision-ledger/personal-data-opening/v1", "recordId", "ref" })
//
// AES-256-GCM with a fresh 96-bit IV per opening. The AAD binds the ciphertext to where it
// belongs, so a sealed opening copied to another commitment, record or field does not open.

/** Where a sealed opening belongs. */
export interface OpeningContext {
  /** The commitment's reference (pd-commitment.ts), which names this opening. */
  readonly ref: string;
  /** The record whose statement holds the commitment. */
  readonly recordId: string;
  /** RFC 6901 pointer to the commitment in that statement. */
  readonly pointer: string;
}

/** The stored text of a sealed opening: `pdo:v1:<iv>:<ciphertext and tag>`, both base64url. */
export type SealedOpening = string;

export const SEALED_OPENING_PREFIX = "pdo:v1:";
const OPENING_PURPOSE = "decision-ledger/personal-data-opening/v1";
// A 12-byte IV is exactly 16 base64url characters; the ciphertext holds at least the 16-byte tag.
const SEALED_OPENING_RE = /^pdo:v1:([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22,})$/;

/**
 * A sealed opening that cannot be opened: malformed, wrong key, wrong context or tampered.
 * One error for every cause, and its message never holds any of the plaintext (not even a
 * JSON parser's excerpt of it), so it is safe to log.
 */
export class OpeningDecryptionError extends Error {
  constructor(reason: string) {
    super(`sealed opening cannot be opened: ${reason}`);
    this.name = "OpeningDecryptionError";
  }
}

function checkDataKey(dataKey: Uint8Array): void {
  if (dataKey.length !== DATA_KEY_BYTES) throw new TypeError(`a data key must be ${DATA_KEY_BYTES} bytes, got ${dataKey.length}`);
}

function openingAad(context: OpeningContext): Uint8Array {
  const { ref, recordId, pointer } = context;
  if (typeof ref !== "string" || ref === "") throw new TypeError("opening context: ref must be a non-empty string");
  if (typeof recordId !== "string" || recordId === "") throw new TypeError("opening context: recordId must be a non-empty string");
  if (typeof pointer !== "string" || parseJsonPointer(pointer) === null) throw new TypeError("opening context: pointer must be a JSON pointer");
  return canonicalBytes({ purpose: OPENING_PURPOSE, ref, recordId, pointer });
}

/**
 * Seals `opening` for `context` under the subject's data key. Throws TypeError for a wrong
 * key or salt length or a malformed context, CanonicalizationError for a value without a
 * canonical form.
 */
export function encryptOpening(dataKey: Uint8Array, opening: PdOpening, context: OpeningContext): SealedOpening {
  checkDataKey(dataKey);
  if (opening.salt.length !== PD_SALT_BYTES) throw new TypeError(`salt must be ${PD_SALT_BYTES} bytes, got ${opening.salt.length}`);
  const plaintext = canonicalBytes({ value: opening.value, salt: toBase64(opening.salt) });
  const { iv, ciphertext } = sealAes256Gcm(dataKey, plaintext, openingAad(context));
  plaintext.fill(0);
  return `${SEALED_OPENING_PREFIX}${toBase64Url(iv)}:${toBase64Url(ciphertext)}`;
}

function parseSealedOpening(sealed: SealedOpening): { iv: Uint8Array; ciphertext: Uint8Array } {
  const match = typeof sealed === "string" ? SEALED_OPENING_RE.exec(sealed) : null;
  if (match === null) throw new OpeningDecryptionError(`not a ${SEALED_OPENING_PREFIX} sealed opening`);
  try {
    return { iv: fromBase64Url(match[1]!), ciphertext: fromBase64Url(match[2]!) };
  } catch (error) {
    if (error instanceof EncodingError) throw new OpeningDecryptionError("malformed base64url");
    throw error;
  }
}

/** The opening in an authenticated plaintext; anything but exactly { salt, value } is refused. */
function readOpening(plaintext: Uint8Array): PdOpening {
  let json: unknown;
  try {
    json = JSON.parse(utf8Decode(plaintext));
  } catch {
    // JSON.parse's message quotes the input: it must not reach the error.
    throw new OpeningDecryptionError("plaintext is not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new OpeningDecryptionError("plaintext is not an opening");
  const keys = Object.keys(json);
  const { salt, value } = json as { salt?: unknown; value?: unknown };
  if (keys.length !== 2 || !("value" in json) || typeof salt !== "string") throw new OpeningDecryptionError("plaintext is not an opening");
  let saltBytes: Uint8Array;
  try {
    saltBytes = fromBase64(salt);
  } catch {
    throw new OpeningDecryptionError("plaintext salt is not base64");
  }
  if (saltBytes.length !== PD_SALT_BYTES) throw new OpeningDecryptionError(`plaintext salt is not ${PD_SALT_BYTES} bytes`);
  return { value, salt: saltBytes };
}

/** Opens what encryptOpening sealed, with the same data key and context; throws OpeningDecryptionError otherwise. */
export function decryptOpening(dataKey: Uint8Array, sealed: SealedOpening, context: OpeningContext): PdOpening {
  checkDataKey(dataKey);
  const plaintext = openAes256Gcm(dataKey, parseSealedOpening(sealed), openingAad(context));
  if (plaintext === null) throw new OpeningDecryptionError("authentication failed (wrong data key or context, or tampered)");
  try {
    return readOpening(plaintext);
  } finally {
    plaintext.fill(0);
  }
}
