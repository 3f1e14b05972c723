/**
 * The two steps every recogniser takes: a regular expression finds candidate spans, a check
 * (checksum, library validation, strict format) confirms them. Offsets are UTF-16 code unit
 * indices into the JavaScript string, like String.prototype.slice.
 *
 * Candidate expressions are global, Unicode-aware and start with a negative lookbehind for
 * the characters they themselves consume, so a scan only starts at the beginning of a token:
 * that keeps every scan linear in the text (ingest runs this on untrusted input).
 */
import type { PersonalDataDetectionConfig, PersonalDataKind } from "./detection-config";

export interface TextSpan {
  readonly start: number;
  readonly end: number;
}

export interface Recogniser {
  readonly kind: PersonalDataKind;
  /** Confirmed spans of this kind in text order, non-overlapping among themselves. */
  find(text: string, config: PersonalDataDetectionConfig): TextSpan[];
}

/** Every match of `candidates` (a /g regex) whose text `confirm` accepts. */
export function confirmedMatches(text: string, candidates: RegExp, confirm: (candidate: string, start: number) => boolean): TextSpan[] {
  const spans: TextSpan[] = [];
  for (const match of text.matchAll(candidates)) {
    if (confirm(match[0], match.index)) spans.push({ start: match.index, end: match.index + match[0].length });
  }
  return spans;
}

/**
 * For values printed in space-separated groups (phone numbers, IBANs): a candidate can run
 * into a neighbouring number ("BE68 5390 0754 7034 2024"), so when the whole candidate does
 * not confirm, its longest prefix of whole groups that does is taken, and the groups after it
 * are tried the same way ("06-12345678 06-87654321"). A run never starts inside the
 * candidate otherwise: digits after an unconfirmed head ("1 85 05 75 056 123 87", a
 * mistyped NIR) are part of that value, not a new one. Groups are split at spaces only,
 * never inside a group joined by "-", "." or "/".
 */
export function confirmedGroupRuns(text: string, candidates: RegExp, confirm: (candidate: string) => boolean): TextSpan[] {
  const spans: TextSpan[] = [];
  for (const match of text.matchAll(candidates)) {
    const groups = [...match[0].matchAll(/\S+/g)].map((g) => ({ start: match.index + g.index, end: match.index + g.index + g[0].length }));
    let first = 0;
    while (first < groups.length) {
      let last = groups.length - 1;
      while (last >= first && !confirm(text.slice(groups[first]!.start, groups[last]!.end))) last--;
      if (last < first) break;
      spans.push({ start: groups[first]!.start, end: groups[last]!.end });
      first = last + 1;
    }
  }
  return spans;
}

/** Whether `keywords` (a non-global regex) occurs within the `window` characters before `start`. */
export function hasKeywordBefore(text: string, start: number, keywords: RegExp, window = 40): boolean {
  return keywords.test(text.slice(Math.max(0, start - window), start));
}

/** The decimal digits of a candidate, separators dropped. */
export function digitsOf(candidate: string): string {
  return candidate.replace(/\D/g, "");
}
