"use client";

import { useQueryStates } from "nuqs";
import { useTransition } from "react";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/input";
import { actionLabel } from "./action-labels";
import { accessLogSearchParams } from "./search-params";

const dayValue = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : "");

/**
 * Filters bound straight to the URL (nuqs): each change re-renders the page on the server
 * and starts again at the newest entry.
 */
export function AccessLogFilters({ actions, users }: { actions: readonly string[]; users: string[] }) {
  const [pending, startTransition] = useTransition();
  const [params, setParams] = useQueryStates(accessLogSearchParams, { shallow: false, startTransition });
  const set = (patch: Partial<typeof params>) => void setParams({ ...patch, before: null, after: null });
  const filtered = params.action || params.user || params.from || params.to;
  return (
    <form role="search" aria-label="Filter the access log" className="flex flex-wrap items-end gap-4" onSubmit={(e) => e.preventDefault()} aria-busy={pending}>
      <div className="min-w-48 space-y-1">
        <label htmlFor="filter-action" className="block text-sm font-medium text-slate-800">
          Action
        </label>
        <Select
          id="filter-action"
          value={params.action ?? ""}
          onChange={(e) => set({ action: e.target.value || null })}
        >
          <option value="">All actions</option>
          {actions.map((a) => (
            <option key={a} value={a}>
              {actionLabel(a)}
            </option>
          ))}
        </Select>
      </div>
      <div className="min-w-56 space-y-1">
        <label htmlFor="filter-user" className="block text-sm font-medium text-slate-800">
          Who
        </label>
        <Select id="filter-user" value={params.user ?? ""} onChange={(e) => set({ user: e.target.value || null })}>
          <option value="">Everyone</option>
          {params.user && !users.includes(params.user) ? <option value={params.user}>{params.user}</option> : null}
          {users.map((u) => (
            <option key={u} value={u}>
              {u}
            </option>
          ))}
        </Select>
      </div>
      <div className="space-y-1">
        <label htmlFor="filter-from" className="block text-sm font-medium text-slate-800">
          From (UTC)
        </label>
        <Input id="filter-from" type="date" value={dayValue(params.from)} onChange={(e) => set({ from: e.target.value ? new Date(e.target.value + "T00:00:00Z") : null })} />
      </div>
      <div className="space-y-1">
        <label htmlFor="filter-to" className="block text-sm font-medium text-slate-800">
          To (UTC, included)
        </label>
        <Input id="filter-to" type="date" value={dayValue(params.to)} onChange={(e) => set({ to: e.target.value ? new Date(e.target.value + "T00:00:00Z") : null })} />
      </div>
      {filtered ? (
        <Button variant="ghost" onClick={() => void setParams(null)}>
          Clear filters
        </Button>
      ) : null}
      <span className="sr-only" aria-live="polite">
        {pending ? "Loading" : ""}
      </span>
    </form>
  );
}
