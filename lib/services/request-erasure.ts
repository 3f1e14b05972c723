import "server-only";
import { randomUUID } from "node:crypto";
import type { Db } from "../../db/client";
import { getErasureRequest, type ErasureRequestRecord } from "../../db/queries/erasure-requests";
import { erasureRequests } from "../../db/schema";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { countSubjectData } from "../ledger-store/erase-subject-keys";
import { subjectIndexCandidates } from "../ledger-store/personal-data-store";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import { refuseWhileHeld, requireActiveUserWith, requireServicePermission, subjectRequestSchema, type ServiceActorWithRole } from "./data-subject-input";
import { accessEventUser, ServiceInputError } from "./users";

/**
 * Step one of erasing a data subject (GDPR Art. 17; docs/privacy.md "Erasure"): an admin asks,
 * a second admin approves (decide-erasure.ts). The typed subject id is turned into its blind
 * indexes here and goes no further: the request, the access log and the answer hold only the
 * indexes and how much data they match.
 */

export interface ErasureRequestResult {
  request: ErasureRequestRecord;
  /** Active data keys of the subject now, and the records with values sealed under them. */
  matchingKeys: number;
  matchingRecords: number;
}

/**
 * Creates a pending erasure request. Refuses roles without `personal_data.erase`, inactive
 * users, bad input and a subject under an active legal hold; logs
 * `personal_data.erasure_request` (request id and counts, no subject) in the same transaction.
 */
export async function requestErasure(
  db: Db,
  keys: PersonalDataKeys,
  input: { request: unknown; actor: ServiceActorWithRole },
): Promise<ErasureRequestResult> {
  requireServicePermission(input.actor, "personal_data.erase", "request an erasure");
  const parsed = subjectRequestSchema.safeParse(input.request);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  const subjectIndexes = subjectIndexCandidates(keys, parsed.data.subject);
  return db.transaction(async (tx) => {
    await requireActiveUserWith(tx, input.actor, "personal_data.erase", "erase personal data");
    await refuseWhileHeld(tx, subjectIndexes);
    const matching = await countSubjectData(tx, subjectIndexes);
    const id = randomUUID();
    await tx.insert(erasureRequests).values({
      id,
      subjectIndexes,
      reason: parsed.data.reason,
      status: "pending",
      requestedBy: input.actor.email,
      requestedAt: new Date(),
    });
    await appendAccessEvent(
      tx,
      {
        action: "personal_data.erasure_request",
        outcome: "success",
        user: accessEventUser(input.actor),
        target: id,
        details: { requestId: id, reason: parsed.data.reason, matchingKeys: matching.keys, matchingValues: matching.values, matchingRecords: matching.records },
        ip: input.actor.ip ?? null,
        userAgent: input.actor.userAgent ?? null,
      },
      tx,
    );
    return { request: (await getErasureRequest(tx, { id }))!, matchingKeys: matching.keys, matchingRecords: matching.records };
  });
}
