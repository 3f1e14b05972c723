/**
 * A timestamp shown in UTC (the ledger's reference time, the same for every reviewer and in
 * exported evidence) with the full ISO value in the machine-readable attribute.
 */
export function formatUtc(value: Date | string | null | undefined): string {
  if (!value) return "—";
  const d = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return "—";
  return d.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC");
}

export function Time({ value, className }: { value: Date | string | null | undefined; className?: string }) {
  if (!value) return <span className={className}>—</span>;
  const d = typeof value === "string" ? new Date(value) : value;
  return (
    <time dateTime={d.toISOString()} className={className}>
      {formatUtc(d)}
    </time>
  );
}
