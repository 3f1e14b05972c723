"use client";

import { useActionState, useId } from "react";
import { Button } from "@/components/ui/button";
import { Field, fieldA11y } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { PERSONAL_DATA_KINDS, type PersonalDataKind } from "@/lib/ledger/personal-data-detection/detection-config";
import { ActionMessage } from "./action-message";
import { IDLE, type ActionState } from "./action-state";

/**
 * The service names errors by path ("kinds.1", "phoneRegions.0"): shown on the control of
 * the list they belong to.
 */
function errorsUnder(state: ActionState, field: string): string[] | undefined {
  if (state.status !== "error") return undefined;
  const found = Object.entries(state.fieldErrors)
    .filter(([key]) => key === field || key.startsWith(`${field}.`))
    .flatMap(([, messages]) => messages);
  return found.length > 0 ? found : undefined;
}

/**
 * Which recognisers run over one AI system's free text at ingest, and which regions' national
 * phone formats they read. `aiSystem` null: a system that has not recorded a decision yet, named
 * in a field (settings can be made before its first statement arrives).
 */
export function DetectionSettingsForm({
  action,
  aiSystem,
  kinds,
  phoneRegions,
  kindLabels,
}: {
  action: (state: ActionState, formData: FormData) => Promise<ActionState>;
  aiSystem: string | null;
  /** What each recogniser finds, in words (from the page: a client module cannot export data to a server one). */
  kindLabels: Record<PersonalDataKind, string>;
  kinds: readonly PersonalDataKind[];
  phoneRegions: readonly string[];
}) {
  const [state, formAction, pending] = useActionState(action, IDLE);
  const id = useId();
  const errors = { aiSystem: errorsUnder(state, "aiSystem"), kinds: errorsUnder(state, "kinds"), phoneRegions: errorsUnder(state, "phoneRegions") };
  return (
    <form action={formAction} className="space-y-4" aria-label={aiSystem ? `Detection for ${aiSystem}` : "Detection for another AI system"}>
      {aiSystem === null ? (
        <Field id={`${id}-system`} label="AI system" hint="As its decisions will name it (the explorer's “AI system”)." error={errors.aiSystem}>
          <Input {...fieldA11y(`${id}-system`, { hint: true, error: errors.aiSystem })} name="aiSystem" required autoComplete="off" />
        </Field>
      ) : (
        <input type="hidden" name="aiSystem" value={aiSystem} />
      )}
      <fieldset aria-describedby={errors.kinds ? `${id}-kinds-error` : undefined}>
        <legend className="text-sm font-medium text-slate-800">Recognisers</legend>
        <ul className="mt-2 grid gap-1 sm:grid-cols-2 lg:grid-cols-3">
          {PERSONAL_DATA_KINDS.map((kind) => (
            <li key={kind} className="flex items-center gap-2">
              <input id={`${id}-${kind}`} type="checkbox" name="kinds" value={kind} defaultChecked={kinds.includes(kind)} className="size-4 rounded border-slate-400" />
              <label htmlFor={`${id}-${kind}`} className="text-sm text-slate-800">
                {kindLabels[kind]}
              </label>
            </li>
          ))}
        </ul>
        {errors.kinds ? (
          <p id={`${id}-kinds-error`} className="mt-1 text-sm text-red-700">
            {errors.kinds.join(" ")}
          </p>
        ) : null}
      </fieldset>
      <Field
        id={`${id}-regions`}
        label="Phone regions"
        hint="ISO codes, comma-separated (e.g. NL, GB): national formats like 06-12345678 are read for these regions; numbers written with + for every region."
        error={errors.phoneRegions}
      >
        <Input
          {...fieldA11y(`${id}-regions`, { hint: true, error: errors.phoneRegions })}
          name="phoneRegions"
          defaultValue={phoneRegions.join(", ")}
          autoComplete="off"
        />
      </Field>
      <Button type="submit" disabled={pending}>
        {pending ? "Saving…" : "Save"}
      </Button>
      <div aria-live="polite">
        <ActionMessage state={state} />
      </div>
    </form>
  );
}
