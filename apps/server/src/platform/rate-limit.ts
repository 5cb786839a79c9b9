/**
 * Fixed-window failure counters for login. Keys are an account (email) and a client address; the
 * address comes from the socket unless a trusted proxy is configured, so X-Forwarded-For cannot
 * be used to dodge the limit.
 */
export interface RateLimiter {
  /** Seconds until the key may try again, or 0 if it may try now. */
  retryAfter(key: string): number;
  fail(key: string): void;
  reset(key: string): void;
}

export function createRateLimiter(max: number, windowMs: number, now: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, { count: number; resetAt: number }>();
  const sweep = () => {
    const t = now();
    for (const [k, b] of buckets) if (b.resetAt <= t) buckets.delete(k);
  };
  return {
    retryAfter(key) {
      const b = buckets.get(key);
      const t = now();
      if (!b || b.resetAt <= t) return 0;
      return b.count >= max ? Math.max(1, Math.ceil((b.resetAt - t) / 1000)) : 0;
    },
    fail(key) {
      const t = now();
      if (buckets.size > 100_000) sweep();
      const b = buckets.get(key);
      if (!b || b.resetAt <= t) buckets.set(key, { count: 1, resetAt: t + windowMs });
      else b.count++;
    },
    reset(key) {
      buckets.delete(key);
    },
  };
}
