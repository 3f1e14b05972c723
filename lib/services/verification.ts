import "server-only";
import { and, count, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import { executeSql, type Db } from "../../db/client";
import { readSeqRangeRecordedIn } from "../../db/queries/log-entries";
import { ACTIVE_RUN_STATUSES, getVerificationRun, type VerificationRunRecord } from "../../db/queries/verification-runs";
import { verificationRuns } from "../../db/schema";
import { roleHas } from "../auth/permissions";
import { LOG_IDS } from "../ledger/log-id";
import { appendAccessEvent } from "../ledger-store/append-access-event";
import { accessEventUser, ServiceInputError, type ServiceActor } from "./users";

/**
 * Verification runs: requested from the integrity page ("Verify now"), by the schedule, or
 * acknowledged after a failure. Each mutation writes its access-log entry in the same
 * transaction. The run itself happens in the background (lib/integrity/run-verification.ts).
 */

export type VerificationActor = ServiceActor & { id: string; name: string; role: string };

const isoDate = z.iso.datetime({ offset: true, error: "Enter a date and time" });

export const verificationRequestSchema = z
  .discriminatedUnion("scope", [
    z.strictObject({ scope: z.literal("all") }),
    z.strictObject({ scope: z.literal("range"), from: isoDate, to: isoDate }),
  ], { error: "Choose what to verify: the whole ledger or a time range" })
  .superRefine((v, ctx) => {
    if (v.scope === "range" && new Date(v.from).getTime() >= new Date(v.to).getTime()) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "The end of the time range must be after its start" });
    }
  });
export type VerificationRequest = z.infer<typeof verificationRequestSchema>;

/**
 * Queues a verification requested by a person. A whole-ledger run covers both logs (decision
 * records and the access log); a time range covers the decision records written in it.
 * Only one user-requested run is queued or running at a time: asking again returns it.
 */
export async function requestVerification(
  db: Db,
  input: { request: unknown; actor: VerificationActor },
): Promise<{ run: VerificationRunRecord; created: boolean }> {
  if (!roleHas(input.actor.role, "integrity.verify")) {
    throw new ServiceInputError("Your role may not start a verification", { form: ["Your role may not start a verification"] }, 400);
  }
  const parsed = verificationRequestSchema.safeParse(input.request);
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  const req = parsed.data;
  let range: { from: Date; to: Date; fromSeq: number; toSeq: number } | null = null;
  if (req.scope === "range") {
    const from = new Date(req.from);
    const to = new Date(req.to);
    const seqs = await readSeqRangeRecordedIn(db, { logId: "decisions", from, to });
    if (!seqs) {
      throw new ServiceInputError("No decision records were written in that time range", {
        from: ["No decision records were written between these times; widen the range"],
      });
    }
    range = { from, to, ...seqs };
  }
  const actor = input.actor;
  const result = await db.transaction(async (tx) => {
    // Serialise requests so two clicks cannot queue two runs.
    await executeSql(tx, sql`select pg_advisory_xact_lock(hashtext('decision_ledger:verification_request'))`);
    const [active] = await tx
      .select({ id: verificationRuns.id })
      .from(verificationRuns)
      .where(and(inArray(verificationRuns.status, ACTIVE_RUN_STATUSES), eq(verificationRuns.trigger, "user")))
      .limit(1);
    if (active) return { id: active.id, created: false };
    const [row] = await tx
      .insert(verificationRuns)
      .values({
        status: "queued",
        trigger: "user",
        requestedById: actor.id,
        requestedByEmail: actor.email,
        requestedByName: actor.name,
        // A date range selects decisions: the access log is only ever verified whole.
        logIds: range ? ["decisions"] : [...LOG_IDS],
        rangeFrom: range?.from ?? null,
        rangeTo: range?.to ?? null,
        fromSeq: range?.fromSeq ?? null,
        toSeq: range?.toSeq ?? null,
      })
      .returning({ id: verificationRuns.id });
    await appendAccessEvent(
      db,
      {
        action: "integrity.verify",
        outcome: "success",
        user: accessEventUser(actor),
        target: row!.id,
        details: {
          phase: "requested",
          runId: row!.id,
          trigger: "user",
          scope: req.scope,
          ...(range ? { from: range.from.toISOString(), to: range.to.toISOString(), fromSeq: range.fromSeq, toSeq: range.toSeq } : {}),
        },
        ip: actor.ip,
        userAgent: actor.userAgent,
      },
      tx,
    );
    return { id: row!.id, created: true };
  });
  const run = await getVerificationRun(db, { id: result.id });
  return { run: run!, created: result.created };
}

