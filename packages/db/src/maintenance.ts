/**
 * Table statistics and dead row versions kept up where nothing else keeps them. PostgreSQL plans each
 * statement on its tables' statistics, which ANALYZE takes and autovacuum refreshes as tables change.
 * PGlite runs no autovacuum, and a PostgreSQL server may run with it off: its tables then keep the
 * statistics of when they were nearly empty, and the queue's statements are planned as scans of whole
 * tables. `bench:load` without its own VACUUM (ANALYZE) measured it on PostgreSQL with autovacuum off:
 * `queue/next` took 7.9 ms of PostgreSQL time a call instead of 1.4, and the loop at 200,000 items ran
 * at 75 % of its rate at 2,000 (docs/performance-log.md).
 *
 * `maintainTables` is one pass of what autovacuum would do, by its own rules and settings: ANALYZE a
 * table once the rows changed since its last ANALYZE exceed `autovacuum_analyze_threshold` +
 * `autovacuum_analyze_scale_factor` × its rows, VACUUM it once its dead rows (or rows inserted since its
 * last VACUUM) exceed the vacuum thresholds. Where an autovacuum launcher runs, a pass does nothing.
 * Tables are taken one statement at a time with SKIP_LOCKED, so nodes sharing a database never wait on
 * each other's pass, and on PGlite (one connection) requests run between two tables. On PostgreSQL a
 * pass runs under autovacuum's cost delay (`autovacuum_vacuum_cost_delay`, 2 ms by default), on one
 * connection of the pool: autovacuum paces its reads and writes so that requests keep the cores, and
 * `bench:load` showed an unpaced pass in the trainers' latency (docs/performance-log.md). What ANALYZE
 * spends on documents no plan needs is left out by their statistics targets (migration 0042).
 * `beforeWork` lets the caller hold a pass that has work until a good moment (the server waits for a
 * quiet database, measured by `databaseLoad`), or call it off; `betweenTables`, asked before each table
 * after the first, lets it stop a pass that a load arriving meanwhile would feel (the tables left stay
 * due, and the next pass takes them).
 *
 * `analyzeAfterBulkWrite` is PostgreSQL's advice after a bulk load ("Populating a Database": run
 * ANALYZE afterwards): an import that wrote more rows than the analyze threshold of the table's size
 * analyzes it before the import reports done, so the first requests after it are planned on its rows.
 */
import { sql } from 'drizzle-orm';
import type { DbHandle } from './client.ts';

export interface MaintenancePass {
  /** An autovacuum launcher runs on this server: the pass left the tables to it. */
  autovacuum: boolean;
  /** Tables analyzed (without a vacuum), schema-qualified. */
  analyzed: string[];
  /** Tables vacuumed and analyzed, schema-qualified. */
  vacuumed: string[];
  /** PostgreSQL: the cost delay and limit the pass ran under (autovacuum's); absent when nothing was due, and on PGlite. */
  paced?: { costDelayMs: number; costLimit: number };
  /** `beforeWork` called the pass off: nothing was done. */
  calledOff?: boolean;
  /** `betweenTables` stopped the pass after the tables listed: the others stay due for the next one. */
  stoppedEarly?: boolean;
}

interface TableRow {
  schema: string;
  name: string;
  tuples: number;
  mod: number;
  dead: number;
  ins: number;
}

interface Settings {
  launcher: boolean;
  analyzeBase: number;
  analyzeScale: number;
  vacuumBase: number;
  vacuumScale: number;
  insertBase: number;
  insertScale: number;
}

type Raw = Record<string, unknown>;

async function query(handle: DbHandle, q: ReturnType<typeof sql>): Promise<Raw[]> {
  const r = (await handle.db.execute(q)) as unknown as { rows: Raw[] };
  return r.rows;
}

/** An identifier as SQL text ("quoted", inner quotes doubled). */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function settings(handle: DbHandle): Promise<Settings> {
  // PGlite reports autovacuum = on but starts no launcher (one process, no background workers). The
  // insert rule is PostgreSQL 13's: before it, no such setting (-1 turns the rule off).
  const [s] = await query(
    handle,
    sql`select current_setting('autovacuum') = 'on' and exists (select 1 from pg_stat_activity where backend_type = 'autovacuum launcher') as launcher,
               current_setting('autovacuum_analyze_threshold')::float8 as analyze_base, current_setting('autovacuum_analyze_scale_factor')::float8 as analyze_scale,
               current_setting('autovacuum_vacuum_threshold')::float8 as vacuum_base, current_setting('autovacuum_vacuum_scale_factor')::float8 as vacuum_scale,
               coalesce(current_setting('autovacuum_vacuum_insert_threshold', true), '-1')::float8 as insert_base, coalesce(current_setting('autovacuum_vacuum_insert_scale_factor', true), '0')::float8 as insert_scale`,
  );
  return {
    launcher: s!.launcher === true,
    analyzeBase: Number(s!.analyze_base),
    analyzeScale: Number(s!.analyze_scale),
    vacuumBase: Number(s!.vacuum_base),
    vacuumScale: Number(s!.vacuum_scale),
    insertBase: Number(s!.insert_base),
    insertScale: Number(s!.insert_scale),
  };
}

