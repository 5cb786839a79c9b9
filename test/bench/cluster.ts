/**
 * `npm run bench:cluster`: live documents across several nodes (issue 13, "three nodes, 300 clients
 * across 30 documents").
 *
 * Starts N Accord processes on one scratch PostgreSQL database (test/utils/cluster.ts), creates
 * `docs` projects and publishes a rubric in each, then connects `clients` editors straight to the
 * nodes in turn (so every document has editors on every node) and one observer per document on
 * every node. Editors append unique tokens to a dimension's description at `rate` edits/s each for
 * `seconds`. Prints:
 *  - propagation latency, from an edit's send until an observer has applied it, for observers on
 *    the editor's own node and on the other nodes (p50/p95/p99);
 *  - CPU (share of one core, from /proc) and RSS of every node over the load window;
 *  - convergence: every observer of a document (one per node) and the database hold the same document
 *    (editors drain what they receive without applying it, so they hold only their own edits).
 *
 *   npm run bench:cluster [-- --nodes 3] [--clients 300] [--docs 30] [--rate 2] [--seconds 20]
 *     [--pg postgres://postgres@127.0.0.1:5432/postgres]
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Socket } from 'socket.io-client';
import type { Project } from '@accord/core';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { getDimensionText } from '@accord/collab';
import { ApiClient } from '../utils/client.ts';
import { startCluster, type Cluster } from '../utils/cluster.ts';
import { connected, drainingDocSocketEditor, openDoc, openSocket, type LiveDoc } from '../utils/collab.ts';
import { EDIT_DIMENSION, docFromDatabase, draftState, openAppSocket, sleep } from '../utils/faults.ts';
import { assertLoopback, createScratchDatabase, latencies, publishRubric, type ScratchDatabase } from '../utils/bench-load.ts';

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    clients: { type: 'string', default: '300' },
    docs: { type: 'string', default: '30' },
    rate: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '20' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});

function num(name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name}: must be a number from ${min} to ${max} (got ${v})`);
    process.exit(2);
  }
  return n;
}
const NODES = Math.round(num('nodes', args.nodes, 1, 8));
const CLIENTS = Math.round(num('clients', args.clients, 1, 2000));
const DOCS = Math.round(num('docs', args.docs, 1, 500));
const RATE = num('rate', args.rate, 0.1, 50);
const SECONDS = num('seconds', args.seconds, 1, 600);
assertLoopback(args.pg);

const ADMIN = { email: 'admin@bench.local', password: 'bench-admin-password' };
const log = (s: string) => console.log(s);
const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '–');

/** utime + stime of a process in seconds, and its RSS in MB (Linux /proc). */
function procStat(pid: number): { cpuSeconds: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: ticks / 100, rssMb: rss ? Number(rss[1]) / 1024 : Number.NaN };
}

interface Sent {
  at: number;
  node: number;
}
/** Every token sent: when, and from which node's editor. */
const sent = new Map<string, Sent>();
/** Propagation samples (ms) by whether the observer sits on the editor's node. */
const sameNode: number[] = [];
const otherNode: number[] = [];
let unmatched = 0;
const TOKEN = /<(c\d+\.\d+)>/g;

class Observer {
  readonly live: LiveDoc;
  constructor(
    readonly socket: Socket,
    readonly node: number,
    readonly docName: string,
  ) {
    this.live = openDoc(socket, docName);
  }
  /** Starts timing arrivals: every token inserted into the edited text from now on. */
  watch(): void {
    const text = getDimensionText(this.live.doc, EDIT_DIMENSION);
    if (!text) throw new Error(`the draft has no dimension ${EDIT_DIMENSION}`);
    text.observe((e) => {
      const now = performance.timeOrigin + performance.now();
      for (const op of e.delta) {
        if (typeof op.insert !== 'string') continue;
        for (const m of op.insert.matchAll(TOKEN)) {
          const s = sent.get(m[1]!);
          if (!s) {
            unmatched++;
            continue;
          }
          (s.node === this.node ? sameNode : otherNode).push(now - s.at);
        }
      }
    });
  }
}

