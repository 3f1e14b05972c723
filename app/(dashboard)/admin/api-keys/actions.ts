"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/components/admin/action-state";
import { requestContext, requireActionPermission } from "@/lib/auth/guard";
import { getRuntime } from "@/lib/server/runtime";
import { createApiKey, revokeApiKey } from "@/lib/services/api-keys";
import { failureState, formText } from "../action-helpers";

export async function createApiKeyAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("api_keys.manage");
    const { db } = await getRuntime();
    const { key, secret } = await createApiKey(db, {
      owner: formText(formData, "owner") as string,
      scope: formText(formData, "scope"),
      createdBy: user.email,
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    revalidatePath("/admin/api-keys");
    return {
      status: "success",
      message: `Key ${key.prefix}… created for ${key.owner}.`,
      secret: { label: `API key for ${key.owner}`, value: secret },
    };
  } catch (error) {
    return failureState(error);
  }
}

export async function revokeApiKeyAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("api_keys.manage");
    const { db } = await getRuntime();
    const key = await revokeApiKey(db, {
      id: formText(formData, "id"),
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    revalidatePath("/admin/api-keys");
    return { status: "success", message: `Key ${key.prefix}… (${key.owner}) is revoked: it can no longer write records.` };
  } catch (error) {
    return failureState(error);
  }
}
