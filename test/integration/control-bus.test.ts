/**
 * The control bus across nodes: two real server processes on one PostgreSQL (a fresh database for
 * this file). A change of rights made on node A reaches the open sockets of node B — archiving
 * freezes B's writers, removing a member cuts their document, taking admin rights away ends that
 * admin's document access — also when the change is made while B is cut off from the database.
 * Plus the admin demotion in one process on PGlite (the bus in-process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { Project, User } from '@accord/core';
import { createTempPostgres, findPostgres, testDatabaseKinds, type TestDatabase } from '@accord/db/testing';
import { ApiClient } from '../utils/client.ts';
import { connected, openDoc, openSocket, rawDoc, type LiveDoc } from '../utils/collab.ts';
import { runServerProcess, type ServerProcess } from '../utils/process.ts';
import { createTestServer, type TestServer } from '../utils/server.ts';
import { startRelay } from '../utils/faults.ts';

// Throws under CI=true when PostgreSQL is missing; otherwise prints why the two-node suite is skipped.
const hasPostgres = (await testDatabaseKinds()).includes('postgres');
const ADMIN = { email: 'admin@bus.local', password: 'bus-admin-password' };
const PASSWORD = 'control-bus-password';
const POLL = { timeout: 30_000, interval: 100 };
const uniq = () => crypto.randomUUID().slice(0, 8);

/** A user of the instance (created by an admin) with a signed-in client on `url`. */
async function newUser(admin: ApiClient, url: string, o: { isAdmin?: boolean } = {}) {
  const email = `u-${uniq()}@bus.local`;
  const created = await admin.post<User>('/api/users', { email, name: `User ${email}`, password: PASSWORD, isAdmin: o.isAdmin ?? false });
  expect(created.status, created.text).toBe(201);
  const client = new ApiClient(url);
  await client.login(email, PASSWORD);
  return { id: created.body.id, email, client };
}

