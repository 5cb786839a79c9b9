import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createDb, loginAttempts, type DbHandle } from '@accord/db';
import { createRateLimiter } from './rate-limit.ts';

describe('createRateLimiter (database counters)', () => {
  let h: DbHandle;
  let now = new Date('2026-01-01T00:00:00Z').getTime();
  const clock = () => new Date(now);
  beforeAll(async () => {
    h = await createDb({ kind: 'pglite', dataDir: null });
  }, 120_000);
  afterAll(() => h?.close());

  it('refuses once a key used up its window, counts nothing when refused, tells how long to wait, and forgets after it', async () => {
    const rl = createRateLimiter(h.db, 60_000, clock);
    for (let i = 0; i < 3; i++) expect(await rl.attempt([{ key: 'k1', max: 3 }])).toEqual({ ok: true });
    expect(await rl.attempt([{ key: 'k1', max: 3 }])).toEqual({ ok: false, retryAfter: 60 });
    now += 30_000;
    expect(await rl.attempt([{ key: 'k1', max: 3 }])).toEqual({ ok: false, retryAfter: 30 });
    expect(await rl.attempt([{ key: 'other1', max: 3 }])).toEqual({ ok: true });
    now += 30_001;
    expect(await rl.attempt([{ key: 'k1', max: 3 }])).toEqual({ ok: true });
    const [row] = await h.db.select().from(loginAttempts).where(eq(loginAttempts.key, 'k1'));
    expect(row?.count).toBe(1);
  });

  it('counts all keys of an attempt or none of them', async () => {
    const rl = createRateLimiter(h.db, 60_000, clock);
    expect(await rl.attempt([{ key: 'a2', max: 1 }])).toEqual({ ok: true });
    // b2 would be fine, a2 is full: b2 must not be charged for the refused attempt.
    expect((await rl.attempt([{ key: 'b2', max: 1 }, { key: 'a2', max: 1 }])).ok).toBe(false);
    expect(await rl.attempt([{ key: 'b2', max: 1 }])).toEqual({ ok: true });
  });

  it('reset forgets a key; release takes back one attempt', async () => {
    const rl = createRateLimiter(h.db, 60_000, clock);
    await rl.attempt([{ key: 'r3', max: 1 }]);
    expect((await rl.attempt([{ key: 'r3', max: 1 }])).ok).toBe(false);
    await rl.reset(['r3']);
    expect((await rl.attempt([{ key: 'r3', max: 1 }])).ok).toBe(true);
    await rl.release(['r3']);
    expect((await rl.attempt([{ key: 'r3', max: 1 }])).ok).toBe(true);
    expect((await rl.attempt([{ key: 'r3', max: 1 }])).ok).toBe(false);
  });

  it('lets exactly max concurrent attempts through, and two limiters on one database share the count', async () => {
    const a = createRateLimiter(h.db, 60_000, clock);
    const b = createRateLimiter(h.db, 60_000, clock);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).attempt([{ key: 'c4', max: 5 }])));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
  });

  it('prunes counters whose window ended', async () => {
    const rl = createRateLimiter(h.db, 60_000, clock);
    await rl.attempt([{ key: 'p5', max: 9 }]);
    now += 60_000;
    expect(await rl.prune()).toBeGreaterThanOrEqual(1);
    expect(await h.db.select().from(loginAttempts)).toEqual([]);
  });
});
