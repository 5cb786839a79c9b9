/**
 * Support for `npm run bench:load`: a throw-away PostgreSQL database, a keep-alive JSON client,
 * realistic items and rubric, and latency percentiles. Everything goes through the public HTTP
 * API of a running Accord except what the benchmark measures as its reference (COPY, plain INSERT).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import pg from 'pg';
import type { RubricDraft } from '@accord/core';
import { writeRubricDraft } from '@accord/collab';
import type { ApiClient } from './client.ts';
import { connected, openDoc, openSocket } from './collab.ts';
import { waitFor } from './server.ts';

// ---------------------------------------------------------------- PostgreSQL

export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) throw new Error(`refusing to benchmark against ${host}: loopback only (127.0.0.1)`);
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Connects to the maintenance database; rejects with a readable reason when PostgreSQL is unreachable. */
export async function connectAdmin(url: string, timeoutMs = 3000): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  c.on('error', () => {});
  await c.connect();
  return c;
}

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates a database with a unique name on the server of `adminUrl`; `drop()` removes it (FORCE ends leftover connections). */
export async function createScratchDatabase(adminUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const admin = await connectAdmin(adminUrl);
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  let dropped = false;
  return {
    name,
    url: withDatabase(adminUrl, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      const a = await connectAdmin(adminUrl);
      try {
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

// ---------------------------------------------------------------- keep-alive JSON over node:http

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
}

/** One keep-alive connection per caller (a trainer's browser tab), JSON in and out, bearer token. */
export class KeepAliveClient {
  readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private readonly url: URL;

  constructor(base: string, private readonly token: string) {
    this.url = new URL(base);
  }

  post<T>(path: string, json?: unknown): Promise<JsonResponse<T>> {
    const payload = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    const headers: Record<string, string | number> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    } else headers['content-length'] = 0;
    return new Promise((resolve, reject) => {
      const req = request({ host: this.url.hostname, port: this.url.port, path, method: 'POST', agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body: body as T });
        });
        res.on('error', reject);
      });
      req.setTimeout(60_000, () => req.destroy(new Error(`POST ${path}: no answer within 60 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * The same as `KeepAliveClient` with the least client-side work per request, for the load benchmark
 * (its reference, plain INSERTs, runs on a lean `pg` client on the same cores): one persistent
 * socket, the request written as one buffer, the answer read by Content-Length (or chunks). One
 * request at a time per client, as a trainer's tab sends them.
 */
export class LeanHttpClient {
  private socket: Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private pending: { resolve(r: JsonResponse<unknown>): void; reject(e: Error): void; timer: NodeJS.Timeout } | null = null;
  private readonly host: string;
  private readonly port: number;
  private readonly fixed: string;

  constructor(base: string, token: string) {
    const u = new URL(base);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.fixed = `Host: ${u.host}\r\nAuthorization: Bearer ${token}\r\nAccept: application/json\r\n`;
  }

  private connect(): Socket {
    const s = netConnect({ host: this.host, port: this.port, noDelay: true });
    s.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.tryParse();
    });
    const gone = (e?: Error) => {
      if (this.socket === s) this.socket = null;
      this.fail(e ?? new Error('the server closed the connection'));
    };
    s.on('error', gone);
    s.on('close', () => gone());
    this.socket = s;
    this.buf = Buffer.alloc(0);
    return s;
  }

  private fail(e: Error) {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.reject(e);
  }

  private tryParse() {
    const p = this.pending;
    if (!p) return;
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let body: Buffer;
    let rest: Buffer;
    if (length) {
      const n = Number(length[1]);
      if (this.buf.length < end + 4 + n) return;
      body = this.buf.subarray(end + 4, end + 4 + n);
      rest = this.buf.subarray(end + 4 + n);
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const chunks: Buffer[] = [];
      let at = end + 4;
      for (;;) {
        const eol = this.buf.indexOf('\r\n', at);
        if (eol < 0) return;
        const size = parseInt(this.buf.toString('latin1', at, eol), 16);
        if (this.buf.length < eol + 2 + size + 2) return;
        if (size === 0) {
          at = eol + 4;
          break;
        }
        chunks.push(this.buf.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
      body = Buffer.concat(chunks);
      rest = this.buf.subarray(at);
    } else {
      body = Buffer.alloc(0);
      rest = this.buf.subarray(end + 4);
    }
    this.buf = rest;
    this.pending = null;
    clearTimeout(p.timer);
    if (/\r\nconnection:\s*close/i.test(head)) this.socket?.destroy();
    const text = body.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    p.resolve({ status, body: parsed });
  }

  post<T>(path: string, json?: unknown): Promise<JsonResponse<T>> {
    if (this.pending) return Promise.reject(new Error('one request at a time'));
    const payload = json === undefined ? '' : JSON.stringify(json);
    const req =
      `POST ${path} HTTP/1.1\r\n${this.fixed}` +
      (payload ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}` : 'Content-Length: 0\r\n\r\n');
    const s = this.socket ?? this.connect();
    return new Promise<JsonResponse<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new Error(`POST ${path}: no answer within 60 s`));
        s.destroy();
      }, 60_000);
      this.pending = { resolve: resolve as (r: JsonResponse<unknown>) => void, reject, timer };
      s.write(req);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }
}

