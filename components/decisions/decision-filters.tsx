"use client";

import { useId, type FormEvent } from "react";
import type { DecisionFilterOptions } from "@/db/queries/decisions";
import { Button, buttonClasses } from "@/components/ui/button";
import { controlClasses } from "@/components/ui/input";
import { cn } from "@/components/ui/cn";
import { ACTOR_TYPE_LABELS, HUMAN_REVIEW_LABELS, type ActorType } from "@/lib/ledger/xapi/actor-type";
import {
  MAX_PERSONAL_IDENTIFIER_LENGTH,
  TIME_PRESET_KEYS,
  TIME_PRESETS,
  countActiveFilters,
  type DecisionsSearchParams,
} from "@/lib/search-params/decisions";
import { type ColumnFilter, type FilterOption } from "./column-meta";
import { DECISION_COLUMN_FILTERS } from "./decision-table-columns";
import { useExplorerState, type FilterPatch } from "./explorer-state";
import { describeTimeZone, formatInZone, useViewerTimeZone, zoneAbbreviation } from "./viewer-time-zone";

type MultiSelectColumnFilter = Extract<ColumnFilter, { variant: "multiSelect" }>;
type MultiParam = MultiSelectColumnFilter["param"];

const MULTI_SELECT_FILTERS = DECISION_COLUMN_FILTERS.filter((f): f is MultiSelectColumnFilter => f.variant === "multiSelect");

/**
 * The filter bar. Every control reads the URL (useExplorerState) and writes the URL; typed
 * fields are uncontrolled inputs keyed by their URL value, submitted together with "Apply",
 * so nothing is held in component state and a shared link restores exactly this bar.
 * `canSearchPerson` only decides whether the person field is offered; the server page decides
 * whether the identifier is honoured.
 */
export function DecisionFilters({ options, canSearchPerson }: { options: DecisionFilterOptions; canSearchPerson: boolean }) {
  const { params, setFilters, isPending } = useExplorerState();
  const active = countActiveFilters(params);
  return (
    <section aria-labelledby="decision-filters-heading" className="rounded-lg border border-slate-200 bg-white p-4 shadow-xs">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="decision-filters-heading" className="text-sm font-semibold text-slate-900">
          Filters
        </h2>
        {active > 0 || params.from || params.to ? (
          <Button
            variant="ghost"
            size="sm"
            disabled={isPending}
            onClick={() =>
              setFilters({
                from: null,
                to: null,
                entityType: null,
                entity: null,
                entityMatch: null,
                actor: null,
                system: null,
                version: null,
                verb: null,
                outcome: null,
                review: null,
                session: null,
                confMin: null,
                confMax: null,
                q: null,
                person: null,
              })
            }
          >
            Clear all filters
          </Button>
        ) : null}
      </div>
      <div className="mt-3 space-y-4">
        <TimeRangeFilter params={params} setFilters={setFilters} />
        <div className="flex flex-wrap gap-2" role="group" aria-label="Choose values">
          {MULTI_SELECT_FILTERS.map((f) => (
            <MultiSelectFilter key={f.param} filter={f} options={f.options(options)} selected={params[f.param]} setFilters={setFilters} />
          ))}
        </div>
        <TextFilters params={params} options={options} setFilters={setFilters} canSearchPerson={canSearchPerson} />
        <ActiveFilters params={params} setFilters={setFilters} />
      </div>
    </section>
  );
}

