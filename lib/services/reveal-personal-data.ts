import "server-only";
import { z } from "zod";
import type { Db } from "../../db/client";
import { getDecision, type DecisionDetail, type DecisionListRow, type RelatedDecisions } from "../../db/queries/decisions";
import { nodeBytesBackend } from "../hash/node-sha256";
import { roleHas } from "../auth/permissions";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { readRecordOpenings, type OpeningErasure } from "../ledger-store/read-openings";

export { readRecordErasures } from "../ledger-store/read-openings";
import type { DecisionFilters } from "../filters/decision-filters";
import { toBase64 } from "../ledger/bytes";
import { personalDataFormatOf } from "../ledger/xapi/personal-data-format";
import { findCommitments, openStatement } from "../ledger/xapi/open-statement";
import { formatCommitmentString } from "../ledger/xapi/pd-commitment";
import { maskPersonalData, PERSONAL_DATA_MASK } from "../ledger/xapi/personal-data";
import {
  displayPersonalPointers,
  holdsDetectedIdentifier,
  isCommittedValue,
  isPersonEntityType,
  personalColumnKeys,
  type PersonalColumns,
} from "../ledger/xapi/personal-positions";
import type { XapiStatement } from "../ledger/xapi/types";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import { accessEventUser, ServiceInputError, type ServiceActor } from "./users";

/**
 * Personal data in decision records. Everything here runs on the server: a viewer who has
 * not revealed (or may not reveal) never receives personal values, not in the statement,
 * not in the canonical text, not in a list row.
 *
 * Two record formats (docs/decision-profile.md §15). Format 1 (every record appended since
 * privacy by construction): the stored statement holds commitments, not values, so it and its
 * canonical text go to every viewer; a reveal decrypts the openings and sends them with the
 * opened statement, and the browser checks each opening against its commitment. Format 0
 * (legacy): the stored statement holds the plaintext, so it is masked for display and its
 * canonical text withheld until a reveal.
 *
 * Revealing is a mutation: authorize → parse → transaction → access-log entry
 * (`decisions.reveal_personal_data` with the reason and the pointers revealed) in the same
 * transaction, and only then are the values returned.
 */

export const REVEAL_REASON_MIN = 10;
export const REVEAL_REASON_MAX = 500;

export const revealRequestSchema = z.strictObject({
  id: z.uuid({ error: "id must be a decision id (UUID)" }),
  reason: z
    .string({ error: "Give the reason for revealing personal data" })
    .trim()
    .min(REVEAL_REASON_MIN, { error: `Give a reason of at least ${REVEAL_REASON_MIN} characters (for example the case or ticket you are working on)` })
    .max(REVEAL_REASON_MAX, { error: `Keep the reason under ${REVEAL_REASON_MAX} characters` }),
});
export type RevealRequest = z.infer<typeof revealRequestSchema>;

/** What a viewer may see of one decision. */
export interface DecisionView {
  /** 1: personal values are commitments (nothing to hide); 0: legacy record with plaintext personal values. */
  format: 0 | 1;
  /** As stored, with every personal value still in the clear replaced by PERSONAL_DATA_MASK (a format-1 record usually has none). */
  statement: XapiStatement;
  /** The exact canonical (hashed) text, or null when it is withheld because it holds personal data in the clear. */
  canonical: string | null;
  /** RFC 6901 pointers to the personal values of this record, in document order (empty: none). */
  personalPointers: string[];
  /** True when personal values were replaced (legacy records; a committed record only for a person's activity IRI). */
  masked: boolean;
}

/** Distinct pointers of the commitments in a committed statement, in document order. */
function commitmentPointers(statement: XapiStatement): string[] {
  return [...new Set(findCommitments(statement).map((c) => c.pointer))];
}

/**
 * A record's personal pointers: its commitments (format 1) and every personal position still
 * in the clear (displayPersonalPointers: all of them in a legacy record; in a committed one
 * only what xAPI keeps as an IRI, such as a person entity's activity id).
 */
function recordPersonalPointers(statement: XapiStatement): { pointers: string[]; clear: string[] } {
  const clear = displayPersonalPointers(statement);
  const committed = personalDataFormatOf(statement) === 1 ? commitmentPointers(statement) : [];
  return { pointers: [...new Set([...committed, ...clear])], clear };
}

/**
 * The view of a decision for someone who has not revealed its personal data. Every personal
 * position still in the clear is masked, whatever the value looks like, and the canonical
 * text is then withheld, because there it IS the personal data's bytes. A format-1 record
 * usually has none in the clear, so it is sent whole, canonical text included: its personal
 * values are commitments, and the browser recomputes the leaf hash for every role.
 */
