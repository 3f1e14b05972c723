"use client";

import { useActionState } from "react";
import { IDLE, type ActionState } from "@/components/admin/action-state";
import { Button, type ButtonVariant } from "@/components/ui/button";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

/**
 * One button that runs a server action after the browser's confirmation, with hidden
 * fields naming what it acts on. Refusals are shown next to it; `onSuccess` runs in the
 * browser once the server has done it (e.g. leave for the sign-in page).
 */
export function ConfirmActionForm({
  action,
  fields,
  confirm,
  label,
  pendingLabel,
  ariaLabel,
  variant = "ghost",
  showSuccess = false,
  onSuccess,
}: {
  action: Action;
  fields: Record<string, string>;
  confirm: string;
  label: string;
  pendingLabel: string;
  ariaLabel?: string;
  variant?: ButtonVariant;
  showSuccess?: boolean;
  onSuccess?: () => Promise<void>;
}) {
  const [state, formAction, pending] = useActionState<ActionState, FormData>(async (prev, formData) => {
    const next = await action(prev, formData);
    if (next.status === "success" && onSuccess) await onSuccess();
    return next;
  }, IDLE);
  const danger = variant === "ghost" ? "text-red-700 hover:bg-red-50 hover:text-red-800" : undefined;
  return (
    <form
      action={formAction}
      onSubmit={(event) => {
        if (!window.confirm(confirm)) event.preventDefault();
      }}
    >
      {Object.entries(fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <Button type="submit" variant={variant} size="sm" className={danger} disabled={pending} aria-label={ariaLabel ?? label}>
        {pending ? pendingLabel : label}
      </Button>
      {state.status === "error" ? (
        <p role="alert" className="mt-1 text-sm text-red-700">
          {Object.values(state.fieldErrors).flat()[0] ?? state.message}
        </p>
      ) : null}
      {showSuccess && state.status === "success" ? (
        <p role="status" className="mt-1 text-sm text-emerald-700">
          {state.message}
        </p>
      ) : null}
    </form>
  );
}
