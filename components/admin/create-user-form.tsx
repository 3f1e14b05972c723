"use client";

import { useActionState, useEffect, useRef } from "react";
import { Button } from "@/components/ui/button";
import { Field, fieldA11y } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { ROLE_LABELS, ROLES } from "@/lib/auth/permissions";
import { ActionMessage } from "./action-message";
import { fieldError, IDLE, type ActionState } from "./action-state";

export function CreateUserForm({
  action,
  passwordMinLength,
}: {
  action: (state: ActionState, formData: FormData) => Promise<ActionState>;
  passwordMinLength: number;
}) {
  const [state, formAction, pending] = useActionState(action, IDLE);
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (state.status === "success") formRef.current?.reset();
  }, [state]);
  const errors = {
    email: fieldError(state, "email"),
    name: fieldError(state, "name"),
    role: fieldError(state, "role"),
    password: fieldError(state, "password"),
  };
  return (
    <form ref={formRef} action={formAction} className="space-y-4" aria-label="Add a user">
      <div className="grid gap-4 sm:grid-cols-2">
        <Field id="new-user-name" label="Name" error={errors.name}>
          <Input {...fieldA11y("new-user-name", { error: errors.name })} name="name" required autoComplete="off" />
        </Field>
        <Field id="new-user-email" label="Email" error={errors.email}>
          <Input {...fieldA11y("new-user-email", { error: errors.email })} name="email" type="email" required autoComplete="off" />
        </Field>
        <Field id="new-user-role" label="Role" error={errors.role}>
          <Select {...fieldA11y("new-user-role", { error: errors.role })} name="role" defaultValue="auditor">
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {ROLE_LABELS[role]}
              </option>
            ))}
          </Select>
        </Field>
        <Field
          id="new-user-password"
          label="Password (optional)"
          hint={`Leave empty to generate a strong password, shown once. At least ${passwordMinLength} characters.`}
          error={errors.password}
        >
          <Input
            {...fieldA11y("new-user-password", { hint: true, error: errors.password })}
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={passwordMinLength}
          />
        </Field>
      </div>
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={pending}>
          {pending ? "Adding…" : "Add user"}
        </Button>
      </div>
      <div aria-live="polite">
        <ActionMessage state={state} />
      </div>
    </form>
  );
}