/**
 * Queues a scheduled whole-ledger run unless one is already queued or running, or another
 * server process scheduled one less than `minGapSeconds` ago. Returns the new run's id.
 */
export async function enqueueScheduledVerification(db: Db, minGapSeconds: number): Promise<string | null> {
  return db.transaction(async (tx) => {
    await executeSql(tx, sql`select pg_advisory_xact_lock(hashtext('decision_ledger:verification_schedule'))`);
    const [busy] = await tx
      .select({ n: count() })
      .from(verificationRuns)
      .where(
        and(
          eq(verificationRuns.trigger, "schedule"),
          or(
            inArray(verificationRuns.status, ACTIVE_RUN_STATUSES),
            gt(verificationRuns.requestedAt, sql`now() - make_interval(secs => ${minGapSeconds})`),
          ),
        ),
      );
    if ((busy?.n ?? 0) > 0) return null;
    const [row] = await tx
      .insert(verificationRuns)
      .values({ status: "queued", trigger: "schedule", logIds: [...LOG_IDS] })
      .returning({ id: verificationRuns.id });
    await appendAccessEvent(
      db,
      {
        action: "integrity.verify",
        outcome: "success",
        user: null,
        target: row!.id,
        details: { phase: "requested", runId: row!.id, trigger: "schedule", scope: "all" },
      },
      tx,
    );
    return row!.id;
  });
}

export const acknowledgeSchema = z.strictObject({
  runId: z.uuid({ error: "Unknown verification run" }),
  note: z
    .string({ error: "Say what was done about the failure" })
    .trim()
    .min(10, { error: "Say in a sentence what was done about the failure (at least 10 characters)" })
    .max(2000, { error: "The note is too long (2,000 characters at most)" }),
});

/**
 * An administrator acknowledges a failed run (with a note on what was done), which removes the
 * banner. The failure itself stays in the history and in the access log.
 */
export async function acknowledgeVerificationFailure(
  db: Db,
  input: { runId: unknown; note: unknown; actor: VerificationActor },
): Promise<VerificationRunRecord> {
  if (!roleHas(input.actor.role, "integrity.acknowledge")) {
    throw new ServiceInputError("Your role may not acknowledge failures", { form: ["Your role may not acknowledge failures"] }, 400);
  }
  const parsed = acknowledgeSchema.safeParse({ runId: input.runId, note: input.note });
  if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
  const { runId, note } = parsed.data;
  const actor = input.actor;
  await db.transaction(async (tx) => {
    const updated = await tx
      .update(verificationRuns)
      .set({ acknowledgedAt: new Date(), acknowledgedById: actor.id, acknowledgedByEmail: actor.email, acknowledgementNote: note })
      .where(and(eq(verificationRuns.id, runId), eq(verificationRuns.status, "failed"), isNull(verificationRuns.acknowledgedAt)))
      .returning({ id: verificationRuns.id, firstFailure: verificationRuns.firstFailure, failureCount: verificationRuns.failureCount });
    if (updated.length === 0) {
      const run = await getVerificationRun(tx, { id: runId });
      if (!run) throw new ServiceInputError("This verification run does not exist", { runId: ["This verification run does not exist"] }, 404);
      throw new ServiceInputError(
        run.status === "failed" ? "This failure was already acknowledged" : "Only a failed verification can be acknowledged",
        { runId: ["This run has nothing to acknowledge"] },
        409,
      );
    }
    await appendAccessEvent(
      db,
      {
        action: "integrity.acknowledge_failure",
        outcome: "success",
        user: accessEventUser(actor),
        target: runId,
        details: { runId, note, firstFailure: updated[0]!.firstFailure, failureCount: updated[0]!.failureCount },
        ip: actor.ip,
        userAgent: actor.userAgent,
      },
      tx,
    );
  });
  return (await getVerificationRun(db, { id: runId }))!;
}
