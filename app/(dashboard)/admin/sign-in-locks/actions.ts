"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/components/admin/action-state";
import { requestContext, requireActionPermission } from "@/lib/auth/guard";
import { getRuntime } from "@/lib/server/runtime";
import { unlockSignIn } from "@/lib/services/unlock-sign-in";
import { failureState, formText } from "../action-helpers";

export async function unlockSignInAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("users.manage");
    const { db } = await getRuntime();
    const unlock = await unlockSignIn(db, {
      request: { account: formText(formData, "account"), ip: formText(formData, "ip"), reason: formText(formData, "reason") },
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    revalidatePath("/admin/sign-in-locks");
    const what = [unlock.account, unlock.ip].filter(Boolean).join(" from ");
    return { status: "success", message: `Sign-in is unlocked for ${what}.` };
  } catch (error) {
    return failureState(error);
  }
}
