/**
 * Test support: which databases a suite can run against. PGlite (in memory) always; a real
 * PostgreSQL when one is reachable (DATABASE_URL, else 127.0.0.1:5432), each suite in a fresh
 * database of its own that is dropped afterwards. When none is reachable the reason is printed.
 */
import { randomBytes } from 'node:crypto';
import type { DbOptions } from '../client.ts';
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
  if (kind === 'pglite') return pgliteMemory;
  const found = await findPostgres();
  if ('reason' in found) throw new Error(found.reason);
  return createTempPostgres(found.url);
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
