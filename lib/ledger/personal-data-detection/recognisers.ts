/**
 * One recogniser per kind of personal identifier found in free text: a candidate expression
 * written here (where the span starts and ends is ours to decide), confirmed by a library
 * check where a well-kept one exists. All of them are plain JavaScript with their data
 * bundled: they run in the browser, make no network call, load no model and are
 * deterministic.
 *
 * Library choices, per recogniser:
 * - phone: libphonenumber-js (the "max" metadata: full validity per number range, not just
 *   length). Its own text finder is not used: it joins numbers across ", " and accepts bare
 *   digit runs such as order numbers, so candidates are found here and each is checked with
 *   parsePhoneNumberFromString(...).isValid() for the configured regions.
 * - email, ipv4, ipv6: validator.js (isEmail, isIP), one file per check so bundles take only
 *   those.
 * - iban: ibantools (country length and BBAN format, mod-97, national check digits where a
 *   country has them). validator's isIBAN does less, and its CommonJS file exports only
 *   `exports.default`, so under Node-style ESM interop (tsx, esbuild for "type": "module")
 *   its default import is not the function.
 * - payment-card: credit-card-type (Braintree: issuer prefixes and lengths, including
 *   Maestro, Mir and 17-19 digit UnionPay, which validator's isCreditCard lacks; its
 *   Mastercard pattern is also unanchored) plus validator's Luhn check. Retired 13-digit
 *   Visa numbers are not issuer lengths there, so they are not reported.
 * - national identifiers: national-id-recognisers.ts.
 * All-in-one PII packages were not taken: redact-pii depends on Google Cloud DLP (a network
 * service) and returns redacted text, not spans; @openredaction/core (one release, ~1.6k
 * downloads a month, 3.7 MB) imports fs, crypto and worker_threads and posts to webhooks, so
 * it cannot run in the shared core.
 *
 * Ambiguous inputs, decided:
 * - "10.0.0.1-beta", "v1.2.3.4", "version 1.2.0.3": version strings, not IPv4. A dotted quad
 *   followed by "-"/"+" and a letter (a pre-release or build tag), or preceded by a letter or
 *   a version keyword, is not an address. A bare "1.2.0.3" is still reported: a missed
 *   address stays in hashed bytes for good, a false positive only costs a commitment.
 * - "(555) 123-4567": area code 555 is not assigned, so it is not a valid number and not
 *   reported; "(212) 555-0147" is.
 * - bare digit runs ("2125550147", "order 1234567890") are phone numbers only when written
 *   in the national form of a configured region with its trunk prefix ("0612345678"); in
 *   national form only subscriber numbers count, not toll-free or other service ranges.
 * - unbroken runs of 13-19 digits are card numbers when Luhn-valid with an issuer prefix and
 *   length: about one in ten such order numbers (starting 2-6) qualifies by chance.
 * - "::1", "::": loopback and unspecified addresses identify no one; an IPv6 candidate needs
 *   two groups of hex digits (which also keeps "Foo :: bar" out).
 *
 * Cost: linear in the text. Phone candidates dominate (one libphonenumber parse per region,
 * ~15 µs); 64 KB of random two-digit groups, the worst input measured, takes about 1.5 s.
 */
import creditCardType from "credit-card-type";
import { electronicFormatIBAN, isValidIBAN } from "ibantools";
import { parsePhoneNumberFromString, type CountryCode, type NumberType } from "libphonenumber-js/max";
import isEmail from "validator/lib/isEmail";
import isIP from "validator/lib/isIP";
import isLuhnNumber from "validator/lib/isLuhnNumber";
import { confirmedGroupRuns, confirmedMatches, digitsOf, hasKeywordBefore, type Recogniser } from "./candidate-spans";
import type { PersonalDataKind } from "./detection-config";
import {
  esDniRecogniser,
  frNirRecogniser,
  itCodiceFiscaleRecogniser,
  nlBsnRecogniser,
  ukNinoRecogniser,
  usSsnRecogniser,
} from "./national-id-recognisers";

