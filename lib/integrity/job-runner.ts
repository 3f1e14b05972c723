import "server-only";
/**
 * An in-process runner for background jobs persisted in the database (verification runs,
 * evidence exports). A job is a row: requesting one inserts it as `queued`; the runner claims
 * queued rows one at a time per lane (UPDATE ... FOR UPDATE SKIP LOCKED, so several server
 * processes never run the same job) and runs them. Closing the browser tab changes nothing:
 * the page only polls the row.
 *
 * A process that dies leaves its row `running` with a heartbeat that stops moving; the sweep
 * marks such rows `interrupted` so nobody waits for them forever.
 */

export interface JobLane {
  /** Claims the next queued job (marks it running) and returns its id, or null when none. */
  claim(): Promise<string | null>;
  run(id: string, signal: AbortSignal): Promise<void>;
  /** Marks jobs whose heartbeat is older than `staleSeconds` as interrupted. */
  sweep(staleSeconds: number): Promise<void>;
}

export const STALE_HEARTBEAT_SECONDS = 120;

export class JobRunner {
  private readonly busy = new Set<string>();
  private readonly again = new Set<string>();
  private readonly controller = new AbortController();
  private readonly timers: ReturnType<typeof setInterval>[] = [];

  constructor(private readonly lanes: Record<string, JobLane>) {}

  start(pollSeconds = 30): void {
    // Polling picks up jobs queued by another process (or missed wake-ups); wake() is the fast path.
    const timer = setInterval(() => {
      for (const [name, lane] of Object.entries(this.lanes)) {
        lane.sweep(STALE_HEARTBEAT_SECONDS).catch((e) => console.error(`[decision-ledger] ${name} sweep failed:`, e));
        this.wake(name);
      }
    }, pollSeconds * 1000);
    timer.unref?.();
    this.timers.push(timer);
    for (const name of Object.keys(this.lanes)) this.wake(name);
  }

  /** Runs queued jobs of `lane` now, unless that lane is already draining (then it re-checks after). */
  wake(lane: string): void {
    if (this.controller.signal.aborted || !this.lanes[lane]) return;
    if (this.busy.has(lane)) {
      this.again.add(lane);
      return;
    }
    this.busy.add(lane);
    void this.drain(lane).finally(() => {
      this.busy.delete(lane);
      if (this.again.delete(lane)) this.wake(lane);
    });
  }

  private async drain(name: string): Promise<void> {
    const lane = this.lanes[name]!;
    for (;;) {
      if (this.controller.signal.aborted) return;
      let id: string | null;
      try {
        id = await lane.claim();
      } catch (error) {
        console.error(`[decision-ledger] could not claim a ${name} job:`, error);
        return;
      }
      if (!id) return;
      try {
        await lane.run(id, this.controller.signal);
      } catch (error) {
        console.error(`[decision-ledger] ${name} job ${id} failed:`, error);
      }
    }
  }

  stop(): void {
    this.controller.abort();
    for (const t of this.timers) clearInterval(t);
  }
}
