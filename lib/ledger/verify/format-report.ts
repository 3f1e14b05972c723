import { FAILURE_CLASS_LABELS, type DatabaseVerificationReport, type VerificationFailure, type VerificationReport } from "./report";

const n = (x: number) => x.toLocaleString("en-US");

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One failure as two or three plain lines: what, where, and the hashes when they help. */
export function formatFailure(f: VerificationFailure, index: number): string {
  const where: string[] = [];
  if (f.seq !== undefined) where.push(f.toSeq !== undefined && f.toSeq !== f.seq ? `seqs ${n(f.seq)}-${n(f.toSeq)}` : `seq ${n(f.seq)}`);
  if (f.statementId) where.push(`statement ${f.statementId}`);
  if (f.relatedSeq !== undefined) where.push(`with seq ${n(f.relatedSeq)}${f.relatedStatementId ? ` (statement ${f.relatedStatementId})` : ""}`);
  if (f.checkpointSize !== undefined) where.push(`checkpoint ${n(f.checkpointSize)}${f.source ? ` (${f.source === "external" ? "external store" : "database"})` : ""}`);
  const lines = [`  ${index}. ${FAILURE_CLASS_LABELS[f.class].title} [${f.class}]${where.length ? ` at ${where.join(", ")}` : ""}`, `     ${f.message}`];
  if (f.expected !== undefined || f.actual !== undefined) lines.push(`     expected ${f.expected ?? "-"}, found ${f.actual ?? "(nothing)"}`);
  return lines.join("\n");
}

/** The human-readable report of one log, as the CLI prints it. */
export function formatLogReport(r: VerificationReport): string {
  const range = r.range
    ? r.range.fromSeq === 0 && r.range.toSeq === r.logSize - 1
      ? `all ${n(r.recordsChecked)} records`
      : `${n(r.recordsChecked)} records (seq ${n(r.range.fromSeq)}-${n(r.range.toSeq)} of ${n(r.logSize)})`
    : "no records (the log is empty)";
  const anchor = r.externalStore ? `, compared with the external store (${r.externalStore})` : ", without an external checkpoint store";
  const head = r.ok
    ? `${r.logId} log: OK. Verified ${range} and ${n(r.checkpointsChecked)} signed checkpoint(s) in ${seconds(r.durationMs)}${anchor}.`
    : `${r.logId} log: FAILED. ${n(r.failureCount)} problem(s) found while verifying ${range} and ${n(r.checkpointsChecked)} signed checkpoint(s) in ${seconds(r.durationMs)}${anchor}.`;
  const lines = [head];
  if (!r.ok) {
    const first = r.failures.find((f) => f.seq !== undefined);
    if (first) lines.push(`  First broken record: seq ${n(first.seq!)}${first.statementId ? ` (statement ${first.statementId})` : ""}.`);
    r.failures.forEach((f, i) => lines.push(formatFailure(f, i + 1)));
    if (r.failureCount > r.failures.length) lines.push(`  ... and ${n(r.failureCount - r.failures.length)} more.`);
  }
  for (const w of r.warnings) lines.push(`  Note: ${w}`);
  return lines.join("\n") + "\n";
}

export function formatDatabaseReport(report: DatabaseVerificationReport): string {
  const body = report.logs.map(formatLogReport).join("\n");
  const verdict = report.ok
    ? "Everything verifies: no record was changed, removed, inserted or reordered since it was written and signed."
    : "Verification FAILED: the ledger was altered outside the application. See docs/tamper-evidence.md for what each finding means.";
  return `${body}\n${verdict}\n`;
}