describe.skipIf(!hasPostgres)('control events across two server processes (postgres)', () => {
  let db: TestDatabase;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  const nodes: ServerProcess[] = [];
  const dirs: string[] = [];
  const sockets: Socket[] = [];
  const docs: LiveDoc[] = [];
  let urlA: string;
  let urlB: string;
  let adminA: ApiClient;

  const start = async (databaseUrl: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-bus-'));
    dirs.push(dir);
    const p = runServerProcess(
      { DATABASE_URL: databaseUrl, ACCORD_DATA_DIR: dir, ACCORD_DEMO: '0', ACCORD_ADMIN_EMAIL: ADMIN.email, ACCORD_ADMIN_PASSWORD: ADMIN.password, ACCORD_LOG: 'error', NODE_ENV: 'test' },
      120_000,
    );
    nodes.push(p);
    return p.ready;
  };
  const socketOn = async (url: string, c: ApiClient) => {
    const s = openSocket({ url, cookie: c.cookie });
    sockets.push(s);
    return connected(s);
  };
  const liveOn = async (url: string, c: ApiClient, name: string) => {
    const d = openDoc(await socketOn(url, c), name);
    docs.push(d);
    await expect.poll(() => d.provider.synced, POLL).toBe(true);
    return d;
  };
  /** A project created on node A by the admin, with members added by email. */
  const project = async (members: Array<{ email: string; role: 'lead' | 'reviewer' | 'trainer' }>) => {
    const p = await adminA.post<Project>('/api/projects', { name: `Bus ${uniq()}` });
    expect(p.status, p.text).toBe(201);
    for (const m of members) {
      const r = await adminA.post(`/api/projects/${p.body.id}/members`, m);
      expect(r.status, r.text).toBe(201);
    }
    return p.body.id;
  };

  beforeAll(async () => {
    const found = await findPostgres();
    if ('reason' in found) throw new Error(found.reason);
    db = await createTempPostgres(found.url);
    if (db.options.kind !== 'postgres') throw new Error('expected a PostgreSQL database');
    const direct = new URL(db.options.url);
    relay = await startRelay({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaRelay = new URL(db.options.url);
    viaRelay.hostname = '127.0.0.1';
    viaRelay.port = String(relay.port);
    // A migrates and bootstraps the admin first; B (behind the relay) starts on the ready database.
    urlA = await start(db.options.url);
    urlB = await start(viaRelay.toString());
    adminA = new ApiClient(urlA);
    await adminA.login(ADMIN.email, ADMIN.password);
  }, 300_000);

  afterAll(async () => {
    for (const d of docs) d.close();
    for (const s of sockets) s.close();
    for (const n of nodes) await n.stop('SIGTERM');
    await relay?.close();
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('archiving a project on node A freezes a writer connected to node B, and B loads it frozen afterwards', async () => {
    const lead = await newUser(adminA, urlB);
    const pid = await project([{ email: lead.email, role: 'lead' }]);
    const name = `rubric:${pid}`;
    const w = await liveOn(urlB, lead.client, name);
    expect(w.provider.access).toBe('write');
    w.doc.getMap('rubric').set('justificationMinWords', 5);

    expect((await adminA.patch(`/api/projects/${pid}`, { archived: true })).status).toBe(200);
    await expect.poll(() => w.provider.access, POLL).toBe('read');
    // Its next update is refused.
    w.doc.getMap('rubric').set('justificationMinWords', 99);
    await expect.poll(() => w.errors.some((e) => e.code === 'read_only'), POLL).toBe(true);
    // A fresh join on either node is read-only: frozenness comes from the database, not from memory.
    for (const url of [urlA, urlB]) {
      const raw = rawDoc(await socketOn(url, lead.client), name);
      expect(await raw.join()).toEqual({ ok: true, data: { access: 'read' } });
    }
  });

  it('removing a member on node A cuts their document on node B; they cannot rejoin', async () => {
    const reviewer = await newUser(adminA, urlB);
    const pid = await project([{ email: reviewer.email, role: 'reviewer' }]);
    const name = `rubric:${pid}`;
    const d = await liveOn(urlB, reviewer.client, name);
    expect(d.provider.access).toBe('write');

    expect((await adminA.delete(`/api/projects/${pid}/members/${reviewer.id}`)).status).toBe(200);
    await expect.poll(() => d.refused.length > 0 && !d.transport.open, POLL).toBe(true);
    const raw = rawDoc(await socketOn(urlB, reviewer.client), name);
    expect(await raw.join()).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('taking admin rights away on node A ends that admin’s document access on node B (not a member): kicked, and no rejoin', async () => {
    const other = await newUser(adminA, urlB, { isAdmin: true });
    const pid = await project([]);
    const name = `rubric:${pid}`;
    const s = await socketOn(urlB, other.client);
    const raw = rawDoc(s, name);
    expect(await raw.join()).toEqual({ ok: true, data: { access: 'write' } });

    const r = await adminA.patch(`/api/users/${other.id}`, { isAdmin: false });
    expect(r.status, r.text).toBe(200);
    await expect.poll(() => raw.closed.length, POLL).toBeGreaterThan(0);
    expect(raw.closed[0]!.code).toBe(4403);
    // The same socket (its handshake said "admin") cannot open it again.
    expect(await raw.join()).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('a change made while node B is cut off from the database reaches B once it reconnects', async () => {
    const reviewer = await newUser(adminA, urlB);
    const other = await newUser(adminA, urlB, { isAdmin: true });
    const pid = await project([{ email: reviewer.email, role: 'reviewer' }]);
    const name = `rubric:${pid}`;
    const d = await liveOn(urlB, reviewer.client, name);
    const adminRaw = rawDoc(await socketOn(urlB, other.client), name);
    expect(await adminRaw.join()).toEqual({ ok: true, data: { access: 'write' } });
    const b = new ApiClient(urlB);

    relay.cut();
    try {
      // B really has no database now (its NOTIFY listener is gone too).
      await expect.poll(async () => (await b.get('/api/health')).status, POLL).toBe(503);
      expect((await adminA.delete(`/api/projects/${pid}/members/${reviewer.id}`)).status).toBe(200);
      expect((await adminA.patch(`/api/users/${other.id}`, { isAdmin: false })).status).toBe(200);
      // B's sockets cannot have heard of it; whatever they still hold, they lose once B is back.
    } finally {
      relay.restore();
    }
    await expect.poll(async () => (await b.get('/api/health')).status, POLL).toBe(200);
    await expect.poll(() => d.refused.length > 0 && !d.transport.open, POLL).toBe(true);
    await expect.poll(() => adminRaw.closed.length, POLL).toBeGreaterThan(0);
    expect((await rawDoc(await socketOn(urlB, reviewer.client), name).join()).ok).toBe(false);
    expect((await rawDoc(await socketOn(urlB, other.client), name).join()).ok).toBe(false);
  });
});

describe('control events in one process (pglite)', () => {
  let t: TestServer;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    t = await createTestServer('pglite');
  }, 180_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
  }, 60_000);

  it('taking admin rights away ends that admin’s open document at once; the socket cannot rejoin', async () => {
    const admin = await t.as('admin');
    const other = await newUser(admin, t.url, { isAdmin: true });
    const pid = (await admin.post<Project>('/api/projects', { name: `Bus ${uniq()}` })).body.id;
    const name = `rubric:${pid}`;
    const s = openSocket({ url: t.url, cookie: other.client.cookie });
    sockets.push(s);
    const raw = rawDoc(await connected(s), name);
    expect(await raw.join()).toEqual({ ok: true, data: { access: 'write' } });

    expect((await admin.patch(`/api/users/${other.id}`, { isAdmin: false })).status).toBe(200);
    await expect.poll(() => raw.closed.length, POLL).toBeGreaterThan(0);
    expect(raw.closed[0]!.code).toBe(4403);
    expect(await raw.join()).toMatchObject({ ok: false, error: { code: 'not_found' } });
    // Given back, the same socket may open it again: rights are read fresh, both ways.
    expect((await admin.patch(`/api/users/${other.id}`, { isAdmin: true })).status).toBe(200);
    expect(await raw.join()).toEqual({ ok: true, data: { access: 'write' } });
  });
});
