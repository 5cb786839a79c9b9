import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createDb, DataDirLockedError, users } from './index.ts';
import { openTestDatabase, queryPostgres, testDatabaseKinds } from './testing/index.ts';

const kinds = await testDatabaseKinds();

describe.each(kinds)('createDb on %s', (kind) => {
  it('applies the committed migrations and round-trips a row', async () => {
    const tdb = await openTestDatabase(kind);
    const handle = await createDb(tdb.options);
    try {
      const [u] = await handle.db.insert(users).values({ email: 'a@example.com', name: 'A' }).returning();
      expect(u?.id).toMatch(/^[0-9a-f-]{36}$/);
      const rows = await handle.db.select().from(users).where(eq(users.email, 'a@example.com'));
      expect(rows).toHaveLength(1);
      expect(rows[0]?.active).toBe(true);
      // accord_uuid7() (judgments' key, migration 0033): version 7, RFC 9562's variant, its first 48
      // bits the Unix milliseconds, so a key made in a later millisecond sorts after an earlier one.
      const r = (await handle.db.execute(sql`select accord_uuid7()::text as a, (extract(epoch from clock_timestamp()) * 1000)::bigint as now`)) as unknown as {
        rows: { a: string; now: string | number }[];
      };
      const { a, now } = r.rows[0]!;
      expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Math.abs(parseInt(a.replace(/-/g, '').slice(0, 12), 16) - Number(now))).toBeLessThan(60_000);
      const later = (await handle.db.execute(sql`select pg_sleep(0.005)::text, accord_uuid7()::text as b`)) as unknown as { rows: { b: string }[] };
      expect(later.rows[0]!.b > a).toBe(true);
    } finally {
      await handle.close();
      await tdb.drop();
    }
  });
});

describe('PGlite data folder lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'accord-lock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second opener of the same folder, and allows it after close', async () => {
    const first = await createDb({ kind: 'pglite', dataDir: dir });
    await expect(createDb({ kind: 'pglite', dataDir: dir })).rejects.toBeInstanceOf(DataDirLockedError);
    await first.close();
    const again = await createDb({ kind: 'pglite', dataDir: dir });
    await again.close();
  });

  it('takes over a lock left by a dead process', async () => {
    // pid 2^22+1 is above Linux's default pid_max, so no live process has it.
    writeFileSync(join(dir, 'accord.lock'), String(4194305));
    const h = await createDb({ kind: 'pglite', dataDir: dir });
    await h.close();
  });
});

describe.each(kinds)('withStartupLock on %s', (kind) => {
  it('runs start-up work one holder at a time and releases the lock when the work fails', async () => {
    const tdb = await openTestDatabase(kind);
    const a = await createDb(tdb.options);
    // PGlite: one process owns the database, the lock only runs the work.
    const b = kind === 'postgres' ? await createDb(tdb.options) : a;
    try {
      let releaseA!: () => void;
      const aHolds = new Promise<void>((r) => (releaseA = r));
      let aStarted = false;
      const first = a.withStartupLock(async () => {
        aStarted = true;
        await aHolds;
        return 'a';
      });
      await expect.poll(() => aStarted, { timeout: 20_000 }).toBe(true);
      let bRan = false;
      const second = b.withStartupLock(async () => {
        bRan = true;
        return 'b';
      });
      if (kind === 'postgres') {
        // B's session is blocked on the advisory lock while A holds it.
        const url = (tdb.options as { url: string }).url;
        await expect
          .poll(async () => (await queryPostgres<{ n: number }>(url, "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())"))[0]?.n, {
            timeout: 20_000,
          })
          .toBe(1);
        expect(bRan).toBe(false);
      }
      releaseA();
      expect(await first).toBe('a');
      expect(await second).toBe('b');
      expect(bRan).toBe(true);
      await expect(a.withStartupLock(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      // Released after the failure: the other handle gets it at once.
      expect(await b.withStartupLock(async () => 'again')).toBe('again');
      if (kind === 'postgres') {
        const url = (tdb.options as { url: string }).url;
        expect(await queryPostgres(url, "select 1 from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())")).toEqual([]);
      }
    } finally {
      if (b !== a) await b.close();
      await a.close();
      await tdb.drop();
    }
  });
});
