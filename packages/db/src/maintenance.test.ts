/**
 * Table maintenance where no autovacuum runs: a pass analyzes and vacuums the tables autovacuum would,
 * by its thresholds, and leaves the others; a bulk write analyzes its table. Against PGlite and a real
 * PostgreSQL (this machine's runs with autovacuum off; where a launcher runs, the pass is asked to run anyway).
 * The suite's tables are closed to autovacuum (a storage parameter the pass does not read), so a
 * launcher never takes their work first.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from './client.ts';
import { analyzeAfterBulkWrite, databaseLoad, maintainTables, maintenanceDue } from './maintenance.ts';
import { openTestHandle, testDatabaseKinds, type TestHandle } from './testing/index.ts';

const kinds = await testDatabaseKinds();

const defaults = { analyzeBase: 50, analyzeScale: 0.1, vacuumBase: 50, vacuumScale: 0.2, insertBase: 1000, insertScale: 0.2 };

describe('maintenanceDue: autovacuum’s rules', () => {
  it('analyzes past 50 + 10 % changed rows, vacuums past 50 + 20 % dead rows or 1,000 + 20 % inserted ones', () => {
    expect(maintenanceDue({ tuples: 0, mod: 50, dead: 0, ins: 50 }, defaults)).toBeNull();
    expect(maintenanceDue({ tuples: 0, mod: 51, dead: 0, ins: 51 }, defaults)).toBe('analyze');
    expect(maintenanceDue({ tuples: 10_000, mod: 1_050, dead: 0, ins: 0 }, defaults)).toBeNull();
    expect(maintenanceDue({ tuples: 10_000, mod: 1_051, dead: 0, ins: 0 }, defaults)).toBe('analyze');
    expect(maintenanceDue({ tuples: 10_000, mod: 0, dead: 2_051, ins: 0 }, defaults)).toBe('vacuum');
    expect(maintenanceDue({ tuples: 10_000, mod: 0, dead: 2_050, ins: 3_000 }, defaults)).toBeNull();
    expect(maintenanceDue({ tuples: 10_000, mod: 0, dead: 0, ins: 3_001 }, defaults)).toBe('vacuum');
    // autovacuum_vacuum_insert_threshold = -1 turns the insert rule off.
    expect(maintenanceDue({ tuples: 0, mod: 0, dead: 0, ins: 1e9 }, { ...defaults, insertBase: -1 })).toBeNull();
  });
});

describe.each(kinds)('table maintenance on %s', (kind) => {
  let db: TestHandle;
  let handle: DbHandle;
  const q = async (text: string) => ((await handle.db.execute(sql.raw(text))) as unknown as { rows: Record<string, unknown>[] }).rows;
  /** The table's counters as autovacuum reads them (a backend reports its counts when idle, within seconds). */
  const counters = async (table: string) =>
    (await q(`select n_mod_since_analyze::int as mod, n_dead_tup::int as dead, last_analyze, last_vacuum, (select reltuples from pg_class where oid = relid)::int as tuples from pg_stat_user_tables where relname = '${table}'`))[0]!;

  beforeAll(async () => {
    db = await openTestHandle(kind);
    handle = db.handle;
  });
  afterAll(() => db?.close());

  it('analyzes a table grown past the threshold, vacuums one with many dead rows, and leaves the rest', async () => {
    await q(`create table maint_grown (id integer primary key, v text) with (autovacuum_enabled = off)`);
    await q(`create table maint_small (id integer primary key, v text) with (autovacuum_enabled = off)`);
    await q(`insert into maint_grown select g, 'x' || g from generate_series(1, 3000) g`);
    await q(`insert into maint_small select g, 'x' from generate_series(1, 20) g`);
    await expect.poll(async () => (await counters('maint_grown')).mod).toBe(3000);
    await expect.poll(async () => (await counters('maint_small')).mod).toBe(20);
    expect((await counters('maint_grown')).tuples).toBeLessThanOrEqual(0);

    const first = await maintainTables(handle, { evenWithAutovacuum: true });
    // 3,000 inserted rows: past the insert rule's 1,000 too, so a VACUUM (ANALYZE).
    expect(first.vacuumed).toContain('public.maint_grown');
    expect([...first.analyzed, ...first.vacuumed]).not.toContain('public.maint_small');
    const grown = await counters('maint_grown');
    expect(grown.tuples).toBe(3000);
    expect(grown.mod).toBe(0);
    expect(grown.last_analyze).not.toBeNull();
    expect((await counters('maint_small')).last_analyze).toBeNull();
    // The migrated tables this suite never wrote are left alone.
    expect([...first.analyzed, ...first.vacuumed].filter((t) => !t.startsWith('public.maint_'))).toEqual([]);
    // On PostgreSQL the pass ran paced as autovacuum paces its workers, and left no pooled connection so.
    if (kind === 'postgres') {
      const setting = async (name: string) => Number((await q(`select setting from pg_settings where name = '${name}'`))[0]!.setting);
      const resetVal = async (name: string) => Number((await q(`select reset_val from pg_settings where name = '${name}'`))[0]!.reset_val);
      const [avDelay, avLimit] = [await setting('autovacuum_vacuum_cost_delay'), await setting('autovacuum_vacuum_cost_limit')];
      const [delay, limit] = [await resetVal('vacuum_cost_delay'), await resetVal('vacuum_cost_limit')];
      expect(first.paced).toEqual({ costDelayMs: avDelay < 0 ? delay : avDelay, costLimit: avLimit < 0 ? limit : avLimit });
      const seen = await Promise.all(Array.from({ length: 12 }, () => q(`select setting, pg_sleep(0.05) from pg_settings where name = 'vacuum_cost_delay'`)));
      expect(new Set(seen.map(([r]) => Number(r!.setting)))).toEqual(new Set([delay]));
    } else expect(first.paced).toBeUndefined();

    // Nothing changed since: nothing to do.
    const again = await maintainTables(handle, { evenWithAutovacuum: true });
    expect([...again.analyzed, ...again.vacuumed]).toEqual([]);

    // Updates past 10 % (analyze), then deletes past 20 % dead rows (vacuum).
    await q(`update maint_grown set v = 'y' where id <= 400`);
    await expect.poll(async () => (await counters('maint_grown')).mod).toBe(400);
    const analyzed = await maintainTables(handle, { evenWithAutovacuum: true });
    expect(analyzed.analyzed).toEqual(['public.maint_grown']);
    expect(analyzed.vacuumed).toEqual([]);
    await q(`delete from maint_grown where id > 2000`);
    await expect.poll(async () => (await counters('maint_grown')).dead).toBeGreaterThanOrEqual(1000);
    const vacuumed = await maintainTables(handle, { evenWithAutovacuum: true });
    expect(vacuumed.vacuumed).toEqual(['public.maint_grown']);
    const after = await counters('maint_grown');
    expect(after.dead).toBe(0);
    expect(after.tuples).toBe(2000);
    expect(after.last_vacuum).not.toBeNull();
  });

  it('reports whether autovacuum runs, and then leaves the tables to it', async () => {
    const [s] = await q(`select current_setting('autovacuum') = 'on' and exists (select 1 from pg_stat_activity where backend_type = 'autovacuum launcher') as launcher`);
    await q(`create table maint_left (id integer primary key) with (autovacuum_enabled = off)`);
    await q(`insert into maint_left select generate_series(1, 500)`);
    await expect.poll(async () => (await counters('maint_left')).mod).toBe(500);
    const pass = await maintainTables(handle);
    // PGlite starts no launcher whatever its setting says.
    expect(pass.autovacuum).toBe(kind === 'postgres' && s!.launcher === true);
    expect([...pass.analyzed, ...pass.vacuumed].includes('public.maint_left')).toBe(!pass.autovacuum);
  });

  it('holds a pass with work for its caller (beforeWork), and measures how busy the database is for others', async () => {
    await q(`create table maint_held (id integer primary key) with (autovacuum_enabled = off)`);
    await q(`insert into maint_held select generate_series(1, 500)`);
    await expect.poll(async () => (await counters('maint_held')).mod).toBe(500);
    // Called off: nothing done, and the table still due.
    let asked = 0;
    const off = await maintainTables(handle, { evenWithAutovacuum: true, beforeWork: async () => (asked++, false) });
    expect(off).toMatchObject({ calledOff: true, analyzed: [], vacuumed: [] });
    expect(asked).toBe(1);
    expect((await counters('maint_held')).last_analyze).toBeNull();
    // Let through: the pass takes what is due when it is let through.
    const on = await maintainTables(handle, { evenWithAutovacuum: true, beforeWork: async () => (asked++, true) });
    expect(asked).toBe(2);
    expect(on.calledOff).toBeUndefined();
    expect(on.analyzed).toContain('public.maint_held');
    // Nothing due: not asked.
    await maintainTables(handle, { evenWithAutovacuum: true, beforeWork: async () => (asked++, true) });
    expect(asked).toBe(2);

    // Stopped between two tables: the first is done, the second stays due and the next pass takes it.
    await q(`create table maint_first (id integer primary key) with (autovacuum_enabled = off)`);
    await q(`create table maint_second (id integer primary key) with (autovacuum_enabled = off)`);
    await q(`insert into maint_first select generate_series(1, 500)`);
    await q(`insert into maint_second select generate_series(1, 500)`);
    await expect.poll(async () => [(await counters('maint_first')).mod, (await counters('maint_second')).mod]).toEqual([500, 500]);
    let between = 0;
    const stopped = await maintainTables(handle, { evenWithAutovacuum: true, betweenTables: async () => (between++, false) });
    expect(between).toBe(1);
    expect(stopped.stoppedEarly).toBe(true);
    const done = [...stopped.analyzed, ...stopped.vacuumed];
    expect(done).toHaveLength(1);
    expect(done).not.toContain('public.maint_second'); // tables are taken in name order
    const rest = await maintainTables(handle, { evenWithAutovacuum: true, betweenTables: async () => true });
    expect(rest.stoppedEarly).toBeUndefined();
    expect([...done, ...rest.analyzed, ...rest.vacuumed]).toEqual(expect.arrayContaining(['public.maint_first', 'public.maint_second']));
    expect((await counters('maint_second')).last_analyze).not.toBeNull();

    // Nobody else runs a statement in this database.
    expect((await databaseLoad(handle, { samples: 3, everyMs: 10 })).active).toBe(0);
    if (kind === 'postgres') {
      // Another connection of the pool running one: 1 at every look, until it ends.
      const running = handle.db.execute(sql.raw('select pg_sleep(600) as slept_for_the_load_test')).catch(() => undefined);
      const sleeper = async () => (await q(`select pid from pg_stat_activity where state = 'active' and query like '%slept_for_the_load_test%' and pid <> pg_backend_pid()`))[0]?.pid;
      await expect.poll(sleeper, { timeout: 60_000 }).toBeDefined();
      try {
        expect((await databaseLoad(handle, { samples: 3, everyMs: 10 })).active).toBe(1);
      } finally {
        await q(`select pg_cancel_backend(${Number(await sleeper())})`);
        await running;
      }
      // Short writes that the looks may all miss still show as WAL (the whole server's, so only "more than none" is certain).
      await q(`create table maint_wal (id integer, pad text)`);
      let writing = true;
      const writer = (async () => {
        while (writing) await q(`insert into maint_wal select g, repeat('x', 200) from generate_series(1, 500) g`);
      })();
      try {
        await expect.poll(async () => (await databaseLoad(handle, { samples: 3, everyMs: 50 })).walBytesPerSecond, { timeout: 60_000 }).toBeGreaterThan(0);
      } finally {
        writing = false;
        await writer;
      }
    } else {
      // PGlite: one connection, the caller's; nothing else can load it.
      expect(await databaseLoad(handle)).toEqual({ active: 0, walBytesPerSecond: 0 });
    }
  });

  it('analyzes a table after a bulk write larger than its analyze threshold, and not after a small one', async () => {
    await q(`create table maint_bulk (id integer primary key) with (autovacuum_enabled = off)`);
    await q(`insert into maint_bulk select generate_series(1, 5000)`);
    // Counted by the writer, not read from the statistics (a backend reports them only when idle).
    expect(await analyzeAfterBulkWrite(handle, 'maint_bulk', 5000)).toBe(true);
    expect((await counters('maint_bulk')).tuples).toBe(5000);
    await q(`insert into maint_bulk select generate_series(5001, 5400)`);
    // 400 rows: under 50 + 10 % of 5,000.
    expect(await analyzeAfterBulkWrite(handle, 'maint_bulk', 400)).toBe(false);
    expect((await counters('maint_bulk')).tuples).toBe(5000);
    expect(await analyzeAfterBulkWrite(handle, 'no_such_table', 1e6)).toBe(false);
  });

  it('leaves the documents out of the statistics ANALYZE takes, and keeps the columns plans filter on (migration 0042)', async () => {
    await q(`insert into audit_log (action, project_id, target, details)
             select 'item.update', gen_random_uuid(), 'item:' || g, jsonb_build_object('note', repeat('x', 200) || g, 'n', g) from generate_series(1, 2000) g`);
    await q(`analyze audit_log`);
    const columns = (await q(`select attname from pg_stats where schemaname = 'public' and tablename = 'audit_log' order by attname`)).map((r) => r.attname);
    expect(columns).toEqual(expect.arrayContaining(['action', 'project_id', 'target', 'created_at']));
    expect(columns).not.toContain('details');
    // The judging tables' documents: none has a statistics target left (a migration that rebuilt one would).
    const targets = await q(`select c.relname || '.' || a.attname as col, coalesce(a.attstattarget, -1)::int as target from pg_attribute a join pg_class c on c.oid = a.attrelid
                             where c.relname in ('judgments', 'items', 'justification_checks', 'consensus_labels', 'quality_item_counts') and a.attnum > 0 and not a.attisdropped`);
    const zero = targets.filter((t) => t.target === 0).map((t) => t.col).sort();
    expect(zero).toEqual(['consensus_labels.judgment_ids', 'consensus_labels.label', 'items.context', 'items.metadata', 'items.responses', 'judgments.payload', 'judgments.response_order', 'justification_checks.findings', 'justification_checks.signature', 'quality_item_counts.counts', 'quality_item_counts.judges']);
  });
});
