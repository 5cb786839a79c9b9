/**
 * createDb opens Accord's database: an embedded PGlite folder by default, or a real PostgreSQL
 * through node-postgres when given a URL. Both speak the same schema and committed migrations,
 * which are applied here at start-up.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema/index.ts';
import { acquireDataDirLock, type DataDirLock } from './lock.ts';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export type DbOptions =
  | {
      kind: 'pglite';
      dataDir: string | null;
      /** PostgreSQL's shared_buffers inside PGlite, in MB (default 16; PostgreSQL's own default, 128, costs that much resident memory). */
      sharedBuffersMb?: number;
      /**
       * In memory only: start from this dump of a data folder (PGlite's `dumpDataDir`) instead of an
       * empty one; migrations newer than the dump are still applied. Tests start from a migrated dump.
       */
      loadDataDir?: Blob;
      /**
       * V8's compilers for PGlite's WebAssembly (default `optimizing`, V8's own default). `baseline`
       * keeps every function on the baseline compiler (Liftoff, V8's `--liftoff-only`): about 60–90 MB
       * less resident memory and a faster start, heavy queries about a quarter slower (docs/performance-log.md).
       * The flag is process-wide and applies to modules compiled after it is set (so it is set before
       * PGlite is loaded); `optimizing` does not clear it in a process where `baseline` set it.
       */
      wasmCompiler?: 'baseline' | 'optimizing';
    }
  | { kind: 'postgres'; url: string; poolSize?: number };

