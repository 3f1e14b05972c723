/**
 * Syntax checks for the identifiers and times statements carry, shared by the schema,
 * the API and the UI (plain TypeScript: they run in the browser too). isUuid is the one
 * UUID check of the code base.
 */

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// Characters RFC 3987 never allows unescaped: controls, space and the "unwise" set.
// Non-ASCII letters are fine (that is the point of IRIs).
const IRI_FORBIDDEN_RE = /[\u0000-\u0020\u007f-\u009f<>"{}|\\^`\u2028\u2029]/;
const BAD_PERCENT_RE = /%(?![0-9A-Fa-f]{2})/;

/** Best-effort absolute IRI check (xAPI allows best effort): scheme, no forbidden characters, sane authority. */
export function isAbsoluteIri(value: string): boolean {
  const scheme = SCHEME_RE.exec(value);
  if (!scheme) return false;
  if (IRI_FORBIDDEN_RE.test(value) || BAD_PERCENT_RE.test(value)) return false;
  const rest = value.slice(scheme[0].length);
  if (rest.length === 0) return false;
  if (value.indexOf("#") !== value.lastIndexOf("#")) return false;
  const s = scheme[0].toLowerCase();
  if (s === "http:" || s === "https:") {
    // Hierarchical web IRIs need a host; "https:foo" or "https:///x" are typos, not identifiers.
    const m = /^\/\/([^/?#]*)/.exec(rest);
    if (!m) return false;
    const host = m[1]!.replace(/^[^@]*@/, "").replace(/:\d*$/, "");
    if (host.length === 0) return false;
  }
  return true;
}

/** A UUID in standard form (8-4-4-4-12 hex digits, either case); the schema also publishes it as a JSON Schema pattern. */
export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

// RFC 5646 langtag / privateuse / grandfathered, case-insensitive.
const LANG_TAG_RE = new RegExp(
  "^(?:" +
    "(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})" + // language (+ extlang)
    "(?:-[a-z]{4})?" + // script
    "(?:-(?:[a-z]{2}|\\d{3}))?" + // region
    "(?:-(?:[a-z\\d]{5,8}|\\d[a-z\\d]{3}))*" + // variants
    "(?:-[\\da-wyz](?:-[a-z\\d]{2,8})+)*" + // extensions
    "(?:-x(?:-[a-z\\d]{1,8})+)?" + // private use
    "|x(?:-[a-z\\d]{1,8})+" +
    "|en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn|i-tao|i-tay|i-tsu" +
    "|sgn-be-fr|sgn-be-nl|sgn-ch-de|art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang" +
    ")$",
  "i",
);

export function isLanguageTag(value: string): boolean {
  return LANG_TAG_RE.test(value);
}

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * The instants the ledger stores and reads back exactly (UTC, inclusive):
 * 0100-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z. Below: Postgres has no year 0
 * (the insert fails on "0000-…"), and the drivers read timestamptz text with `new Date`,
 * which takes years 0001–0099 for 1950–2049. Above: a Date's ISO text for a year past 9999
 * ("+010000-…") is not a timestamptz Postgres accepts. Both failures used to answer 500.
 */
export const STORABLE_INSTANTS = { minMs: -59_011_459_200_000, maxMs: 253_402_300_799_999 } as const;

export const RFC3339_FORMAT_MESSAGE = "must be an RFC 3339 date-time with an offset (Z or ±hh:mm), e.g. 2025-02-13T14:23:17.234Z";
export const RFC3339_RANGE_MESSAGE = "must be an instant from 0100-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z (in UTC, after applying the offset)";

/**
 * Parses an RFC 3339 date-time that carries an offset ("Z" or ±hh:mm) into epoch
 * milliseconds, or null. Done by hand rather than Date.parse so browsers and Node agree
 * and calendar-invalid dates (Feb 30) are rejected instead of rolled over. Leap seconds
 * (":60") are rejected because a Date cannot represent them faithfully. Fractions of any
 * length are truncated to milliseconds from their digits (never through floating point,
 * which would round .9999999999999999999 up into the next second). The result may lie
 * outside STORABLE_INSTANTS (e.g. year 0000): see timestampProblem.
 */
export function parseRfc3339(value: string): number | null {
  const m = RFC3339_RE.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day > daysInMonth) return null;
  let offsetMinutes = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0;
  const d = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime() - offsetMinutes * 60_000;
}

/** Why `value` cannot be a statement's timestamp (not RFC 3339, or not storable), or null when it can. */
export function timestampProblem(value: string): string | null {
  const ms = parseRfc3339(value);
  if (ms === null) return RFC3339_FORMAT_MESSAGE;
  return ms < STORABLE_INSTANTS.minMs || ms > STORABLE_INSTANTS.maxMs ? RFC3339_RANGE_MESSAGE : null;
}

/** An RFC 3339 date-time with an offset whose instant the ledger can store. */
export function isRfc3339Timestamp(value: string): boolean {
  return timestampProblem(value) === null;
}
