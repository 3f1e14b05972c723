/**
 * Personal data in free text: the identifiers the configured recognisers confirm, as
 * sorted, non-overlapping spans. Each span is to be replaced by a commitment before the
 * statement is hashed, so two spans must never share a character: overlaps are resolved
 * here, once, and not by whoever replaces them.
 */
import type { TextSpan } from "./candidate-spans";
import { DEFAULT_PERSONAL_DATA_DETECTION_CONFIG, PERSONAL_DATA_KINDS, type PersonalDataDetectionConfig, type PersonalDataKind } from "./detection-config";
import { RECOGNISERS } from "./recognisers";

export interface PersonalDataSpan extends TextSpan {
  readonly kind: PersonalDataKind;
  /** text.slice(start, end) */
  readonly text: string;
}

const PRECEDENCE = new Map<PersonalDataKind, number>(PERSONAL_DATA_KINDS.map((kind, i) => [kind, i]));

function precedenceOf(kind: PersonalDataKind): number {
  return PRECEDENCE.get(kind)!;
}

/** First index in `chosen` (sorted, disjoint) whose span ends after `start`. */
function firstEndingAfter(chosen: readonly PersonalDataSpan[], start: number): number {
  let low = 0;
  let high = chosen.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (chosen[mid]!.end <= start) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Longest span first; on equal length the more specific kind (catalogue order), then the
 * earlier one. A span is kept when it overlaps none kept before it. The order is total, so
 * the result does not depend on the order recognisers ran in.
 */
export function resolveOverlaps(spans: readonly PersonalDataSpan[]): PersonalDataSpan[] {
  const ranked = [...spans].sort(
    (a, b) => b.end - b.start - (a.end - a.start) || precedenceOf(a.kind) - precedenceOf(b.kind) || a.start - b.start,
  );
  const chosen: PersonalDataSpan[] = [];
  for (const span of ranked) {
    const at = firstEndingAfter(chosen, span.start);
    if (at < chosen.length && chosen[at]!.start < span.end) continue;
    chosen.splice(at, 0, span);
  }
  return chosen;
}

/**
 * The personal identifiers in `text` that the given recognisers confirm, sorted by start,
 * non-overlapping, with UTF-16 offsets. Options left out take the defaults (every kind on).
 */
export function detectPersonalData(text: string, options: Partial<PersonalDataDetectionConfig> = {}): PersonalDataSpan[] {
  const config: PersonalDataDetectionConfig = {
    kinds: options.kinds ?? DEFAULT_PERSONAL_DATA_DETECTION_CONFIG.kinds,
    phoneRegions: options.phoneRegions ?? DEFAULT_PERSONAL_DATA_DETECTION_CONFIG.phoneRegions,
  };
  const found: PersonalDataSpan[] = [];
  for (const kind of new Set(config.kinds)) {
    for (const { start, end } of RECOGNISERS[kind].find(text, config)) found.push({ start, end, kind, text: text.slice(start, end) });
  }
  return resolveOverlaps(found);
}
