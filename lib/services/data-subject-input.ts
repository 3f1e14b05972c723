import "server-only";
import { z } from "zod";
import type { Db } from "../../db/client";
import { activeHoldsCovering } from "../../db/queries/legal-holds";
import { getUserByEmail } from "../../db/queries/users";
import { roleHas, type Permission } from "../auth/permissions";
import { ServiceInputError, type ServiceActor } from "./users";

/**
 * What erasure and legal holds share: a data subject typed by a person (turned into blind
 * indexes at once, never stored or logged as typed), a reason, and the checks of who acts.
 */

export const SUBJECT_REASON_MIN = 10;
export const SUBJECT_REASON_MAX = 500;

export const subjectRequestSchema = z
  .strictObject({
    subject: z
      .string({ error: "Enter the data subject's id" })
      .trim()
      .min(1, { error: "Enter the data subject's id (as the AI systems record it, e.g. a customer number or e-mail address)" })
      .max(320, { error: "The subject id is too long (320 characters at most)" }),
    reason: z
      .string({ error: "Give the reason" })
      .trim()
      .min(SUBJECT_REASON_MIN, { error: `Give a reason of at least ${SUBJECT_REASON_MIN} characters (for example the ticket or case)` })
      .max(SUBJECT_REASON_MAX, { error: `Keep the reason under ${SUBJECT_REASON_MAX} characters` }),
  })
  // The reason is stored and logged in clear: the subject's id must not ride along in it.
  .refine((v) => !v.reason.toLowerCase().includes(v.subject.toLowerCase()), {
    path: ["reason"],
    error: "Leave the subject's id out of the reason: the reason is stored and logged in clear, the id never is",
  });

export type ServiceActorWithRole = ServiceActor & { role: string };

/** Deny by default, before anything is parsed or read. */
export function requireServicePermission(actor: ServiceActorWithRole, permission: Permission, what: string): void {
  if (!roleHas(actor.role, permission)) throw new ServiceInputError(`Your role may not ${what}`, { form: [`Your role may not ${what}`] }, 400);
}

/**
 * The actor as the users table knows them now: a deactivated account, or one whose role lost
 * the permission since signing in, is refused (the CLI's --as and a stale session alike).
 */
export async function requireActiveUserWith(db: Pick<Db, "select">, actor: ServiceActorWithRole, permission: Permission, what: string): Promise<void> {
  const user = await getUserByEmail(db, { email: actor.email });
  if (!user || !user.active || !roleHas(user.role, permission)) {
    throw new ServiceInputError(`Only an active user whose role may ${what} can do this`, { form: [`Only an active user whose role may ${what} can do this`] }, 400);
  }
}

/** Refuses (409) while an active legal hold covers any of the subject's blind indexes. */
export async function refuseWhileHeld(db: Pick<Db, "select">, subjectIndexes: readonly string[]): Promise<void> {
  const holds = await activeHoldsCovering(db, { subjectIndexes });
  if (holds.length === 0) return;
  const message = `A legal hold covers this data subject (hold ${holds.map((h) => h.id).join(", ")}): it cannot be erased until the hold is released`;
  throw new ServiceInputError(message, { form: [message] }, 409);
}
