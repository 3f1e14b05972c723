/**
 * National identifiers that have a check digit or a strict enough format to be told apart
 * from order numbers. Where a bare digit string would pass the check by chance too often
 * (a 9-digit number passes the BSN 11-check 1 time in 11), the bare form needs a keyword
 * before it ("BSN", "SSN") and only the printed form is recognised on its own.
 *
 * Checks come from validator.js (isTaxID) where it implements exactly this identifier: the
 * Dutch BSN 11-check and the Spanish DNI/NIE letter. Checked here instead: the US SSN
 * (validator's en-US is the EIN), the UK NINO (its en-GB misses the BG/KN/NT prefixes), the
 * French NIR (its fr-FR is the tax number) and the Italian codice fiscale (its it-IT undoes
 * omocodia letters before computing the check character, so it refuses valid omocodic codes
 * such as those ending "H5L1E").
 */
import isTaxID from "validator/lib/isTaxID";
import { confirmedMatches, digitsOf, hasKeywordBefore, type Recogniser } from "./candidate-spans";

// "123-45-6789" or "123 45 6789": one separator, used twice.
const US_SSN_PRINTED = /(?<![\p{L}\p{N}\-./])\d{3}([- ])\d{2}\1\d{4}(?![\p{L}\p{N}]|[\-./]\p{N})/gu;
const BARE_NINE_DIGITS = /(?<![\p{L}\p{N}\-./])\d{9}(?![\p{L}\p{N}]|[\-./,]\p{N})/gu;
const US_SSN_KEYWORDS = /\b(?:SSN|SS#|social security)/i;
// Numbers the SSA has never issued and never will (area 000, 666, 900-999; group 00; serial
// 0000), plus the two numbers voided after being printed in advertising.
const US_SSN_VOIDED = new Set(["078051120", "219099999"]);

export function isUsSsn(digits: string): boolean {
  if (!/^\d{9}$/.test(digits) || US_SSN_VOIDED.has(digits)) return false;
  const area = Number(digits.slice(0, 3));
  return area !== 0 && area !== 666 && area < 900 && digits.slice(3, 5) !== "00" && digits.slice(5) !== "0000";
}

export const usSsnRecogniser: Recogniser = {
  kind: "us-ssn",
  find: (text) =>
    [
      ...confirmedMatches(text, US_SSN_PRINTED, (candidate) => isUsSsn(digitsOf(candidate))),
      ...confirmedMatches(text, BARE_NINE_DIGITS, (candidate, start) => isUsSsn(candidate) && hasKeywordBefore(text, start, US_SSN_KEYWORDS)),
    ].sort((a, b) => a.start - b.start),
};

// HMRC: first letter not D F I Q U V, second not D F I O Q U V, prefixes BG GB KN NK NT TN ZZ
// never allocated; six digits (optionally in pairs); suffix A-D (required here: without it
// "AB123456" is any reference number).
const UK_NINO = /(?<![\p{L}\p{N}])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z](?: ?\d{2}){3} ?[A-D](?![\p{L}\p{N}])/gu;

export const ukNinoRecogniser: Recogniser = { kind: "uk-nino", find: (text) => confirmedMatches(text, UK_NINO, () => true) };

// "1234.56.782" (the printed form) or nine digits, optionally in threes, after a keyword.
const NL_BSN = /(?<![\p{L}\p{N}\-./])(?:\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3}|\d{9})(?![\p{L}\p{N}]|[\-./,]\p{N})/gu;
const NL_BSN_KEYWORDS = /\b(?:BSN|burgerservicenummer|sofi-?nummer|citizen service number)/i;

export function isNlBsn(digits: string): boolean {
  return /^\d{9}$/.test(digits) && digits !== "000000000" && isTaxID(digits, "nl-NL");
}

export const nlBsnRecogniser: Recogniser = {
  kind: "nl-bsn",
  find: (text) =>
    confirmedMatches(text, NL_BSN, (candidate, start) => isNlBsn(digitsOf(candidate)) && (candidate.includes(".") || hasKeywordBefore(text, start, NL_BSN_KEYWORDS))),
};

// INSEE: sex (1, 2; 7, 8 for provisional numbers), year, month (01-12, or 20-99 when unknown),
// department (2A/2B for Corsica), commune, order, key; printed with single spaces or none.
const FR_NIR = /(?<![\p{L}\p{N}])[1278] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?![\p{L}\p{N}])/gu;

/** The NIR key: 97 minus the first 13 characters mod 97, Corsica's 2A and 2B counting as 19 and 18. */
export function isFrNir(compact: string): boolean {
  if (!/^[1278]\d{4}(?:\d{2}|2A|2B)\d{8}$/.test(compact)) return false;
  const body = compact.slice(0, 13).replace("2A", "19").replace("2B", "18");
  return 97 - (Number(body) % 97) === Number(compact.slice(13));
}

export const frNirRecogniser: Recogniser = { kind: "fr-nir", find: (text) => confirmedMatches(text, FR_NIR, (candidate) => isFrNir(candidate.replace(/ /g, ""))) };

// DNI: eight digits and the mod-23 letter; NIE: X, Y or Z, seven digits and the letter. The
// letter is attached or after a hyphen: "20240501 B" is a batch, not a DNI.
const ES_DNI = /(?<![\p{L}\p{N}])(?:\d{8}|[XYZ]\d{7})-?[A-HJ-NP-TV-Z](?![\p{L}\p{N}])/gu;

export const esDniRecogniser: Recogniser = {
  kind: "es-dni",
  find: (text) => confirmedMatches(text, ES_DNI, (candidate) => isTaxID(candidate.replace("-", ""), "es-ES")),
};

// Surname and name consonants, birth year, month letter, day (+40 for women), place, check
// letter; digits may be replaced by letters L-V (omocodia).
const IT_CODICE_FISCALE = /(?<![\p{L}\p{N}])[A-Z]{6}[0-9LMNP-V]{2}[ABCDEHLMPRST][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z](?![\p{L}\p{N}])/gu;
const OMOCODIA_DIGITS: Readonly<Record<string, string>> = { L: "0", M: "1", N: "2", P: "3", Q: "4", R: "5", S: "6", T: "7", U: "8", V: "9" };
// DM 23/12/1976: values of characters in odd positions (1st, 3rd, ...), digits 0-9 then A-Z;
// in even positions a digit counts as itself and a letter as its index (A = 0).
const ODD_POSITION_VALUES = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

function codiceFiscaleValue(char: string, oddPosition: boolean): number {
  const isDigit = char >= "0" && char <= "9";
  const evenValue = isDigit ? Number(char) : char.charCodeAt(0) - 65;
  return oddPosition ? ODD_POSITION_VALUES[isDigit ? evenValue : 10 + evenValue]! : evenValue;
}

/** Day of birth 1-31 (41-71 for women) and the check character, computed on the code as written. */
export function isItCodiceFiscale(code: string): boolean {
  const day = Number([...code.slice(9, 11)].map((c) => OMOCODIA_DIGITS[c] ?? c).join(""));
  if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) return false;
  let sum = 0;
  for (let i = 0; i < 15; i++) sum += codiceFiscaleValue(code[i]!, i % 2 === 0);
  return code.charCodeAt(15) === 65 + (sum % 26);
}

export const itCodiceFiscaleRecogniser: Recogniser = {
  kind: "it-codice-fiscale",
  find: (text) => confirmedMatches(text, IT_CODICE_FISCALE, isItCodiceFiscale),
};
