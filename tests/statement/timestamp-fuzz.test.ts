/**
 * Property-style fuzz of parseRfc3339 / timestampProblem against an independent oracle:
 * a seeded generator builds date-times from parts (valid and invalid, edge-heavy), the
 * oracle judges them with its own tokenizer and civil-day arithmetic (no regex, no Date),
 * and both must agree on every input. The seed is fixed so a failure is reproducible;
 * the failing input is printed.
 */
import { describe, expect, it } from "vitest";
import { parseRfc3339, RFC3339_FORMAT_MESSAGE, RFC3339_RANGE_MESSAGE, STORABLE_INSTANTS, timestampProblem } from "@/lib/ledger/xapi/syntax";
import { seededRandom } from "@/tests/support/seeded-random";

// ---- oracle -------------------------------------------------------------------------

const isDigits = (s: string, n?: number) => (n === undefined || s.length === n) && s.length > 0 && [...s].every((c) => c >= "0" && c <= "9");

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function monthLength(y: number, m: number): number {
  if (m === 2) return y % 400 === 0 || (y % 4 === 0 && y % 100 !== 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** RFC 3339 §5.6 date-time (T/Z in either case), no leap second, offset hours ≤ 23: epoch ms, or null. */
function oracle(value: string): number | null {
  const tAt = value.search(/[Tt]/);
  if (tAt !== 10) return null;
  const date = value.slice(0, 10).split("-");
  if (date.length !== 3 || !isDigits(date[0]!, 4) || !isDigits(date[1]!, 2) || !isDigits(date[2]!, 2)) return null;
  let rest = value.slice(11);
  let offsetMin: number;
  if (rest.endsWith("Z") || rest.endsWith("z")) {
    offsetMin = 0;
    rest = rest.slice(0, -1);
  } else {
    const off = rest.slice(-6);
    const sign = off[0];
    if ((sign !== "+" && sign !== "-") || off[3] !== ":" || !isDigits(off.slice(1, 3), 2) || !isDigits(off.slice(4), 2)) return null;
    const oh = Number(off.slice(1, 3));
    const om = Number(off.slice(4));
    if (oh > 23 || om > 59) return null;
    offsetMin = (sign === "-" ? -1 : 1) * (oh * 60 + om);
    rest = rest.slice(0, -6);
  }
  const [clock, frac, ...more] = rest.split(".");
  if (more.length > 0 || (frac !== undefined && !isDigits(frac))) return null;
  const hms = clock!.split(":");
  if (hms.length !== 3 || !hms.every((p) => isDigits(p, 2))) return null;
  const [y, mo, d] = date.map(Number) as [number, number, number];
  const [h, mi, s] = hms.map(Number) as [number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > monthLength(y, mo) || h > 23 || mi > 59 || s > 59) return null;
  const ms = frac === undefined ? 0 : Number((frac + "000").slice(0, 3));
  return ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms - offsetMin * 60_000;
}

function oracleProblem(value: string): string | null {
  const ms = oracle(value);
  if (ms === null) return RFC3339_FORMAT_MESSAGE;
  return ms < STORABLE_INSTANTS.minMs || ms > STORABLE_INSTANTS.maxMs ? RFC3339_RANGE_MESSAGE : null;
}

// ---- generator ----------------------------------------------------------------------

const pad = (n: number, w: number) => String(n).padStart(w, "0");

function generate(r: () => number): string {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const edgeOr = (edges: readonly number[], lo: number, hi: number) => (r() < 0.5 ? pick(edges) : int(lo, hi));
  const year = edgeOr([0, 1, 2, 99, 100, 1582, 1900, 1970, 2000, 2024, 9998, 9999], 0, 9999);
  const month = edgeOr([0, 1, 2, 12, 13], 1, 12);
  const day = edgeOr([0, 1, 28, 29, 30, 31, 32], 1, 28);
  const hour = edgeOr([0, 23, 24], 0, 23);
  const minute = edgeOr([0, 59, 60], 0, 59);
  const second = edgeOr([0, 59, 60, 61], 0, 59);
  const digits = r() < 0.4 ? 0 : pick([1, 2, 3, 4, 6, 9, 10, 12, 19, 25]);
  const fraction = digits === 0 ? "" : "." + Array.from({ length: digits }, () => (r() < 0.5 ? "9" : String(int(0, 9)))).join("");
  const offset =
    r() < 0.3
      ? pick(["Z", "z"])
      : `${pick(["+", "-"])}${pad(edgeOr([0, 1, 14, 23, 24, 99], 0, 23), 2)}:${pad(edgeOr([0, 1, 30, 59, 60], 0, 59), 2)}`;
  let s = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}${pick(["T", "t"])}${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${fraction}${offset}`;
  // Some inputs lose, gain or change a character: missing parts, stray text, wrong separators.
  const mutation = r();
  if (mutation < 0.08) {
    const at = int(0, s.length - 1);
    s = s.slice(0, at) + s.slice(at + 1);
  } else if (mutation < 0.14) {
    const at = int(0, s.length);
    s = s.slice(0, at) + pick([" ", "0", ":", ".", "-", "+", "Z", "T", "٣"]) + s.slice(at);
  } else if (mutation < 0.18) {
    s = s.replace(/[Tt]/, pick([" ", "_", ""]));
  }
  return s;
}

// ---- properties ---------------------------------------------------------------------

describe("parseRfc3339 against an independent oracle (seeded fuzz)", () => {
  it("agrees on 40,000 generated date-times, valid and not", () => {
    const r = seededRandom(0x5eed_2026);
    let accepted = 0;
    let outOfRange = 0;
    for (let i = 0; i < 40_000; i++) {
      const value = generate(r);
      const expected = oracle(value);
      expect(parseRfc3339(value), value).toBe(expected);
      const problem = oracleProblem(value);
      expect(timestampProblem(value), value).toBe(problem);
      if (problem === null) accepted++;
      if (problem === RFC3339_RANGE_MESSAGE) outOfRange++;
    }
    // The generator must reach every class, or the agreement says little.
    expect(accepted).toBeGreaterThan(2_000);
    expect(outOfRange).toBeGreaterThan(100);
  });

  it("agrees with Date.parse on the ECMAScript subset (four-digit years from 1000, three-digit fractions)", () => {
    const r = seededRandom(42);
    for (let i = 0; i < 5_000; i++) {
      const ms = Math.floor(STORABLE_INSTANTS.minMs / 2 + r() * (STORABLE_INSTANTS.maxMs - STORABLE_INSTANTS.minMs / 2));
      const iso = new Date(ms).toISOString();
      expect(parseRfc3339(iso), iso).toBe(ms);
      expect(parseRfc3339(iso), iso).toBe(Date.parse(iso));
    }
  });
});

describe("the edges, one by one", () => {
  const cases: [string, number | null, string | null][] = [
    // Years: 0000–0099 parse (RFC 3339 allows them) but cannot be stored and read back; 0100–9999 can.
    ["0000-01-01T00:00:00Z", Date.parse("0000-01-01T00:00:00Z"), RFC3339_RANGE_MESSAGE],
    ["0001-01-01T00:00:00Z", Date.parse("0001-01-01T00:00:00Z"), RFC3339_RANGE_MESSAGE],
    ["0099-12-31T23:59:59.999Z", STORABLE_INSTANTS.minMs - 1, RFC3339_RANGE_MESSAGE],
    ["0100-01-01T00:00:00Z", STORABLE_INSTANTS.minMs, null],
    ["0100-01-01T00:59:59+01:00", STORABLE_INSTANTS.minMs - 1000, RFC3339_RANGE_MESSAGE],
    ["0100-01-01T00:00:00-00:01", STORABLE_INSTANTS.minMs + 60_000, null],
    ["0400-02-29T12:00:00Z", Date.parse("0400-02-29T12:00:00Z"), null],
    ["9999-12-31T23:59:59.999Z", STORABLE_INSTANTS.maxMs, null],
    ["9999-12-31T23:59:59.9999999999999999999Z", STORABLE_INSTANTS.maxMs, null],
    ["9999-12-31T23:59:59-00:01", STORABLE_INSTANTS.maxMs - 999 + 60_000, RFC3339_RANGE_MESSAGE],
    ["9999-12-31T22:59:59.999-01:00", STORABLE_INSTANTS.maxMs, null],
    // Fractions: any length, truncated to milliseconds from the digits.
    ["2025-02-13T14:23:17.0009999999999999999Z", Date.parse("2025-02-13T14:23:17.000Z"), null],
    ["2025-02-13T14:23:17.9999999999999999999Z", Date.parse("2025-02-13T14:23:17.999Z"), null],
    ["2025-02-13T14:23:17.5Z", Date.parse("2025-02-13T14:23:17.500Z"), null],
    ["2025-02-13T14:23:17.Z", null, RFC3339_FORMAT_MESSAGE],
    // Leap seconds, ±24:00 and other out-of-range fields.
    ["2016-12-31T23:59:60Z", null, RFC3339_FORMAT_MESSAGE],
    ["2025-02-13T14:23:17+24:00", null, RFC3339_FORMAT_MESSAGE],
    ["2025-02-13T14:23:17-24:00", null, RFC3339_FORMAT_MESSAGE],
    ["2025-02-13T14:23:17+23:59", Date.parse("2025-02-13T14:23:17+23:59"), null],
    ["2025-02-13T24:00:00Z", null, RFC3339_FORMAT_MESSAGE],
    ["2024-02-29T00:00:00Z", Date.parse("2024-02-29T00:00:00Z"), null],
    ["1900-02-29T00:00:00Z", null, RFC3339_FORMAT_MESSAGE],
    // Lowercase t and z are RFC 3339 (§5.6 note); missing parts are not.
    ["2025-02-13t14:23:17z", Date.parse("2025-02-13T14:23:17Z"), null],
    ["2025-02-13T14:23:17", null, RFC3339_FORMAT_MESSAGE],
    ["2025-02-13T14:23Z", null, RFC3339_FORMAT_MESSAGE],
    ["2025-02-13", null, RFC3339_FORMAT_MESSAGE],
    ["2025-02-13 14:23:17Z", null, RFC3339_FORMAT_MESSAGE],
    ["+002025-02-13T14:23:17Z", null, RFC3339_FORMAT_MESSAGE],
    ["2025-02-13T14:23:17+0100", null, RFC3339_FORMAT_MESSAGE],
    ["", null, RFC3339_FORMAT_MESSAGE],
  ];
  it.each(cases)("%s", (value, ms, problem) => {
    expect(parseRfc3339(value)).toBe(ms);
    expect(timestampProblem(value)).toBe(problem);
    expect(oracle(value)).toBe(ms);
  });
});
