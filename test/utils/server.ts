/**
 * Integration-test support: the real server on a free port, against a real database (PGlite in
 * memory, or a fresh PostgreSQL database), with the demo workspace seeded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import type pg from 'pg';
import { createDb, type DbHandle } from '@accord/db';
import { openTestDatabase, type TestDatabase } from '@accord/db/testing';
import { startServer, type DemoLogin, type RunningServer } from '@accord/server';
import { randomUUID } from 'node:crypto';
import { ApiClient } from './client.ts';
import { testRunEnv } from './env.ts';

export interface TestServer {
  server: RunningServer;
  url: string;
  origin: string;
  logins: DemoLogin[];
  demoProjectId: string;
  db: DbHandle;
  dataDir: string;
  /** A client signed in as the demo user with this role (admin, lead, reviewer, trainer = trainer1). */
  as(role: DemoLogin['role'] | `trainer${1 | 2 | 3 | 4}`): Promise<ApiClient>;
  anonymous(): ApiClient;
  /** Starts another server on the same database, e.g. with different limits, or a clock of its own (`clock`) that the test moves. */
  sibling(env?: Record<string, string>, options?: { clock?: () => Date }): Promise<RunningServer>;
  close(): Promise<void>;
}

export async function createTestServer(kind: 'pglite' | 'postgres' = 'pglite', env: Record<string, string> = {}): Promise<TestServer> {
  const tdb: TestDatabase = await openTestDatabase(kind);
  const db = await createDb(tdb.options);
  const dataDir = mkdtempSync(join(tmpdir(), 'accord-test-'));
  const baseEnv = {
    PORT: '0',
    HOST: '127.0.0.1',
    ACCORD_DATA_DIR: dataDir,
    ACCORD_LOG: 'error',
    NODE_ENV: 'test',
    ...(testRunEnv.webDist ? { ACCORD_WEB_DIST: testRunEnv.webDist } : {}),
  };
  const server = await startServer({ env: { ...baseEnv, ...env }, db });
  if (server.seed?.kind !== 'demo') throw new Error('expected the demo workspace to be seeded');
  const logins = server.seed.logins;
  const siblings: RunningServer[] = [];
  const ts: TestServer = {
    server,
    url: server.url,
    origin: server.url,
    logins,
    demoProjectId: server.seed.projectId,
    db,
    dataDir,
    async as(role) {
      const email = role === 'trainer' ? 'trainer1@accord.local' : `${role}@accord.local`;
      const l = logins.find((x) => x.email === email);
      if (!l) throw new Error(`no demo login ${email}`);
      const c = new ApiClient(server.url);
      await c.login(l.email, l.password);
      return c;
    },
    anonymous: () => new ApiClient(server.url),
    async sibling(extra = {}, options = {}) {
      const s = await startServer({ env: { ...baseEnv, ...env, ...extra }, db, closeDb: false, clock: options.clock });
      siblings.push(s);
      return s;
    },
    async close() {
      for (const s of siblings) await s.close();
      await server.close();
      await db.close().catch(() => {});
      await tdb.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return ts;
}

/**
 * PostgreSQL only: a connection of its own from the server's pool, for a test that holds a transaction
 * open while the server works (drizzle's node-postgres database keeps its pool as `$client`). Release it.
 */
export function ownConnection(db: DbHandle): Promise<pg.PoolClient> {
  return poolOf(db, 'ownConnection').connect();
}

/** The server's node-postgres pool (PostgreSQL only). */
function poolOf(db: DbHandle, caller: string): pg.Pool {
  if (db.kind !== 'postgres') throw new Error(`${caller}: PostgreSQL only (PGlite runs one connection)`);
  return (db.db as unknown as { $client: pg.Pool }).$client;
}

/** PostgreSQL only: how many statements of this database whose text starts with `prefix` wait on a lock now. */
export async function lockWaiters(db: DbHandle, prefix: string): Promise<number> {
  const r = (await poolOf(db, 'lockWaiters').query(
    `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and starts_with(query, $1)`,
    [prefix],
  )) as { rows: { n: number }[] };
  return r.rows[0]!.n;
}

/** How many rows of `table` match `where`, read from the database (tests checking what a change left behind). */
export async function countRows(db: DbHandle, table: string, where: SQL): Promise<number> {
  const r = (await db.db.execute(sql`select count(*)::int as n from ${sql.identifier(table)} where ${where}`)) as unknown as { rows: { n: number }[] };
  return Number(r.rows[0]!.n);
}

/**
 * Polls until `fn` returns a truthy value, instead of sleeping a fixed time. The default timeout is
 * generous (30 s) so a loaded 2-core machine passes; it returns as soon as the condition holds.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, { timeout = 30_000, interval = 25, message = 'condition' } = {}): Promise<T> {
  const end = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`waitFor timed out: ${message}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * A new user created by the admin, a member of the demo project with `role` (null: of none), signed
 * in: their id and their client. `label` names them (`<label> <role>`).
 */
export async function signedInUser(t: TestServer, role: 'lead' | 'reviewer' | 'trainer' | null, label: string): Promise<{ id: string; client: ApiClient }> {
  const admin = await t.as('admin');
  const email = `${label.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com`;
  const password = `${label.toLowerCase()} password 1`;
  const u = await admin.post<{ id: string }>('/api/users', { email, name: `${label} ${role ?? 'outsider'}`, password });
  if (role) await admin.post(`/api/projects/${t.demoProjectId}/members`, { email, role });
  const c = new ApiClient(t.url);
  await c.login(email, password);
  return { id: u.body.id, client: c };
}
