import "server-only";
import { randomUUID } from "node:crypto";
import type { Db } from "../../db/client";
import { activeHoldsCovering, getLegalHold, type LegalHoldRecord } from "../../db/queries/legal-holds";
import { legalHolds } from "../../db/schema";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { subjectIndexCandidates } from "../ledger-store/personal-data-store";
import type { PersonalDataKeys } from "../privacy/personal-data-keys";
import { requireActiveUserWith, requireServicePermission, subjectRequestSchema, type ServiceActorWithRole } from "./data-subject-input";
import { accessEventUser, ServiceInputError } from "./users";

/**
 * Places a legal hold on a data subject: while it is active the subject cannot be erased
 * (request-erasure.ts and decide-erasure.ts refuse). The typed subject id becomes its blind
 * indexes at once, like for an erasure; the hold, the log entry and the answer never hold it.
 * Holds by case, entity, AI system or time range come with the retention work.
 */
export async function placeLegalHold(db: Db, keys: PersonalDataKeys, input: { request: unknown; actor: ServiceActorWithRole }): Promise<LegalHoldRecord> {
  requireServicePermission(input.actor, "legal_holds.manage", "place legal holds");
  const parsed = subjectRequestSchema.safeParse(input.request);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  const subjectIndexes = subjectIndexCandidates(keys, parsed.data.subject);
  return db.transaction(async (tx) => {
    await requireActiveUserWith(tx, input.actor, "legal_holds.manage", "manage legal holds");
    const existing = await activeHoldsCovering(tx, { subjectIndexes });
    if (existing.length > 0) {
      const message = `This data subject is already under legal hold ${existing[0]!.id}`;
      throw new ServiceInputError(message, { subject: [message] }, 409);
    }
    const id = randomUUID();
    await tx.insert(legalHolds).values({
      id,
      scope: "subject",
      subjectIndexes: [...new Set(subjectIndexes)].sort(),
      reason: parsed.data.reason,
      placedBy: input.actor.email,
      placedAt: new Date(),
    });
    await appendAccessEvent(
      tx,
      {
        action: "legal_holds.place",
        outcome: "success",
        user: accessEventUser(input.actor),
        target: id,
        details: { holdId: id, scope: "subject", reason: parsed.data.reason },
        ip: input.actor.ip ?? null,
        userAgent: input.actor.userAgent ?? null,
      },
      tx,
    );
    return (await getLegalHold(tx, { id }))!;
  });
}
