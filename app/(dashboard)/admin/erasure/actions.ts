"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/components/admin/action-state";
import { requestContext, requireActionPermission } from "@/lib/auth/guard";
import { getRuntime } from "@/lib/server/runtime";
import { approveErasure, rejectErasure } from "@/lib/services/decide-erasure";
import { requestErasure } from "@/lib/services/request-erasure";
import { failureState, formText } from "../action-helpers";

// The subject id typed into the form goes to the service and nowhere else: no answer below
// repeats it, so the page rendered after the submission does not hold it either.

export async function requestErasureAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("personal_data.erase");
    const { db, personalDataKeys } = await getRuntime();
    const { request, matchingKeys, matchingRecords } = await requestErasure(db, personalDataKeys, {
      request: { subject: formText(formData, "subject"), reason: formText(formData, "reason") },
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    revalidatePath("/admin/erasure");
    return {
      status: "success",
      message: `Erasure request ${request.id} is pending: it matches ${matchingKeys} data key(s) covering ${matchingRecords} record(s). A second admin must approve it.`,
    };
  } catch (error) {
    return failureState(error);
  }
}

export async function approveErasureAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("personal_data.erase");
    const runtime = await getRuntime();
    const request = await approveErasure(runtime, {
      request: { id: formText(formData, "id") },
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    revalidatePath("/admin/erasure");
    return {
      status: "success",
      message: `Erased: ${request.valuesUnreadable} value(s) in ${request.recordsAffected} record(s) are unreadable for good. The signed receipt is in the list below.`,
    };
  } catch (error) {
    return failureState(error);
  }
}

export async function rejectErasureAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("personal_data.erase");
    const { db } = await getRuntime();
    const request = await rejectErasure(db, {
      request: { id: formText(formData, "id") },
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    revalidatePath("/admin/erasure");
    return { status: "success", message: `Erasure request ${request.id} is rejected; nothing was erased.` };
  } catch (error) {
    return failureState(error);
  }
}