/** The ordinary tables of the schemas on the search path, with autovacuum's counters. */
async function tables(handle: DbHandle): Promise<TableRow[]> {
  const r = await query(
    handle,
    sql`select s.schemaname as schema, s.relname as name, greatest(c.reltuples, 0)::float8 as tuples,
               s.n_mod_since_analyze::float8 as mod, s.n_dead_tup::float8 as dead, s.n_ins_since_vacuum::float8 as ins
        from pg_stat_user_tables s join pg_class c on c.oid = s.relid
        where s.schemaname = any (current_schemas(false)) and c.relkind = 'r'
        order by s.schemaname, s.relname`,
  );
  return r.map((x) => ({ schema: String(x.schema), name: String(x.name), tuples: Number(x.tuples), mod: Number(x.mod), dead: Number(x.dead), ins: Number(x.ins) }));
}

/** What autovacuum would do to the table now: its rules (autovacuum.c), without per-table overrides. */
export function maintenanceDue(t: Pick<TableRow, 'tuples' | 'mod' | 'dead' | 'ins'>, s: Omit<Settings, 'launcher'>): 'vacuum' | 'analyze' | null {
  const vacuum = t.dead > s.vacuumBase + s.vacuumScale * t.tuples || (s.insertBase >= 0 && t.ins > s.insertBase + s.insertScale * t.tuples);
  if (vacuum) return 'vacuum';
  return t.mod > s.analyzeBase + s.analyzeScale * t.tuples ? 'analyze' : null;
}

/** How busy the database server is for others (`databaseLoad`). */
export interface DatabaseLoad {
  /** The mean number of the database's other client connections running a statement at a look (0: none at any look; 2: two at each). */
  active: number;
  /** Write-ahead log the server wrote per second between the first look and the last (all its databases): what writes cost it. */
  walBytesPerSecond: number;
}

/**
 * How busy the database is for others, over `samples` looks `everyMs` apart: the connections running a
 * statement at each look (a connection idle in a transaction does not count), and the WAL written in
 * between. Looks alone miss a steady load of short statements: 32 trainers judging at 160–200
 * judgments/s had a statement running at only 0.2–1.9 looks of ten a second (`bench:load`, paced), while
 * their WAL, 2.4–3.6 MB/s, was there in every window; an idle server writes 0–50 KB/s. PGlite has one
 * connection, the caller's: no load.
 */
export async function databaseLoad(handle: DbHandle, o: { samples?: number; everyMs?: number } = {}): Promise<DatabaseLoad> {
  if (!handle.session) return { active: 0, walBytesPerSecond: 0 };
  const samples = Math.max(2, o.samples ?? 5);
  // A standby writes no WAL of its own (pg_current_wal_lsn refuses during recovery), and a role whose
  // EXECUTE on it was revoked may not call it, even in a CASE branch never taken: then the looks alone.
  const [can] = await query(handle, sql`select not pg_is_in_recovery() and has_function_privilege('pg_current_wal_lsn()', 'execute') as wal`);
  const lsn = can!.wal === true ? sql`(pg_current_wal_lsn() - '0/0'::pg_lsn)::float8` : sql`null::float8`;
  let sum = 0;
  let first: { at: number; lsn: number | null } | null = null;
  let last: { at: number; lsn: number | null } | null = null;
  for (let i = 0; i < samples; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, o.everyMs ?? 100));
    const [r] = await query(
      handle,
      sql`select (select count(*)::int from pg_stat_activity
                  where datname = current_database() and backend_type = 'client backend' and state = 'active' and pid <> pg_backend_pid()) as n,
                 ${lsn} as lsn, extract(epoch from clock_timestamp())::float8 * 1000 as at`,
    );
    sum += Number(r!.n);
    last = { at: Number(r!.at), lsn: r!.lsn === null ? null : Number(r!.lsn) };
    first ??= last;
  }
  const ms = last!.at - first!.at;
  const wal = first!.lsn === null || last!.lsn === null || ms <= 0 ? 0 : ((last!.lsn - first!.lsn) * 1000) / ms;
  return { active: sum / samples, walBytesPerSecond: Math.max(0, wal) };
}

