"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import type { ActionState } from "@/components/admin/action-state";
import { requestContext, requireActionPermission } from "@/lib/auth/guard";
import { revokeUserSession, revokeUserSessions } from "@/lib/auth/user-sessions";
import { getRuntime } from "@/lib/server/runtime";
import { ServiceInputError } from "@/lib/services/users";
import { failureState, formText } from "../admin/action-helpers";

const endSessionInput = z.object({ id: z.uuid({ error: "Unknown session" }) });

/** Ends one of the signed-in user's OTHER sessions (a lost laptop, a shared computer). */
export async function endOwnSessionAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("account.sessions");
    const parsed = endSessionInput.safeParse({ id: formText(formData, "id") });
    if (!parsed.success) throw ServiceInputError.fromZod(parsed.error);
    if (parsed.data.id === user.sessionId) {
      throw new ServiceInputError("This is the session you are using: sign out instead", { id: ["Sign out to end this session"] }, 409);
    }
    const { db } = await getRuntime();
    // Ownership is part of the revocation itself: another user's session id matches nothing.
    const { count } = await revokeUserSession(db, {
      id: parsed.data.id,
      userId: user.id,
      reason: "ended_by_user",
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    if (count === 0) throw new ServiceInputError("This session does not exist or has already ended", { id: ["This session has already ended"] }, 404);
    revalidatePath("/account");
    return { status: "success", message: "The session is ended: that browser has to sign in again." };
  } catch (error) {
    return failureState(error);
  }
}

/** Ends every session of the signed-in user, this one included; the client then goes to /sign-in. */
export async function signOutEverywhereAction(_prev: ActionState, _formData: FormData): Promise<ActionState> {
  try {
    const user = await requireActionPermission("account.sessions");
    const { db } = await getRuntime();
    const { count } = await revokeUserSessions(db, {
      userId: user.id,
      reason: "sign_out_everywhere",
      actor: { id: user.id, email: user.email, role: user.role, ...(await requestContext()) },
    });
    return { status: "success", message: `Signed out everywhere (${count} ${count === 1 ? "session" : "sessions"} ended).` };
  } catch (error) {
    return failureState(error);
  }
}
