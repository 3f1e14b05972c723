"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import type { ActionState } from "@/components/admin/action-state";
import { getUser } from "@/db/queries/users";
import { requestContext, requireActionPermission } from "@/lib/auth/guard";
import { revokeUserSessions } from "@/lib/auth/user-sessions";
import { getRuntime } from "@/lib/server/runtime";
import { createUser, ServiceInputError, updateUser, type CreateUserInput } from "@/lib/services/users";
import { failureState, formText } from "../action-helpers";

export async function createUserAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("users.manage");
    const { db } = await getRuntime();
    const { user: created, generatedPassword } = await createUser(db, {
      email: formText(formData, "email") as string,
      name: formText(formData, "name") as string,
      role: formText(formData, "role") as CreateUserInput["role"],
      password: formText(formData, "password"),
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    revalidatePath("/admin/users");
    return {
      status: "success",
      message: `${created.name} (${created.email}) can now sign in.`,
      secret: generatedPassword ? { label: `Password for ${created.email}`, value: generatedPassword } : undefined,
    };
  } catch (error) {
    return failureState(error);
  }
}

export async function updateUserAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("users.manage");
    const { db } = await getRuntime();
    const active = formText(formData, "active");
    const updated = await updateUser(db, {
      id: formText(formData, "id") as string,
      role: formText(formData, "role") as CreateUserInput["role"] | undefined,
      active: active === undefined ? undefined : active === "true",
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    revalidatePath("/admin/users");
    return { status: "success", message: `Saved ${updated.email}.` };
  } catch (error) {
    return failureState(error);
  }
}

const revokeSessionsInput = z.object({ userId: z.uuid({ error: "Unknown user" }) });

/** Signs a user out of every browser (a stolen laptop, a leaver); your own current session stays. */
export async function revokeUserSessionsAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("users.manage");
    const parsed = revokeSessionsInput.safeParse({ userId: formText(formData, "userId") });
    if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
    const { db } = await getRuntime();
    const target = await getUser(db, { id: parsed.data.userId });
    if (!target) throw new ServiceInputError("This user does not exist", { userId: ["This user does not exist"] }, 404);
    const { count } = await revokeUserSessions(db, {
      userId: target.id,
      // Signing yourself out of everything else should not also end the session you are using.
      exceptSessionId: target.id === user.id ? user.sessionId : undefined,
      reason: "revoked_by_admin",
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    revalidatePath("/admin/users");
    return { status: "success", message: `Signed ${target.email} out of ${count} ${count === 1 ? "session" : "sessions"}.` };
  } catch (error) {
    return failureState(error);
  }
}
