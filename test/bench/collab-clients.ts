/**
 * Benchmark load generator (forked twice by collab.ts, so the server's CPU is measured alone).
 *
 * - role `observers`: a few full clients. Each applies every update into its own Y.Doc and records,
 *   per remote Yjs client, when each clock range arrived. They do not edit. Observer 0 writes the
 *   initial rubric. At the end collab.ts hands them the editors' send table (Yjs client id, clock,
 *   send time) and they compute propagation latency: from an edit's send until the last observer has
 *   applied it. Send and receive times are read from the system's monotonic clock (CLOCK_MONOTONIC,
 *   `process.hrtime`), one clock for both processes. `performance.timeOrigin` is the wall clock read
 *   once at each process's start, so two processes' readings differ by whatever the wall clock moved
 *   against the monotonic one between their starts (here about 2 µs per second, more when a clock is
 *   corrected).
 * - role `editors`: the other clients. Each syncs the document once (sync step 1 / step 2), then keeps
 *   a Y.Doc with only the initial state and its own edits, so every edit is a valid Yjs update
 *   concurrent with the others; it edits at a steady rate and only drains incoming frames (counted,
 *   not decoded into Yjs or applied). Editors of every server speak its wire protocol over a plain
 *   `ws` socket (y-websocket's for the relay, Hocuspocus's, and Accord's document socket, [P26]), so
 *   no load generator carries a client library the others do not. Observers are the real clients:
 *   Accord's are its provider over `createWebSocketDocTransport`.
 * - `transport: 'socket.io'` (BENCH_ACCORD_TRANSPORT=socket.io) runs Accord's clients over Socket.IO
 *   instead: editors speak Engine.IO / Socket.IO (msgpack) over `ws`, observers are socket.io-client.
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
import {
  createDocProvider,
  createSocketDocTransport,
  createWebSocketDocTransport,
  decodeFrame,
  docSocketUrl,
  encodeFrame,
  getDimensionText,
  readRubricDraft,
  writeRubricDraft,
  type DocSocketLike,
  type RubricDraft,
  type WebSocketLike,
} from '@accord/collab';
import { drainingDocSocketEditor } from '../utils/collab.ts';
import { quantiles } from './path-trace.ts';

interface Args {
  role: 'observers' | 'editors';
  kind: 'accord' | 'accord-pg' | 'reference' | 'hocuspocus';
  /** Accord's: its document sockets (the default) or Socket.IO. */
  transport?: 'docsocket' | 'socket.io';
  url: string;
  token: string | null;
  docName: string;
  count: number;
  /** Editors: the total rate of all editors together. */
  editsPerSecond: number;
  warmupMs: number;
  loadMs: number;
  seed: number;
  /** BENCH_PATH: observers also note when each frame reached them, before they apply it. */
  path?: boolean;
}
const args = JSON.parse(process.argv[2]!) as Args;
const send = (m: unknown) => process.send!(m);
/** Milliseconds on CLOCK_MONOTONIC, shared by every process of the machine (nanoseconds since boot fit a double exactly). */
const clock = () => Number(process.hrtime.bigint()) / 1e6;
/** BENCH_PATH: when each observer's socket last delivered a message (read before the frame is applied). */
const arrivals = new Map<Y.Doc, number>();
const noteArrivals = (doc: Y.Doc, ws: WebSocket): void => {
  if (args.path) ws.on('message', () => arrivals.set(doc, clock()));
};

