/**
 * The server's table maintenance waits for a quiet database before a timer's pass (the pass itself and
 * `databaseLoad` are tested against PGlite and PostgreSQL in @accord/db): here the pass and the load
 * are functions the test controls, to check when a pass runs.
 */
import type { MaintenancePass } from '@accord/db';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { createTableMaintenance } from './maintenance.ts';

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
};

/** A maintenance whose load the test sets, and whose pass (as `maintainTables` does) asks `beforeWork` before its work. */
function setUp(o: { maxWaitMs?: number; load?: boolean; everyMs?: number } = {}) {
  /** `busy`: statements running at every look; `wal`: the WAL the server writes per second. */
  const s = { busy: true, wal: 0, looks: 0, passes: 0, calledOff: 0, tables: ['public.judgments'], onTable: (_table: string) => {} };
  const maintenance = createTableMaintenance({
    pass: async (beforeWork, betweenTables): Promise<MaintenancePass> => {
      if (!(await beforeWork())) {
        s.calledOff++;
        return { autovacuum: false, analyzed: [], vacuumed: [], calledOff: true };
      }
      s.passes++;
      const analyzed: string[] = [];
      for (const [i, table] of s.tables.entries()) {
        if (i > 0 && !(await betweenTables())) return { autovacuum: false, analyzed, vacuumed: [], stoppedEarly: true };
        analyzed.push(table);
        s.onTable(table);
      }
      return { autovacuum: false, analyzed, vacuumed: [] };
    },
    afterBulkWrite: async () => false,
    everyMs: o.everyMs ?? 5,
    load: o.load === false ? null : async () => (s.looks++, { active: s.busy ? 2 : 0, walBytesPerSecond: s.wal }),
    maxWaitMs: o.maxWaitMs ?? 3_600_000,
    pollMs: 1,
    logger: createLogger('error'),
  });
  opened.push(maintenance);
  return { s, maintenance };
}
const opened: Array<ReturnType<typeof createTableMaintenance>> = [];
afterEach(async () => {
  for (const m of opened.splice(0)) await m.close();
});

describe('table maintenance on a busy database', () => {
  it('holds a timer’s pass while other statements keep the database busy, and runs it once it is quiet', async () => {
    const { s, maintenance } = setUp();
    maintenance.start();
    await until(() => s.looks >= 5);
    expect(s.passes).toBe(0);
    s.busy = false;
    await until(() => s.passes >= 1);
    expect(maintenance.lastPass()).toMatchObject({ analyzed: ['public.judgments'], waited: { outcome: 'quiet' } });
  });

  it('holds it too while only the WAL shows a load (short statements that the looks miss), until the writes drop under 256 KiB/s', async () => {
    const { s, maintenance } = setUp();
    s.busy = false;
    s.wal = 3 * 1024 * 1024; // 32 trainers judging at 200/s wrote 2.4–3.6 MB/s
    maintenance.start();
    await until(() => s.looks >= 5);
    expect(s.passes).toBe(0);
    s.wal = 50 * 1024; // what an idle server writes
    await until(() => s.passes >= 1);
    expect(maintenance.lastPass()).toMatchObject({ waited: { outcome: 'quiet' } });
  });

  it('stops a pass that found the database quiet between two tables once the load is back, and leaves the rest to the next pass', async () => {
    const { s, maintenance } = setUp();
    s.busy = false;
    s.tables = ['public.assignments', 'public.items', 'public.judgments'];
    // Trainers start judging while the first table is analyzed.
    s.onTable = (table) => {
      if (table === 'public.assignments') s.wal = 3 * 1024 * 1024;
    };
    maintenance.start();
    await until(() => maintenance.lastPass() !== null);
    expect(maintenance.lastPass()).toMatchObject({ analyzed: ['public.assignments'], stoppedEarly: true, waited: { outcome: 'quiet' } });
    // The next pass waits for the next lull, then does the whole of what is due.
    s.onTable = () => {};
    const looks = s.looks;
    await until(() => s.looks >= looks + 3);
    expect(s.passes).toBe(1);
    s.wal = 0;
    await until(() => s.passes >= 2 && maintenance.lastPass()!.analyzed.length === 3);
    expect(maintenance.lastPass()!.stoppedEarly).toBeUndefined();
  });

  it('runs a pass through when it waited its longest or was asked for, busy or not', async () => {
    const { s, maintenance } = setUp({ maxWaitMs: 30 });
    s.tables = ['public.assignments', 'public.items', 'public.judgments'];
    maintenance.start();
    await until(() => maintenance.lastPass() !== null);
    expect(maintenance.lastPass()).toMatchObject({ analyzed: s.tables, waited: { outcome: 'gave-up' } });
    expect(maintenance.lastPass()!.stoppedEarly).toBeUndefined();
    await maintenance.run();
    expect(maintenance.lastPass()).toMatchObject({ analyzed: s.tables, waited: { outcome: 'asked' } });
  });

  it('looks at the load as long as it waits without piling listeners on its wait (Node warns past 10)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { s, maintenance } = setUp();
      maintenance.start();
      await until(() => s.looks >= 30);
      expect(s.passes).toBe(0);
      // A warning is emitted on the next turn of the event loop.
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('runs it anyway once it has waited the longest it may', async () => {
    const { s, maintenance } = setUp({ maxWaitMs: 30 });
    maintenance.start();
    await until(() => s.passes >= 1);
    expect(s.busy).toBe(true);
    expect(s.looks).toBeGreaterThanOrEqual(2);
    const { waited } = maintenance.lastPass()!;
    expect(waited!.outcome).toBe('gave-up');
    expect(waited!.ms).toBeGreaterThanOrEqual(30);
  });

  it('does not hold a pass asked for, and a pass waiting when one is asked for runs at once', async () => {
    const { s, maintenance } = setUp();
    await maintenance.run();
    expect(s.passes).toBe(1);
    expect(s.looks).toBe(0);
    expect(maintenance.lastPass()!.waited).toEqual({ ms: expect.any(Number), outcome: 'asked' });
    maintenance.start();
    await until(() => s.looks >= 3);
    expect(s.passes).toBe(1);
    await maintenance.run();
    expect(s.passes).toBeGreaterThanOrEqual(2);
    expect(maintenance.lastPass()!.waited!.outcome).toBe('asked');
  });

  it('calls off a waiting pass when the node stops', async () => {
    const { s, maintenance } = setUp();
    maintenance.start();
    await until(() => s.looks >= 3);
    await maintenance.close();
    expect(s.passes).toBe(0);
    expect(s.calledOff).toBe(1);
    expect(maintenance.lastPass()).toMatchObject({ calledOff: true, waited: { outcome: 'stopped' } });
  });

  it('never holds a pass without a measure of the load (PGlite) or with no wait allowed', async () => {
    for (const o of [{ load: false }, { maxWaitMs: 0 }]) {
      const { s, maintenance } = setUp(o);
      maintenance.start();
      await until(() => s.passes >= 1);
      expect(s.looks).toBe(0);
      expect(maintenance.lastPass()!.waited).toBeUndefined();
    }
  });
});
