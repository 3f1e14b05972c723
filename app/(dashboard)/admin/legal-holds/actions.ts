"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/components/admin/action-state";
import { requestContext, requireActionPermission } from "@/lib/auth/guard";
import { getRuntime } from "@/lib/server/runtime";
import { placeLegalHold } from "@/lib/services/place-legal-hold";
import { releaseLegalHold } from "@/lib/services/release-legal-hold";
import { failureState, formText } from "../action-helpers";

// As for erasure: the typed subject id is handed to the service and never repeated in an answer.

export async function placeLegalHoldAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("legal_holds.manage");
    const { db, personalDataKeys } = await getRuntime();
    const hold = await placeLegalHold(db, personalDataKeys, {
      request: { subject: formText(formData, "subject"), reason: formText(formData, "reason") },
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    revalidatePath("/admin/legal-holds");
    return { status: "success", message: `Legal hold ${hold.id} is placed: the subject cannot be erased until it is released.` };
  } catch (error) {
    return failureState(error);
  }
}

export async function releaseLegalHoldAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("legal_holds.manage");
    const { db } = await getRuntime();
    const hold = await releaseLegalHold(db, {
      request: { id: formText(formData, "id") },
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    revalidatePath("/admin/legal-holds");
    return { status: "success", message: `Legal hold ${hold.id} is released.` };
  } catch (error) {
    return failureState(error);
  }
}
