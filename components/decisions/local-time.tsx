"use client";

import { formatInZone, useViewerTimeZone, zoneAbbreviation } from "./viewer-time-zone";

/**
 * A decision time in the viewer's time zone with the zone named ("14 Mar 2026, 09:41 CET"),
 * the exact ISO 8601 value (UTC, microseconds as stored) on hover and for assistive tech.
 */
export function LocalTime({ value, seconds = false, className }: { value: string; seconds?: boolean; className?: string }) {
  const timeZone = useViewerTimeZone();
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return <span className={className}>—</span>;
  return (
    <time dateTime={value} title={`${value} (ISO 8601, UTC)`} className={className}>
      {formatInZone(d, timeZone, { seconds })} <span className="text-slate-600">{zoneAbbreviation(d, timeZone)}</span>
    </time>
  );
}
