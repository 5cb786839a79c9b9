/**
 * Benchmark load generator (forked by collab.ts, one process for every client so the server's CPU
 * is measured alone): N clients in one rubric document, each inserting a few characters into a
 * dimension description at a steady rate. Propagation latency of an edit = from the sender's edit
 * until the last of the other N-1 clients has applied it (all clients share this process's clock).
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import WebSocket from 'ws';
import { io as ioClient, type Socket } from 'socket.io-client';
import msgpackParser from 'socket.io-msgpack-parser';
import { createDocProvider, createSocketDocTransport, getDimensionText, readRubricDraft, writeRubricDraft, type DocSocketLike, type RubricDraft } from '@accord/collab';

interface Args {
  kind: 'accord' | 'reference';
  url: string;
  token: string | null;
  docName: string;
  clients: number;
  editsPerSecond: number;
  warmupMs: number;
  loadMs: number;
  seed: number;
}
const args = JSON.parse(process.argv[2]!) as Args;
const send = (m: unknown) => process.send!(m);

let rngState = args.seed >>> 0;
const rng = () => {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

interface Edit {
  clock: number;
  sentAt: number;
  remaining: number;
  measured: boolean;
}
interface Client {
  doc: Y.Doc;
  synced: () => boolean;
  close(): void;
  /** Per sender index: how many of its edits this client has applied. */
  seen: Int32Array;
}

const edits: Edit[][] = [];
const senderOf = new Map<number, number>();
const latencies: number[] = [];
let pendingEdits = 0;

function track(receiver: Client, update: Uint8Array) {
  const meta = Y.parseUpdateMeta(update);
  for (const [clientId, to] of meta.to) {
    const s = senderOf.get(clientId);
    if (s === undefined) continue;
    const list = edits[s]!;
    let i = receiver.seen[s]!;
    while (i < list.length && list[i]!.clock < to) {
      const e = list[i]!;
      if (--e.remaining === 0) {
        pendingEdits--;
        if (e.measured) latencies.push(performance.now() - e.sentAt);
      }
      i++;
    }
    receiver.seen[s] = i;
  }
}

function accordClient(): Client {
  const socket: Socket = ioClient(args.url, { transports: ['websocket'], parser: msgpackParser, auth: { token: args.token }, reconnection: false, timeout: 20_000 });
  const doc = new Y.Doc();
  const transport = createSocketDocTransport(socket as unknown as DocSocketLike, args.docName);
  const provider = createDocProvider({ doc, transport });
  const c: Client = {
    doc,
    synced: () => provider.synced,
    close() {
      provider.destroy();
      transport.close();
      socket.close();
    },
    seen: new Int32Array(args.clients),
  };
  doc.on('update', (u: Uint8Array, origin: unknown) => origin !== null && track(c, u));
  return c;
}

function referenceClient(): Client {
  const ws = new WebSocket(args.url, { perMessageDeflate: false });
  const doc = new Y.Doc();
  const origin = Symbol('ws');
  let synced = false;
  ws.on('open', () => {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 0);
    syncProtocol.writeSyncStep1(e, doc);
    ws.send(encoding.toUint8Array(e));
  });
  ws.on('message', (data: Buffer) => {
    const d = decoding.createDecoder(data);
    if (decoding.readVarUint(d) !== 0) return; // awareness: not used here
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 0);
    const t = syncProtocol.readSyncMessage(d, e, doc, origin);
    if (t === syncProtocol.messageYjsSyncStep2) synced = true;
    if (encoding.length(e) > 1) ws.send(encoding.toUint8Array(e));
  });
  doc.on('update', (u: Uint8Array, o: unknown) => {
    if (o === origin) return;
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 0);
    syncProtocol.writeUpdate(e, u);
    if (ws.readyState === WebSocket.OPEN) ws.send(encoding.toUint8Array(e));
  });
  const c: Client = { doc, synced: () => synced, close: () => ws.close(), seen: new Int32Array(args.clients) };
  doc.on('update', (u: Uint8Array, o: unknown) => o === origin && track(c, u));
  return c;
}

const until = async (cond: () => boolean, timeoutMs: number) => {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
};

