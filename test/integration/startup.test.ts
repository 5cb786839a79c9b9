/**
 * `npm start` as a newcomer runs it: the real entry point in a child process, an empty data
 * folder, the demo workspace printed, the lock refusing a second process, kill -9 and restart.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPostgres, createTempPostgres } from '@accord/db/testing';
import { ApiClient } from '../utils/client.ts';
import { REPO_ROOT, runServerProcess, SERVER_NODE_FLAGS, SERVER_START_ENV, type ServerProcess } from '../utils/process.ts';

const dirs: string[] = [];
const procs: ServerProcess[] = [];
function tempDir() {
  const d = mkdtempSync(join(tmpdir(), 'accord-start-'));
  dirs.push(d);
  return d;
}
function start(env: Record<string, string>) {
  const p = runServerProcess(env);
  procs.push(p);
  return p;
}
afterAll(async () => {
  for (const p of procs) await p.stop('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('starting Accord on an empty data folder', () => {
  const dataDir = tempDir();
  let first: ServerProcess;
  let url: string;

  it('creates the demo workspace, prints the logins, writes demo-logins.json, and serves the app', async () => {
    const t0 = performance.now();
    first = start({ ACCORD_DATA_DIR: dataDir });
    url = await first.ready;
    const index = await fetch(url + '/');
    const startMs = Math.round(performance.now() - t0);
    console.log(`[measure] start-up to a served page: ${startMs} ms`);
    expect([200, 503]).toContain(index.status);
    if (existsSync(join(REPO_ROOT, 'apps/web/dist/index.html'))) expect(index.status).toBe(200);
    const out = first.output();
    expect(out).toContain('Demo workspace created');
    const logins = JSON.parse(readFileSync(join(dataDir, 'demo-logins.json'), 'utf8')) as { email: string; password: string; role: string }[];
    expect(logins.map((l) => l.role).sort()).toEqual(['admin', 'lead', 'reviewer', 'trainer', 'trainer', 'trainer', 'trainer']);
    for (const l of logins) expect(out).toContain(`${l.email}`);
    for (const l of logins) expect(out).toContain(l.password);
    const lead = logins.find((l) => l.role === 'lead')!;
    await new ApiClient(url).login(lead.email, lead.password);
  });

  it('refuses a second process on the same data folder with a clear message', async () => {
    const second = start({ ACCORD_DATA_DIR: dataDir });
    const code = await second.exited;
    expect(code).toBe(2);
    expect(second.output()).toMatch(/is in use by another Accord process \(pid \d+\)/);
    // The first one is unharmed.
    expect((await fetch(url + '/api/health')).status).toBe(200);
  });

  it('survives kill -9: the next start takes over the stale lock and keeps the data, without re-seeding', async () => {
    await first.stop('SIGKILL');
    const again = start({ ACCORD_DATA_DIR: dataDir });
    const url2 = await again.ready;
    expect(again.output()).not.toContain('Demo workspace created');
    const logins = JSON.parse(readFileSync(join(dataDir, 'demo-logins.json'), 'utf8')) as { email: string; password: string; role: string }[];
    const lead = logins.find((l) => l.role === 'lead')!;
    const c = new ApiClient(url2);
    await c.login(lead.email, lead.password);
    const projects = await c.get<{ total: number; items: { taskKind: string; counts: { items: number } }[] }>('/api/projects');
    // The pairwise demo, a classification and a rating demo of 60 real items each (Snow et al. 2008), a
    // spans demo of 30, an SFT writing demo of 26 LLMFAO prompts with a model response each, and a
    // red-teaming demo of 12 goals.
    expect(projects.body.total).toBe(6);
    expect(projects.body.items.map((x) => [x.taskKind, x.counts.items]).sort()).toEqual([['classification', 60], ['pairwise', 60], ['rating', 60], ['redteam', 12], ['spans', 30], ['writing', 26]]);
    expect(await again.stop('SIGTERM')).toBe(0);
    expect(existsSync(join(dataDir, 'accord.lock'))).toBe(false);
  });
});

describe('two processes started together on one new data folder', () => {
  it('one creates and serves the workspace, the other is refused with the clear message', async () => {
    // The new folder is created and seeded by a child process of whichever start gets there first; the
    // other start's child (or the other start itself) finds the folder locked.
    const dataDir = tempDir();
    const a = start({ ACCORD_DATA_DIR: dataDir });
    const b = start({ ACCORD_DATA_DIR: dataDir });
    const outcome = (p: ServerProcess) =>
      Promise.race([p.ready.then((u) => ({ served: u })), p.exited.then((code) => ({ exited: code }))]);
    const [ra, rb] = await Promise.all([outcome(a), outcome(b)]);
    const served = [ra, rb].filter((r) => 'served' in r) as { served: string }[];
    const refused = [[a, ra], [b, rb]].filter(([, r]) => 'exited' in (r as object)) as [ServerProcess, { exited: number | null }][];
    expect(served).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]![1].exited).toBe(2);
    expect(refused[0]![0].output()).toMatch(/is in use by another Accord process \(pid \d+\)/);
    expect((await fetch(served[0]!.served + '/api/health')).status).toBe(200);
    const logins = JSON.parse(readFileSync(join(dataDir, 'demo-logins.json'), 'utf8')) as { email: string; password: string; role: string }[];
    const c = new ApiClient(served[0]!.served);
    await c.login(logins.find((l) => l.role === 'lead')!.email, logins.find((l) => l.role === 'lead')!.password);
    expect((await c.get<{ total: number }>('/api/projects')).body.total).toBe(6);
  });
});

describe('configuration', () => {
  it("the test and benchmark servers start node with the start script's flags and environment", () => {
    const start = (JSON.parse(readFileSync(join(REPO_ROOT, 'apps/server/package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const flags = start.split(/\s+/).filter((w) => w.startsWith('--') && w !== '--import');
    expect(flags).toEqual(SERVER_NODE_FLAGS);
    // And the environment it sets before `node`, which the test servers get too.
    const env = Object.fromEntries(start.slice(0, start.indexOf(' node ')).split(/\s+/).map((w) => w.split('=') as [string, string]));
    expect(env).toEqual({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' });
    expect(SERVER_START_ENV).toEqual(env);
  });

  it('ACCORD_DEMO=0 starts empty and creates only the admin from ACCORD_ADMIN_EMAIL / ACCORD_ADMIN_PASSWORD', async () => {
    const dataDir = tempDir();
    const p = start({ ACCORD_DATA_DIR: dataDir, ACCORD_DEMO: '0', ACCORD_ADMIN_EMAIL: 'Root@Example.com', ACCORD_ADMIN_PASSWORD: 'a long admin passphrase' });
    const url = await p.ready;
    expect(p.output()).toContain('Created the first admin, root@example.com.');
    expect(existsSync(join(dataDir, 'demo-logins.json'))).toBe(false);
    const c = new ApiClient(url);
    await c.login('root@example.com', 'a long admin passphrase');
    expect((await c.get<{ total: number }>('/api/projects')).body.total).toBe(0);
    expect((await c.get<{ total: number }>('/api/users')).body.total).toBe(1);
    // The process runs with the start script's environment (Linux shows it; elsewhere nothing to read).
    const environ = `/proc/${p.child.pid}/environ`;
    if (existsSync(environ)) expect(readFileSync(environ, 'utf8').split('\0')).toEqual(expect.arrayContaining(Object.entries(SERVER_START_ENV).map(([k, v]) => `${k}=${v}`)));
  });

  it('a bad variable stops the server with a message naming it', async () => {
    const p = start({ ACCORD_DATA_DIR: tempDir(), PORT: 'eighty', ACCORD_ADMIN_EMAIL: 'not-an-email' });
    expect(await p.exited).toBe(2);
    expect(p.output()).toContain('PORT:');
    expect(p.output()).toContain('ACCORD_ADMIN_EMAIL: must be an email address');
  });

  it('runs on a real PostgreSQL with DATABASE_URL', async (ctx) => {
    const found = await findPostgres();
    if ('reason' in found) {
      console.warn(`[skip] DATABASE_URL start-up: ${found.reason}`);
      ctx.skip();
      return;
    }
    const db = await createTempPostgres(found.url);
    try {
      const url = (db.options as { url: string }).url;
      const p = start({ ACCORD_DATA_DIR: tempDir(), DATABASE_URL: url });
      const base = await p.ready;
      expect(p.output()).toContain('database: postgres');
      expect(p.output()).not.toContain(':***@'.replace('***', 'secret'));
      const health = await fetch(base + '/api/health');
      expect(await health.json()).toEqual({ ok: true, db: 'postgres' });
      expect(await p.stop()).toBe(0);
    } finally {
      await db.drop();
    }
  });
});
