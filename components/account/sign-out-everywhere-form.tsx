"use client";

import type { ActionState } from "@/components/admin/action-state";
import { useSignOut } from "@/components/shell/sign-out-button";
import { ConfirmActionForm } from "./confirm-action-form";

/** Ends every session of the user on the server, then clears this browser's cookie and leaves. */
export function SignOutEverywhereForm({ action }: { action: (state: ActionState, formData: FormData) => Promise<ActionState> }) {
  const { signOutNow } = useSignOut();
  return (
    <ConfirmActionForm
      action={action}
      fields={{}}
      confirm="Sign out of every browser and device, this one included?"
      label="Sign out everywhere"
      pendingLabel="Signing out…"
      variant="danger"
      onSuccess={signOutNow}
    />
  );
}
