"use client";

import { useActionState } from "react";
import { ActionMessage } from "@/components/admin/action-message";
import { fieldError, IDLE, type ActionState } from "@/components/admin/action-state";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";

/** Unlock one throttled pair or IP: the account and IP are fixed by the row, the reason is typed. */
export function UnlockForm({
  action,
  account,
  ip,
  rowId,
}: {
  action: (state: ActionState, formData: FormData) => Promise<ActionState>;
  account: string | null;
  ip: string;
  rowId: string;
}) {
  const [state, formAction, pending] = useActionState(action, IDLE);
  const reasonError = fieldError(state, "reason");
  return (
    <form action={formAction} className="flex flex-col gap-2" aria-label={`Unlock ${account ? `${account} from ` : ""}${ip}`}>
      {account ? <input type="hidden" name="account" value={account} /> : null}
      <input type="hidden" name="ip" value={ip} />
      <div className="flex gap-2">
        <label htmlFor={`${rowId}-reason`} className="sr-only">
          Reason
        </label>
        <Input
          id={`${rowId}-reason`}
          name="reason"
          required
          minLength={10}
          autoComplete="off"
          placeholder="Reason (e.g. ticket)"
          aria-invalid={reasonError ? true : undefined}
          aria-describedby={reasonError ? `${rowId}-reason-error` : undefined}
        />
        <Button type="submit" variant="secondary" size="sm" disabled={pending}>
          {pending ? "Unlocking…" : "Unlock"}
        </Button>
      </div>
      {reasonError ? (
        <p id={`${rowId}-reason-error`} className="text-sm text-red-700">
          {reasonError.join(" ")}
        </p>
      ) : null}
      <div aria-live="polite">
        <ActionMessage state={state} />
      </div>
    </form>
  );
}
