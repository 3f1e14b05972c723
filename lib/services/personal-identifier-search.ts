import "server-only";
import { roleHas } from "../auth/permissions";
import type { DecisionFilters } from "../filters/decision-filters";
import { subjectIndexCandidates } from "../ledger-store/personal-data-store";
import { detectPersonalData } from "../ledger/personal-data-detection/detect";
import { DETECTED_LOOKUP_KIND } from "../ledger/xapi/commit-statement";
import { blindIndex } from "../privacy/blind-index";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";

/**
 * "Find the decisions about this person": an identifier typed by an officer becomes the blind
 * indexes it may be stored under (never a plaintext index), and only for roles with
 * personal_data.search. The typed text goes no further than this module: the filters, the
 * access log and the queries see the HMACs.
 */

/**
 * Every blind index the identifier may be stored under: as a data subject (entity id, text,
 * e-mail, record id) and, when the whole text is one identifier a recogniser confirms (an
 * e-mail address, phone number, IBAN, card number or national id), as that kind, which is how
 * identifiers found in free text are indexed. Normalised the way ingest normalises
 * (blindIndex without a phone region), so the same spelling rules apply on both sides.
 */
export function personalIdentifierIndexes(keys: PersonalDataKeys, typed: string): string[] {
  const text = typed.trim();
  if (text === "") return [];
  const out = new Set(subjectIndexCandidates(keys, text));
  for (const span of detectPersonalData(text)) {
    if (span.start !== 0 || span.end !== text.length) continue;
    // The kind ingest indexed it as (commit-statement.ts); "text" (IP addresses) is among the subject candidates already.
    out.add(blindIndex(keys.indexKey, DETECTED_LOOKUP_KIND[span.kind], text));
  }
  return [...out];
}

export type PersonFilterOutcome =
  /** No identifier was typed. */
  | { status: "none" }
  /** The filters search for the identifier's blind indexes. */
  | { status: "applied"; filters: DecisionFilters; indexes: string[] }
  /** The role may not search by person: the identifier is ignored and the page says so. */
  | { status: "refused"; notice: string };

export const PERSON_SEARCH_REFUSED = "Your role may not search for a person's decisions, so the person or identifier filter was ignored.";

/**
 * Adds the person filter to `filters` when `role` has personal_data.search; otherwise the
 * identifier is dropped (deny by default: a link copied by an officer shows a reviewer the
 * unfiltered list and a notice, never a search they may not make).
 */
export function applyPersonFilter(
  keys: PersonalDataKeys,
  role: string,
  filters: DecisionFilters,
  personalIdentifier: string | null,
): PersonFilterOutcome {
  if (personalIdentifier === null || personalIdentifier.trim() === "") return { status: "none" };
  if (!roleHas(role, "personal_data.search")) return { status: "refused", notice: PERSON_SEARCH_REFUSED };
  const indexes = personalIdentifierIndexes(keys, personalIdentifier);
  return { status: "applied", filters: { ...filters, personalIdentifierIndexes: indexes }, indexes };
}