/**
 * An editor on its document socket that syncs once, sends its edits and drains what it receives
 * (`drainingDocSocketEditor`). With full clients for editors, this one process applied every change
 * once per client of its document (13 times) and saturated its core, so the latencies were mostly its
 * own waits. The observers, on every node, are full clients.
 */
class BenchEditor {
  readonly doc = new Y.Doc();
  readonly ws: WebSocket;
  readonly synced: () => boolean;
  private n = 0;
  constructor(
    url: string,
    cookie: string,
    readonly id: number,
    readonly node: number,
    readonly docName: string,
  ) {
    ({ ws: this.ws, synced: this.synced } = drainingDocSocketEditor({ url, cookie }, docName, this.doc, () => undefined, (m) => console.error(`editor ${id}: ${m}`)));
  }
  edit(): void {
    const t = getDimensionText(this.doc, EDIT_DIMENSION);
    if (!t) throw new Error(`editor ${this.id}: the draft has no dimension ${EDIT_DIMENSION}`);
    const token = `c${this.id}.${this.n++}`;
    sent.set(token, { at: performance.timeOrigin + performance.now(), node: this.node });
    t.insert(t.length, `<${token}>`);
  }
}

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

let scratch: ScratchDatabase | null = null;
let cluster: Cluster | null = null;
const sockets: Socket[] = [];
const editorSockets: WebSocket[] = [];
try {
  log(`bench:cluster — ${NODES} nodes, ${CLIENTS} editors across ${DOCS} documents at ${RATE} edits/s each, ${SECONDS} s, observers on every node`);
  scratch = await createScratchDatabase(args.pg, 'accord_bench_cluster');
  cluster = await startCluster({
    nodes: NODES,
    databaseUrl: scratch.url,
    env: {
      ACCORD_DEMO: '0',
      ACCORD_ADMIN_EMAIL: ADMIN.email,
      ACCORD_ADMIN_PASSWORD: ADMIN.password,
      ACCORD_LOG: 'error',
      NODE_ENV: 'production',
      ACCORD_LOGIN_MAX_PER_ADDRESS: '100000',
    },
    timeoutMs: 180_000,
  });
  const nodeUrls = cluster.nodes.map((n) => n.url);
  const admin = new ApiClient(cluster.url);
  await admin.login(ADMIN.email, ADMIN.password);

  const docNames: string[] = [];
  for (let d = 0; d < DOCS; d++) {
    const p = await admin.post<Project>('/api/projects', { name: `Cluster bench ${d + 1}`, taskKind: 'pairwise' });
    if (p.status !== 201) throw new Error(`creating project ${d + 1}: ${p.status} ${p.text}`);
    await publishRubric(admin, p.body.id);
    docNames.push(`rubric:${p.body.id}`);
  }
  log(`set up: ${DOCS} projects with a published rubric`);

  const open = async (url: string) => {
    const s = await connected(url === cluster!.url ? openAppSocket(url, admin.cookie) : openSocket({ url, cookie: admin.cookie }));
    sockets.push(s);
    return s;
  };
  const observers: Observer[] = [];
  for (const name of docNames) for (let n = 0; n < NODES; n++) observers.push(new Observer(await open(nodeUrls[n]!), n, name));
  const editors: BenchEditor[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const node = i % NODES;
    const editor = new BenchEditor(nodeUrls[node]!, admin.cookie!, i, node, docNames[Math.floor(i / NODES) % DOCS]!);
    editors.push(editor);
    editorSockets.push(editor.ws);
  }
  await waitUntil(() => observers.every((o) => o.live.provider.synced) && editors.every((e) => e.synced()), 120_000, 'every client synced');
  for (const o of observers) o.watch();
  log(`connected: ${editors.length} editors and ${observers.length} observers`);

  const pids = cluster.nodes.map((n) => n.process().child.pid!);
  const before = pids.map(procStat);
  const self0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  let editing = true;
  const typing = Promise.all(
    editors.map(async (e) => {
      // Spread the editors' first edits over one interval, then keep each one's rate.
      await sleep(Math.random() * (1000 / RATE));
      while (editing) {
        e.edit();
        await sleep((1000 / RATE) * (0.5 + Math.random()));
      }
    }),
  );
  await sleep(SECONDS * 1000);
  editing = false;
  await typing;
  const wall = (performance.now() - t0) / 1000;
  const after = pids.map(procStat);
  const self = process.cpuUsage(self0);
  // The editors and observers share this process: when its event loop is busy, their edits go out late
  // and arrivals wait to be read, and the latencies include that wait.
  const generatorElu = performance.eventLoopUtilization(elu0).utilization;

  // Convergence: every client of a document, then the database, hold one state.
  const convergeStart = performance.now();
  let converged = true;
  try {
    await waitUntil(
      () =>
        docNames.every((name) => {
          const states = observers.filter((o) => o.docName === name).map((o) => draftState(o.live.doc));
          return states.every((s) => s === states[0]);
        }),
      120_000,
      'every client of each document to hold the same state',
    );
  } catch (e) {
    converged = false;
    log(String(e));
  }
  const clientsConvergedMs = performance.now() - convergeStart;
  let dbConverged = true;
  await sleep(2000);
  for (const name of docNames) {
    const o = observers.find((x) => x.docName === name)!;
    const fromDb = await docFromDatabase(scratch.url, name);
    if (draftState(fromDb) !== draftState(o.live.doc)) dbConverged = false;
  }
  const received = sameNode.length + otherNode.length;
  const expected = sent.size * NODES;

  log('');
  log(`| observers | samples | p50 ms | p95 ms | p99 ms |`);
  log(`|---|---|---|---|---|`);
  for (const [label, s] of [
    ['on the editor\'s node', sameNode],
    ['on another node', otherNode],
  ] as const) {
    const l = latencies(s);
    log(`| ${label} | ${s.length.toLocaleString('en-US')} | ${f(l.p50)} | ${f(l.p95)} | ${f(l.p99)} |`);
  }
  log('');
  log(`| node | CPU (share of one core) | RSS MB before → after |`);
  log(`|---|---|---|`);
  pids.forEach((_, i) => log(`| ${i + 1} | ${f((100 * (after[i]!.cpuSeconds - before[i]!.cpuSeconds)) / wall, 0)} % | ${f(before[i]!.rssMb, 0)} → ${f(after[i]!.rssMb, 0)} |`));
  log(`| load generator (this process) | ${f((100 * (self.user + self.system)) / 1e6 / wall, 0)} % | |`);
  log('');
  log(
    `load generator: event loop ${f(100 * generatorElu, 0)} % busy; edits sent at ${f(sent.size / wall, 0)}/s of the ${f(CLIENTS * RATE, 0)}/s asked for${
      generatorElu >= 0.8 || sent.size / wall < 0.95 * CLIENTS * RATE ? ' (the latencies above include its own waits: its timers fire late and arrivals wait to be read)' : ''
    }`,
  );
  log(`edits sent ${sent.size.toLocaleString('en-US')} (${f(sent.size / wall, 0)}/s); arrivals at observers ${received.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')}; unmatched ${unmatched}`);
  log(`convergence: observers ${converged ? `yes (${f(clientsConvergedMs, 0)} ms after the last edit)` : 'NO'}, database ${dbConverged ? 'yes' : 'NO'}`);
  const other = latencies(otherNode);
  log(
    `result (${NODES} nodes, ${CLIENTS} clients across ${DOCS} documents): cross-node propagation p50 ${f(other.p50)} ms, p99 ${f(other.p99)} ms; all ${received === expected ? '' : 'NOT '}delivered; converged ${converged && dbConverged ? 'yes' : 'NO'}`,
  );
} finally {
  for (const s of sockets) s.close();
  for (const e of editorSockets) e.close();
  await cluster?.close();
  await scratch?.drop();
}
process.exit(0);
