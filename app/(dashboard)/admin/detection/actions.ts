"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/components/admin/action-state";
import { requestContext, requireActionPermission } from "@/lib/auth/guard";
import { getRuntime } from "@/lib/server/runtime";
import { updateDetectionSettings } from "@/lib/services/update-detection-settings";
import { failureState, formText } from "../action-helpers";

/** "NL, gb ,,DE" → ["NL", "GB", "DE"]: the field is free text, the service checks each region. */
function regionList(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((r) => r.trim().toUpperCase())
    .filter(Boolean);
}

export async function updateDetectionSettingsAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("personal_data.configure");
    const { db } = await getRuntime();
    const setting = await updateDetectionSettings(db, {
      request: {
        aiSystem: formText(formData, "aiSystem"),
        kinds: formData.getAll("kinds").filter((k): k is string => typeof k === "string"),
        phoneRegions: regionList(formText(formData, "phoneRegions")),
      },
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    revalidatePath("/admin/detection");
    const on = setting.config.kinds.length;
    return { status: "success", message: `Saved: ${on} recogniser${on === 1 ? "" : "s"} on for ${setting.aiSystem}, from its next statement.` };
  } catch (error) {
    return failureState(error);
  }
}
