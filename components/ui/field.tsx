import type { ReactNode } from "react";
import { cn } from "./cn";

/**
 * A labelled form control with an optional hint and error. The control is rendered by the
 * caller with `id={id}` and `aria-describedby={describedBy(id, ...)}` (see `fieldA11y`).
 */
export function Field({
  id,
  label,
  hint,
  error,
  children,
  className,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string | string[] | null;
  children: ReactNode;
  className?: string;
}) {
  const errors = error == null ? [] : Array.isArray(error) ? error : [error];
  return (
    <div className={cn("space-y-1", className)}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      {children}
      {hint ? (
        <p id={`${id}-hint`} className="text-xs text-slate-600">
          {hint}
        </p>
      ) : null}
      {errors.length > 0 ? (
        <p id={`${id}-error`} className="text-sm text-red-700">
          {errors.join(" ")}
        </p>
      ) : null}
    </div>
  );
}

/** id / aria-describedby / aria-invalid props for the control inside a Field. */
export function fieldA11y(id: string, opts: { hint?: boolean; error?: unknown }) {
  const hasError = Array.isArray(opts.error) ? opts.error.length > 0 : Boolean(opts.error);
  const describedBy = [opts.hint ? `${id}-hint` : null, hasError ? `${id}-error` : null].filter(Boolean).join(" ");
  return { id, "aria-describedby": describedBy || undefined, "aria-invalid": hasError || undefined };
}