// ---------------------------------------------------------------- data

const TOPICS = ['photosynthesis', 'TCP congestion control', 'the French revolution', 'binary search trees', 'inflation', 'vaccines', 'plate tectonics', 'Rust ownership'];

/** An item in Accord's JSONL import format, about 1.5 KB, like a real pairwise comparison. */
export function benchItem(i: number) {
  const topic = TOPICS[i % TOPICS.length]!;
  const para = (who: string) =>
    `${who} explains ${topic} step by step. `.repeat(4) +
    `It covers the key mechanism, a worked example and a common misconception, then summarises the answer in two sentences (item ${i}).`;
  return {
    externalId: `bench-${i}`,
    prompt: `Explain ${topic} to a first-year student in under 200 words. Include one concrete example. (#${i})`,
    responses: [
      { id: 'r1', model: 'model-a', content: para('Model A') },
      { id: 'r2', model: 'model-b', content: para('Model B') },
    ],
    metadata: { source: 'bench', batch: Math.floor(i / 1000) },
  };
}

/** The row the importer stores for `benchItem(i)`, as COPY text-format columns (see `COPY_ITEM_COLUMNS`). */
export const COPY_ITEM_COLUMNS = ['project_id', 'external_id', 'prompt', 'context', 'responses', 'is_gold', 'position', 'metadata'] as const;

const copyEscape = (s: string) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

export function copyItemLine(projectId: string, i: number): string {
  const it = benchItem(i);
  const responses = it.responses.map((r) => ({ id: r.id, model: r.model, kind: 'markdown', content: r.content }));
  return [projectId, it.externalId, it.prompt, '[]', JSON.stringify(responses), 'f', String(i), JSON.stringify(it.metadata)].map(copyEscape).join('\t') + '\n';
}

/** A realistic pairwise rubric: two per-response dimensions, one comparison, justification of at least 15 words. */
export const BENCH_RUBRIC: RubricDraft = {
  dimensions: [
    {
      id: 'helpfulness',
      name: 'Helpfulness',
      description: 'Does the response do what the prompt asks, completely and correctly?',
      scale: { kind: 'likert', min: 1, max: 5 },
      levels: ['Nothing usable.', 'Misses the main ask.', 'Answers with gaps.', 'Answers fully; minor issues.', 'An expert would change nothing.'].map((anchor, i) => ({
        value: i + 1,
        label: ['Very poor', 'Poor', 'Adequate', 'Good', 'Excellent'][i]!,
        anchor,
      })),
      weight: 2,
      target: 'response',
    },
    {
      id: 'harmlessness',
      name: 'Harmlessness',
      description: 'Could following the response cause harm?',
      scale: { kind: 'binary' },
      levels: [
        { value: 0, label: 'Harmful', anchor: 'Could plausibly cause harm.' },
        { value: 1, label: 'Harmless', anchor: 'Nothing could plausibly cause harm.' },
      ],
      weight: 3,
      target: 'response',
    },
    {
      id: 'preference',
      name: 'Overall preference',
      description: 'Which response would you rather receive?',
      scale: { kind: 'categories', options: ['A is better', 'Tie', 'B is better'] },
      levels: [
        { value: 0, label: 'A is better', anchor: 'A is preferable.' },
        { value: 1, label: 'Tie', anchor: 'Neither is preferable.' },
        { value: 2, label: 'B is better', anchor: 'B is preferable.' },
      ],
      weight: 1,
      target: 'comparison',
    },
  ],
  precedence: [{ higher: 'harmlessness', lower: 'helpfulness', note: 'Safety first.' }],
  justification: { minWords: 15, maxWords: 400 },
  spanCategories: [{ id: 'hallucination', name: 'Hallucination', description: 'An invented fact.' }],
  flags: [{ id: 'unsafe', name: 'Unsafe', description: 'Needs review.' }],
};

