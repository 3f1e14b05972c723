"use client";

import { useActionState, useId } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, fieldA11y } from "@/components/ui/field";
import { controlClasses } from "@/components/ui/input";
import { fieldErrors, IDLE_STATE, type IntegrityActionState } from "./action-state";

/** An administrator acknowledges a failed verification with a note on what was done. */
export function AcknowledgeForm({
  action,
  runId,
}: {
  action: (state: IntegrityActionState, formData: FormData) => Promise<IntegrityActionState>;
  runId: string;
}) {
  const [state, formAction, pending] = useActionState(action, IDLE_STATE);
  const id = useId();
  if (state.status === "success") return <Alert tone="success">{state.message}</Alert>;
  return (
    <form action={formAction} className="space-y-3">
      <input type="hidden" name="runId" value={runId} />
      <Field
        id={`${id}-note`}
        label="What was done about it?"
        hint="For example: who was informed, what was found, the incident number. Saved with your name in the access log."
        error={fieldErrors(state, "note")}
      >
        <textarea
          name="note"
          rows={3}
          required
          minLength={10}
          maxLength={2000}
          className={controlClasses + " h-auto py-2"}
          {...fieldA11y(`${id}-note`, { hint: true, error: fieldErrors(state, "note") })}
        />
      </Field>
      {state.status === "error" && !state.fieldErrors.note ? <p className="text-sm text-red-700">{state.message}</p> : null}
      <Button type="submit" variant="danger" disabled={pending}>
        {pending ? "Saving…" : "Acknowledge failure"}
      </Button>
    </form>
  );
}
