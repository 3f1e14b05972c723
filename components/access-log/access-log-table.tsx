import { Badge, type BadgeTone } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { Table, TBody, TD, TH, THead } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import type { AccessEventRow } from "@/db/queries/access-events";
import { isRole, ROLE_LABELS } from "@/lib/auth/permissions";
import { actionLabel } from "./action-labels";

const OUTCOME_TONES: Record<string, BadgeTone> = { success: "success", failure: "danger", denied: "warning" };
const OUTCOME_LABELS: Record<string, string> = { success: "Success", failure: "Failed", denied: "Refused" };

function eventParts(event: unknown): { role: string | null; details: Record<string, unknown>; userAgent: string | null } {
  const e = (event ?? {}) as { user?: { role?: unknown } | null; details?: unknown; userAgent?: unknown };
  const role = typeof e.user?.role === "string" ? e.user.role : null;
  const details = e.details && typeof e.details === "object" ? (e.details as Record<string, unknown>) : {};
  return { role, details, userAgent: typeof e.userAgent === "string" ? e.userAgent : null };
}

export function AccessLogTable({ rows }: { rows: AccessEventRow[] }) {
  if (rows.length === 0) return <EmptyState title="No entries match these filters">Widen the time range or clear a filter.</EmptyState>;
  return (
    <Table caption="Access log entries, newest first">
      <THead>
        <tr>
          <TH className="w-20">Seq</TH>
          <TH>Time (UTC)</TH>
          <TH>Who</TH>
          <TH>Action</TH>
          <TH>Outcome</TH>
          <TH>Target</TH>
          <TH>IP</TH>
          <TH>Details</TH>
        </tr>
      </THead>
      <TBody>
        {rows.map((row) => {
          const { role, details, userAgent } = eventParts(row.event);
          const hasDetails = Object.keys(details).length > 0 || userAgent;
          return (
            <tr key={row.seq} data-testid="access-log-row" data-action={row.action}>
              <TD className="font-mono text-xs text-slate-600" title="Position in the hash-chained access log">
                #{row.seq}
              </TD>
              <TD className="whitespace-nowrap">
                <Time value={row.recordedAt} />
              </TD>
              <TD>
                <span className="block">{row.userEmail ?? <span className="text-slate-500">system</span>}</span>
                {role ? <span className="block text-xs text-slate-500">{isRole(role) ? ROLE_LABELS[role] : role}</span> : null}
              </TD>
              <TD>
                <span className="block">{actionLabel(row.action)}</span>
                <code className="block text-xs text-slate-500">{row.action}</code>
              </TD>
              <TD>
                <Badge tone={OUTCOME_TONES[row.outcome] ?? "neutral"}>{OUTCOME_LABELS[row.outcome] ?? row.outcome}</Badge>
              </TD>
              <TD className="max-w-64 break-words">{row.target ?? <span className="text-slate-400">—</span>}</TD>
              <TD className="font-mono text-xs whitespace-nowrap">{row.ip ?? <span className="text-slate-400">—</span>}</TD>
              <TD className="max-w-md">
                {hasDetails ? (
                  <details>
                    <summary className="cursor-pointer text-sm text-slate-700 hover:text-slate-900">Show</summary>
                    <pre className="mt-2 max-h-64 overflow-auto rounded bg-slate-50 p-2 text-xs whitespace-pre-wrap text-slate-800">
                      {JSON.stringify(userAgent ? { ...details, userAgent } : details, null, 2)}
                    </pre>
                  </details>
                ) : (
                  <span className="text-slate-400">—</span>
                )}
              </TD>
            </tr>
          );
        })}
      </TBody>
    </Table>
  );
}
