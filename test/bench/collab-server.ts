/**
 * Benchmark server process (forked by collab.ts), one of:
 * - `accord`: Accord's real server (startServer with a PGlite data folder, real token auth, every update
 *   authorized, logged and persisted);
 * - `accord-pg`: the same with its log on PostgreSQL (127.0.0.1:5432, a scratch database dropped at exit);
 * - `hocuspocus`: `@hocuspocus/server@3.4.4` with an onAuthenticate hook (HMAC-signed token) and its
 *   database extension storing the document in PostgreSQL (a scratch database dropped at exit);
 * - `reference`: the relay `@y/websocket-server@0.1.1` on a `ws` server (no auth, no checks, no persistence).
 * All listen on loopback only. Measures its own CPU, event-loop utilisation and stalls, and reports the
 * state of its document (and the database's, where there is one).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import * as Y from 'yjs';
import { readRubricDraft } from '@accord/collab';
import { eq } from 'drizzle-orm';
import { createDocStore, users } from '@accord/db';
import { startServer, type RunningServer } from '@accord/server';
import { readCollabBenchEnv } from './env.ts';
import { tracePath } from './path-trace.ts';

const { broadcastWindowMs, pgliteWasm, profileWindow, path, observers } = readCollabBenchEnv();
/** BENCH_PATH: the server's part of each edit's way to the observers, over the measured window. */
const pathTrace = path ? tracePath(observers) : null;

const kind = process.argv[2] as 'accord' | 'accord-pg' | 'hocuspocus' | 'reference';
const send = (m: unknown) => process.send!(m);
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const until = async (cond: () => Promise<boolean>, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
};

/**
 * A scratch PostgreSQL database named by collab.ts (which drops it after the run even if this process
 * had to be killed), dropped by the returned function too.
 */
