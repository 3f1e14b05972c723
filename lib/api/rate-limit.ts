import "server-only";
import { loadConfig } from "../server/config";

export interface RateLimitOptions {
  /** Tokens added per second; 0 turns the limit off. */
  perSecond: number;
  /** Bucket size: how many requests may come at once after a quiet spell. */
  burst: number;
  /** Milliseconds clock (tests pass a fake one). */
  now?: () => number;
}

export type RateLimitDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

// Buckets of keys not seen for a while are full again and carry no information: drop them
// once the map grows, so revoked or rotated keys do not accumulate.
const PRUNE_ABOVE = 10_000;

/**
 * Token buckets, one per key (the ingest API key's id). In-process state: every app
 * instance has its own buckets, so N instances behind a load balancer allow N times the rate
 * (docs/security.md says so).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly now: () => number;

  constructor(private readonly options: RateLimitOptions) {
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.options.perSecond > 0 && this.options.burst > 0;
  }

  /** Takes one token for `key`, or says in whole seconds when the next one will be there. */
  take(key: string): RateLimitDecision {
    if (!this.enabled) return { ok: true };
    const { perSecond, burst } = this.options;
    const now = this.now();
    const previous = this.buckets.get(key);
    const tokens = previous ? Math.min(burst, previous.tokens + ((now - previous.at) / 1000) * perSecond) : burst;
    if (tokens >= 1) {
      this.set(key, { tokens: tokens - 1, at: now });
      return { ok: true };
    }
    this.set(key, { tokens, at: now });
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perSecond)) };
  }

  private set(key: string, bucket: { tokens: number; at: number }): void {
    if (this.buckets.size >= PRUNE_ABOVE && !this.buckets.has(key)) {
      const { perSecond, burst } = this.options;
      for (const [k, b] of this.buckets) if (b.tokens + ((bucket.at - b.at) / 1000) * perSecond >= burst) this.buckets.delete(k);
    }
    this.buckets.set(key, bucket);
  }
}

/** The ingest limit as configured (INGEST_RATE_LIMIT_PER_SECOND, INGEST_RATE_LIMIT_BURST). */
export function ingestRateLimitFromConfig(): TokenBuckets {
  const config = loadConfig();
  return new TokenBuckets({ perSecond: config.INGEST_RATE_LIMIT_PER_SECOND, burst: config.INGEST_RATE_LIMIT_BURST });
}
