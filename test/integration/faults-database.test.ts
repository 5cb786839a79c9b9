/**
 * Faults, the database goes away: two real Accord processes reach PostgreSQL (a fresh database for
 * this file) through a TCP relay the test cuts mid-work, and then every backend of the database is
 * terminated (`pg_terminate_backend`). While it is down, requests fail with 503 `unavailable` and a
 * `Retry-After`; nothing half-written remains (every submitted judgment has its assignment submitted
 * and the other way round); the nodes recover by themselves; live edits made meanwhile reach the
 * database afterwards.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTempPostgres, findPostgres, testDatabaseKinds, type TestDatabase } from '@accord/db/testing';
import { withDatabase } from '../utils/bench-load.ts';
import { ApiClient, type ErrorBody } from '../utils/client.ts';
import { startCluster, type Cluster } from '../utils/cluster.ts';
import { connected, openDoc, openSocket } from '../utils/collab.ts';
import {
  Editor,
  descriptionOf,
  docFromDatabase,
  draftState,
  judgingConsistency,
  newLoopRecord,
  openAppSocket,
  query,
  setupJudging,
  sleep,
  startRelay,
  trainerLoop,
  type Relay,
} from '../utils/faults.ts';

// Throws under CI=true when PostgreSQL is missing; otherwise prints why the suite is skipped.
const hasPostgres = (await testDatabaseKinds()).includes('postgres');
const ADMIN = { email: 'admin@faults-db.local', password: 'faults-db-admin-password' };
const POLL = { timeout: 90_000, interval: 250 };

describe.skipIf(!hasPostgres)('faults: the database goes away (two nodes, postgres)', () => {
  let db: TestDatabase;
  let dbUrl: string;
  let relay: Relay;
  let cluster: Cluster;
  let admin: ApiClient;
  let projectId: string;
  let tokens: string[];
  const closers: Array<() => unknown> = [];
  /** What the nodes print (errors only), shown when a test fails. */
  const nodeLog: string[] = [];

  beforeAll(async () => {
    const found = await findPostgres();
    if ('reason' in found) throw new Error(found.reason);
    db = await createTempPostgres(found.url);
    if (db.options.kind !== 'postgres') throw new Error('expected a PostgreSQL database');
    dbUrl = db.options.url;
    const u = new URL(dbUrl);
    relay = await startRelay({ host: u.hostname, port: Number(u.port || 5432) });
    const viaRelay = new URL(dbUrl);
    viaRelay.hostname = '127.0.0.1';
    viaRelay.port = String(relay.port);
    cluster = await startCluster({
      nodes: 2,
      databaseUrl: viaRelay.toString(),
      env: { ACCORD_DEMO: '0', ACCORD_ADMIN_EMAIL: ADMIN.email, ACCORD_ADMIN_PASSWORD: ADMIN.password, ACCORD_LOG: 'error', NODE_ENV: 'test', ACCORD_LOGIN_MAX_PER_ADDRESS: '100000' },
      timeoutMs: 120_000,
      onOutput: (i, line) => nodeLog.push(`[node ${i}] ${line}`),
    });
    admin = new ApiClient(cluster.url);
    await admin.login(ADMIN.email, ADMIN.password);
    ({ projectId, tokens } = await setupJudging(admin, { trainers: 6, items: 300 }));
  }, 240_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.log(nodeLog.slice(-80).join('\n'));
    nodeLog.length = 0;
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
    await cluster?.close();
    await relay?.close();
    await db?.drop();
  });

  /** The answers of a few routes on one node: session, API token, and health. */
  async function probe(url: string) {
    const ask = async (path: string, init: RequestInit = {}) => {
      const r = await fetch(url + path, { ...init, signal: AbortSignal.timeout(60_000) });
      const body = (await r.json().catch(() => null)) as ErrorBody | null;
      return { path, status: r.status, retryAfter: r.headers.get('retry-after'), code: body?.error?.code ?? null };
    };
    return Promise.all([
      ask('/api/health'),
      ask('/api/projects', { headers: { cookie: `accord_session=${admin.cookie}` } }),
      ask(`/api/projects/${projectId}/queue/next`, { method: 'POST', headers: { authorization: `Bearer ${tokens[0]}` } }),
    ]);
  }

  async function nodeCopy(url: string, name: string): Promise<string> {
    const s = await connected(openSocket({ url, cookie: admin.cookie, reconnection: false }));
    const d = openDoc(s, name);
    try {
      await expect.poll(() => d.provider.synced, POLL).toBe(true);
      return draftState(d.doc);
    } finally {
      d.close();
      s.close();
    }
  }

  /** Runs editors on every node and trainers through the balancer around `fault`; checks everything after. */
  async function underWork(label: string, fault: (ctx: { editors: Editor[] }) => Promise<void>) {
    const name = `rubric:${projectId}`;
    // On each node one editor over Socket.IO and one over its document socket.
    const editors = cluster.nodes.flatMap((n, i) =>
      [0, 1].map((k) => (k ? Editor.overDocSocket(n.url, admin.cookie, `${label}${i}x${k}`, name) : Editor.overSocketIo(openAppSocket(n.url, admin.cookie), `${label}${i}x${k}`, name))),
    );
    for (const e of editors) closers.push(() => e.close());
    await expect.poll(() => editors.every((e) => e.live.provider.synced), POLL).toBe(true);
    let stop = false;
    const rec = newLoopRecord();
    const trainers = Promise.all(tokens.map((t) => trainerLoop(cluster.url, t, projectId, () => stop, rec)));
    let editing = true;
    const typing = Promise.all(
      editors.map(async (e) => {
        while (editing) {
          e.edit();
          await sleep(200 + Math.random() * 300);
        }
      }),
    );
    await expect.poll(() => rec.accepted.length >= 10, POLL).toBe(true);
    await fault({ editors });
    // Back to work after the fault: the trainers get through again.
    const after = rec.accepted.length;
    await expect.poll(() => rec.accepted.length > after + 5 || rec.exhausted > 0, POLL).toBe(true);
    editing = false;
    await typing;
    stop = true;
    await trainers;

    // Every edit made before, during and after the fault reaches every client, both nodes and the database.
    const written = editors.flatMap((e) => e.written);
    await expect.poll(() => editors.every((e) => e.live.provider.synced && written.every((t) => descriptionOf(e.live.doc).includes(t))), POLL).toBe(true);
    const state = draftState(editors[0]!.live.doc);
    for (const e of editors) expect(draftState(e.live.doc)).toBe(state);
    for (const n of cluster.nodes) expect(await nodeCopy(n.url, name)).toBe(state);
    await expect.poll(async () => draftState(await docFromDatabase(dbUrl, name)), POLL).toBe(state);

    // Every 2xx judgment stored with its assignment; nothing half-written anywhere in the project.
    const stored = await query<{ n: string }>(
      dbUrl,
      `select count(distinct j.assignment_id) as n from judgments j join assignments a on a.id = j.assignment_id
        where j.assignment_id = any($1::uuid[]) and j.status = 'submitted' and a.status = 'submitted'`,
      [rec.accepted],
    );
    expect(Number(stored[0]!.n)).toBe(new Set(rec.accepted).size);
    const c = await judgingConsistency(dbUrl, projectId);
    expect(c).toMatchObject({ orphanJudgments: 0, orphanAssignments: 0 });
    for (const e of editors) e.close();
    console.log(`[faults] ${label}: ${written.length} edits, ${rec.accepted.length} judgments accepted, failures ${JSON.stringify(Object.fromEntries(rec.failures))}`);
    return rec;
  }

  it('cut from PostgreSQL mid-work: 503 with Retry-After while down, recovery by itself, nothing half-written, edits persisted after', async () => {
    const rec = await underWork('cut', async ({ editors }) => {
      relay.cut();
      // While cut: every node answers 503 `unavailable` with a Retry-After, on health, session and token routes.
      for (const n of cluster.nodes) {
        const answers = await probe(n.url);
        for (const a of answers) {
          expect(a.status, `${a.path} on node ${n.index}`).toBe(503);
          expect(a.code, a.path).toBe('unavailable');
          expect(Number(a.retryAfter), `${a.path} Retry-After`).toBeGreaterThan(0);
        }
      }
      // Live edits keep flowing between clients of one node while the database is away.
      const before = editors.map((e) => e.written.length);
      await expect.poll(() => editors.every((e, i) => e.written.length >= before[i]! + 3), POLL).toBe(true);
      await sleep(3000);
      relay.restore();
      // The nodes come back by themselves.
      for (const n of cluster.nodes)
        await expect.poll(async () => (await probe(n.url)).map((a) => a.status), POLL).toEqual([200, 200, 200]);
    });
    expect([...rec.failures.keys()].every((k) => k === '503' || k === 'network' || k === '502')).toBe(true);
  }, 300_000);

  it('every backend of the database terminated mid-work: the nodes reconnect by themselves, nothing half-written', async () => {
    await underWork('term', async () => {
      for (let i = 0; i < 3; i++) {
        const killed = await query<{ pid: number }>(
          withDatabase(dbUrl, 'postgres'),
          'select pg_terminate_backend(pid) as ok, pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [decodeURIComponent(new URL(dbUrl).pathname.slice(1))],
        );
        expect(killed.length).toBeGreaterThan(0);
        await sleep(500);
      }
      for (const n of cluster.nodes)
        await expect.poll(async () => (await probe(n.url)).map((a) => a.status), POLL).toEqual([200, 200, 200]);
    });
  }, 300_000);
});