export function maskedDecisionView(detail: Pick<DecisionDetail, "statement" | "canonical">): DecisionView {
  const format = personalDataFormatOf(detail.statement);
  const { pointers, clear } = recordPersonalPointers(detail.statement);
  if (clear.length === 0) return { format, statement: detail.statement, canonical: detail.canonical, personalPointers: pointers, masked: false };
  return { format, statement: maskPersonalData(detail.statement, clear), canonical: null, personalPointers: pointers, masked: true };
}

/**
 * A list row as a viewer without the reveal permission may see it: every column derived from
 * a personal position (personalColumnKeys: a human actor's or reviewer's name and identifying
 * id, a person's entity id) replaced by PERSONAL_DATA_MASK, whatever its shape.
 */
export function maskDecisionRow<T extends PersonalColumns>(row: T, canReveal: boolean): T {
  if (canReveal) return row;
  const keys = new Set(personalColumnKeys(row));
  if (keys.size === 0) return row;
  return {
    ...row,
    ...(keys.has("actorName") ? { actorName: PERSONAL_DATA_MASK } : {}),
    ...(keys.has("actorId") ? { actorId: PERSONAL_DATA_MASK } : {}),
    ...(keys.has("reviewerName") ? { reviewerName: PERSONAL_DATA_MASK } : {}),
    ...(keys.has("reviewerId") ? { reviewerId: PERSONAL_DATA_MASK } : {}),
    ...(keys.has("entityId") ? { entityId: PERSONAL_DATA_MASK } : {}),
  };
}

/**
 * The filters as the access log records them. The log is append-only and outlives erasure,
 * so a person's entity id or an identifier typed into the text search is recorded as
 * PERSONAL_DATA_MASK: the entry still shows that such a search happened, never whom it named.
 */
export function filtersForAccessLog<F extends Pick<DecisionFilters, "entityType" | "entityId" | "text">>(filters: F): F {
  const entityIsPersonal = filters.entityId !== null && (isPersonEntityType(filters.entityType) || holdsDetectedIdentifier(filters.entityId));
  const textIsPersonal = filters.text !== null && holdsDetectedIdentifier(filters.text);
  if (!entityIsPersonal && !textIsPersonal) return filters;
  return {
    ...filters,
    ...(entityIsPersonal ? { entityId: PERSONAL_DATA_MASK } : {}),
    ...(textIsPersonal ? { text: PERSONAL_DATA_MASK } : {}),
  };
}

/** The columns of one decision the summary header shows: the list columns, the ids and the writer, never the statement. */
export interface DecisionSummaryView extends DecisionListRow {
  actorId: string;
  reviewerId: string | null;
  writer: string;
  /** The actor's name is a commitment (the column is then null; its value is in the encrypted store). */
  actorNameCommitted: boolean;
}

/** What the decision page sends to the browser and renders, masked for the role: nothing else of the record leaves the server. */
export interface DecisionPageView {
  view: DecisionView;
  summary: DecisionSummaryView;
  sameEntity: DecisionListRow[];
  sameSession: DecisionListRow[];
}

/** The decision page's data for a role (tests serialise it to check that no personal value is in it). */
export function decisionPageView(detail: DecisionDetail, related: Pick<RelatedDecisions, "sameEntity" | "sameSession">, canReveal: boolean): DecisionPageView {
  // Everything but the statement, its canonical text and the hashes (the record panel gets those from `view`).
  const { statement, canonical: _canonical, leafHash: _leaf, chainHash: _chain, ...columns } = detail;
  const actorNameCommitted = detail.actorName === null && isCommittedValue(statement.actor.name);
  return {
    view: maskedDecisionView(detail),
    summary: maskDecisionRow({ ...columns, actorNameCommitted }, canReveal),
    sameEntity: related.sameEntity.map((r) => maskDecisionRow(r, canReveal)),
    sameSession: related.sameSession.map((r) => maskDecisionRow(r, canReveal)),
  };
}

/** "Personal data erased on 2026-03-01 (request …)": what the record shows and what a reveal answers. */
export function erasureMessage(erasure: OpeningErasure): string {
  return `Personal data erased on ${erasure.erasedAt.toISOString().slice(0, 10)} (request ${erasure.requestId ?? "unknown"})`;
}

