"use server";

import { revalidatePath } from "next/cache";
import { AccessDeniedError, requestContext, requireActionPermission } from "@/lib/auth/guard";
import { getRuntime, wakeIntegrityJobs } from "@/lib/server/runtime";
import { ServiceInputError } from "@/lib/services/users";
import { acknowledgeVerificationFailure, requestVerification } from "@/lib/services/verification";
import type { IntegrityActionState } from "@/components/integrity/action-state";

function failure(error: unknown): IntegrityActionState {
  if (error instanceof AccessDeniedError) return { status: "error", message: error.message, fieldErrors: {} };
  if (error instanceof ServiceInputError) return { status: "error", message: error.message, fieldErrors: error.fieldErrors };
  throw error;
}

function text(formData: FormData, name: string): string | undefined {
  const v = formData.get(name);
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** "Verify now": queues a background run and returns its id for the progress bar. */
export async function startVerificationAction(_prev: IntegrityActionState, formData: FormData): Promise<IntegrityActionState> {
  try {
    const user = await requireActionPermission("integrity.verify");
    const { db } = await getRuntime();
    const scope = text(formData, "scope");
    const request = scope === "range" ? { scope, from: text(formData, "from"), to: text(formData, "to") } : { scope: scope ?? "all" };
    const { run, created } = await requestVerification(db, {
      request,
      actor: { id: user.id, email: user.email, name: user.name, role: user.role, ...(await requestContext()) },
    });
    await wakeIntegrityJobs("verification");
    revalidatePath("/integrity");
    return {
      status: "success",
      runId: run.id,
      message: created ? "Verification started. You can leave this page: it keeps running on the server." : "A verification is already running; showing its progress.",
    };
  } catch (error) {
    return failure(error);
  }
}

export async function acknowledgeFailureAction(_prev: IntegrityActionState, formData: FormData): Promise<IntegrityActionState> {
  try {
    const user = await requireActionPermission("integrity.acknowledge");
    const { db } = await getRuntime();
    const run = await acknowledgeVerificationFailure(db, {
      runId: text(formData, "runId"),
      note: text(formData, "note"),
      actor: { id: user.id, email: user.email, name: user.name, role: user.role, ...(await requestContext()) },
    });
    revalidatePath("/", "layout");
    return { status: "success", runId: run.id, message: "Failure acknowledged. The banner is removed; the failure stays in the history and the access log." };
  } catch (error) {
    return failure(error);
  }
}
