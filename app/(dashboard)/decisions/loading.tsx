/** Shown while the first render of a decisions page streams in (later filter changes keep the old results visible). */
export default function Loading() {
  return (
    <div role="status" className="space-y-4">
      <span className="sr-only">Loading decisions…</span>
      <div className="h-8 w-48 animate-pulse rounded bg-slate-200" />
      <div className="h-40 animate-pulse rounded-lg border border-slate-200 bg-white" />
      <div className="h-56 animate-pulse rounded-lg border border-slate-200 bg-white" />
      <div className="h-96 animate-pulse rounded-lg border border-slate-200 bg-white" />
    </div>
  );
}
