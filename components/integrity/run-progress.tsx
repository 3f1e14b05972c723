"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { ProgressBar, progressPercent } from "@/components/ui/progress-bar";
import type { RunView } from "@/lib/integrity/run-view";
import { failureDescription, failureTitle, formatDuration, LOG_LABELS, nf } from "./format";

const POLL_MS = 1000;

/**
 * Live progress of a verification run, polled from /api/v1/integrity/runs/{id}. The run lives
 * on the server: closing this page does not stop it. When it finishes, the page refreshes so
 * the history and the failure banner show the outcome.
 */
export function RunProgress({
  runId,
  initial,
  finishedNote,
}: {
  runId: string;
  initial?: RunView | null;
  /** When given, a finished run shows this line instead of its outcome (the page shows the outcome elsewhere). */
  finishedNote?: string;
}) {
  const router = useRouter();
  const [run, setRun] = useState<RunView | null>(initial ?? null);
  const [problem, setProblem] = useState<string | null>(null);
  const refreshed = useRef(false);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const res = await fetch(`/api/v1/integrity/runs/${runId}`, { cache: "no-store" });
        if (!res.ok) throw new Error(res.status === 401 ? "Your session has expired; sign in again." : `The server answered ${res.status}.`);
        const next = (await res.json()) as RunView;
        if (stopped) return;
        setRun(next);
        setProblem(null);
        if (next.finished) {
          if (!refreshed.current) {
            refreshed.current = true;
            router.refresh();
          }
          return;
        }
      } catch (error) {
        if (!stopped) setProblem(`Could not read the progress (${(error as Error).message}). Retrying…`);
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [runId, router]);

  if (!run) return <p className="text-sm text-slate-600">Starting…</p>;
  const total = run.recordsTotal ?? 0;
  const percent = progressPercent(run.recordsChecked, total, run.finished);

  return (
    <div className="space-y-3" data-testid="verification-progress" data-status={run.status}>
      {!run.finished ? (
        <>
          <div className="flex items-baseline justify-between text-sm text-slate-700">
            <span>{run.status === "queued" ? "Waiting for the verifier to start…" : "Checking every record and checkpoint…"}</span>
            <span className="font-medium tabular-nums">{percent}%</span>
          </div>
          <ProgressBar label="Verification progress" percent={percent} className="h-3" fillClassName="duration-500" />
          <p className="text-sm text-slate-600 tabular-nums" aria-live="polite">
            {nf(run.recordsChecked)} of {total > 0 ? nf(total) : "…"} records checked
            {run.recordsPerSecond ? ` · ${nf(Math.round(run.recordsPerSecond))} records per second` : ""}
            {run.etaSeconds !== null && run.etaSeconds !== undefined ? ` · about ${formatDuration(run.etaSeconds)} left` : ""}
          </p>
          <p className="text-xs text-slate-500">It runs on the server: you can close this page and come back later.</p>
        </>
      ) : finishedNote ? (
        <p className="text-sm text-slate-700" data-testid="verification-finished">
          {finishedNote}
        </p>
      ) : (
        <RunOutcome run={run} />
      )}
      {problem ? <p className="text-sm text-amber-800">{problem}</p> : null}
    </div>
  );
}

export function RunOutcome({ run }: { run: RunView }) {
  const duration =
    run.startedAt && run.finishedAt ? formatDuration((new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime()) / 1000) : null;
  if (run.status === "passed") {
    return (
      <Alert tone="success" title="Passed: the ledger is intact">
        <p data-testid="verification-result">
          {nf(run.recordsChecked)} records and {nf(run.checkpointsChecked)} signed checkpoints checked
          {duration ? ` in ${duration}` : ""}. Every record matches its fingerprint, the hash chain is unbroken, consecutive checkpoints are
          consistent, and the checkpoints kept outside the database agree.
        </p>
      </Alert>
    );
  }
  if (run.status === "failed") {
    const f = run.firstFailure;
    return (
      <Alert tone="error" title={`Failed: ${f ? failureTitle(f.class) : "problems found"}`}>
        <div data-testid="verification-result" className="space-y-1">
          {f ? (
            <>
              <p>{failureDescription(f.class)}</p>
              <p>
                First problem in the {LOG_LABELS[f.logId]?.toLowerCase() ?? f.logId}
                {f.seq !== undefined ? ` at position ${nf(f.seq)}` : ""}: {f.message}
              </p>
              {f.logId === "decisions" && f.statementId ? (
                <p>
                  <Link href={`/decisions/${f.statementId}`} className="font-medium underline underline-offset-2">
                    Open record {f.statementId}
                  </Link>
                </p>
              ) : null}
            </>
          ) : null}
          <p>
            {nf(run.failureCount)} problem(s) in total; {nf(run.recordsChecked)} records checked.{" "}
            <Link href={`/integrity/runs/${run.id}`} className="font-medium underline underline-offset-2">
              See the full report
            </Link>
          </p>
          {run.acknowledgedAt ? (
            <p data-testid="acknowledgement">
              Acknowledged {new Date(run.acknowledgedAt).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC")} by {run.acknowledgedBy}: “
              {run.acknowledgementNote}”
            </p>
          ) : null}
        </div>
      </Alert>
    );
  }
  return (
    <Alert tone="warning" title={run.status === "interrupted" ? "Interrupted" : "The verification could not finish"}>
      <p data-testid="verification-result">{run.error ?? "No details."} Start it again; if this repeats, check the server log.</p>
    </Alert>
  );
}