const DIMENSIONS = ['helpfulness', 'harmlessness', 'honesty', 'concision', 'style'];
const initial: RubricDraft = {
  dimensions: DIMENSIONS.map((id, i) => ({
    id,
    name: id[0]!.toUpperCase() + id.slice(1),
    description: `How well the response does on ${id}. `.repeat(4),
    scale: { kind: 'likert', min: 1, max: 5 },
    levels: [1, 2, 3, 4, 5].map((v) => ({ value: v, label: String(v), anchor: `Level ${v} of ${id}` })),
    weight: i + 1,
    target: 'response',
  })),
  precedence: [{ higher: 'harmlessness', lower: 'helpfulness', note: '' }],
  justification: { minWords: 10, maxWords: 300 },
  spanCategories: [{ id: 'hallucination', name: 'Hallucination', description: '' }],
  flags: [],
};

const clients: Client[] = [];
const make = args.kind === 'accord' ? accordClient : referenceClient;
for (let i = 0; i < args.clients; i += 25) {
  const batch = Array.from({ length: Math.min(25, args.clients - i) }, make);
  clients.push(...batch);
  await until(() => batch.every((c) => c.synced()), 30_000);
}
const allSynced = await until(() => clients.every((c) => c.synced()), 30_000);
clients.forEach((c, i) => {
  senderOf.set(c.doc.clientID, i);
  edits.push([]);
});
writeRubricDraft(clients[0]!.doc, initial);
const target = JSON.stringify(readRubricDraft(clients[0]!.doc));
await until(() => clients.every((c) => JSON.stringify(readRubricDraft(c.doc)) === target), 30_000);

// Steady load: client i edits every `period` ms, phases spread evenly.
const period = (1000 * args.clients) / args.editsPerSecond;
const next = clients.map((_, i) => (i * period) / args.clients + rng() * 2);
const t0 = performance.now();
const loadStart = t0 + args.warmupMs;
const loadEnd = loadStart + args.loadMs;
let measuring = false;
let elu0 = performance.eventLoopUtilization();
let cpu0 = process.cpuUsage();
let sent = 0;
let measuredEdits = 0;
let loadElu = 0;
let loadCpu = 0;
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now();
    if (!measuring && now >= loadStart) {
      measuring = true;
      elu0 = performance.eventLoopUtilization();
      cpu0 = process.cpuUsage();
      send({ type: 'measure-start' });
    }
    if (now >= loadEnd) {
      loadElu = performance.eventLoopUtilization(elu0).utilization;
      const cpu = process.cpuUsage(cpu0);
      loadCpu = (cpu.user + cpu.system) / 1000 / args.loadMs;
      send({ type: 'measure-stop' });
      resolve();
      return;
    }
    for (let i = 0; i < clients.length; i++) {
      while (t0 + next[i]! <= now) {
        next[i]! += period;
        const c = clients[i]!;
        const text = getDimensionText(c.doc, DIMENSIONS[Math.floor(rng() * DIMENSIONS.length)]!)!;
        const clock = Y.getState(c.doc.store, c.doc.clientID);
        const e: Edit = { clock, sentAt: performance.now(), remaining: clients.length - 1, measured: measuring };
        edits[i]!.push(e);
        pendingEdits++;
        sent++;
        if (measuring) measuredEdits++;
        text.insert(Math.floor(rng() * (text.length + 1)), String.fromCharCode(97 + Math.floor(rng() * 26)) + String.fromCharCode(97 + Math.floor(rng() * 26)));
      }
    }
    setTimeout(tick, 2);
  };
  tick();
});
const delivered = await until(() => pendingEdits === 0, 60_000);
const hashes = new Set(clients.map((c) => createHash('sha1').update(JSON.stringify(readRubricDraft(c.doc))).digest('hex').slice(0, 12)));
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
send({
  type: 'done',
  allSynced,
  sent,
  measuredEdits,
  delivered,
  undelivered: pendingEdits,
  p50: q(0.5),
  p99: q(0.99),
  max: latencies.at(-1) ?? NaN,
  clientsConverged: hashes.size === 1 && delivered,
  clientHash: [...hashes][0],
  clientElu: loadElu,
  clientCpu: loadCpu,
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'exit') {
    for (const c of clients) c.close();
    setTimeout(() => process.exit(0), 200);
  }
});