function TimeRangeFilter({ params, setFilters }: { params: DecisionsSearchParams; setFilters: (p: FilterPatch) => void }) {
  const timeZone = useViewerTimeZone();
  const custom = Boolean(params.from || params.to);
  const fromId = useId();
  const toId = useId();
  const toLocalInput = (d: Date | null) => {
    if (!d) return "";
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
        .formatToParts(d)
        .map((p) => [p.type, p.value]),
    );
    return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
  };
  const onCustom = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    // datetime-local values carry no zone: the browser reads them in the viewer's zone.
    const parse = (v: FormDataEntryValue | null) => (typeof v === "string" && v ? new Date(v) : null);
    const from = parse(data.get("from"));
    const to = parse(data.get("to"));
    if (!from && !to) return;
    setFilters({ from: from && !Number.isNaN(from.getTime()) ? from : null, to: to && !Number.isNaN(to.getTime()) ? to : null });
  };
  return (
    <div className="flex flex-wrap items-end gap-x-4 gap-y-2">
      <div>
        <p id={`${fromId}-label`} className="mb-1 text-sm font-medium text-slate-800">
          Time of decision
        </p>
        <div role="group" aria-labelledby={`${fromId}-label`} className="inline-flex flex-wrap gap-1">
          {TIME_PRESET_KEYS.map((key) => {
            const pressed = !custom && params.range === key;
            return (
              <button
                key={key}
                type="button"
                aria-pressed={pressed}
                onClick={() => setFilters({ range: key, from: null, to: null })}
                className={buttonClasses(pressed ? "primary" : "secondary", "sm")}
              >
                {TIME_PRESETS[key].label}
              </button>
            );
          })}
        </div>
      </div>
      <details className="group" open={custom || undefined}>
        <summary className={cn(buttonClasses(custom ? "primary" : "secondary", "sm"), "cursor-pointer list-none")}>
          Custom range{custom ? ": on" : ""}
        </summary>
        <form key={`${timeZone}|${params.from?.toISOString()}|${params.to?.toISOString()}`} onSubmit={onCustom} className="mt-2 flex flex-wrap items-end gap-2">
          <div>
            <label htmlFor={fromId} className="block text-xs font-medium text-slate-700">
              From
            </label>
            <input id={fromId} name="from" type="datetime-local" defaultValue={toLocalInput(params.from)} className={cn(controlClasses, "w-auto")} />
          </div>
          <div>
            <label htmlFor={toId} className="block text-xs font-medium text-slate-700">
              To
            </label>
            <input id={toId} name="to" type="datetime-local" defaultValue={toLocalInput(params.to)} className={cn(controlClasses, "w-auto")} />
          </div>
          <Button type="submit" size="sm">
            Apply range
          </Button>
        </form>
      </details>
      <p className="text-xs text-slate-600">
        Times are shown in your time zone: <span className="font-medium text-slate-800">{describeTimeZone(timeZone)}</span>
        {custom ? (
          <>
            {" "}
            · showing {params.from ? `${formatInZone(params.from, timeZone)} ${zoneAbbreviation(params.from, timeZone)}` : "the beginning"} to{" "}
            {params.to ? `${formatInZone(params.to, timeZone)} ${zoneAbbreviation(params.to, timeZone)}` : "now"}
          </>
        ) : null}
      </p>
    </div>
  );
}

function MultiSelectFilter({
  filter,
  options,
  selected,
  setFilters,
}: {
  filter: MultiSelectColumnFilter;
  options: FilterOption[];
  selected: readonly string[];
  setFilters: (p: FilterPatch) => void;
}) {
  const id = useId();
  // Values in the URL that no longer exist in the data stay visible (and removable).
  const all: FilterOption[] = [...options, ...selected.filter((s) => !options.some((o) => o.value === s)).map((s) => ({ value: s, label: s }))];
  const toggle = (value: string, on: boolean) => {
    const next = on ? [...new Set([...selected, value])] : selected.filter((v) => v !== value);
    setFilters({ [filter.param]: next.length > 0 ? next : null } as FilterPatch);
  };
  const summary = selected.length === 0 ? "any" : selected.length === 1 ? (all.find((o) => o.value === selected[0])?.label ?? selected[0]) : `${selected.length} selected`;
  return (
    <details className="relative">
      <summary
        className={cn(buttonClasses(selected.length > 0 ? "primary" : "secondary", "sm"), "cursor-pointer list-none")}
        aria-label={`${filter.label}: ${summary}`}
      >
        {filter.label}: <span className="font-normal">{summary}</span>
        <span aria-hidden="true">▾</span>
      </summary>
      <fieldset className="absolute z-20 mt-1 max-h-80 w-72 overflow-auto rounded-md border border-slate-200 bg-white p-3 shadow-lg">
        <legend className="sr-only">{filter.label}</legend>
        {all.length === 0 ? <p className="text-sm text-slate-600">No values recorded yet.</p> : null}
        <ul className="space-y-1">
          {all.map((o) => {
            const optionId = `${id}-${o.value}`;
            return (
              <li key={o.value} className="flex items-start gap-2">
                <input
                  id={optionId}
                  type="checkbox"
                  className="mt-0.5 size-4 rounded border-slate-400"
                  checked={selected.includes(o.value)}
                  onChange={(e) => toggle(o.value, e.currentTarget.checked)}
                  aria-describedby={o.description ? `${optionId}-d` : undefined}
                />
                <label htmlFor={optionId} className="text-sm text-slate-800">
                  {o.label}
                  {o.description ? (
                    <span id={`${optionId}-d`} className="block text-xs text-slate-600">
                      {o.description}
                    </span>
                  ) : null}
                </label>
              </li>
            );
          })}
        </ul>
      </fieldset>
    </details>
  );
}

