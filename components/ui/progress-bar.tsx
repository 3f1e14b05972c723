import { cn } from "./cn";

/**
 * Whole percent of `done` out of `total`, for a background job's progress. Until the total
 * is known (null or 0) it is 0, or 100 once the job is `complete`; never above 100, since a
 * job's counters are read while it moves on.
 */
export function progressPercent(done: number, total: number | null, complete: boolean): number {
  return total ? Math.min(100, Math.floor((done / total) * 100)) : complete ? 100 : 0;
}

/**
 * A determinate progress bar (0 to 100) named by `label` for assistive technology.
 * `className` sizes the track (its height); `fillClassName` tunes the fill (e.g. its transition).
 */
export function ProgressBar({
  label,
  percent,
  className,
  fillClassName,
}: {
  label: string;
  percent: number;
  className?: string;
  fillClassName?: string;
}) {
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      className={cn(className, "w-full overflow-hidden rounded-full bg-slate-200")}
    >
      <div className={cn("h-full rounded-full bg-sky-600 transition-[width]", fillClassName)} style={{ width: `${percent}%` }} />
    </div>
  );
}
