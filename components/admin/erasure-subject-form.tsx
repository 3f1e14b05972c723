"use client";

import { useActionState, useEffect, useRef } from "react";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { Field, fieldA11y } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { ActionMessage } from "./action-message";
import { fieldError, IDLE, type ActionState } from "./action-state";

/**
 * A data subject's id and a reason: the form of an erasure request and of a legal hold. The
 * id field is uncontrolled and never filled from the action's answer, and the form is reset
 * once the action succeeds, so the id typed is not in the page afterwards.
 */
export function SubjectReasonForm({
  action,
  idPrefix,
  label,
  submitLabel,
  pendingLabel,
  reasonHint,
}: {
  action: (state: ActionState, formData: FormData) => Promise<ActionState>;
  idPrefix: string;
  label: string;
  submitLabel: string;
  pendingLabel: string;
  reasonHint: string;
}) {
  const [state, formAction, pending] = useActionState(action, IDLE);
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (state.status === "success") formRef.current?.reset();
  }, [state]);
  const errors = { subject: fieldError(state, "subject"), reason: fieldError(state, "reason") };
  return (
    <form ref={formRef} action={formAction} className="space-y-4" aria-label={label}>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field
          id={`${idPrefix}-subject`}
          label="Data subject id"
          hint="As the AI systems record it (customer number, account name, e-mail address). Only its blind indexes are stored."
          error={errors.subject}
        >
          <Input
            {...fieldA11y(`${idPrefix}-subject`, { hint: true, error: errors.subject })}
            name="subject"
            required
            autoComplete="off"
            spellCheck={false}
            placeholder="e.g. cust-0012001"
          />
        </Field>
        <Field id={`${idPrefix}-reason`} label="Reason" hint={reasonHint} error={errors.reason}>
          <Input {...fieldA11y(`${idPrefix}-reason`, { hint: true, error: errors.reason })} name="reason" required autoComplete="off" />
        </Field>
      </div>
      <Button type="submit" disabled={pending}>
        {pending ? pendingLabel : submitLabel}
      </Button>
      <div aria-live="polite">
        <ActionMessage state={state} />
      </div>
    </form>
  );
}

/** The form in its card, as the erasure and legal-hold pages put it first. */
export function SubjectReasonCard({ title, description, ...form }: Parameters<typeof SubjectReasonForm>[0] & { title: string; description: string }) {
  return (
    <Card>
      <CardHeader title={title} description={description} />
      <CardBody>
        <SubjectReasonForm {...form} />
      </CardBody>
    </Card>
  );
}
