import "server-only";

/** What one submitted item came to: its own result, or its own refusal. */
export type ItemOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface GroupCommitOptions<T, R> {
  /**
   * Runs ONE transaction for the whole group and gives each item its outcome, in order. It
   * resolves only after the commit: an item is acknowledged only once it is durable. A
   * rejection means nothing of the group was committed.
   */
  commit: (items: T[]) => Promise<ItemOutcome<R>[]>;
  /** The weight of an item (its statements); a group stops growing at `maxWeight`. */
  weight: (item: T) => number;
  maxWeight: number;
  /** Items that may share a transaction (the same keys); the group takes a leading run of them. */
  compatible: (a: T, b: T) => boolean;
}

/**
 * Group commit: the items submitted while a transaction is running wait, and the next
 * transaction takes all of them at once. A lone writer pays nothing (its item goes at once);
 * sixteen concurrent writers pay for one sequencing transaction (lock, head read, commit
 * flush) instead of sixteen queued behind one another on the log's lock.
 *
 * When a group's transaction fails, each of its items is retried in a transaction of its
 * own, so the failure is reported to the item that caused it and no other item is refused
 * for it. One queue per log and database (see sequencerFor in append-decisions.ts).
 */
export class GroupCommitQueue<T, R> {
  private readonly waiting: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  constructor(private readonly options: GroupCommitOptions<T, R>) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.takeGroup();
        const outcomes = await this.commitGroup(group.map((g) => g.item));
        group.forEach((g, i) => {
          const outcome = outcomes[i]!;
          if (outcome.ok) g.resolve(outcome.value);
          else g.reject(outcome.error);
        });
      }
    } finally {
      this.running = false;
    }
  }

  /** The leading run of compatible items, up to maxWeight (always at least one item). */
  private takeGroup() {
    const first = this.waiting[0]!;
    let weight = this.options.weight(first.item);
    let n = 1;
    while (n < this.waiting.length) {
      const next = this.waiting[n]!;
      const w = this.options.weight(next.item);
      if (weight + w > this.options.maxWeight || !this.options.compatible(first.item, next.item)) break;
      weight += w;
      n++;
    }
    return this.waiting.splice(0, n);
  }

  private async commitGroup(items: T[]): Promise<ItemOutcome<R>[]> {
    try {
      return await this.options.commit(items);
    } catch (error) {
      if (items.length === 1) return [{ ok: false, error }];
      const outcomes: ItemOutcome<R>[] = [];
      for (const item of items) {
        try {
          outcomes.push(...(await this.options.commit([item])));
        } catch (itemError) {
          outcomes.push({ ok: false, error: itemError });
        }
      }
      return outcomes;
    }
  }
}
