import "server-only";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client";
import { getLegalHold, type LegalHoldRecord } from "../../db/queries/legal-holds";
import { legalHolds } from "../../db/schema";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { requireActiveUserWith, requireServicePermission, type ServiceActorWithRole } from "./data-subject-input";
import { accessEventUser, ServiceInputError } from "./users";

const releaseSchema = z.strictObject({ id: z.uuid({ error: "Give the legal hold's id (a UUID)" }) });

/** Releases an active legal hold (the row stays, with who released it and when); logs `legal_holds.release`. */
export async function releaseLegalHold(db: Db, input: { request: unknown; actor: ServiceActorWithRole }): Promise<LegalHoldRecord> {
  requireServicePermission(input.actor, "legal_holds.manage", "release legal holds");
  const parsed = releaseSchema.safeParse(input.request);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  const { id } = parsed.data;
  return db.transaction(async (tx) => {
    await requireActiveUserWith(tx, input.actor, "legal_holds.manage", "manage legal holds");
    const [locked] = await tx.select({ id: legalHolds.id }).from(legalHolds).where(eq(legalHolds.id, id)).for("update");
    const hold = locked ? await getLegalHold(tx, { id }) : null;
    if (!hold) throw new ServiceInputError(`No legal hold with id ${id}`, { id: ["No legal hold with this id"] }, 404);
    if (hold.releasedAt) {
      const message = `Legal hold ${id} was already released by ${hold.releasedBy ?? "someone"}`;
      throw new ServiceInputError(message, { id: [message] }, 409);
    }
    await tx.update(legalHolds).set({ releasedBy: input.actor.email, releasedAt: new Date() }).where(eq(legalHolds.id, id));
    await appendAccessEvent(
      tx,
      {
        action: "legal_holds.release",
        outcome: "success",
        user: accessEventUser(input.actor),
        target: id,
        details: { holdId: id, placedBy: hold.placedBy, placedAt: hold.placedAt.toISOString() },
        ip: input.actor.ip ?? null,
        userAgent: input.actor.userAgent ?? null,
      },
      tx,
    );
    return (await getLegalHold(tx, { id }))!;
  });
}