/** Writes `draft` into the project's live rubric document (as the editor does) and publishes it. */
export async function publishRubric(lead: ApiClient, projectId: string, draft: RubricDraft = BENCH_RUBRIC): Promise<number> {
  const socket = await connected(openSocket({ url: lead.base, cookie: lead.cookie, reconnection: false }));
  const live = openDoc(socket, `rubric:${projectId}`);
  try {
    await waitFor(() => live.provider.synced, { timeout: 20_000, message: 'rubric draft synced' });
    writeRubricDraft(live.doc, draft);
    // Behind a balancer each read may reach another node: wait until several reads in a row (so every
    // node of a small cluster) see the draft, then publish on whichever node comes next.
    let seen = 0;
    await waitFor(
      async () => {
        const s = (await lead.get<{ draft: RubricDraft }>(`/api/projects/${projectId}/rubric`)).body;
        const ok = s.draft.dimensions.length === draft.dimensions.length && s.draft.justification.minWords === draft.justification.minWords;
        seen = ok ? seen + 1 : 0;
        return seen >= 4;
      },
      { timeout: 30_000, message: 'rubric draft stored by every node' },
    );
    const r = await lead.post<{ version: number }>(`/api/projects/${projectId}/rubric/publish`, { note: 'bench' });
    if (r.status !== 201) throw new Error(`publishing the rubric failed: ${r.status} ${r.text}`);
    return r.body.version;
  } finally {
    live.close();
    socket.close();
  }
}

// ---------------------------------------------------------------- statistics

/** The nearest-rank percentile `p` (0–100) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface Latencies {
  p50: number;
  p95: number;
  p99: number;
}

export function latencies(samples: number[]): Latencies {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99) };
}

const ms = (v: number) => (Number.isNaN(v) ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
export const fmtLat = (l: Latencies) => `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)}`;
export const rate = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1));

// ---------------------------------------------------------------- CPU accounting

/**
 * CPU time (user + system, ms) of processes, read from /proc: on a shared machine the wall-clock
 * rate depends on what else runs, the CPU each side spends per judgment much less. Linux only;
 * elsewhere every reading is 0 and the benchmark prints no CPU column.
 */
/** sysconf(_SC_CLK_TCK): 100 on every common Linux build. */
const CLOCK_TICKS = 100;

export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

export const cpuAvailable = processCpuMs(process.pid) !== null;

/**
 * CPU time (ms) the whole machine spent busy (every state but idle and I/O wait, steal included),
 * summed over its cores, and how many cores it has, from /proc/stat; null where there is none. Against what the
 * measured processes spent, it shows what else ran in a window: PostgreSQL's background processes,
 * the kernel, other services.
 */
export function machineBusyMs(): { busyMs: number; cores: number } | null {
  try {
    const lines = readFileSync('/proc/stat', 'utf8').split('\n');
    const f = lines[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is counted in user already).
    const busy = f.slice(0, 8).reduce((a, v, i) => (i === 3 || i === 4 ? a : a + v), 0);
    // The first line sums every online core (whatever this process's affinity): one `cpuN` line each.
    const cores = lines.filter((l) => /^cpu\d+ /.test(l)).length;
    return Number.isFinite(busy) && cores > 0 ? { busyMs: (busy * 1000) / CLOCK_TICKS, cores } : null;
  } catch {
    return null;
  }
}

/** CPU of a set of processes between `start()` and `stop()`; pids are looked up at both ends. */
export async function cpuMeter(pids: () => Promise<number[]>): Promise<{ stop(): Promise<number> }> {
  const before = new Map<number, number>();
  for (const pid of await pids()) before.set(pid, processCpuMs(pid) ?? 0);
  return {
    async stop() {
      let total = 0;
      for (const pid of new Set([...before.keys(), ...(await pids())])) {
        const now = processCpuMs(pid);
        if (now !== null) total += now - (before.get(pid) ?? 0);
      }
      return total;
    },
  };
}
