"use client";

import { useSyncExternalStore } from "react";

const subscribe = () => () => {};

/**
 * The viewer's IANA time zone. The server renders in UTC (it cannot know the zone), the
 * browser switches to the viewer's zone right after hydration; useSyncExternalStore makes
 * that switch without a hydration mismatch.
 */
export function useViewerTimeZone(): string {
  return useSyncExternalStore(
    subscribe,
    () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    () => "UTC",
  );
}

/** "Europe/Berlin (UTC+01:00)": the zone named, with its current offset. */
export function describeTimeZone(timeZone: string, at: Date = new Date()): string {
  if (timeZone === "UTC") return "UTC";
  const offset =
    new Intl.DateTimeFormat("en-GB", { timeZone, timeZoneName: "longOffset" })
      .formatToParts(at)
      .find((p) => p.type === "timeZoneName")?.value ?? "";
  return offset ? `${timeZone} (${offset.replace("GMT", "UTC")})` : timeZone;
}

export function formatInZone(value: Date, timeZone: string, opts: { seconds?: boolean; date?: boolean } = {}): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    year: opts.date === false ? undefined : "numeric",
    month: opts.date === false ? undefined : "short",
    day: opts.date === false ? undefined : "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: opts.seconds ? "2-digit" : undefined,
    hourCycle: "h23",
  }).format(value);
}

/** Short zone label for a timestamp, e.g. "CET" or "UTC". */
export function zoneAbbreviation(value: Date, timeZone: string): string {
  return (
    new Intl.DateTimeFormat("en-GB", { timeZone, timeZoneName: "short" }).formatToParts(value).find((p) => p.type === "timeZoneName")?.value ??
    timeZone
  );
}
