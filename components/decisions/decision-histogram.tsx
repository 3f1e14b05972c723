"use client";

import { useState } from "react";
import { Bar, BarChart, CartesianGrid, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { DecisionHistogram as Histogram } from "@/db/queries/decisions";
import { Button } from "@/components/ui/button";
import { ACTOR_TYPES, type ActorType } from "@/lib/ledger/xapi/actor-type";
import { useExplorerState } from "./explorer-state";
import { formatInZone, useViewerTimeZone, zoneAbbreviation } from "./viewer-time-zone";

// Colour-blind-safe palette (Okabe–Ito); the legend and tooltip name every series.
const COLORS: Record<ActorType, string> = {
  ai: "#0072B2",
  human_approved_ai: "#009E73",
  ai_assisted_human: "#E69F00",
  human: "#6B7280",
};

function bucketLabel(ms: number): string {
  if (ms % 86_400_000 === 0) return ms === 86_400_000 ? "day" : `${ms / 86_400_000} days`;
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? "hour" : `${ms / 3_600_000} hours`;
  return `${ms / 60_000} minutes`;
}

/**
 * Decisions per time bucket for the current filters, stacked by who decided. Dragging
 * across bars narrows the time range to them (written to the URL like any filter); the
 * filter bar's time controls are the keyboard way to do the same.
 */
export function DecisionHistogram({ histogram }: { histogram: Histogram }) {
  const { setFilters, isPending } = useExplorerState();
  const timeZone = useViewerTimeZone();
  // Drag in progress: transient pointer state, never part of the URL.
  const [drag, setDrag] = useState<{ start: number; end: number } | null>(null);
  const data = histogram.buckets.map((b, i) => ({ i, start: b.start, total: b.total, ...b.counts }));
  const total = histogram.buckets.reduce((n, b) => n + b.total, 0);
  const peak = histogram.buckets.reduce((m, b) => (b.total > m.total ? b : m), histogram.buckets[0]!);
  const tick = (iso: string) => {
    const d = new Date(iso);
    return histogram.bucketMs >= 86_400_000
      ? new Intl.DateTimeFormat("en-GB", { timeZone, day: "2-digit", month: "short" }).format(d)
      : formatInZone(d, timeZone, { date: histogram.bucketMs >= 3 * 3_600_000 ? undefined : false });
  };
  const finish = () => {
    if (!drag) return;
    const lo = Math.min(drag.start, drag.end);
    const hi = Math.max(drag.start, drag.end);
    setDrag(null);
    const first = histogram.buckets[lo];
    const last = histogram.buckets[hi];
    if (!first || !last) return;
    const from = new Date(first.start);
    const to = new Date(Math.min(new Date(last.start).getTime() + histogram.bucketMs, new Date(histogram.to).getTime()));
    void setFilters({ from, to });
  };
  const index = (v: unknown) => (typeof v === "number" ? v : null);
  return (
    <figure className="rounded-lg border border-slate-200 bg-white p-4 shadow-xs" aria-labelledby="histogram-caption">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <figcaption id="histogram-caption" className="text-sm font-semibold text-slate-900">
          Decisions per {bucketLabel(histogram.bucketMs)}
          <span className="ml-2 text-xs font-normal text-slate-600">
            Drag across the bars to zoom into that period. Times in {zoneAbbreviation(new Date(histogram.to), timeZone)}.
          </span>
        </figcaption>
        <ul className="flex flex-wrap gap-3 text-xs text-slate-700" aria-label="Legend">
          {ACTOR_TYPES.map((t) => (
            <li key={t.value} className="inline-flex items-center gap-1">
              <span aria-hidden="true" className="inline-block size-3 rounded-sm" style={{ background: COLORS[t.value] }} />
              {t.label}
            </li>
          ))}
        </ul>
      </div>
      <p className="sr-only">
        {total.toLocaleString("en-GB")} decisions in {histogram.buckets.length} periods; the busiest period starts {formatInZone(new Date(peak.start), timeZone)} with{" "}
        {peak.total.toLocaleString("en-GB")} decisions.
      </p>
      <div className={isPending ? "h-40 opacity-60" : "h-40"} aria-hidden="true" style={{ userSelect: "none", cursor: "crosshair" }}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart
            data={data}
            barCategoryGap={1}
            // The chart is a pointer shortcut (aria-hidden); the summary above and the time
            // filters are the accessible way, so recharts' keyboard layer stays off.
            accessibilityLayer={false}
            onMouseDown={(s) => {
              const i = index(s.activeIndex);
              if (i !== null) setDrag({ start: i, end: i });
            }}
            onMouseMove={(s) => {
              const i = index(s.activeIndex);
              if (drag && i !== null && i !== drag.end) setDrag({ ...drag, end: i });
            }}
            onMouseUp={finish}
            onMouseLeave={() => setDrag(null)}
          >
            <CartesianGrid vertical={false} stroke="#e2e8f0" />
            <XAxis dataKey="start" tickFormatter={tick} tick={{ fontSize: 11, fill: "#475569" }} minTickGap={24} />
            <YAxis allowDecimals={false} width={44} tick={{ fontSize: 11, fill: "#475569" }} />
            <Tooltip
              labelFormatter={(v) => `${formatInZone(new Date(String(v)), timeZone)} – ${formatInZone(new Date(new Date(String(v)).getTime() + histogram.bucketMs), timeZone)}`}
              formatter={(value, name) => [Number(value).toLocaleString("en-GB"), ACTOR_TYPES.find((t) => t.value === name)?.label ?? String(name)]}
            />
            {ACTOR_TYPES.map((t) => (
              <Bar key={t.value} dataKey={t.value} stackId="a" fill={COLORS[t.value]} isAnimationActive={false} />
            ))}
            {drag ? (
              <ReferenceArea
                x1={data[Math.min(drag.start, drag.end)]?.start}
                x2={data[Math.max(drag.start, drag.end)]?.start}
                fill="#0ea5e9"
                fillOpacity={0.15}
                stroke="#0284c7"
              />
            ) : null}
          </BarChart>
        </ResponsiveContainer>
      </div>
      {histogram.buckets.length > 0 ? null : <p className="text-sm text-slate-600">No decisions in this period.</p>}
      <HistogramZoomOut />
    </figure>
  );
}

function HistogramZoomOut() {
  const { params, setFilters } = useExplorerState();
  if (!params.from && !params.to) return null;
  return (
    <div className="mt-2">
      <Button variant="ghost" size="sm" onClick={() => void setFilters({ from: null, to: null })}>
        Back to {params.range === "24h" ? "the last 24 hours" : `the last ${params.range.replace("d", " days")}`}
      </Button>
    </div>
  );
}
