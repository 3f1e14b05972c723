import "server-only";
import { z } from "zod";
import type { Db } from "../../db/client";
import { normalizeEmail } from "../../db/queries/users";
import { appendAccessEvent, type AccessEventRecord } from "../ledger-store/append-access-event";
import { requireActiveUserWith, requireServicePermission, SUBJECT_REASON_MAX, SUBJECT_REASON_MIN, type ServiceActorWithRole } from "./data-subject-input";
import { accessEventUser, ServiceInputError } from "./users";

// An empty form field means "any": an unlock names an account, an IP, or both.
const optionalField = (max: number, tooLong: string) =>
  z
    .string()
    .trim()
    .max(max, { error: tooLong })
    .optional()
    .transform((v) => (v ? v : null));

const unlockSchema = z
  .strictObject({
    account: optionalField(320, "The account is too long (320 characters at most)").transform((v) => (v ? normalizeEmail(v) : null)),
    ip: optionalField(64, "The IP address is too long (64 characters at most)").refine((v) => v === null || !/\s/.test(v), {
      error: "An IP address has no spaces",
    }),
    reason: z
      .string({ error: "Give the reason" })
      .trim()
      .min(SUBJECT_REASON_MIN, { error: `Give a reason of at least ${SUBJECT_REASON_MIN} characters (for example the ticket)` })
      .max(SUBJECT_REASON_MAX, { error: `Keep the reason under ${SUBJECT_REASON_MAX} characters` }),
  })
  .refine((v) => v.account !== null || v.ip !== null, { path: ["form"], error: "Name the account, the IP address, or both" });

export interface SignInUnlock {
  account: string | null;
  ip: string | null;
  reason: string;
  event: AccessEventRecord;
}

/**
 * Lifts a sign-in throttle: writes `auth.sign_in_unlocked` naming the account and/or IP.
 * The throttle (db/queries/access-events.ts) no longer counts the failures before it that
 * it covers, so the unlock is evidence in the access log rather than a counter reset.
 * Authorizing the caller is the action's job; the role is checked again here and the actor
 * re-read inside the transaction.
 */
export async function unlockSignIn(db: Db, input: { request: unknown; actor: ServiceActorWithRole }): Promise<SignInUnlock> {
  requireServicePermission(input.actor, "users.manage", "unlock sign-in");
  const parsed = unlockSchema.safeParse(input.request);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  const { account, ip, reason } = parsed.data;
  return db.transaction(async (tx) => {
    await requireActiveUserWith(tx, input.actor, "users.manage", "manage users");
    const event = await appendAccessEvent(
      tx,
      {
        action: "auth.sign_in_unlocked",
        outcome: "success",
        user: accessEventUser(input.actor),
        target: [account, ip].filter(Boolean).join(" from "),
        details: { account, ip, reason },
        ip: input.actor.ip ?? null,
        userAgent: input.actor.userAgent ?? null,
      },
      tx,
    );
    return { account, ip, reason, event };
  });
}
