// Measuring one benchmark child (bench/evidence.ts): its time, sampled RSS and heap, and the
// kernel's peak RSS of the whole process. No project imports: what a child loads is its own.

export interface ChildResult {
  ms: number;
  peakRssMb: number;
  /** The kernel's peak RSS of the whole child process (VmHWM), start-up included. */
  maxRssMb: number;
  /** Peak of V8's used heap plus ArrayBuffers: what is live, as opposed to what the process holds. */
  peakHeapMb: number;
  records: number;
  bytes?: number;
  ok?: boolean;
}

/** Samples RSS every 20 ms while `fn` runs; returns the time and the peak. */
export async function measured(fn: () => Promise<{ records: number; bytes?: number; ok?: boolean }>): Promise<ChildResult> {
  let peak = process.memoryUsage().rss;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    heap = Math.max(heap, m.heapUsed + m.arrayBuffers);
  };
  const timer = setInterval(sample, 20);
  const t0 = performance.now();
  const r = await fn();
  const ms = performance.now() - t0;
  clearInterval(timer);
  sample();
  // resourceUsage().maxRSS is in kilobytes.
  return { ms, peakRssMb: peak / 1024 / 1024, maxRssMb: process.resourceUsage().maxRSS / 1024, peakHeapMb: heap / 1024 / 1024, ...r };
}

