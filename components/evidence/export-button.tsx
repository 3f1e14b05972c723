"use client";

import Link from "next/link";
import { useQueryStates } from "nuqs";
import { useEffect, useId, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button, buttonClasses } from "@/components/ui/button";
import { ProgressBar, progressPercent } from "@/components/ui/progress-bar";
import { formatBytes, type ExportView } from "@/lib/evidence/export-view";
import { decisionsSearchParams, serializeDecisionsSearchParams } from "@/lib/search-params/decisions";

const POLL_MS = 1000;

type ExportTarget = "view" | "selected";

/**
 * "Export evidence" for the decisions list toolbar: exports the current view (its filters,
 * read from the URL through the list's own nuqs parsers) or the rows selected in it, as a
 * verifiable evidence bundle. The bundle is built in the background on the server; this
 * button shows its progress and offers the download when it is ready.
 *
 * Personal data is left out unless the user ticks "Include personal data" and says why; the
 * choice is shown only to roles with evidence.export_personal_data (the server checks again).
 */
export function ExportButton({
  selectedIds = [],
  canIncludePersonalData = false,
}: {
  selectedIds?: readonly string[];
  /** The signed-in role has evidence.export_personal_data. */
  canIncludePersonalData?: boolean;
}) {
  const [params] = useQueryStates(decisionsSearchParams);
  const [open, setOpen] = useState(false);
  const [choice, setChoice] = useState<ExportTarget>("view");
  const [personalData, setPersonalData] = useState<PersonalDataChoice>({ include: false, reason: "" });
  const [job, setJob] = useState<ExportView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const panelId = useId();
  const panelRef = useRef<HTMLDivElement>(null);
  const useSelected = choice === "selected" && selectedIds.length > 0;

  useEffect(() => {
    if (!job || job.finished) return;
    let stopped = false;
    const timer = setTimeout(async () => {
      try {
        const res = await fetch(`/api/v1/evidence/exports/${job.id}`, { cache: "no-store" });
        if (!res.ok) throw new Error(`the server answered ${res.status}`);
        if (!stopped) setJob((await res.json()) as ExportView);
      } catch (e) {
        if (!stopped) setError(`Could not read the export's progress (${(e as Error).message}). Retrying…`);
        if (!stopped) setJob({ ...job });
      }
    }, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [job]);

  useEffect(() => {
    if (open) panelRef.current?.focus();
  }, [open]);

  async function start() {
    setStarting(true);
    setError(null);
    try {
      const body = {
        ...(useSelected ? { ids: [...selectedIds] } : { query: serializeDecisionsSearchParams(params) }),
        ...(canIncludePersonalData && personalData.include ? { includePersonalData: true, reason: personalData.reason } : {}),
      };
      const res = await fetch("/api/v1/evidence/exports", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const json = (await res.json().catch(() => ({}))) as { export?: ExportView; message?: string };
      if (!res.ok || !json.export) throw new Error(json.message ?? `the server answered ${res.status}`);
      setJob(json.export);
    } catch (e) {
      setError(`The export could not start: ${(e as Error).message}`);
    } finally {
      setStarting(false);
    }
  }

  return (
    <div className="relative inline-block text-left">
      <Button variant="secondary" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen((o) => !o)}>
        Export evidence
      </Button>
      {open ? (
        <div
          id={panelId}
          ref={panelRef}
          tabIndex={-1}
          role="region"
          aria-label="Export evidence"
          className="absolute right-0 z-20 mt-2 w-[26rem] max-w-[90vw] space-y-3 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-lg focus:outline-none"
        >
          <p className="text-slate-700">
            Creates a .zip bundle with the records, proof that each is in the signed ledger, a printable report and instructions, so a
            third party can check them on their own computer.
          </p>
          {selectedIds.length > 0 ? (
            <ExportChoice name={`${panelId}-choice`} selectedCount={selectedIds.length} choice={choice} onChange={setChoice} />
          ) : (
            <p className="text-slate-600">Exports every decision matching the current filters.</p>
          )}
          {canIncludePersonalData ? <PersonalDataFields id={`${panelId}-pd`} value={personalData} onChange={setPersonalData} /> : null}
          {!job || job.finished ? (
            <Button onClick={start} disabled={starting}>
              {starting ? "Starting…" : job ? "Export again" : "Create evidence bundle"}
            </Button>
          ) : null}
          {job ? <ExportJobStatus job={job} /> : null}
          {error ? <p className="text-amber-800">{error}</p> : null}
        </div>
      ) : null}
    </div>
  );
}

interface PersonalDataChoice {
  include: boolean;
  reason: string;
}

/** "Include personal data" with the reason it needs; the reason field appears once it is ticked. */
function PersonalDataFields({ id, value, onChange }: { id: string; value: PersonalDataChoice; onChange: (v: PersonalDataChoice) => void }) {
  return (
    <fieldset className="space-y-2">
      <legend className="font-medium text-slate-800">Personal data</legend>
      <label className="flex items-center gap-2">
        <input type="checkbox" checked={value.include} onChange={(e) => onChange({ ...value, include: e.target.checked })} />
        Include personal data (the values behind the records&apos; commitments)
      </label>
      {value.include ? (
        <div className="space-y-1">
          <label htmlFor={`${id}-reason`} className="block text-slate-700">
            Reason (at least 10 characters; written to the bundle and the access log)
          </label>
          <textarea
            id={`${id}-reason`}
            name="reason"
            required
            minLength={10}
            maxLength={500}
            rows={2}
            value={value.reason}
            onChange={(e) => onChange({ ...value, reason: e.target.value })}
            className="w-full rounded border border-slate-300 p-2"
          />
        </div>
      ) : null}
    </fieldset>
  );
}

/** The choice between the rows selected in the list and everything the filters match. */
function ExportChoice({
  name,
  selectedCount,
  choice,
  onChange,
}: {
  name: string;
  selectedCount: number;
  choice: ExportTarget;
  onChange: (choice: ExportTarget) => void;
}) {
  return (
    <fieldset className="space-y-1">
      <legend className="font-medium text-slate-800">What to export</legend>
      <label className="flex items-center gap-2">
        <input type="radio" name={name} checked={choice === "selected"} onChange={() => onChange("selected")} />
        The {selectedCount.toLocaleString("en-US")} selected decision{selectedCount === 1 ? "" : "s"}
      </label>
      <label className="flex items-center gap-2">
        <input type="radio" name={name} checked={choice === "view"} onChange={() => onChange("view")} />
        Everything matching the current filters
      </label>
    </fieldset>
  );
}

/** A started export: its progress while it runs, then the download or what went wrong. */
function ExportJobStatus({ job }: { job: ExportView }) {
  const percent = progressPercent(job.recordsDone, job.recordsTotal, job.status === "ready");
  return (
    <div className="space-y-2" data-testid="export-status" data-status={job.status}>
      <p className="text-slate-700">{job.description}</p>
      {!job.finished ? (
        <>
          <ProgressBar label="Export progress" percent={percent} className="h-2.5" />
          <p className="text-slate-600" aria-live="polite">
            {job.status === "queued"
              ? "Waiting to start…"
              : `${job.recordsDone.toLocaleString("en-US")} of ${job.recordsTotal?.toLocaleString("en-US") ?? "…"} records written`}
          </p>
          <p className="text-slate-600">
            It is written on the server: you may leave this page and download it later from{" "}
            <Link href="/exports" prefetch={false} className="text-sky-800 underline">
              Exports
            </Link>
            .
          </p>
        </>
      ) : job.status === "ready" && job.downloadUrl ? (
        <Alert tone="success" title="The bundle is ready">
          <p>
            {job.recordsTotal?.toLocaleString("en-US")} records
            {job.fileSize ? `, ${formatBytes(job.fileSize)}` : ""}.
            {job.personalData === "withheld"
              ? " Personal data was left out: the records carry commitments in its place (records stored before that are masked)."
              : " Personal data is included: keep the bundle as you would the personal data itself."}
          </p>
          <div className="mt-2 flex flex-wrap gap-2">
            <a href={job.downloadUrl} download={job.fileName} className={buttonClasses("primary", "sm")} data-testid="download-bundle">
              Download {job.fileName}
            </a>
            <Link href="/verify-bundle" prefetch={false} className={buttonClasses("secondary", "sm")}>
              Verify a bundle
            </Link>
          </div>
        </Alert>
      ) : (
        <Alert tone="error" title="The export failed">
          {job.error ?? "No details."}
        </Alert>
      )}
    </div>
  );
}
