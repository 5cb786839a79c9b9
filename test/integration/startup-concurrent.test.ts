/**
 * Two nodes starting at the same moment on one empty PostgreSQL database: migrations, the demo seed
 * and the first-admin bootstrap run under an advisory lock, so both come up and exactly one demo
 * workspace (or one admin) is created. Real server processes, several rounds, a fresh database each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTempPostgres, findPostgres, queryPostgres as query, testEnv } from '@accord/db/testing';
import { ApiClient } from '../utils/client.ts';
import { runServerProcess, type ServerProcess } from '../utils/process.ts';

const found = await findPostgres();
if ('reason' in found) {
  if (testEnv.ci) throw new Error(`CI=true but ${found.reason}`);
  console.warn(`[skip] concurrent start-up on PostgreSQL: ${found.reason}`);
}
const adminUrl = 'url' in found ? found.url : null;

const procs: ServerProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const p of procs) await p.stop('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Starts two real server processes on the same empty database at the same moment; both must come up. */
async function startPair(url: string, env: Record<string, string>): Promise<{ nodes: ServerProcess[]; urls: string[] }> {
  const nodes = [0, 1].map(() => {
    const dataDir = mkdtempSync(join(tmpdir(), 'accord-concurrent-'));
    dirs.push(dataDir);
    const p = runServerProcess({ ACCORD_DATA_DIR: dataDir, DATABASE_URL: url, ACCORD_LOG: 'error', ...env }, 120_000);
    procs.push(p);
    return p;
  });
  const results = await Promise.allSettled(nodes.map((n) => n.ready));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`node ${i}: ${(r.reason as Error).message}`] : []));
  expect(failed, failed.join('\n\n')).toEqual([]);
  const urls = results.map((r) => (r as PromiseFulfilledResult<string>).value);
  for (const u of urls) {
    const health = await fetch(u + '/api/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, db: 'postgres' });
  }
  return { nodes, urls };
}

const ROUNDS = 3;

describe.skipIf(!adminUrl)('two nodes starting together on an empty PostgreSQL database', () => {
  it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))('with the demo workspace (round %i): both come up, one demo workspace', async () => {
    const db = await createTempPostgres(adminUrl!);
    const url = (db.options as { url: string }).url;
    try {
      const { nodes, urls } = await startPair(url, {});
      const seeded = nodes.filter((n) => n.output().includes('Demo workspace created'));
      expect(seeded).toHaveLength(1);
      expect(await query<{ n: number }>(url, 'select count(*)::int as n from projects')).toEqual([{ n: 6 }]);
      expect(await query<{ n: number }>(url, 'select count(*)::int as n from users')).toEqual([{ n: 7 }]);
      expect(await query<{ n: number }>(url, 'select count(*)::int as n from users where is_admin')).toEqual([{ n: 1 }]);
      expect(await query<{ n: number }>(url, 'select count(*)::int as n from drizzle.__drizzle_migrations where hash is not null')).toEqual(
        await query<{ n: number }>(url, 'select count(distinct hash)::int as n from drizzle.__drizzle_migrations'),
      );
      // The seeding node's logins work on both nodes.
      const m = /lead\s+(lead@accord\.local)\s+(\S+)/.exec(seeded[0]!.output());
      expect(m).not.toBeNull();
      for (const u of urls) await new ApiClient(u).login(m![1]!, m![2]!);
      for (const n of nodes) expect(await n.stop('SIGTERM')).toBe(0);
    } finally {
      await db.drop();
    }
  }, 300_000);

  it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))('with ACCORD_DEMO=0 and a first admin (round %i): both come up, one admin', async () => {
    const db = await createTempPostgres(adminUrl!);
    const url = (db.options as { url: string }).url;
    try {
      const env = { ACCORD_DEMO: '0', ACCORD_ADMIN_EMAIL: 'root@example.com', ACCORD_ADMIN_PASSWORD: 'a long admin passphrase' };
      const { nodes, urls } = await startPair(url, env);
      expect(nodes.filter((n) => n.output().includes('Created the first admin, root@example.com.'))).toHaveLength(1);
      expect(await query<{ n: number }>(url, 'select count(*)::int as n from projects')).toEqual([{ n: 0 }]);
      expect(await query<{ email: string; is_admin: boolean }>(url, 'select email, is_admin from users')).toEqual([{ email: 'root@example.com', is_admin: true }]);
      for (const u of urls) await new ApiClient(u).login('root@example.com', 'a long admin passphrase');
      for (const n of nodes) expect(await n.stop('SIGTERM')).toBe(0);
    } finally {
      await db.drop();
    }
  }, 300_000);
});