async function scratchDatabase(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const pg = (await import('pg')).default;
  const name = process.argv[3] ?? '';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`scratch database name: expected a lower-case identifier, got ${JSON.stringify(name)}`);
  const admin = new pg.Client({ ...PG, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: `postgres://${PG.user}@${PG.host}:${PG.port}/${name}`,
    async drop() {
      const c = new pg.Client({ ...PG, database: 'postgres' });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

const hashOf = (doc: Y.Doc) => createHash('sha1').update(JSON.stringify(readRubricDraft(doc))).digest('hex').slice(0, 12);

let docState: () => Promise<{ server: string; db: string | null }>;
let shutdown: () => Promise<void>;

if (kind === 'accord' || kind === 'accord-pg') {
  const dir = mkdtempSync(join(tmpdir(), 'accord-bench-'));
  const scratch = kind === 'accord-pg' ? await scratchDatabase() : null;
  const server: RunningServer = await startServer({
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      ACCORD_DATA_DIR: dir,
      ACCORD_LOG: 'error',
      NODE_ENV: 'production',
      ...(scratch ? { DATABASE_URL: scratch.url } : {}),
      ...(broadcastWindowMs ? { ACCORD_BROADCAST_WINDOW_MS: broadcastWindowMs } : {}),
      ...(pgliteWasm ? { ACCORD_PGLITE_WASM: pgliteWasm } : {}),
    },
  });
  const { deps } = server;
  const [lead] = await deps.db.db.select().from(users).where(eq(users.email, 'lead@accord.local'));
  const { token } = await deps.auth.createToken(lead!.id, 'bench', null);
  const project = await deps.projects.create(lead!, { name: 'Bench', description: '', taskKind: 'pairwise' });
  const name = `rubric:${project.id}`;
  docState = async () => {
    const room = deps.docs.get(name);
    await deps.docs.flush();
    const loaded = await createDocStore(deps.db.db).load(name);
    const fromDb = new Y.Doc();
    if (loaded.snapshot) Y.applyUpdate(fromDb, loaded.snapshot);
    for (const u of loaded.updates) Y.applyUpdate(fromDb, u);
    return { server: room ? hashOf(room.doc) : 'no room', db: hashOf(fromDb) };
  };
  shutdown = async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    await scratch?.drop();
  };
  send({ type: 'ready', url: server.url.replace('localhost', '127.0.0.1'), token, docName: name, idleRssMb: await idleRss() });
} else if (kind === 'hocuspocus') {
  const { Server } = await import('@hocuspocus/server');
  const { Database } = await import('@hocuspocus/extension-database');
  const pg = (await import('pg')).default;
  const scratch = await scratchDatabase();
  const pool = new pg.Pool({ ...PG, database: scratch.name, max: 4 });
  await pool.query('CREATE TABLE documents (name text PRIMARY KEY, data bytea NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())');
  // The token a real app would hand out: user id and an HMAC over it, checked on every connection.
  const secret = randomBytes(32);
  const mac = (userId: string) => createHmac('sha256', secret).update(userId).digest();
  const token = `bench-user.${mac('bench-user').toString('base64url')}`;
  let stores = 0;
  const server = new Server({
    address: '127.0.0.1',
    port: 0,
    quiet: true,
    stopOnSignals: false,
    async onAuthenticate({ token: presented }: { token: string }) {
      const [userId = '', sig = ''] = presented.split('.');
      const given = Buffer.from(sig, 'base64url');
      const expected = mac(userId);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('unauthorized');
      return { user: { id: userId } };
    },
    extensions: [
      new Database({
        fetch: async ({ documentName }) => {
          const { rows } = await pool.query<{ data: Buffer }>('SELECT data FROM documents WHERE name = $1', [documentName]);
          return rows[0] ? new Uint8Array(rows[0].data) : null;
        },
        store: async ({ documentName, state }) => {
          await pool.query(
            'INSERT INTO documents (name, data) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = now()',
            [documentName, state],
          );
          stores++;
        },
      }),
    ],
  });
  await server.listen();
  const readDb = async () => {
    const { rows } = await pool.query<{ data: Buffer }>('SELECT data FROM documents WHERE name = $1', ['bench']);
    const d = new Y.Doc();
    if (rows[0]) Y.applyUpdate(d, new Uint8Array(rows[0].data));
    return hashOf(d);
  };
  docState = async () => {
    const d = server.hocuspocus.documents.get('bench');
    const serverHash = d ? hashOf(d) : 'no doc';
    // The database extension stores after a 2 s debounce (at most 10 s): wait for the last store.
    await until(async () => (await readDb()) === serverHash, 15_000);
    return { server: serverHash, db: await readDb(), stores };
  };
  shutdown = async () => {
    await server.destroy();
    await pool.end();
    await scratch.drop();
  };
  send({ type: 'ready', url: `ws://127.0.0.1:${server.address.port}`, token, docName: 'bench', idleRssMb: await idleRss() });
} else {
  const { WebSocketServer } = await import('ws');
  const utils = (await import('@y/websocket-server/utils')) as { setupWSConnection: (ws: unknown, req: unknown, o: { docName: string; gc: boolean }) => void; docs: Map<string, Y.Doc> };
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on('connection', (ws, req) => utils.setupWSConnection(ws, req, { docName: 'bench', gc: true }));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  docState = async () => {
    const d = utils.docs.get('bench');
    return { server: d ? hashOf(d) : 'no doc', db: null };
  };
  shutdown = async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => http.close(() => r()));
  };
  send({ type: 'ready', url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/bench`, token: null, docName: 'bench', idleRssMb: await idleRss() });
}

/**
 * Resident memory of this process with no client connected, after garbage collection and `settleMs` of
 * idleness (1 s right after start-up; 10 s for the settled figure, once V8 has shrunk what start-up grew).
 */
async function idleRss(settleMs = 1_000): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, settleMs));
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 1048576;
}

const delay = monitorEventLoopDelay({ resolution: 5 });
/** Garbage-collection pauses (ms) in the measured window, as V8 reports them. */
let gcPauses: number[] | null = null;
new PerformanceObserver((list) => {
  if (gcPauses) for (const e of list.getEntries()) gcPauses.push(e.duration);
}).observe({ entryTypes: ['gc'] });
let cpu0 = process.cpuUsage();
let elu0 = performance.eventLoopUtilization();
let t0 = performance.now();
/** BENCH_PROFILE_WINDOW: the CPU profiler runs over the measured window only (not start-up, loading or warm-up). */
const profiler = profileWindow ? new Session() : null;
profiler?.connect();

async function onMessage(m: { type: string }): Promise<void> {
  if (m.type === 'settle') {
    send({ type: 'settled', rssMb: await idleRss(10_000) });
  } else if (m.type === 'collect') {
    // A full collection before the editors start, not in the measured window: a forced collection
    // there stalled the loop for 25-45 ms (longer the larger the heap) while measured edits arrived.
    (globalThis as { gc?: () => void }).gc?.();
    // Let its report reach the observer before the window opens.
    await new Promise((r) => setTimeout(r, 50));
    send({ type: 'collected' });
  } else if (m.type === 'measure-start') {
    gcPauses = [];
    cpu0 = process.cpuUsage();
    elu0 = performance.eventLoopUtilization();
    t0 = performance.now();
    delay.reset();
    delay.enable();
    pathTrace?.start();
    if (profiler) {
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
  } else if (m.type === 'measure-stop') {
    const pathFigures = pathTrace?.stop() ?? null;
    delay.disable();
    const pauses = gcPauses ?? [];
    gcPauses = null;
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      mkdirSync(profileWindow!, { recursive: true });
      const file = join(profileWindow!, `${kind}-${process.pid}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      console.log(`  ${kind}: measured window's CPU profile in ${file}`);
    }
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    const mem = process.memoryUsage();
    send({
      type: 'stats',
      cpuMicros: cpu.user + cpu.system,
      // How long this process saw the measured window: far shorter than the editors' when its event loop
      // was saturated and both control messages waited behind the load.
      windowMs: performance.now() - t0,
      elu: elu.utilization,
      maxStallMs: delay.max / 1e6,
      p99DelayMs: delay.percentile(99) / 1e6,
      gcCount: pauses.length,
      gcTotalMs: pauses.reduce((a, b) => a + b, 0),
      gcMaxMs: Math.max(0, ...pauses),
      rssMb: mem.rss / 1048576,
      heapMb: mem.heapUsed / 1048576,
      path: pathFigures,
    });
  } else if (m.type === 'state') {
    send({ type: 'state', ...(await docState()) });
  } else if (m.type === 'exit') {
    await shutdown();
    process.exit(0);
  }
}
process.on('message', (m: { type: string }) => void onMessage(m));
