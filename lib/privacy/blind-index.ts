import "server-only";
import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import { concatBytes, utf8Encode } from "../ledger/bytes";
import { digitsOf } from "../ledger/personal-data-detection/candidate-spans";
import { loadSecretKey, SECRET_KEY_BYTES, type KeyEnvironment } from "./key-material";

// Exact-match search on identifiers without plaintext in any index: an officer looking for a
// subject's decisions computes the blind index of the identifier they were given and looks it
// up, and the database holds only HMACs that nobody without the index key can compute or
// invert (unlike a plain hash, which a list of candidate e-mail addresses would reverse).
//
//   blindIndex = hex( HMAC-SHA-256( indexKey, "decision-ledger/blind-index/v1" || 0x00 || kind || 0x00 || UTF-8(normalised value) ) )
//
// Neither the label nor any kind contains 0x00, so the input splits into its parts one way only.
//
// The index key is a secret of its own, NOT derived from the key-encryption key: the KEK is
// rotated by re-wrapping data keys, and every stored index must stay valid across that.
// Rotating the index key itself means recomputing every index from the openings.

/** What a value is, which decides how it is normalised and tags it, so equal text of two kinds never shares an index. */
export const BLIND_INDEX_KINDS = ["email", "phone", "iban", "payment-card", "national-id", "entity-id", "text"] as const;
export type BlindIndexKind = (typeof BLIND_INDEX_KINDS)[number];

export const BLIND_INDEX_DOMAIN = "decision-ledger/blind-index/v1";
/** The environment variable (or `_FILE`) holding the index key. */
export const INDEX_KEY_VARIABLE = "PERSONAL_DATA_INDEX_KEY";

export interface BlindIndexOptions {
  /** The region whose national format a phone number without "+" or "00" is read in ("020 7946 0958" with "GB"). */
  readonly phoneRegion?: CountryCode;
}

/** The HMAC key of the blind index: 32 bytes, kept in a KeyObject so they never show up in a log. */
export class BlindIndexKey {
  readonly #key: KeyObject;

  constructor(rawKey: Uint8Array) {
    if (rawKey.length !== SECRET_KEY_BYTES) throw new TypeError(`a blind-index key must be ${SECRET_KEY_BYTES} bytes, got ${rawKey.length}`);
    this.#key = createSecretKey(rawKey);
  }

  /** HMAC-SHA-256 of `message` under this key. */
  mac(message: Uint8Array): Buffer {
    return createHmac("sha256", this.#key).update(message).digest();
  }
}

/** The index key configured in PERSONAL_DATA_INDEX_KEY or PERSONAL_DATA_INDEX_KEY_FILE (same rules as the KEK). */
export function loadBlindIndexKey(env: KeyEnvironment): BlindIndexKey {
  return loadSecretKey(env, INDEX_KEY_VARIABLE, (rawKey) => new BlindIndexKey(rawKey));
}

/** Letters and digits only, uppercase: "gb82 west-1234…" and "GB82WEST1234…" are one IBAN. */
function lettersAndDigitsUppercase(text: string): string {
  return text.replace(/[^\p{L}\p{N}]/gu, "").toUpperCase();
}

/**
 * E.164 ("+442079460958") when the number parses as a possible number, else its digits.
 * A leading "00" is read as "+" (the ITU international prefix; no national number starts
 * with it), so "0044 20 …" matches "+44 20 …" in any region; a national number matches only
 * when `region` is the one it is written for.
 */
function normalisePhone(text: string, region: CountryCode | undefined): string {
  const international = text.replace(/^00/, "+");
  const phone = parsePhoneNumberFromString(international, { defaultCountry: region, extract: false });
  return phone?.isPossible() ? phone.number : digitsOf(text);
}

/**
 * The normalised form that is indexed, so different spellings of one identifier give one
 * string. Phone numbers, IBANs, card numbers and national ids go through NFKC (full-width
 * digits are digits); e-mail addresses, entity ids and other text only through NFC, which
 * keeps them as written apart from how Unicode encodes them.
 */
export function normaliseForBlindIndex(kind: BlindIndexKind, value: string, options: BlindIndexOptions = {}): string {
  switch (kind) {
    case "email":
      // Lowercased whole: search must find "Ana@Example.org" from "ana@example.org", although
      // RFC 5321 leaves the local part's case to the receiving server. An xAPI mbox is an e-mail.
      return value.normalize("NFC").trim().toLowerCase().replace(/^mailto:/, "");
    case "phone":
      return normalisePhone(value.normalize("NFKC").trim(), options.phoneRegion);
    case "iban":
    case "payment-card":
    case "national-id":
      return lettersAndDigitsUppercase(value.normalize("NFKC"));
    case "entity-id":
    case "text":
      return value.normalize("NFC").trim();
    default:
      throw new TypeError(`unknown blind-index kind ${JSON.stringify(kind satisfies never)}`);
  }
}

const DOMAIN_PREFIX = concatBytes(utf8Encode(BLIND_INDEX_DOMAIN), new Uint8Array([0x00]));

/** The blind index of `value` as `kind`: 64 lowercase hex digits. Throws TypeError when nothing is left to index. */
export function blindIndex(indexKey: BlindIndexKey, kind: BlindIndexKind, value: string, options: BlindIndexOptions = {}): string {
  const normalised = normaliseForBlindIndex(kind, value, options);
  if (normalised === "") throw new TypeError(`nothing to index: the ${kind} is empty once normalised`);
  return indexKey.mac(concatBytes(DOMAIN_PREFIX, utf8Encode(kind), new Uint8Array([0x00]), utf8Encode(normalised))).toString("hex");
}
