/**
 * Benchmark server process (forked by collab.ts): either Accord's real server (startServer with a
 * PGlite data folder, real token auth, every update authorized, logged and persisted) or the
 * reference relay `@y/websocket-server@0.1.1` on a `ws` server. Measures its own CPU, event-loop
 * utilisation and stalls, and reports the state of its document (and, for Accord, the database's).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { readRubricDraft } from '@accord/collab';
import { eq } from 'drizzle-orm';
import { createDocStore, users } from '@accord/db';
import { startServer, type RunningServer } from '@accord/server';

const kind = process.argv[2] as 'accord' | 'reference';
const send = (m: unknown) => process.send!(m);

const hashOf = (doc: Y.Doc) => createHash('sha1').update(JSON.stringify(readRubricDraft(doc))).digest('hex').slice(0, 12);

let docState: () => Promise<{ server: string; db: string | null }>;
let shutdown: () => Promise<void>;

if (kind === 'accord') {
  const dir = mkdtempSync(join(tmpdir(), 'accord-bench-'));
  const server: RunningServer = await startServer({ env: { PORT: '0', HOST: '127.0.0.1', ACCORD_DATA_DIR: dir, ACCORD_LOG: 'error', NODE_ENV: 'production', ...(process.env.ACCORD_BROADCAST_WINDOW_MS ? { ACCORD_BROADCAST_WINDOW_MS: process.env.ACCORD_BROADCAST_WINDOW_MS } : {}) } });
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
  };
  send({ type: 'ready', url: server.url.replace('localhost', '127.0.0.1'), token, docName: name });
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
  send({ type: 'ready', url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/bench`, token: null, docName: 'bench' });
}

const delay = monitorEventLoopDelay({ resolution: 5 });
let cpu0 = process.cpuUsage();
let elu0 = performance.eventLoopUtilization();

process.on('message', async (m: { type: string }) => {
  if (m.type === 'measure-start') {
    (globalThis as { gc?: () => void }).gc?.();
    cpu0 = process.cpuUsage();
    elu0 = performance.eventLoopUtilization();
    delay.reset();
    delay.enable();
  } else if (m.type === 'measure-stop') {
    delay.disable();
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    const mem = process.memoryUsage();
    send({
      type: 'stats',
      cpuMicros: cpu.user + cpu.system,
      elu: elu.utilization,
      maxStallMs: delay.max / 1e6,
      p99DelayMs: delay.percentile(99) / 1e6,
      rssMb: mem.rss / 1048576,
      heapMb: mem.heapUsed / 1048576,
    });
  } else if (m.type === 'state') {
    send({ type: 'state', ...(await docState()) });
  } else if (m.type === 'exit') {
    await shutdown();
    process.exit(0);
  }
});
