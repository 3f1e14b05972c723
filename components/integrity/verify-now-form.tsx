"use client";

import { useActionState, useId, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, fieldA11y } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { describeTimeZone, useViewerTimeZone } from "@/components/decisions/viewer-time-zone";
import type { RunView } from "@/lib/integrity/run-view";
import { fieldErrors, IDLE_STATE, type IntegrityActionState } from "./action-state";
import { RunProgress } from "./run-progress";

/** datetime-local gives a wall-clock time without a zone: read it in the viewer's zone and send UTC. */
function toIso(local: FormDataEntryValue | null): string {
  if (typeof local !== "string" || local === "") return "";
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

export function VerifyNowForm({
  action,
  active,
}: {
  action: (state: IntegrityActionState, formData: FormData) => Promise<IntegrityActionState>;
  /** A run already queued or running when the page was rendered. */
  active: RunView | null;
}) {
  const [state, dispatch, pending] = useActionState(action, IDLE_STATE);
  const [scope, setScope] = useState<"all" | "range">("all");
  const zone = useViewerTimeZone();
  const id = useId();
  const runId = state.status === "success" ? state.runId : (active?.id ?? null);

  return (
    <div className="space-y-4">
      <form
        action={(formData) => {
          if (formData.get("scope") === "range") {
            formData.set("from", toIso(formData.get("fromLocal")));
            formData.set("to", toIso(formData.get("toLocal")));
          }
          dispatch(formData);
        }}
        className="space-y-4"
      >
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium text-slate-800">What to verify</legend>
          <label className="flex items-start gap-2 text-sm text-slate-800">
            <input type="radio" name="scope" value="all" checked={scope === "all"} onChange={() => setScope("all")} className="mt-1" />
            <span>
              The whole ledger <span className="text-slate-600">(every decision record and the access log)</span>
            </span>
          </label>
          <label className="flex items-start gap-2 text-sm text-slate-800">
            <input type="radio" name="scope" value="range" checked={scope === "range"} onChange={() => setScope("range")} className="mt-1" />
            <span>Decision records written to the ledger in a time range</span>
          </label>
        </fieldset>
        {scope === "range" ? (
          <div className="grid gap-4 sm:grid-cols-2">
            <Field id={`${id}-from`} label="From" hint={`Your time zone: ${describeTimeZone(zone)}`} error={fieldErrors(state, "from")}>
              <Input type="datetime-local" name="fromLocal" required {...fieldA11y(`${id}-from`, { hint: true, error: fieldErrors(state, "from") })} />
            </Field>
            <Field id={`${id}-to`} label="Until" error={fieldErrors(state, "to")}>
              <Input type="datetime-local" name="toLocal" required {...fieldA11y(`${id}-to`, { error: fieldErrors(state, "to") })} />
            </Field>
          </div>
        ) : null}
        <Button type="submit" disabled={pending}>
          {pending ? "Starting…" : "Verify now"}
        </Button>
      </form>
      {state.status === "error" ? (
        <Alert tone="error" title="The verification was not started">
          {Object.values(state.fieldErrors).flat()[0] ?? state.message}
        </Alert>
      ) : null}
      {state.status === "success" ? <p className="text-sm text-slate-700">{state.message}</p> : null}
      {runId ? (
        <RunProgress
          key={runId}
          runId={runId}
          initial={state.status === "success" ? null : active}
          finishedNote="Finished: the result is shown above and in the history below."
        />
      ) : null}
    </div>
  );
}
