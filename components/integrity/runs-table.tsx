import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Table, TBody, TD, TH, THead } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import type { RunView } from "@/lib/integrity/run-view";
import { failureTitle, formatDuration, nf, STATUS_LABELS } from "./format";

/** History of verification runs: who or which schedule, when, what range, the result. */
export function RunsTable({ runs }: { runs: RunView[] }) {
  return (
    <Table caption="Verification history">
      <THead>
        <tr>
          <TH scope="col">Requested</TH>
          <TH scope="col">By</TH>
          <TH scope="col">What</TH>
          <TH scope="col">Result</TH>
          <TH scope="col" className="text-right">
            Records
          </TH>
          <TH scope="col">Took</TH>
          <TH scope="col">Details</TH>
        </tr>
      </THead>
      <TBody>
        {runs.map((r) => {
          const status = STATUS_LABELS[r.status] ?? { label: r.status, tone: "neutral" as const };
          const took =
            r.startedAt && r.finishedAt ? formatDuration((new Date(r.finishedAt).getTime() - new Date(r.startedAt).getTime()) / 1000) : "—";
          return (
            <tr key={r.id} data-testid="verification-run-row">
              <TD className="whitespace-nowrap">
                <Time value={r.requestedAt} />
              </TD>
              <TD>{r.trigger === "schedule" ? <span className="text-slate-600">Schedule</span> : (r.requestedBy ?? "—")}</TD>
              <TD>
                {r.scope === "all" ? (
                  "Whole ledger"
                ) : (
                  <span>
                    Records written <Time value={r.rangeFrom} /> – <Time value={r.rangeTo} />
                    <span className="block text-xs text-slate-500">
                      positions {nf(r.fromSeq ?? 0)}–{nf(r.toSeq ?? 0)}
                    </span>
                  </span>
                )}
              </TD>
              <TD>
                <Badge tone={status.tone}>{status.label}</Badge>
                {r.status === "failed" && r.firstFailure ? (
                  <span className="mt-1 block text-xs text-red-800">
                    {failureTitle(r.firstFailure.class)}
                    {r.firstFailure.seq !== undefined ? ` at position ${nf(r.firstFailure.seq)}` : ""}
                  </span>
                ) : null}
                {r.status === "failed" ? (
                  <span className="mt-1 block text-xs text-slate-600">
                    {r.acknowledgedAt ? `Acknowledged by ${r.acknowledgedBy ?? "an administrator"}` : "Not yet acknowledged"}
                  </span>
                ) : null}
              </TD>
              <TD className="text-right tabular-nums">{nf(r.recordsChecked)}</TD>
              <TD className="whitespace-nowrap">{took}</TD>
              <TD>
                <Link href={`/integrity/runs/${r.id}`} className="text-sky-800 underline underline-offset-2 hover:text-sky-600">
                  Report<span className="sr-only"> of the run requested {r.requestedAt}</span>
                </Link>
              </TD>
            </tr>
          );
        })}
      </TBody>
    </Table>
  );
}
