"use client";

import { useActionState, useEffect, useRef } from "react";
import { Button } from "@/components/ui/button";
import { Field, fieldA11y } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { ActionMessage } from "./action-message";
import { fieldError, IDLE, type ActionState } from "./action-state";

export function CreateApiKeyForm({
  action,
  scopes,
}: {
  action: (state: ActionState, formData: FormData) => Promise<ActionState>;
  scopes: readonly { value: string; label: string }[];
}) {
  const [state, formAction, pending] = useActionState(action, IDLE);
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (state.status === "success") formRef.current?.reset();
  }, [state]);
  const errors = { owner: fieldError(state, "owner"), scope: fieldError(state, "scope") };
  return (
    <form ref={formRef} action={formAction} className="space-y-4" aria-label="Create an API key">
      <div className="grid gap-4 sm:grid-cols-2">
        <Field
          id="new-key-owner"
          label="Owner"
          hint="The AI system or service that will write decision records with this key. It is recorded as the authority of every record."
          error={errors.owner}
        >
          <Input {...fieldA11y("new-key-owner", { hint: true, error: errors.owner })} name="owner" required autoComplete="off" placeholder="e.g. loan-approval-service" />
        </Field>
        <Field id="new-key-scope" label="Scope" error={errors.scope}>
          <Select {...fieldA11y("new-key-scope", { error: errors.scope })} name="scope" defaultValue={scopes[0]?.value}>
            {scopes.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </Select>
        </Field>
      </div>
      <Button type="submit" disabled={pending}>
        {pending ? "Creating…" : "Create key"}
      </Button>
      <div aria-live="polite">
        <ActionMessage state={state} />
      </div>
    </form>
  );
}
