"use server";

import { z } from "zod";
import { AccessDeniedError, requestContext, requireActionPermission } from "@/lib/auth/guard";
import { appendAccessEvent } from "@/lib/ledger-store/append-access-event";
import { checkpointNow, getPersonalDataKeys, getRuntime } from "@/lib/server/runtime";
import { revealPersonalData } from "@/lib/services/reveal-personal-data";
import { ServiceInputError } from "@/lib/services/users";
import type { RevealActionResult } from "@/components/decisions/decision-record";

/**
 * Reveals a decision's personal data: guard first, then the service (parse → transaction →
 * decrypt the openings → access-log entry with the reason → values). Errors come back as
 * field errors, never 500s. For a committed (format 1) record the openings travel with the
 * answer so the browser can check each against its commitment itself.
 */
export async function revealPersonalDataAction(input: unknown): Promise<RevealActionResult> {
  let user;
  try {
    user = await requireActionPermission("decisions.reveal_personal_data");
  } catch (error) {
    if (error instanceof AccessDeniedError) return { ok: false, message: error.message, fieldErrors: {} };
    throw error;
  }
  const { ip, userAgent } = await requestContext();
  const { db } = await getRuntime();
  try {
    const actor = { id: user.id, email: user.email, role: user.role, ip, userAgent };
    const r = await revealPersonalData(db, await getPersonalDataKeys(), { request: input, actor });
    return { ok: true, format: r.format, statement: r.statement, canonical: r.canonical, pointers: r.pointers, openings: r.openings, accessEventId: r.accessEventId };
  } catch (error) {
    if (error instanceof ServiceInputError) return { ok: false, message: error.message, fieldErrors: error.fieldErrors };
    throw error;
  }
}

const noInput = z.undefined({ error: "this action takes no input" });

/**
 * Signs a checkpoint of the decisions log now, so a record newer than the last checkpoint can
 * be checked at once (same operation as the scheduled checkpointer). createCheckpoint runs in
 * its own transaction (log lock, consistency check, external copy); the access-log entry is
 * written right after it commits, and says whether a new checkpoint was signed.
 */
export async function signCheckpointAction(input?: unknown): Promise<{ ok: true; treeSize: number } | { ok: false; message: string }> {
  let user;
  try {
    user = await requireActionPermission("integrity.verify");
  } catch (error) {
    if (error instanceof AccessDeniedError) return { ok: false, message: error.message };
    throw error;
  }
  const parsed = noInput.safeParse(input);
  if (!parsed.success) return { ok: false, message: parsed.error.issues[0]?.message ?? "invalid input" };
  const { ip, userAgent } = await requestContext();
  const runtime = await getRuntime();
  try {
    const result = await checkpointNow(runtime, "decisions");
    await appendAccessEvent(runtime.db, {
      action: "checkpoint.create",
      outcome: "success",
      user: { id: user.id, email: user.email, role: user.role },
      target: "decisions",
      details: { treeSize: result?.checkpoint.treeSize ?? 0, created: result?.created ?? false, from: "decision detail" },
      ip,
      userAgent,
    });
    return { ok: true, treeSize: result?.checkpoint.treeSize ?? 0 };
  } catch (error) {
    await appendAccessEvent(runtime.db, {
      action: "checkpoint.create",
      outcome: "failure",
      user: { id: user.id, email: user.email, role: user.role },
      target: "decisions",
      details: { error: (error as Error).message, from: "decision detail" },
      ip,
      userAgent,
    });
    return { ok: false, message: `The checkpoint could not be signed: ${(error as Error).message}` };
  }
}
