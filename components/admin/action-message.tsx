import { Alert } from "@/components/ui/alert";
import type { ActionState } from "./action-state";
import { SecretOnce } from "./secret-once";

export function ActionMessage({ state }: { state: ActionState }) {
  if (state.status === "idle") return null;
  if (state.status === "error") {
    return (
      <Alert tone="error" title="Not saved">
        {Object.keys(state.fieldErrors).length > 0 ? "Check the highlighted fields." : state.message}
        {state.fieldErrors.form ? ` ${state.fieldErrors.form.join(" ")}` : null}
      </Alert>
    );
  }
  return (
    <div className="space-y-3">
      <Alert tone="success">{state.message}</Alert>
      {state.secret ? <SecretOnce label={state.secret.label} value={state.secret.value} /> : null}
    </div>
  );
}
