/**
 * Fixed-window attempt counters in the database, so every node sharing it counts the same attempts
 * (a limit per node would multiply with the number of nodes). Keys are chosen by the caller (an
 * account, a trusted device, a client address); the address comes from the socket unless a trusted
 * proxy is configured, so X-Forwarded-For cannot be used to dodge a limit.
 *
 * An attempt is counted before the work it guards (one transaction over all its keys, rows locked
 * in key order), so concurrent requests cannot slip past a limit together; a refused attempt counts
 * nothing. The caller may then reset a key or release its attempt (e.g. a successful sign-in).
 */
import { inArray, lte, sql } from 'drizzle-orm';
import { loginAttempts, type Db } from '@accord/db';
import { systemClock, type Clock } from './clock.ts';

export interface Limit {
  key: string;
  /** Attempts allowed per window. */
  max: number;
}

export type AttemptResult = { ok: true } | { ok: false; /** Whole seconds until the fullest key's window ends. */ retryAfter: number };

export interface RateLimiter {
  /** Counts one attempt on every key, or none when any key has used up its window (then says how long to wait). */
  attempt(limits: readonly Limit[]): Promise<AttemptResult>;
  /** Forgets keys altogether. */
  reset(keys: readonly string[]): Promise<void>;
  /** Takes back one counted attempt on each key (it turned out not to be a failure). */
  release(keys: readonly string[]): Promise<void>;
  /** Deletes counters whose window has ended; returns how many. */
  prune(): Promise<number>;
}

class Refused extends Error {
  constructor(readonly retryAfter: number) {
    super('rate limited');
  }
}

/** Old counters are pruned by the node that counts, at most this often. */
const PRUNE_EVERY_MS = 60_000;

export function createRateLimiter(db: Db, windowMs: number, now: Clock = systemClock): RateLimiter {
  let lastPrune = 0;
  const t = loginAttempts;

  async function prune(): Promise<number> {
    const rows = await db
      .delete(t)
      .where(lte(t.windowStart, new Date(now().getTime() - windowMs)))
      .returning({ key: t.key });
    return rows.length;
  }

  return {
    async attempt(limits) {
      const at = now();
      const started = `${at.toISOString()}`;
      const expired = new Date(at.getTime() - windowMs).toISOString();
      // One lock order for every caller, so two attempts sharing keys cannot deadlock.
      const sorted = [...limits].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      try {
        await db.transaction(async (tx) => {
          for (const l of sorted) {
            const [row] = await tx
              .insert(t)
              .values({ key: l.key, windowStart: at, count: 1 })
              .onConflictDoUpdate({
                target: t.key,
                set: {
                  count: sql`case when ${t.windowStart} <= ${expired}::timestamptz then 1 else ${t.count} + 1 end`,
                  windowStart: sql`case when ${t.windowStart} <= ${expired}::timestamptz then ${started}::timestamptz else ${t.windowStart} end`,
                },
              })
              .returning();
            if (row && row.count > l.max) throw new Refused(Math.max(1, Math.ceil((row.windowStart.getTime() + windowMs - at.getTime()) / 1000)));
          }
        });
      } catch (e) {
        if (e instanceof Refused) return { ok: false, retryAfter: e.retryAfter };
        throw e;
      }
      if (at.getTime() - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = at.getTime();
        await prune();
      }
      return { ok: true };
    },

    async reset(keys) {
      if (keys.length) await db.delete(t).where(inArray(t.key, [...keys]));
    },

    async release(keys) {
      if (keys.length) await db.update(t).set({ count: sql`greatest(${t.count} - 1, 0)` }).where(inArray(t.key, [...keys]));
    },

    prune,
  };
}
