"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { IDLE, type ActionState } from "./action-state";

export function RevokeApiKeyForm({
  action,
  keyId,
  label,
}: {
  action: (state: ActionState, formData: FormData) => Promise<ActionState>;
  keyId: string;
  label: string;
}) {
  const [state, formAction, pending] = useActionState(action, IDLE);
  return (
    <form
      action={formAction}
      onSubmit={(event) => {
        if (!window.confirm(`Revoke ${label}? Systems using it will no longer be able to write records. This cannot be undone.`)) {
          event.preventDefault();
        }
      }}
    >
      <input type="hidden" name="id" value={keyId} />
      <Button type="submit" variant="ghost" size="sm" className="text-red-700 hover:bg-red-50 hover:text-red-800" disabled={pending} aria-label={`Revoke ${label}`}>
        {pending ? "Revoking…" : "Revoke"}
      </Button>
      {state.status === "error" ? (
        <p role="alert" className="mt-1 text-sm text-red-700">
          {Object.values(state.fieldErrors).flat()[0] ?? state.message}
        </p>
      ) : null}
    </form>
  );
}