// Local part (RFC 5322 atext, dots, Unicode letters), "@", dot-separated labels, a TLD of letters.
const EMAIL = /(?<![\p{L}\p{N}.!#$%&'*+/=?^_`{|}~-])[\p{L}\p{N}.!#$%&'*+/=?^_`{|}~-]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+\p{L}{2,63}(?![\p{L}\p{N}-])/gu;

export const emailRecogniser: Recogniser = {
  kind: "email",
  find: (text) => confirmedMatches(text, EMAIL, (candidate) => isEmail(candidate, { allow_utf8_local_part: true, require_tld: true })),
};

// Dotted quad not inside a longer dotted or alphanumeric token, not followed by a decimal
// comma ("1.200.100.000,00" is an amount) or a pre-release/build tag.
const IPV4 = /(?<![\p{L}\p{N}_.])(?:\d{1,3}\.){3}\d{1,3}(?![\p{L}\p{N}_]|[.,]\p{N}|[-+]\p{L})/gu;
const VERSION_KEYWORDS = /\b(?:version|ver|build|release|rel|firmware|fw|sdk)\.?\s*[:#]?\s*$/i;

export const ipv4Recogniser: Recogniser = {
  kind: "ipv4",
  find: (text) => confirmedMatches(text, IPV4, (candidate, start) => isIP(candidate, 4) && !hasKeywordBefore(text, start, VERSION_KEYWORDS, 16)),
};

const HEX_GROUP = "[0-9A-Fa-f]{1,4}";
const DOTTED_QUAD = "\\d{1,3}(?:\\.\\d{1,3}){3}";
// Compressed ("2001:db8::1", "::ffff:192.0.2.1") or full eight groups, optional zone ("%eth0").
const IPV6 = new RegExp(
  `(?<![\\p{L}\\p{N}_:.])(?:(?:${HEX_GROUP}(?::${HEX_GROUP}){0,7})?::(?:(?:${HEX_GROUP}:){0,6}(?:${DOTTED_QUAD}|${HEX_GROUP}))?` +
    `|(?:${HEX_GROUP}:){6}(?:${HEX_GROUP}:${HEX_GROUP}|${DOTTED_QUAD}))(?:%[0-9A-Za-z]+)?(?![\\p{L}\\p{N}_:]|\\.\\p{N})`,
  "gu",
);

export const ipv6Recogniser: Recogniser = {
  kind: "ipv6",
  find: (text) => confirmedMatches(text, IPV6, (candidate) => (candidate.match(/[0-9A-Fa-f]+/g)?.length ?? 0) >= 2 && isIP(candidate, 6)),
};

// Electronic form, or the printed form in groups of four separated by single spaces.
const IBAN = /(?<![\p{L}\p{N}])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)(?![\p{L}\p{N}])/giu;

export const ibanRecogniser: Recogniser = {
  kind: "iban",
  find: (text) => confirmedGroupRuns(text, IBAN, (candidate) => isValidIBAN(electronicFormatIBAN(candidate) ?? "")),
};

// 13-19 digits: unbroken, in fours with one separator ("4111 1111 1111 1111", 19 digits as
// 4-4-4-4-3), or Amex/Diners 4-6-5 / 4-6-4.
const PAYMENT_CARD = /(?<![\p{L}\p{N}_.,\-/#])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}(?:\1\d{4})?(?:\1\d{1,4})?|\d{4}([ -])\d{6}\2\d{4,5})(?![\p{L}\p{N}_]|[.,\-/]\p{N})/gu;

/** Luhn-valid and of a length some issuer whose prefix it carries actually uses. */
export function isPaymentCardNumber(digits: string): boolean {
  return /^\d{13,19}$/.test(digits) && isLuhnNumber(digits) && creditCardType(digits).some((card) => card.lengths.includes(digits.length));
}

export const paymentCardRecogniser: Recogniser = {
  kind: "payment-card",
  find: (text) => confirmedMatches(text, PAYMENT_CARD, (candidate) => isPaymentCardNumber(digitsOf(candidate))),
};

// Optional "+", then groups of digits ("(0)20", "(212)") joined by one separator; not inside
// a token or an IBAN-shaped group sequence, not next to a currency sign, not continued by
// more digits ("1.250.000,00").
const PHONE = /(?<![\p{L}\p{N}\p{Sc}#+\-./:_@])(?<!\b[A-Z]{2}\d{2}(?: [A-Z0-9]{1,4}){0,8} )\+?(?:\(\d{1,5}\)|\d{1,15})(?:(?:[ .\-/\u00A0]|(?<=\)))(?:\(\d{1,5}\)|\d{1,10})){0,7}(?![\p{L}\p{N}_@]|[\-./:,]\p{N})/gu;
const DATE_SHAPE = /^\d{1,4}([-./ ])\d{1,2}\1\d{1,4}$/;
const DECIMAL_SHAPE = /^\d+[.,]\d+$/;
const HAS_GROUPING = /[ .\-/\u00A0()]/;
// In national form only subscriber numbers count: service ranges (toll-free, premium, UAN,
// VoIP, voicemail) belong to organisations and, unprefixed, match other digit groups.
const SUBSCRIBER_TYPES: ReadonlySet<NumberType> = new Set(["FIXED_LINE", "MOBILE", "FIXED_LINE_OR_MOBILE", "PERSONAL_NUMBER"]);

/**
 * Whether a national-format candidate is a subscriber number written the way `region`
 * writes it: the national form with its trunk prefix ("06 12345678", "(212) 555-0147"), the
 * IDD form ("0031 6 12345678"), or for North America with the leading 1 ("1-415-555-0132").
 */
function isNationalNumber(candidate: string, digits: string, region: CountryCode): boolean {
  const phone = parsePhoneNumberFromString(candidate, { defaultCountry: region, extract: false });
  if (!phone?.isValid() || !SUBSCRIBER_TYPES.has(phone.getType())) return false;
  const { countryCallingCode: callingCode, nationalNumber } = phone;
  return (
    digits === digitsOf(phone.formatNational()) ||
    digits === `00${callingCode}${nationalNumber}` ||
    (callingCode === "1" && digits === `1${nationalNumber}`)
  );
}

export function isPhoneNumber(candidate: string, regions: readonly CountryCode[]): boolean {
  const digits = digitsOf(candidate);
  if (digits.length < 7 || digits.length > 17 || DATE_SHAPE.test(candidate) || DECIMAL_SHAPE.test(candidate)) return false;
  if (candidate.indexOf("(") !== candidate.lastIndexOf("(")) return false; // one area code or "(0)" at most
  if (candidate.startsWith("+")) return parsePhoneNumberFromString(candidate, { extract: false })?.isValid() ?? false;
  // Bare digit runs are order numbers as often as phone numbers, unless trunk-prefixed.
  if (!HAS_GROUPING.test(candidate) && !candidate.startsWith("0")) return false;
  return regions.some((region) => isNationalNumber(candidate, digits, region));
}

export const phoneRecogniser: Recogniser = {
  kind: "phone",
  find(text, config) {
    // Validation parses once per region (~15 µs each): repeated candidates are checked once.
    const verdicts = new Map<string, boolean>();
    return confirmedGroupRuns(text, PHONE, (candidate) => {
      let verdict = verdicts.get(candidate);
      if (verdict === undefined) verdicts.set(candidate, (verdict = isPhoneNumber(candidate, config.phoneRegions)));
      return verdict;
    });
  },
};

export const RECOGNISERS: Readonly<Record<PersonalDataKind, Recogniser>> = {
  iban: ibanRecogniser,
  "payment-card": paymentCardRecogniser,
  "fr-nir": frNirRecogniser,
  "it-codice-fiscale": itCodiceFiscaleRecogniser,
  "uk-nino": ukNinoRecogniser,
  "es-dni": esDniRecogniser,
  "us-ssn": usSsnRecogniser,
  "nl-bsn": nlBsnRecogniser,
  email: emailRecogniser,
  ipv6: ipv6Recogniser,
  ipv4: ipv4Recogniser,
  phone: phoneRecogniser,
};