let rngState = args.seed >>> 0;
const rng = () => {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const until = async (cond: () => boolean, timeoutMs: number) => {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
};

interface Client {
  doc: Y.Doc;
  synced: () => boolean;
  close(): void;
}

/**
 * A client connection. `full`: every incoming frame goes into the doc (observer). Otherwise the doc
 * takes only the first sync step 2 and every later frame is only counted (editor).
 */
function connect(full: boolean, onRemote: (doc: Y.Doc, update: Uint8Array) => void, onDrained: (bytes: number) => void): Client {
  const doc = new Y.Doc();
  if (args.kind === 'accord' || args.kind === 'accord-pg') {
    // Editors speak the wire protocol over a plain `ws` socket, as the relay's and Hocuspocus's below do.
    const overSocketIo = args.transport === 'socket.io';
    if (!full) return overSocketIo ? rawAccordEditor(doc, onDrained) : rawDocSocketEditor(doc, onDrained);
    const socket: Socket | null = overSocketIo
      ? ioClient(args.url, { transports: ['websocket'], parser: msgpackParser, auth: { token: args.token }, reconnection: false, timeout: 20_000 })
      : null;
    const transport = socket
      ? createSocketDocTransport(socket as unknown as DocSocketLike, args.docName)
      : createWebSocketDocTransport({
          url: docSocketUrl(args.url, args.docName),
          connect: (url) => {
            const ws = new WebSocket(url, { perMessageDeflate: false, headers: { authorization: `Bearer ${args.token}` } });
            noteArrivals(doc, ws);
            return ws as unknown as WebSocketLike;
          },
          onRefused: (e) => console.error(`observer: refused: ${e.code} ${e.message}`),
        });
    const provider = createDocProvider({ doc, transport });
    doc.on('update', (u: Uint8Array, origin: unknown) => origin !== null && onRemote(doc, u));
    return {
      doc,
      synced: () => provider.synced,
      close() {
        provider.destroy();
        transport.close();
        socket?.close();
      },
    };
  }
  // The reference relay speaks y-websocket's protocol; Hocuspocus the same messages, each prefixed with
  // the document name, after an authentication message (its onAuthenticate hook checks the token).
  const hocuspocus = args.kind === 'hocuspocus';
  const ws = new WebSocket(args.url, { perMessageDeflate: false });
  if (full) noteArrivals(doc, ws);
  const origin = Symbol('ws');
  let synced = false;
  /** A new message: the document name (Hocuspocus only) and the message type. */
  const header = (type: number) => {
    const e = encoding.createEncoder();
    if (hocuspocus) encoding.writeVarString(e, args.docName);
    encoding.writeVarUint(e, type);
    return e;
  };
  ws.on('open', () => {
    if (hocuspocus) {
      const auth = header(2); // Auth
      encoding.writeVarUint(auth, 0); // Token
      encoding.writeVarString(auth, args.token ?? '');
      ws.send(encoding.toUint8Array(auth));
    }
    const e = header(0);
    syncProtocol.writeSyncStep1(e, doc);
    ws.send(encoding.toUint8Array(e));
  });
  ws.on('message', (data: Buffer) => {
    if (synced && !full) return onDrained(data.byteLength);
    const d = decoding.createDecoder(data);
    if (hocuspocus) decoding.readVarString(d);
    const type = decoding.readVarUint(d);
    // Sync (0) and, from Hocuspocus, SyncReply (4); awareness, auth and sync-status acks are not used here.
    if (type !== 0 && !(hocuspocus && type === 4)) return;
    const e = header(0);
    const empty = encoding.length(e);
    const t = syncProtocol.readSyncMessage(d, e, doc, origin);
    if (t === syncProtocol.messageYjsSyncStep2) synced = true;
    if (encoding.length(e) > empty) ws.send(encoding.toUint8Array(e));
  });
  ws.on('error', (err) => console.error(`client: ${err.message}`));
  doc.on('update', (u: Uint8Array, o: unknown) => {
    if (o === origin) {
      if (full) onRemote(doc, u);
      return;
    }
    const e = header(0);
    syncProtocol.writeUpdate(e, u);
    if (ws.readyState === WebSocket.OPEN) ws.send(encoding.toUint8Array(e));
  });
  return { doc, synced: () => synced, close: () => ws.close() };
}

/**
 * An Accord editor without socket.io-client: Engine.IO 4 and Socket.IO 5 (msgpack parser) spoken over a
 * plain \`ws\` socket, as the relay's and Hocuspocus's editors speak theirs. It connects with the API
 * token, joins the document (the same \`doc:join\` and acknowledgement), syncs once, then sends its edits
 * as \`doc:msg\` events and only counts the frames it receives, without decoding them.
 */
function rawAccordEditor(doc: Y.Doc, onDrained: (bytes: number) => void): Client {
  const ws = new WebSocket(`${args.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
  const encoder = new msgpackParser.Encoder();
  const decoder = new msgpackParser.Decoder();
  const packet = (p: { type: number; data?: unknown; id?: number }) => {
    for (const bytes of encoder.encode({ nsp: '/', ...p }) as unknown as Buffer[]) ws.send(bytes);
  };
  const emit = (frame: Uint8Array) => packet({ type: 2, data: ['doc:msg', args.docName, Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)] });
  const JOIN_ACK = 1;
  let synced = false;
  const remote = Symbol('remote');
  decoder.on('decoded', (p: { type: number; id?: number; data?: unknown[] }) => {
    if (p.type === 0) packet({ type: 2, data: ['doc:join', args.docName], id: JOIN_ACK });
    else if (p.type === 4) console.error(`editor: connection refused: ${JSON.stringify(p.data)}`);
    else if (p.type === 3 && p.id === JOIN_ACK) {
      const r = p.data?.[0] as { ok?: boolean; error?: unknown } | undefined;
      if (r?.ok) emit(encodeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(doc) }));
      else console.error(`editor: join refused: ${JSON.stringify(r?.error)}`);
    } else if (p.type === 2 && p.data?.[0] === 'doc:msg' && p.data[2] instanceof Uint8Array) {
      const frame = decodeFrame(p.data[2]);
      if (frame.type === 'sync-step2') {
        Y.applyUpdate(doc, frame.update, remote);
        synced = true;
      }
    }
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      // Engine.IO: "0{…}" opens the session (then the Socket.IO connect, with the token), "2" is a ping.
      const text = data.toString();
      if (text.startsWith('0')) packet({ type: 0, data: { token: args.token } });
      else if (text === '2') ws.send('3');
      return;
    }
    if (synced) return onDrained(data.byteLength);
    decoder.add(data);
  });
  ws.on('error', (err) => console.error(`editor: ${err.message}`));
  doc.on('update', (u: Uint8Array, origin: unknown) => origin !== remote && ws.readyState === WebSocket.OPEN && emit(encodeFrame({ type: 'sync-update', update: u })));
  return { doc, synced: () => synced, close: () => ws.close() };
}

/** An Accord editor on its document socket ([P26]) with the API token: what the relay's editors do with y-websocket's protocol. */
function rawDocSocketEditor(doc: Y.Doc, onDrained: (bytes: number) => void): Client {
  const { ws, synced } = drainingDocSocketEditor({ url: args.url, ...(args.token ? { token: args.token } : {}) }, args.docName, doc, onDrained, (m) => console.error(`editor: ${m}`));
  return { doc, synced, close: () => ws.close() };
}

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

const hashOf = (doc: Y.Doc) => createHash('sha1').update(JSON.stringify(readRubricDraft(doc))).digest('hex').slice(0, 12);

async function connectAll(full: boolean, onRemote: (doc: Y.Doc, u: Uint8Array) => void, onDrained: (bytes: number) => void) {
  const clients: Client[] = [];
  for (let i = 0; i < args.count; i += 25) {
    const batch = Array.from({ length: Math.min(25, args.count - i) }, () => connect(full, onRemote, onDrained));
    clients.push(...batch);
    await until(() => batch.every((c) => c.synced()), 30_000);
  }
  return { clients, allSynced: await until(() => clients.every((c) => c.synced()), 30_000) };
}

type Msg = { type: string; edits?: number[] };
const messages: Msg[] = [];
const wakers = new Set<() => void>();
process.on('message', (m: Msg) => {
  messages.push(m);
  for (const w of [...wakers]) w();
});
async function next(type: string): Promise<Msg> {
  for (;;) {
    const i = messages.findIndex((m) => m.type === type);
    if (i >= 0) return messages.splice(i, 1)[0]!;
    await new Promise<void>((r) => {
      const w = () => (wakers.delete(w), r());
      wakers.add(w);
    });
  }
}
const exitOnRequest = (clients: Client[]) =>
  void next('exit').then(() => {
    for (const c of clients) c.close();
    setTimeout(() => process.exit(0), 200);
  });

if (args.role === 'observers') {
  // Per observer, per remote Yjs client: each clock range [.., to), when it was applied and when its
  // message reached the observer (BENCH_PATH; else NaN).
  const receipts = new Map<Y.Doc, Map<number, number[]>>();
  const onRemote = (doc: Y.Doc, update: Uint8Array) => {
    const t = clock();
    const arrived = arrivals.get(doc) ?? NaN;
    let perClient = receipts.get(doc);
    if (!perClient) receipts.set(doc, (perClient = new Map()));
    for (const [clientId, to] of Y.parseUpdateMeta(update).to) {
      let list = perClient.get(clientId);
      if (!list) perClient.set(clientId, (list = []));
      list.push(to, t, arrived);
    }
  };
  const { clients, allSynced } = await connectAll(true, onRemote, () => undefined);
  writeRubricDraft(clients[0]!.doc, initial);
  const target = JSON.stringify(readRubricDraft(clients[0]!.doc));
  await until(() => clients.every((c) => JSON.stringify(readRubricDraft(c.doc)) === target), 30_000);
  send({ type: 'ready', allSynced });
  exitOnRequest(clients);
  let measureElu = NaN;
  let measureCpu = NaN;
  void next('measure-start').then(async () => {
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await next('measure-stop');
    measureElu = performance.eventLoopUtilization(elu0).utilization;
    const cpu = process.cpuUsage(cpu0);
    measureCpu = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
  });

  // The editors' table: flat [clientId, clock, sentAt, measured (0/1)] per edit.
  const { edits } = await next('edits');
  const table = edits!;
  const last = new Map<number, number>();
  for (let i = 0; i < table.length; i += 4) last.set(table[i]!, Math.max(last.get(table[i]!) ?? -1, table[i + 1]!));
  const has = (c: Client) => [...last].every(([id, cl]) => Y.getState(c.doc.store, id) > cl);
  const delivered = await until(() => clients.every(has), 60_000);
  const latencies: number[] = [];
  // BENCH_PATH: from the send until the message reached the first observer, and the last.
  const firstArrivals: number[] = [];
  const lastArrivals: number[] = [];
  let undelivered = 0;
  for (let i = 0; i < table.length; i += 4) {
    const [id, cl, sentAt, measured] = [table[i]!, table[i + 1]!, table[i + 2]!, table[i + 3]!];
    let worst = 0;
    let firstArrival = Infinity;
    let lastArrival = -Infinity;
    let missing = false;
    for (const c of clients) {
      const list = receipts.get(c.doc)?.get(id) ?? [];
      let at = NaN;
      for (let j = 0; j < list.length; j += 3) {
        if (list[j]! > cl) {
          at = list[j + 1]!;
          firstArrival = Math.min(firstArrival, list[j + 2]! - sentAt);
          lastArrival = Math.max(lastArrival, list[j + 2]! - sentAt);
          break;
        }
      }
      if (Number.isNaN(at)) missing = true;
      else worst = Math.max(worst, at - sentAt);
    }
    if (missing) undelivered++;
    else if (measured) {
      latencies.push(worst);
      if (Number.isFinite(firstArrival)) firstArrivals.push(firstArrival);
      if (Number.isFinite(lastArrival)) lastArrivals.push(lastArrival);
    }
  }
  const latency = quantiles(latencies);
  const hashes = new Set(clients.map((c) => hashOf(c.doc)));
  send({
    type: 'done',
    delivered,
    undelivered,
    samples: latencies.length,
    p50: latency.p50,
    p99: latency.p99,
    max: latencies.length > 0 ? Math.max(...latencies) : NaN,
    converged: hashes.size === 1 && delivered,
    hash: [...hashes][0],
    measureElu,
    measureCpu,
    arrivals: args.path && firstArrivals.length > 0 ? { first: quantiles(firstArrivals), last: quantiles(lastArrivals) } : null,
  });
} else {
  let drainedFrames = 0;
  let drainedBytes = 0;
  const { clients, allSynced } = await connectAll(false, () => undefined, (b) => {
    drainedFrames++;
    drainedBytes += b;
  });
  await until(() => clients.every((c) => getDimensionText(c.doc, DIMENSIONS[0]!) !== null), 30_000);
  send({ type: 'ready', allSynced });
  exitOnRequest(clients);
  await next('go');

  // Steady load: editor i edits every `period` ms, phases spread evenly.
  const table: number[] = [];
  const period = (1000 * clients.length) / args.editsPerSecond;
  const next0 = clients.map((_, i) => (i * period) / clients.length + rng() * 2);
  const t0 = performance.now();
  const loadStart = t0 + args.warmupMs;
  const loadEnd = loadStart + args.loadMs;
  let measuring = false;
  let elu0 = performance.eventLoopUtilization();
  let cpu0 = process.cpuUsage();
  let measuredEdits = 0;
  let frames0 = 0;
  const stats = await new Promise<{ elu: number; cpu: number; frames: number }>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (!measuring && now >= loadStart) {
        measuring = true;
        elu0 = performance.eventLoopUtilization();
        cpu0 = process.cpuUsage();
        frames0 = drainedFrames;
        send({ type: 'measure-start' });
      }
      if (now >= loadEnd) {
        const cpu = process.cpuUsage(cpu0);
        send({ type: 'measure-stop' });
        resolve({ elu: performance.eventLoopUtilization(elu0).utilization, cpu: (cpu.user + cpu.system) / 1000 / args.loadMs, frames: drainedFrames - frames0 });
        return;
      }
      for (let i = 0; i < clients.length; i++) {
        while (t0 + next0[i]! <= now) {
          next0[i]! += period;
          const c = clients[i]!;
          const text = getDimensionText(c.doc, DIMENSIONS[Math.floor(rng() * DIMENSIONS.length)]!)!;
          table.push(c.doc.clientID, Y.getState(c.doc.store, c.doc.clientID), clock(), measuring ? 1 : 0);
          if (measuring) measuredEdits++;
          text.insert(Math.floor(rng() * (text.length + 1)), String.fromCharCode(97 + Math.floor(rng() * 26)) + String.fromCharCode(97 + Math.floor(rng() * 26)));
        }
      }
      setTimeout(tick, 2);
    };
    tick();
  });
  send({ type: 'done', edits: table, sent: table.length / 4, measuredEdits, elu: stats.elu, cpu: stats.cpu, drainedFrames: stats.frames, drainedBytes });
}