export interface DbHandle {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Where the data lives, for logs: a folder, `memory`, or the URL without its password. */
  location: string;
  ping(): Promise<void>;
  /**
   * Runs `fn` while holding the cluster-wide start-up lock, so that the start-up work of several
   * nodes sharing one database (migrations, the demo seed, the first-admin bootstrap) runs one node
   * at a time. PostgreSQL: a session-level advisory lock on a dedicated connection, released when
   * `fn` settles (or when the connection dies with its node). PGlite: runs `fn` directly, since the
   * data folder lock already makes this process the only one.
   */
  withStartupLock<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only: LISTEN on a dedicated connection (reconnecting after errors) and call `fn` with
   * each payload. Notifications are not durable; callers poll to repair what a reconnect missed, and
   * `onConnect` (called after every connection, the first included) lets them do so at once.
   */
  listen?(channel: string, fn: (payload: string) => void, onConnect?: () => void): Promise<() => Promise<void>>;
  /**
   * PostgreSQL only: runs `fn` on one pooled connection (`run` sends a statement on it, with no
   * parameters), for work whose session settings must stay with its statements (a VACUUM, which runs
   * in no transaction, under a cost delay). `fn` resets what it set before it returns.
   */
  session?<T>(fn: (run: (text: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The advisory lock key of Accord's start-up work: "accord" in ASCII followed by 0x0001, a fixed
 * 64-bit value that other applications sharing the database are unlikely to use.
 */
export const STARTUP_LOCK_KEY = 0x6163636f72640001n;

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../drizzle');

export async function createDb(options: DbOptions): Promise<DbHandle> {
  if (options.kind === 'postgres') return openPostgres(options.url, options.poolSize ?? 10);
  if (options.wasmCompiler === 'baseline') (await import('node:v8')).setFlagsFromString('--liftoff-only');
  return openPglite(options.dataDir, options.sharedBuffersMb ?? 16, options.loadDataDir);
}

/** Whether `dataDir` already holds an embedded database (its PGlite folder has been created). */
export function pgliteFolderExists(dataDir: string): boolean {
  return existsSync(join(dataDir, 'pgdata', 'PG_VERSION'));
}

/**
 * Runs initdb for a new PGlite folder in a child process. The WebAssembly instance that ran initdb
 * is never released by the process that created it (about 300 MB resident), so the server itself
 * only ever opens folders that exist.
 */
async function initPgliteFolder(pgdata: string): Promise<void> {
  const script = fileURLToPath(new URL('./pglite-init.mjs', import.meta.url));
  await new Promise<void>((resolvePromise, reject) => {
    execFile(process.execPath, [script, pgdata], { timeout: 120_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`could not create the embedded database in ${pgdata}: ${stderr.trim() || err.message}`));
      else resolvePromise();
    });
  });
}

async function openPglite(dataDir: string | null, sharedBuffersMb: number, loadDataDir?: Blob): Promise<DbHandle> {
  let lock: DataDirLock | null = null;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    lock = acquireDataDirLock(dataDir);
  }
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const { drizzle } = await import('drizzle-orm/pglite');
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffersMb}MB`, '-c', 'maintenance_work_mem=8MB', '-c', 'temp_buffers=2MB'];
    const pgdata = dataDir ? join(dataDir, 'pgdata') : null;
    if (pgdata && !existsSync(join(pgdata, 'PG_VERSION'))) await initPgliteFolder(pgdata);
    const client = pgdata ? new PGlite(pgdata, { startParams }) : new PGlite({ startParams, ...(loadDataDir ? { loadDataDir } : {}) });
    await client.waitReady;
    const db = drizzle({ client, schema, casing: 'snake_case' });
    await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
    return {
      db: db as unknown as Db,
      kind: 'pglite',
      location: dataDir ?? 'memory',
      async ping() {
        await client.query('select 1');
      },
      withStartupLock: (fn) => fn(),
      async close() {
        try {
          await client.close();
        } finally {
          lock?.release();
        }
      },
    };
  } catch (e) {
    lock?.release();
    throw e;
  }
}

/** How long a pooled PostgreSQL connection may stay unused before it is closed. */
const IDLE_CONNECTION_MS = 5 * 60_000;

async function openPostgres(url: string, poolSize: number): Promise<DbHandle> {
  const pg = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  // Connections stay open through a lull: a new backend compiles the trigger functions and plans its
  // statements again, which after pg-pool's default 10 s idle timeout made the first seconds of every
  // burst several times slower than the rest (measured with bench:load, docs/server.md).
  const pool = new pg.default.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000, idleTimeoutMillis: IDLE_CONNECTION_MS });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) => console.error('[db] idle client error:', err.message));
  // A checked-out client has no pool listener (pg-pool removes it while the client is lent out):
  // losing the connection between two queries of a transaction would crash the process with an
  // unhandled 'error'. Its next query fails instead (a 503), and the pool drops it on release.
  pool.on('connect', (client) => client.on('error', (err) => console.error('[db] client error:', err.message)));
  const db = drizzle({ client: pool, schema, casing: 'snake_case' });

  const withStartupLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    // Its own connection, outside the pool: `fn` may need every pooled connection (pool size 1 included).
    const client = new pg.default.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    let lost: Error | null = null;
    // A lost connection releases the lock on the server; note it instead of crashing the process.
    client.on('error', (err) => (lost = err));
    await client.connect();
    try {
      const key = STARTUP_LOCK_KEY.toString();
      const got = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::bigint) as ok', [key]);
      if (!got.rows[0]?.ok) {
        console.log('[db] waiting for another node to finish its start-up (migrations, first data)…');
        await client.query('select pg_advisory_lock($1::bigint)', [key]);
      }
      const result = await fn();
      if (lost) throw new Error(`lost the database connection holding the start-up lock: ${(lost as Error).message}`);
      return result;
    } finally {
      // Ending the session releases the lock too; unlock first so that a pooled proxy (pgbouncer in session mode) cannot keep it.
      await client.query('select pg_advisory_unlock_all()').catch(() => {});
      await client.end().catch(() => {});
    }
  };

  try {
    await withStartupLock(() => migrate(db, { migrationsFolder: MIGRATIONS_DIR }));
  } catch (e) {
    await pool.end();
    throw e;
  }
  return {
    db: db as unknown as Db,
    kind: 'postgres',
    location: redactUrl(url),
    async ping() {
      await pool.query('select 1');
    },
    withStartupLock,
    async session(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        return await fn(async (text) => {
          try {
            return (await client.query(text)).rows as Record<string, unknown>[];
          } catch (e) {
            // A connection that failed mid-statement may keep settings `fn` meant to reset: the pool drops it.
            broken = e as Error;
            throw e;
          }
        });
      } finally {
        client.release(broken);
      }
    },
    async listen(channel, fn, onConnect) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
      let client: InstanceType<typeof pg.default.Client> | null = null;
      let stopped = false;
      let retry: NodeJS.Timeout | null = null;
      // A failed reconnection (the database still unreachable) tries again a second later.
      const scheduleRetry = () => {
        if (retry) clearTimeout(retry);
        retry = setTimeout(() => void connect().catch(() => (stopped ? undefined : scheduleRetry())), 1000);
      };
      const connect = async (): Promise<void> => {
        const c = new pg.default.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
        c.on('notification', (m) => {
          if (m.channel === channel && m.payload !== undefined) fn(m.payload);
        });
        c.on('error', () => {
          if (client === c) client = null;
          void c.end().catch(() => {});
          if (!stopped) scheduleRetry();
        });
        await c.connect();
        await c.query(`listen ${channel}`);
        if (stopped) await c.end();
        else {
          client = c;
          onConnect?.();
        }
      };
      await connect();
      return async () => {
        stopped = true;
        if (retry) clearTimeout(retry);
        await client?.end().catch(() => {});
        client = null;
      };
    },
    async close() {
      await pool.end();
    },
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}
