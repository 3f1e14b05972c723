"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/input";
import { ROLE_LABELS, ROLES } from "@/lib/auth/permissions";
import { IDLE, type ActionState } from "./action-state";

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

/** Change role, deactivate or reactivate one user. The server refuses what would lock everyone out. */
export function UserRowActions({
  action,
  user,
  isSelf,
}: {
  action: Action;
  user: { id: string; email: string; role: string; active: boolean };
  isSelf: boolean;
}) {
  const [roleState, roleAction, rolePending] = useActionState(action, IDLE);
  const [activeState, activeAction, activePending] = useActionState(action, IDLE);
  const message = [roleState, activeState].find((s) => s.status === "error");
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2">
        <form action={roleAction} className="flex items-center gap-2">
          <input type="hidden" name="id" value={user.id} />
          <label htmlFor={`role-${user.id}`} className="sr-only">
            Role of {user.email}
          </label>
          <Select id={`role-${user.id}`} name="role" defaultValue={user.role} className="h-8 w-auto py-1" disabled={!user.active}>
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {ROLE_LABELS[role]}
              </option>
            ))}
          </Select>
          <Button type="submit" variant="secondary" size="sm" disabled={rolePending || !user.active} aria-label={`Save role of ${user.email}`}>
            {rolePending ? "Saving…" : "Save role"}
          </Button>
        </form>
        <form action={activeAction}>
          <input type="hidden" name="id" value={user.id} />
          <input type="hidden" name="active" value={user.active ? "false" : "true"} />
          {user.active ? (
            <Button
              type="submit"
              variant="ghost"
              size="sm"
              className="text-red-700 hover:bg-red-50 hover:text-red-800"
              disabled={activePending || isSelf}
              title={isSelf ? "You cannot deactivate your own account" : undefined}
              aria-label={`Deactivate ${user.email}`}
            >
              Deactivate
            </Button>
          ) : (
            <Button type="submit" variant="ghost" size="sm" disabled={activePending} aria-label={`Reactivate ${user.email}`}>
              Reactivate
            </Button>
          )}
        </form>
      </div>
      {message && message.status === "error" ? (
        <p role="alert" className="text-sm text-red-700">
          {Object.values(message.fieldErrors).flat()[0] ?? message.message}
        </p>
      ) : null}
    </div>
  );
}
