"use client";

import { useActionState } from "react";
import { Button, type ButtonVariant } from "@/components/ui/button";
import { IDLE, type ActionState } from "./action-state";

/**
 * One button that acts on one erasure request or legal hold (by id) after the browser asks
 * for confirmation: approve, reject, withdraw, release. The answer is shown under it.
 */
export function ConfirmIdForm({
  action,
  id,
  label,
  pendingLabel,
  confirmText,
  variant = "secondary",
}: {
  action: (state: ActionState, formData: FormData) => Promise<ActionState>;
  id: string;
  label: string;
  pendingLabel: string;
  confirmText: string;
  variant?: ButtonVariant;
}) {
  const [state, formAction, pending] = useActionState(action, IDLE);
  return (
    <form
      action={formAction}
      className="inline-block"
      onSubmit={(event) => {
        if (!window.confirm(confirmText)) event.preventDefault();
      }}
    >
      <input type="hidden" name="id" value={id} />
      <Button type="submit" variant={variant} size="sm" disabled={pending}>
        {pending ? pendingLabel : label}
      </Button>
      {state.status === "idle" ? null : (
        <p role={state.status === "error" ? "alert" : "status"} className={state.status === "error" ? "mt-1 text-sm text-red-700" : "mt-1 text-sm text-emerald-700"}>
          {state.status === "error" ? (Object.values(state.fieldErrors).flat()[0] ?? state.message) : state.message}
        </p>
      )}
    </form>
  );
}