/** One opening as the browser receives it to check it: the committed JSON value and its salt in base64. */
export interface RevealedOpening {
  ref: string;
  /** Pointer to the field holding the commitment. */
  pointer: string;
  /** The commitment as the stored statement spells it (string form). */
  commitment: string;
  value: unknown;
  /** Base64 of the 32-byte salt. */
  salt: string;
}

export interface RevealResult {
  id: string;
  format: 0 | 1;
  /** The pointers revealed, in document order. */
  pointers: string[];
  /** The statement with its personal values (format 1: the stored statement opened; format 0: as stored). */
  statement: XapiStatement;
  /** The exact canonical text that was hashed (format 1: holds commitments, no personal data). */
  canonical: string;
  /** Format 1: every opening of the record, for the browser to check against its commitment. Format 0: none. */
  openings: RevealedOpening[];
  /** Format 1: refs whose stored opening does not open its commitment (an integrity failure; left committed). */
  mismatched: string[];
  /** Access-log entry that records this reveal. */
  accessEventId: string;
}

/** What a reveal returns of a record, besides its id, pointers and log entry. */
type RevealedContent = Pick<RevealResult, "format" | "statement" | "openings" | "mismatched">;

/**
 * The openings of a format-1 record, decrypted. Refuses an erased record (with the erasure's
 * date and request) and a record whose openings are missing: nothing is revealed then.
 */
async function openCommittedRecord(tx: Db, keys: PersonalDataKeys, detail: DecisionDetail): Promise<RevealedContent> {
  const record = (await readRecordOpenings(tx, keys, [detail.id])).get(detail.id);
  const erasure = record?.erasures[0];
  if (erasure) {
    const message = erasureMessage(erasure);
    throw new ServiceInputError(message, { form: [message] }, 409);
  }
  const found = findCommitments(detail.statement);
  const missing = found.filter((c) => !record?.openings.has(c.ref));
  if (missing.length > 0) {
    const message = `The personal-data store holds no opening for ${missing.length} of this record's ${found.length} committed values`;
    throw new ServiceInputError(message, { form: [message] }, 409);
  }
  const openings = record!.openings;
  const opened = openStatement(nodeBytesBackend, detail.statement, (ref) => openings.get(ref));
  return {
    format: 1,
    statement: opened.statement,
    mismatched: opened.mismatched,
    openings: found.map((c) => {
      const opening = openings.get(c.ref)!;
      return { ref: c.ref, pointer: c.pointer, commitment: formatCommitmentString(c.ref, c.commitment), value: opening.value, salt: toBase64(opening.salt) };
    }),
  };
}

/**
 * Reveals a decision's personal data to `actor` after logging why. Refuses roles without
 * `decisions.reveal_personal_data` (the server action checks too: deny by default twice),
 * bad input (field errors), unknown ids (404), records without personal data (nothing to
 * reveal) and records whose subject was erased (409, "Personal data erased on …"); a refused
 * reveal logs nothing. The log entry and the decryption share one transaction: no values
 * leave without their entry.
 */
export async function revealPersonalData(
  db: Db,
  keys: PersonalDataKeys,
  input: { request: unknown; actor: ServiceActor & { role: string } },
): Promise<RevealResult> {
  if (!roleHas(input.actor.role, "decisions.reveal_personal_data")) {
    throw new ServiceInputError("Your role may not reveal personal data", { form: ["Your role may not reveal personal data"] }, 400);
  }
  const parsed = revealRequestSchema.safeParse(input.request);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  const { id, reason } = parsed.data;
  return db.transaction(async (tx) => {
    const detail = await getDecision(tx, id);
    if (!detail) throw new ServiceInputError(`No decision with id ${id}`, { id: ["No decision with this id"] }, 404);
    const format = personalDataFormatOf(detail.statement);
    const { pointers } = recordPersonalPointers(detail.statement);
    if (pointers.length === 0) throw new ServiceInputError("This decision holds no personal data", { form: ["This decision holds no personal data to reveal"] }, 400);
    const content: RevealedContent =
      format === 1 ? await openCommittedRecord(tx, keys, detail) : { format, statement: detail.statement, openings: [], mismatched: [] };
    const entry = await appendAccessEvent(
      tx,
      {
        action: "decisions.reveal_personal_data",
        outcome: "success",
        user: accessEventUser(input.actor),
        target: detail.id,
        details: { reason, pointers, seq: detail.seq },
        ip: input.actor.ip ?? null,
        userAgent: input.actor.userAgent ?? null,
      },
      tx,
    );
    return { id: detail.id, pointers, canonical: detail.canonical, ...content, accessEventId: entry.id };
  });
}
