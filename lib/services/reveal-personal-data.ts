import "server-only";
import { z } from "zod";
import type { Db } from "../../db/client";
import { getDecision, type DecisionDetail, type DecisionListRow } from "../../db/queries/decisions";
import { roleHas } from "../auth/permissions";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { maskPersonalData, PERSONAL_DATA_MASK, personalDataPointers } from "../ledger/xapi/personal-data";
import type { XapiStatement } from "../ledger/xapi/types";
import { accessEventUser, ServiceInputError, type ServiceActor } from "./users";

/**
 * Personal data in decision records. Everything here runs on the server: a viewer who has
 * not revealed (or may not reveal) never receives personal values, not in the statement,
 * not in the canonical text, not in a list row.
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
  /** The statement, with personal values replaced by PERSONAL_DATA_MASK unless revealed. */
  statement: XapiStatement;
  /** The exact canonical (hashed) text, or null when it is withheld because it holds personal data. */
  canonical: string | null;
  /** RFC 6901 pointers to the personal values of this record (empty: none). */
  personalPointers: string[];
  /** True when personal values were replaced. */
  masked: boolean;
}

/**
 * The view of a decision for someone who has not revealed its personal data. With no
 * personal data in the record the canonical text is sent in full (the browser then
 * recomputes the leaf hash itself); otherwise it is withheld, because the canonical text IS
 * the personal data's bytes.
 */
export function maskedDecisionView(detail: Pick<DecisionDetail, "statement" | "canonical">): DecisionView {
  const pointers = personalDataPointers(detail.statement);
  if (pointers.length === 0) return { statement: detail.statement, canonical: detail.canonical, personalPointers: [], masked: false };
  return { statement: maskPersonalData(detail.statement, pointers), canonical: null, personalPointers: pointers, masked: true };
}

/** Entity ids that identify a person (decisions about an Agent or Group) are personal data. */
export function isPersonalEntity(entityType: string | null): boolean {
  return entityType === "agent" || entityType === "group";
}

/** A list row as a viewer without the reveal permission may see it. */
export function maskDecisionRow<T extends Pick<DecisionListRow, "entityType" | "entityId">>(row: T, canReveal: boolean): T {
  if (canReveal || !isPersonalEntity(row.entityType) || row.entityId === null) return row;
  return { ...row, entityId: PERSONAL_DATA_MASK };
}

export interface RevealResult {
  id: string;
  /** The pointers revealed, in document order. */
  pointers: string[];
  /** The full (unmasked) statement and its exact canonical text. */
  statement: XapiStatement;
  canonical: string;
  /** Access-log entry that records this reveal. */
  accessEventId: string;
}

/**
 * Reveals a decision's personal data to `actor` after logging why. Refuses roles without
 * `decisions.reveal_personal_data` (the server action checks too: deny by default twice),
 * bad input (field errors), unknown ids (404) and records without personal data (nothing
 * to reveal, nothing logged).
 */
export async function revealPersonalData(db: Db, input: { request: unknown; actor: ServiceActor & { role: string } }): Promise<RevealResult> {
  if (!roleHas(input.actor.role, "decisions.reveal_personal_data")) {
    throw new ServiceInputError("Your role may not reveal personal data", { form: ["Your role may not reveal personal data"] }, 400);
  }
  const parsed = revealRequestSchema.safeParse(input.request);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  const { id, reason } = parsed.data;
  return db.transaction(async (tx) => {
    const detail = await getDecision(tx, id);
    if (!detail) throw new ServiceInputError(`No decision with id ${id}`, { id: ["No decision with this id"] }, 404);
    const pointers = personalDataPointers(detail.statement);
    if (pointers.length === 0) throw new ServiceInputError("This decision holds no personal data", { form: ["This decision holds no personal data to reveal"] }, 400);
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
    return { id: detail.id, pointers, statement: detail.statement, canonical: detail.canonical, accessEventId: entry.id };
  });
}