function TextFilters({
  params,
  options,
  setFilters,
  canSearchPerson,
}: {
  params: DecisionsSearchParams;
  options: DecisionFilterOptions;
  setFilters: (p: FilterPatch) => void;
  canSearchPerson: boolean;
}) {
  const id = useId();
  const { isPending } = useExplorerState();
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const text = (k: string) => {
      const v = data.get(k);
      return typeof v === "string" && v.trim() ? v.trim() : null;
    };
    const num = (k: string) => {
      const v = text(k);
      if (v === null) return null;
      const n = Number(v);
      return Number.isFinite(n) ? n : null;
    };
    setFilters({
      q: text("q"),
      entityType: text("entityType"),
      entity: text("entity"),
      entityMatch: text("entityMatch") === "prefix" ? "prefix" : null,
      session: text("session"),
      confMin: num("confMin"),
      confMax: num("confMax"),
      // Without the field a submit must not drop an identifier that came with a link.
      ...(canSearchPerson ? { person: text("person") } : {}),
    });
  };
  const key = [params.q, params.entityType, params.entity, params.entityMatch, params.session, params.confMin, params.confMax, params.person].join("|");
  return (
    <form key={key} onSubmit={onSubmit} aria-label="Search and exact filters" className="grid grid-cols-1 gap-3 md:grid-cols-2 xl:grid-cols-4">
      <div className="md:col-span-2">
        <label htmlFor={`${id}-q`} className="block text-sm font-medium text-slate-800">
          Search reasons and responses
        </label>
        <input
          id={`${id}-q`}
          name="q"
          type="search"
          defaultValue={params.q ?? ""}
          maxLength={200}
          placeholder='e.g. debt income, "timed out", harassment -spam'
          aria-describedby={`${id}-q-hint`}
          className={controlClasses}
        />
        <p id={`${id}-q-hint`} className="mt-1 text-xs text-slate-600">
          Words match any form (deny, denied). Use quotes for a phrase and a minus to exclude a word. Personal data is never searchable.
        </p>
      </div>
      <div>
        <label htmlFor={`${id}-et`} className="block text-sm font-medium text-slate-800">
          About: type
        </label>
        <select id={`${id}-et`} name="entityType" defaultValue={params.entityType ?? ""} className={controlClasses}>
          <option value="">Any type</option>
          {[...new Set([...options.entityTypes, ...(params.entityType ? [params.entityType] : [])])].map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor={`${id}-e`} className="block text-sm font-medium text-slate-800">
          About: id
        </label>
        <div className="flex gap-2">
          <input id={`${id}-e`} name="entity" defaultValue={params.entity ?? ""} maxLength={200} placeholder="e.g. LA-2026-0007734" className={controlClasses} />
          <select name="entityMatch" aria-label="How the id matches" defaultValue={params.entityMatch} className={cn(controlClasses, "w-32")}>
            <option value="exact">is</option>
            <option value="prefix">starts with</option>
          </select>
        </div>
      </div>
      {canSearchPerson ? <PersonField id={`${id}-p`} value={params.person} /> : null}
      <div>
        <label htmlFor={`${id}-s`} className="block text-sm font-medium text-slate-800">
          Session id
        </label>
        <input id={`${id}-s`} name="session" defaultValue={params.session ?? ""} maxLength={200} placeholder="exact session id" className={controlClasses} />
      </div>
      <fieldset>
        <legend className="block text-sm font-medium text-slate-800">Confidence (0 to 1)</legend>
        <div className="flex items-center gap-2">
          <label htmlFor={`${id}-cmin`} className="sr-only">
            Minimum confidence
          </label>
          <input id={`${id}-cmin`} name="confMin" type="number" min={0} max={1} step={0.01} placeholder="min" defaultValue={params.confMin ?? ""} className={controlClasses} />
          <span aria-hidden="true">–</span>
          <label htmlFor={`${id}-cmax`} className="sr-only">
            Maximum confidence
          </label>
          <input id={`${id}-cmax`} name="confMax" type="number" min={0} max={1} step={0.01} placeholder="max" defaultValue={params.confMax ?? ""} className={controlClasses} />
        </div>
      </fieldset>
      <div className="flex items-end">
        <Button type="submit" disabled={isPending}>
          Apply
        </Button>
      </div>
    </form>
  );
}

