import "server-only";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client";
import { getErasureRequest, type ErasureRequestRecord } from "../../db/queries/erasure-requests";
import { normalizeEmail } from "../../db/queries/users";
import { erasureRequests } from "../../db/schema";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import type { CheckpointSigner } from "../ledger-store/create-checkpoint";
import { eraseSubjectKeys } from "../ledger-store/erase-subject-keys";
import { refuseWhileHeld, requireActiveUserWith, requireServicePermission, type ServiceActorWithRole } from "./data-subject-input";
import { readDecisionsTree, signErasureReceipt } from "./erasure-receipt";
import { accessEventUser, ServiceInputError } from "./users";

/**
 * Step two of an erasure: a second admin approves (the subject's data keys are destroyed and
 * a signed receipt written) or an admin rejects. Four eyes: the approver is an active user
 * with `personal_data.erase` other than the requester. The requester may reject (withdraw)
 * their own request: that destroys nothing.
 */

/** What approving needs of the deployment: the database and the checkpoint signer with its origin. */
export interface ErasureDeployment {
  db: Db;
  /** LEDGER_ORIGIN: named in the receipt. */
  origin: string;
  signer: CheckpointSigner;
}

const decisionSchema = z.strictObject({ id: z.uuid({ error: "Give the erasure request's id (a UUID)" }) });


/** The pending request, locked for this transaction; 404 or 409 otherwise. */
async function lockPendingRequest(tx: Db, id: string): Promise<ErasureRequestRecord> {
  const [locked] = await tx.select({ id: erasureRequests.id }).from(erasureRequests).where(eq(erasureRequests.id, id)).for("update");
  const request = locked ? await getErasureRequest(tx, { id }) : null;
  if (!request) throw new ServiceInputError(`No erasure request with id ${id}`, { id: ["No erasure request with this id"] }, 404);
  if (request.status !== "pending") {
    const message = `Erasure request ${id} is already ${request.status}`;
    throw new ServiceInputError(message, { id: [message] }, 409);
  }
  return request;
}

function parseDecision(request: unknown): string {
  const parsed = decisionSchema.safeParse(request);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  return parsed.data.id;
}

/**
 * Approves a pending request, in one transaction: destroys the subject's active data keys,
 * counts what became unreadable, signs the receipt over the counts and the decisions tree,
 * completes the request and logs `personal_data.erasure_approve`. Refused for the requester
 * (four eyes), for roles without `personal_data.erase`, and while a legal hold covers the subject.
 */
export async function approveErasure(deployment: ErasureDeployment, input: { request: unknown; actor: ServiceActorWithRole }): Promise<ErasureRequestRecord> {
  requireServicePermission(input.actor, "personal_data.erase", "approve an erasure");
  const id = parseDecision(input.request);
  return deployment.db.transaction(async (tx) => {
    await requireActiveUserWith(tx, input.actor, "personal_data.erase", "erase personal data");
    const request = await lockPendingRequest(tx, id);
    if (normalizeEmail(request.requestedBy) === normalizeEmail(input.actor.email)) {
      const message = `Four eyes: ${request.requestedBy} requested this erasure, so a different admin must approve it`;
      throw new ServiceInputError(message, { form: [message] }, 409);
    }
    await refuseWhileHeld(tx, request.subjectIndexes);
    const approvedAt = new Date();
    const erasure = await eraseSubjectKeys(tx, { subjectIndexes: request.subjectIndexes, requestId: id, erasedAt: approvedAt });
    const tree = await readDecisionsTree(tx);
    const receipt = await signErasureReceipt(deployment.signer, {
      ...erasure,
      origin: deployment.origin,
      requestId: id,
      subjectIndexes: request.subjectIndexes,
      requestedBy: request.requestedBy,
      requestedAt: request.requestedAt,
      approvedBy: input.actor.email,
      approvedAt,
      decisionsTreeSize: tree.size,
      decisionsRootHash: tree.rootHash,
    });
    await tx
      .update(erasureRequests)
      .set({ status: "completed", decidedBy: input.actor.email, decidedAt: approvedAt, ...erasure, receipt })
      .where(eq(erasureRequests.id, id));
    await appendAccessEvent(
      tx,
      {
        action: "personal_data.erasure_approve",
        outcome: "success",
        user: accessEventUser(input.actor),
        target: id,
        details: { requestId: id, requestedBy: request.requestedBy, ...erasure, decisionsTreeSize: tree.size },
        ip: input.actor.ip ?? null,
        userAgent: input.actor.userAgent ?? null,
      },
      tx,
    );
    return (await getErasureRequest(tx, { id }))!;
  });
}

/** Rejects (or, by its requester, withdraws) a pending request; logs `personal_data.erasure_reject`. Nothing is erased. */
export async function rejectErasure(db: Db, input: { request: unknown; actor: ServiceActorWithRole }): Promise<ErasureRequestRecord> {
  requireServicePermission(input.actor, "personal_data.erase", "reject an erasure");
  const id = parseDecision(input.request);
  return db.transaction(async (tx) => {
    await requireActiveUserWith(tx, input.actor, "personal_data.erase", "erase personal data");
    const request = await lockPendingRequest(tx, id);
    await tx.update(erasureRequests).set({ status: "rejected", decidedBy: input.actor.email, decidedAt: new Date() }).where(eq(erasureRequests.id, id));
    await appendAccessEvent(
      tx,
      {
        action: "personal_data.erasure_reject",
        outcome: "success",
        user: accessEventUser(input.actor),
        target: id,
        details: { requestId: id, requestedBy: request.requestedBy, withdrawn: normalizeEmail(request.requestedBy) === normalizeEmail(input.actor.email) },
        ip: input.actor.ip ?? null,
        userAgent: input.actor.userAgent ?? null,
      },
      tx,
    );
    return (await getErasureRequest(tx, { id }))!;
  });
}
