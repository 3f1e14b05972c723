import Link from "next/link";
import { notFound } from "next/navigation";
import { getVerificationRun, getVerificationRunResult } from "@/db/queries/verification-runs";
import { failureDescription, failureTitle, formatDuration, LOG_LABELS, nf, STATUS_LABELS } from "@/components/integrity/format";
import { RunOutcome, RunProgress } from "@/components/integrity/run-progress";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TBody, TD, TH, THead } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { requestContext, requirePagePermission } from "@/lib/auth/guard";
import { appendAccessEvent } from "@/lib/ledger-store/append-access-event";
import { toRunView } from "@/lib/integrity/run-view";
import type { VerificationReport } from "@/lib/ledger/verify/report";
import { getRuntime } from "@/lib/server/runtime";

export const dynamic = "force-dynamic";
export const metadata = { title: "Verification report · Decision Ledger" };

export default async function VerificationRunPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePagePermission("integrity.read");
  const { id } = await params;
  const { db } = await getRuntime();
  const record = await getVerificationRun(db, { id });
  if (!record) notFound();
  await appendAccessEvent(db, {
    action: "integrity.view",
    outcome: "success",
    user: { id: user.id, email: user.email, role: user.role },
    target: `/integrity/runs/${record.id}`,
    ...(await requestContext()),
  });
  const run = toRunView(record);
  const result = await getVerificationRunResult(db, { id });
  const reports = result?.reports ?? [];
  const status = STATUS_LABELS[run.status] ?? { label: run.status, tone: "neutral" as const };

  return (
    <div className="space-y-6">
      <PageHeader
        title="Verification report"
        description={
          <>
            Requested <Time value={run.requestedAt} /> {run.trigger === "schedule" ? "by the schedule" : `by ${run.requestedBy ?? "a user"}`} ·{" "}
            {run.scope === "all" ? "whole ledger" : `decision records at positions ${nf(run.fromSeq ?? 0)}–${nf(run.toSeq ?? 0)}`}
          </>
        }
        actions={
          <Link href="/integrity" className="text-sm text-sky-800 underline underline-offset-2">
            Back to Integrity
          </Link>
        }
      />
      <div className="flex items-center gap-2">
        <Badge tone={status.tone}>{status.label}</Badge>
        {run.acknowledgedAt ? (
          <span className="text-sm text-slate-600">
            Acknowledged <Time value={run.acknowledgedAt} /> by {run.acknowledgedBy}: “{run.acknowledgementNote}”
          </span>
        ) : null}
      </div>
      {run.finished ? <RunOutcome run={run} /> : <RunProgress runId={run.id} initial={run} />}

      {reports.map((report) => (
        <LogReportCard key={report.logId} report={report} />
      ))}
    </div>
  );
}

/** What the verifier found in one log. */
function LogReportCard({ report }: { report: VerificationReport }) {
  return (
    <Card>
      <CardHeader
        title={LOG_LABELS[report.logId] ?? report.logId}
        description={
          report.range
            ? `Positions ${nf(report.range.fromSeq)} to ${nf(report.range.toSeq)} of ${nf(report.logSize)} · took ${formatDuration(report.durationMs / 1000)}`
            : "The log is empty."
        }
      />
      <CardBody className="space-y-4">
        <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
          <dt className="text-slate-600">Records checked</dt>
          <dd className="tabular-nums">{nf(report.recordsChecked)}</dd>
          <dt className="text-slate-600">Signed checkpoints checked</dt>
          <dd className="tabular-nums">
            {nf(report.checkpointsChecked)} (signature, consistency with the previous checkpoint, root recomputed from the records)
          </dd>
          <dt className="text-slate-600">Largest signed size</dt>
          <dd className="tabular-nums">{nf(report.signedSize)}</dd>
          <dt className="text-slate-600">External checkpoint store</dt>
          <dd>{report.externalStore ?? "not checked"}</dd>
          <dt className="text-slate-600">Result</dt>
          <dd>{report.ok ? "No problems found" : `${nf(report.failureCount)} problem(s)`}</dd>
        </dl>
        {report.failures.length > 0 ? <FailuresTable report={report} /> : null}
        {report.failureCount > report.failures.length ? (
          <p className="text-sm text-slate-600">… and {nf(report.failureCount - report.failures.length)} more not listed.</p>
        ) : null}
        {report.warnings.length > 0 ? (
          <Alert tone="warning" title="Worth a look">
            <ul className="list-disc pl-5">
              {report.warnings.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          </Alert>
        ) : null}
      </CardBody>
    </Card>
  );
}

/** Every failure the report lists, with the record it concerns. */
function FailuresTable({ report }: { report: VerificationReport }) {
  return (
    <Table caption={`Problems found in the ${LOG_LABELS[report.logId] ?? report.logId}`}>
      <THead>
        <tr>
          <TH>What</TH>
          <TH>Where</TH>
          <TH>Details</TH>
        </tr>
      </THead>
      <TBody>
        {report.failures.map((f, i) => (
          <tr key={i} data-testid="verification-failure">
            <TD>
              <span className="font-medium">{failureTitle(f.class)}</span>
              <span className="block text-xs text-slate-600">{failureDescription(f.class)}</span>
            </TD>
            <TD className="text-sm">
              {f.seq !== undefined ? `Position ${nf(f.seq)}${f.toSeq !== undefined && f.toSeq !== f.seq ? `–${nf(f.toSeq)}` : ""}` : null}
              {f.statementId ? (
                report.logId === "decisions" ? (
                  <Link href={`/decisions/${f.statementId}`} className="block font-mono text-xs text-sky-800 underline underline-offset-2">
                    {f.statementId}
                  </Link>
                ) : (
                  <span className="block font-mono text-xs">{f.statementId}</span>
                )
              ) : null}
              {f.checkpointSize !== undefined ? (
                <span className="block text-xs text-slate-600">
                  checkpoint at {nf(f.checkpointSize)} records{f.source ? ` (${f.source === "external" ? "external store" : "database"})` : ""}
                </span>
              ) : null}
            </TD>
            <TD className="text-sm">
              {f.message}
              {f.expected || f.actual ? (
                <span className="mt-1 block font-mono text-xs break-all text-slate-600">
                  {f.expected ? `expected ${f.expected}` : ""} {f.actual ? `found ${f.actual}` : ""}
                </span>
              ) : null}
            </TD>
          </tr>
        ))}
      </TBody>
    </Table>
  );
}
