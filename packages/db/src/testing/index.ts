/**
 * Test support: which databases a suite can run against. PGlite (in memory) always; a real
 * PostgreSQL when one is reachable (DATABASE_URL, else 127.0.0.1:5432), each suite in a fresh
 * database of its own that is dropped afterwards. When none is reachable the reason is printed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import { createDb, type Db, type DbHandle, type DbOptions, type Tx } from '../client.ts';
import { testEnv } from './env.ts';

export interface TestDatabase {
  name: 'pglite' | 'postgres';
  options: DbOptions;
  /** Drops the temporary database (PostgreSQL); a no-op for PGlite. */
  drop(): Promise<void>;
}

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

let probe: Promise<{ url: string } | { reason: string }> | null = null;

/** Finds a reachable PostgreSQL once per process. */
export function findPostgres(): Promise<{ url: string } | { reason: string }> {
  probe ??= (async () => {
    const url = testEnv.databaseUrl ?? DEFAULT_ADMIN_URL;
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
    try {
      await client.connect();
      await client.query('select 1');
      return { url };
    } catch (e) {
      return { reason: `no PostgreSQL reachable at ${url.replace(/:[^:@/]*@/, ':***@')} (${(e as Error).message})` };
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return probe;
}

export async function createTempPostgres(adminUrl: string): Promise<TestDatabase> {
  const pg = await import('pg');
  const dbName = `accord_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.default.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${dbName}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return {
    name: 'postgres',
    options: { kind: 'postgres', url: u.toString(), poolSize: 5 },
    async drop() {
      const c = new pg.default.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${dbName} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export const pgliteMemory: TestDatabase = {
  name: 'pglite',
  options: { kind: 'pglite', dataDir: null },
  async drop() {},
};

let migratedDump: Promise<Blob> | null = null;

/**
 * A dump of an in-memory PGlite with every migration applied, made once per set of migrations and
 * kept in the temporary folder (named by a hash of the migrations and PGlite's version): a test
 * database loads it in about half a second instead of running initdb and the migrations (3–5 s on a
 * loaded 2-core machine, once per test file and database).
 */
export function migratedPgliteDump(): Promise<Blob> {
  migratedDump ??= (async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const { drizzle } = await import('drizzle-orm/pglite');
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    const { MIGRATIONS_DIR } = await import('../client.ts');
    const pglite = fileURLToPath(import.meta.resolve('@electric-sql/pglite'));
    const hash = createHash('sha256').update(`${pglite} ${statSync(pglite).size} ${statSync(pglite).mtimeMs}`);
    for (const f of readdirSync(MIGRATIONS_DIR, { recursive: true }).map(String).sort()) {
      const path = join(MIGRATIONS_DIR, f);
      if (statSync(path).isFile()) hash.update(f).update(readFileSync(path));
    }
    const file = join(tmpdir(), `accord-pglite-migrated-${hash.digest('hex').slice(0, 16)}.tar`);
    if (existsSync(file)) return new Blob([readFileSync(file)]);
    const client = new PGlite();
    try {
      await client.waitReady;
      await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_DIR });
      const dump = await client.dumpDataDir('none');
      // Written beside, then renamed: files starting at once never read half a dump.
      const part = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      writeFileSync(part, Buffer.from(await dump.arrayBuffer()));
      renameSync(part, file);
      // Dumps of older migrations are never read again.
      for (const f of readdirSync(tmpdir())) if (f.startsWith('accord-pglite-migrated-') && f.endsWith('.tar') && join(tmpdir(), f) !== file) rmSync(join(tmpdir(), f), { force: true });
      return dump;
    } finally {
      await client.close();
    }
  })();
  return migratedDump;
}

/**
 * The databases to run a suite against: PGlite, plus PostgreSQL when reachable. Call at module
 * top level (vitest supports top-level await) and use `describe.each`.
 */
export async function testDatabaseKinds(): Promise<Array<'pglite' | 'postgres'>> {
  const found = await findPostgres();
  if ('reason' in found) {
    // CI installs and starts PostgreSQL, so there a missing server is a failure, not a skip.
    if (testEnv.ci) throw new Error(`CI=true but ${found.reason}`);
    console.warn(`[skip] PostgreSQL variants of this suite are skipped: ${found.reason}`);
    return ['pglite'];
  }
  return ['pglite', 'postgres'];
}

export async function openTestDatabase(kind: 'pglite' | 'postgres'): Promise<TestDatabase> {
  if (kind === 'pglite') return { ...pgliteMemory, options: { kind: 'pglite', dataDir: null, loadDataDir: await migratedPgliteDump() } };
  const found = await findPostgres();
  if ('reason' in found) throw new Error(found.reason);
  return createTempPostgres(found.url);
}

/** A suite's migrated database and its connection; `close()` closes it and drops the database. */
export interface TestHandle {
  handle: DbHandle;
  close(): Promise<void>;
}

/** `openTestDatabase` + `createDb`: a suite's own migrated database, connected. */
export async function openTestHandle(kind: 'pglite' | 'postgres'): Promise<TestHandle> {
  const tdb = await openTestDatabase(kind);
  const handle = await createDb(tdb.options);
  return {
    handle,
    async close() {
      await handle.close();
      await tdb.drop();
    },
  };
}

/**
 * Pages (shared buffers hit or read) one run of a statement reads, measured by EXPLAIN (ANALYZE,
 * BUFFERS), the whole of it rolled back. `setUp` runs first in the same transaction, so on the same
 * connection with its plans (statistics taken, plans made, tables grown), and returns the statement.
 * Tests of plans that must stay index plans whatever the statistics said when they were made.
 */
export async function pagesReadRolledBack(db: Db, setUp: (tx: Tx) => Promise<SQL>): Promise<number> {
  const rolledBack = new Error('rolled back');
  let pages = -1;
  await db
    .transaction(async (tx) => {
      const statement = await setUp(tx);
      const res = (await tx.execute(sql`explain (analyze, buffers, format json) ${statement}`)) as unknown as { rows: Record<string, unknown>[] };
      const plan = (Object.values(res.rows[0]!)[0] as { Plan: Record<string, number> }[])[0]!.Plan;
      pages = plan['Shared Hit Blocks']! + plan['Shared Read Blocks']!;
      throw rolledBack;
    })
    .catch((e: unknown) => {
      if (e !== rolledBack) throw e;
    });
  return pages;
}

export { testEnv } from './env.ts';

/** Runs one SQL statement on its own connection and returns the rows (tests inspecting a database a server process owns). */
export async function queryPostgres<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const pg = await import('pg');
  const c = new pg.default.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}
