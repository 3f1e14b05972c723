"use client";

import { CopyButton } from "@/components/ui/copy-button";

/**
 * A password or API key shown exactly once: only its hash is stored, so it cannot be
 * shown again. Lives in the action's response, never in the URL or the page's data.
 */
export function SecretOnce({ label, value }: { label: string; value: string }) {
  return (
    <div className="rounded-md border border-amber-300 bg-amber-50 p-4" role="status">
      <p className="text-sm font-semibold text-amber-950">{label}</p>
      <p className="mt-1 text-sm text-amber-950">Copy it now and hand it over securely. It is shown only once and cannot be retrieved later.</p>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <code data-testid="secret-once" className="rounded border border-amber-300 bg-white px-2 py-1 font-mono text-sm break-all text-slate-900 select-all">
          {value}
        </code>
        <CopyButton value={value} />
      </div>
    </div>
  );
}
