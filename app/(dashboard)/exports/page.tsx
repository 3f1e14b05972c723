import Link from "next/link";
import { RefreshWhileRunning } from "@/components/evidence/refresh-while-running";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { buttonClasses } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, TBody, TD, TH, THead } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { listEvidenceExports, type EvidenceExportStatus } from "@/db/queries/evidence-exports";
import { requestContext, requirePagePermission } from "@/lib/auth/guard";
import { appendAccessEvent } from "@/lib/ledger-store/append-access-event";
import { formatBytes, toExportView } from "@/lib/evidence/export-view";
import { getRuntime } from "@/lib/server/runtime";

export const dynamic = "force-dynamic";
export const metadata = { title: "Evidence exports · Decision Ledger" };

const STATUS: Record<EvidenceExportStatus, { label: string; tone: BadgeTone }> = {
  queued: { label: "Waiting to start", tone: "neutral" },
  running: { label: "Being written", tone: "info" },
  ready: { label: "Ready", tone: "success" },
  failed: { label: "Failed", tone: "danger" },
  interrupted: { label: "Interrupted", tone: "warning" },
};

/**
 * The signed-in user's own evidence bundles: they are built on the server in the background,
 * so the user may leave the decisions list and pick the download up here when it is ready.
 */
export default async function ExportsPage() {
  const user = await requirePagePermission("evidence.export");
  const { db } = await getRuntime();
  const exports = (await listEvidenceExports(db, { requestedById: user.id, limit: 50 })).map(toExportView);
  await appendAccessEvent(db, {
    action: "evidence.list",
    outcome: "success",
    user: { id: user.id, email: user.email, role: user.role },
    target: "/exports",
    details: { exports: exports.length },
    ...(await requestContext()),
  });
  return (
    <>
      <PageHeader
        title="Evidence exports"
        description="Bundles you exported from the decisions list, newest first. Each is built on the server, so you can leave the page while it is written and download it here when it is ready."
        actions={
          <Link href="/verify-bundle" prefetch={false} className={buttonClasses("secondary", "sm")}>
            Verify a bundle
          </Link>
        }
      />
      <RefreshWhileRunning active={exports.some((e) => !e.finished)} />
      <Card>
        <CardHeader title={`Your exports (${exports.length})`} />
        {exports.length === 0 ? (
          <EmptyState title="You have not exported any evidence yet">
            Open <Link className="text-sky-800 underline" href="/decisions" prefetch={false}>Decisions</Link>, filter to the records you need
            and choose “Export evidence”.
          </EmptyState>
        ) : (
          <Table caption="Your evidence exports">
            <THead>
              <tr>
                <TH>Requested</TH>
                <TH>What</TH>
                <TH>Status</TH>
                <TH className="text-right">Records</TH>
                <TH>Bundle</TH>
              </tr>
            </THead>
            <TBody>
              {exports.map((e) => (
                <tr key={e.id} data-testid="export-row" data-status={e.status}>
                  <TD className="whitespace-nowrap">
                    <Time value={e.requestedAt} />
                  </TD>
                  <TD>
                    {e.description}
                    <span className="block text-xs text-slate-600">{e.personalData === "withheld" ? "Personal data left out" : "Personal data included"}</span>
                  </TD>
                  <TD>
                    <Badge tone={STATUS[e.status].tone}>{STATUS[e.status].label}</Badge>
                    {e.error ? <span className="mt-1 block text-xs text-red-800">{e.error}</span> : null}
                  </TD>
                  <TD className="text-right whitespace-nowrap tabular-nums">
                    {e.finished
                      ? (e.recordsTotal ?? 0).toLocaleString("en-US")
                      : `${e.recordsDone.toLocaleString("en-US")} of ${e.recordsTotal?.toLocaleString("en-US") ?? "…"}`}
                  </TD>
                  <TD className="whitespace-nowrap">
                    {e.downloadUrl ? (
                      <a href={e.downloadUrl} download={e.fileName} className="text-sky-800 underline">
                        Download{e.fileSize ? ` (${formatBytes(e.fileSize)})` : ""}
                      </a>
                    ) : (
                      "—"
                    )}
                    {e.manifestSha256 ? (
                      <span className="block font-mono text-xs text-slate-600" title={`manifest.json SHA-256 ${e.manifestSha256}`}>
                        manifest {e.manifestSha256.slice(0, 16)}…
                      </span>
                    ) : null}
                  </TD>
                </tr>
              ))}
            </TBody>
          </Table>
        )}
      </Card>
    </>
  );
}