/**
 * One pass over the tables (see the file's comment); `evenWithAutovacuum` runs it where a launcher
 * runs too. `beforeWork` is awaited once the pass has work, before it starts it: false calls the pass
 * off; after it, what is due is looked up again (the tables changed meanwhile). `betweenTables` is
 * awaited before each table after the first: false stops the pass there (`stoppedEarly`).
 */
export async function maintainTables(
  handle: DbHandle,
  o: { evenWithAutovacuum?: boolean; beforeWork?: () => Promise<boolean>; betweenTables?: () => Promise<boolean> } = {},
): Promise<MaintenancePass> {
  const s = await settings(handle);
  const pass: MaintenancePass = { autovacuum: s.launcher, analyzed: [], vacuumed: [] };
  if (s.launcher && !o.evenWithAutovacuum) return pass;
  const dueNow = async () =>
    (await tables(handle)).flatMap((t) => {
      const due = maintenanceDue(t, s);
      return due ? [{ t, due }] : [];
    });
  let work = await dueNow();
  if (work.length === 0) return pass;
  if (o.beforeWork) {
    if (!(await o.beforeWork())) return { ...pass, calledOff: true };
    work = await dueNow();
    if (work.length === 0) return pass;
  }
  const passOn = async (run: (text: string) => Promise<unknown>) => {
    for (const [i, { t, due }] of work.entries()) {
      if (i > 0 && o.betweenTables && !(await o.betweenTables())) {
        pass.stoppedEarly = true;
        return;
      }
      const name = `${ident(t.schema)}.${ident(t.name)}`;
      // A table another node's pass (or a VACUUM of an operator) holds is skipped; the next pass sees it again.
      await run(due === 'vacuum' ? `VACUUM (ANALYZE, SKIP_LOCKED) ${name}` : `ANALYZE (SKIP_LOCKED) ${name}`);
      (due === 'vacuum' ? pass.vacuumed : pass.analyzed).push(`${t.schema}.${t.name}`);
    }
  };
  // PGlite has one connection, which a paced pass would hold longer: it runs at full speed, a table at a time.
  if (!handle.session) {
    await passOn((text) => handle.db.execute(sql.raw(text)));
    return pass;
  }
  // PostgreSQL: paced as autovacuum paces its workers (autovacuum_vacuum_cost_delay and _limit, each -1
  // meaning the vacuum_ setting), so that a pass spreads its reads and writes instead of taking a core at once.
  await handle.session(async (run) => {
    // pg_settings' values are in the settings' units (ms), as set_config reads them.
    const set = await run(`select s.name, s.value::float8 as value, set_config(s.name, s.value, false)
                           from (select v.name, case when a.setting::float8 < 0 then v.setting else a.setting end as value
                                 from pg_settings v join pg_settings a on a.name = 'autovacuum_' || v.name
                                 where v.name in ('vacuum_cost_delay', 'vacuum_cost_limit')) s`);
    const value = (name: string) => Number(set.find((r) => r.name === name)!.value);
    pass.paced = { costDelayMs: value('vacuum_cost_delay'), costLimit: value('vacuum_cost_limit') };
    try {
      await passOn(run);
    } finally {
      await run('reset vacuum_cost_delay; reset vacuum_cost_limit');
    }
  });
  return pass;
}

/**
 * After `rows` rows of `table` (on the search path) were written in bulk: ANALYZE it if they exceed the
 * analyze threshold of its size as last analyzed (whether autovacuum runs or not: it would take up to a
 * minute to notice). Returns whether it did.
 */
export async function analyzeAfterBulkWrite(handle: DbHandle, table: string, rows: number): Promise<boolean> {
  const s = await settings(handle);
  const [t] = await query(handle, sql`select greatest(c.reltuples, 0)::float8 as tuples from pg_class c where c.oid = to_regclass(${table})`);
  if (!t) return false;
  if (rows <= s.analyzeBase + s.analyzeScale * Number(t.tuples)) return false;
  // Waits for a pass analyzing the table meanwhile: that one may have started before the last rows.
  await handle.db.execute(sql.raw(`ANALYZE ${ident(table)}`));
  return true;
}