/** The exact-match person search (blind index): shown only to roles with personal_data.search. */
function PersonField({ id, value }: { id: string; value: string | null }) {
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        Person or identifier
      </label>
      <input
        id={id}
        name="person"
        type="search"
        defaultValue={value ?? ""}
        maxLength={MAX_PERSONAL_IDENTIFIER_LENGTH}
        placeholder="e.g. cust-0001234, an e-mail, phone or IBAN"
        aria-describedby={`${id}-hint`}
        autoComplete="off"
        className={controlClasses}
      />
      <p id={`${id}-hint`} className="mt-1 text-xs text-slate-600">
        Exact match, through a keyed index: the identifier itself is never stored or logged.
      </p>
    </div>
  );
}

interface Chip {
  label: string;
  remove: FilterPatch;
}

function ActiveFilters({ params, setFilters }: { params: DecisionsSearchParams; setFilters: (p: FilterPatch) => void }) {
  const chips: Chip[] = [];
  const listChips = (param: MultiParam, label: string, name: (v: string) => string = (v) => v) => {
    for (const v of params[param]) {
      const rest = (params[param] as string[]).filter((x) => x !== v);
      chips.push({ label: `${label}: ${name(v)}`, remove: { [param]: rest.length ? rest : null } as FilterPatch });
    }
  };
  if (params.q) chips.push({ label: `Text: ${params.q}`, remove: { q: null } });
  if (params.entityType) chips.push({ label: `Type: ${params.entityType}`, remove: { entityType: null } });
  if (params.entity) chips.push({ label: `About: ${params.entityMatch === "prefix" ? "starts with " : ""}${params.entity}`, remove: { entity: null, entityMatch: null } });
  listChips("actor", "Decided by", (v) => ACTOR_TYPE_LABELS[v as ActorType] ?? v);
  listChips("system", "AI system");
  listChips("version", "Version");
  listChips("verb", "Decision");
  listChips("outcome", "Outcome");
  listChips("review", "Review", (v) => HUMAN_REVIEW_LABELS[v as keyof typeof HUMAN_REVIEW_LABELS] ?? v);
  if (params.session) chips.push({ label: `Session: ${params.session}`, remove: { session: null } });
  if (params.person) chips.push({ label: `Person: ${params.person}`, remove: { person: null } });
  if (params.confMin !== null || params.confMax !== null)
    chips.push({ label: `Confidence ${params.confMin ?? 0}–${params.confMax ?? 1}`, remove: { confMin: null, confMax: null } });
  if (chips.length === 0) return null;
  return (
    <div>
      <h3 className="sr-only">Active filters</h3>
      <ul className="flex flex-wrap gap-2" aria-label="Active filters">
        {chips.map((c) => (
          <li key={c.label}>
            <button
              type="button"
              onClick={() => setFilters(c.remove)}
              className="inline-flex items-center gap-1 rounded-full bg-sky-50 px-3 py-1 text-xs font-medium text-sky-900 ring-1 ring-sky-300 ring-inset hover:bg-sky-100"
              aria-label={`Remove filter ${c.label}`}
            >
              {c.label}
              <span aria-hidden="true">×</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
