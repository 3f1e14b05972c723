"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/components/admin/action-state";
import { requestContext, requireActionPermission } from "@/lib/auth/guard";
import { getRuntime } from "@/lib/server/runtime";
import { createUser, updateUser, type CreateUserInput } from "@/lib/services/users";
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
