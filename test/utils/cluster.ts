/**
 * Several Accord nodes (real child processes) on one PostgreSQL behind a small load balancer, for
 * `npm run cluster` and for multi-node and fault tests.
 *
 * The balancer sends each HTTP request to the next node in turn and proxies websocket upgrades
 * (Socket.IO runs websocket-only, so a connection stays on its node without sticky sessions). It
 * sets X-Forwarded-For/-Proto/-Host (overwriting what the client sent: it is the edge) and the
 * nodes run with ACCORD_TRUST_PROXY=1. A node that refuses connections is skipped for a second and
 * the request goes to the next one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runServerProcess, type ServerProcess } from './process.ts';

// ---------------------------------------------------------------- the balancer

export interface Target {
  host: string;
  port: number;
}

export interface BalancerOptions {
  /** The nodes, read on every request (so a restarted node on a new port can be swapped in). */
  targets: () => Target[];
  port?: number;
  host?: string;
  /** How long a node that refused a connection is skipped, in ms. */
  downForMs?: number;
}

export interface Balancer {
  url: string;
  port: number;
  /** Requests and upgrades sent to each target, keyed `host:port`. */
  counts: Map<string, number>;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const BUFFER_LIMIT = 1 << 20;
const key = (t: Target) => `${t.host}:${t.port}`;

function forwardedHeaders(req: IncomingMessage, keepUpgrade: boolean): IncomingHttpHeaders {
  const h: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) || (keepUpgrade && (k === 'connection' || k === 'upgrade'))) h[k] = v;
  // Chunked request bodies are re-chunked by node; the length, when known, is kept.
  if (req.headers['transfer-encoding'] && !keepUpgrade) h['transfer-encoding'] = 'chunked';
  h['x-forwarded-for'] = req.socket.remoteAddress ?? 'unknown';
  h['x-forwarded-proto'] = 'http';
  if (req.headers.host) h['x-forwarded-host'] = req.headers.host;
  return h;
}

const refused = (e: unknown) => ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH'].includes((e as NodeJS.ErrnoException).code ?? '');

export async function startBalancer(o: BalancerOptions): Promise<Balancer> {
  const downFor = o.downForMs ?? 1000;
  const downUntil = new Map<string, number>();
  const counts = new Map<string, number>();
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  let turn = 0;

  /** The order to try the nodes in: round-robin, nodes marked down last. */
  function order(): Target[] {
    const all = o.targets();
    if (all.length === 0) return [];
    const start = turn++ % all.length;
    const rotated = [...all.slice(start), ...all.slice(0, start)];
    const now = Date.now();
    const up = rotated.filter((t) => (downUntil.get(key(t)) ?? 0) <= now);
    return [...up, ...rotated.filter((t) => !up.includes(t))];
  }
  const markDown = (t: Target) => downUntil.set(key(t), Date.now() + downFor);
  const count = (t: Target) => counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);

  function unavailable(res: ServerResponse, why: string) {
    if (res.headersSent) return void res.destroy();
    res.writeHead(502, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end(JSON.stringify({ error: { code: 'bad_gateway', message: `No Accord node is reachable (${why}).` } }));
  }

  /**
   * Small bodies (up to 1 MiB with a Content-Length) are read first, so the request can be sent
   * again to the next node when the chosen one refuses the connection, or when a kept-alive
   * connection turns out dead (the node was killed) before any answer came. Larger or chunked
   * bodies (imports) are streamed; they are retried only when the connection was refused.
   */
  function proxy(req: IncomingMessage, res: ServerResponse) {
    const len = Number(req.headers['content-length'] ?? 0);
    if (req.headers['transfer-encoding'] || !(len <= BUFFER_LIMIT)) return attempt(req, res, order(), null);
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => attempt(req, res, order(), Buffer.concat(chunks)));
    req.on('error', () => res.destroy());
  }

  function attempt(req: IncomingMessage, res: ServerResponse, candidates: Target[], body: Buffer | null) {
    const t = candidates[0];
    if (!t) return unavailable(res, 'every node refused the connection');
    const headers = forwardedHeaders(req, false);
    const up = request({ host: t.host, port: t.port, method: req.method, path: req.url, headers, agent });
    let sent = false;
    const send = () => {
      if (sent) return;
      sent = true;
      count(t);
      if (body) up.end(body);
      else req.pipe(up);
    };
    // Send the body only once the connection stands, so a refused node can be skipped with the body unread.
    up.on('socket', (s: Socket) => (s.connecting ? s.once('connect', send) : send()));
    up.on('response', (r) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(r.statusCode ?? 502, r.statusMessage, out);
      r.pipe(res);
      r.on('error', () => res.destroy());
    });
    up.on('error', (e) => {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      const retry = !res.headersSent && ((!sent && refused(e)) || (body !== null && up.reusedSocket && ['ECONNRESET', 'EPIPE'].includes(code)));
      if (retry) {
        markDown(t);
        return attempt(req, res, candidates.slice(1), body);
      }
      unavailable(res, code || e.message);
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
  }

  function tunnel(req: IncomingMessage, client: Socket, head: Buffer, candidates: Target[]) {
    const t = candidates[0];
    if (!t) return void client.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    const upstream = connect(t.port, t.host);
    upstream.once('connect', () => {
      count(t);
      const headers = forwardedHeaders(req, true);
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (const [k, v] of Object.entries(headers)) for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined) lines.push(`${k}: ${x}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', (e) => {
      if (upstream.connecting || (!upstream.bytesWritten && refused(e))) {
        markDown(t);
        upstream.destroy();
        return tunnel(req, client, head, candidates.slice(1));
      }
      client.destroy();
    });
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  }

  const server: Server = createServer((req, res) => proxy(req, res));
  server.on('upgrade', (req, socket: Socket, head) => tunnel(req, socket, head, order()));
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (o.port ?? 0);
  const shownHost = !o.host || o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    counts,
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ---------------------------------------------------------------- the nodes

export interface ClusterNode {
  index: number;
  port: number;
  url: string;
  readonly alive: boolean;
  /** The running process (a new one after `restart`). */
  process(): ServerProcess;
  /** Stops the node (SIGKILL by default: a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the node again on the same port and data folder; resolves once it serves. */
  restart(): Promise<void>;
}

export interface ClusterOptions {
  nodes?: number;
  /** One PostgreSQL database for every node; created when missing. */
  databaseUrl: string;
  /** The balancer's port (0: any free one). */
  port?: number;
  host?: string;
  /** Node i listens on basePort + i (default: any free port). */
  basePort?: number;
  /** More environment for every node (ACCORD_*). */
  env?: Record<string, string>;
  /** Each line a node prints, e.g. to relay it to the console. */
  onOutput?: (node: number, line: string) => void;
  timeoutMs?: number;
}

export interface Cluster {
  url: string;
  balancer: Balancer;
  nodes: ClusterNode[];
  close(): Promise<void>;
}

/** Creates the database of `url` when it does not exist (connecting to `postgres` on the same server). */
async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  if (!name) throw new Error(`DATABASE_URL ${url} names no database`);
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (r.rowCount === 0) await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (e) {
    // Another process created it at the same moment.
    if ((e as { code?: string }).code !== '42P04') throw e;
  } finally {
    await c.end();
  }
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const n = o.nodes ?? 3;
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new Error(`nodes: must be an integer from 1 to 32 (got ${n})`);
  await ensureDatabase(o.databaseUrl);
  const nodes: ClusterNode[] = [];
  const dirs: string[] = [];

  function launch(i: number, port: number, dataDir: string): ServerProcess {
    const p = runServerProcess(
      { ...o.env, DATABASE_URL: o.databaseUrl, PORT: String(port), HOST: '127.0.0.1', ACCORD_DATA_DIR: dataDir, ACCORD_TRUST_PROXY: '1' },
      o.timeoutMs ?? 60_000,
    );
    if (o.onOutput) {
      let buf = '';
      const relay = (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) o.onOutput!(i, l);
      };
      p.child.stdout!.on('data', relay);
      p.child.stderr!.on('data', relay);
    }
    return p;
  }

  function makeNode(i: number, first: ServerProcess, url: string, dataDir: string): ClusterNode {
    let current = first;
    const port = Number(new URL(url).port);
    const node: ClusterNode = {
      index: i,
      port,
      url,
      get alive() {
        return current.child.exitCode === null && current.child.signalCode === null;
      },
      process: () => current,
      async kill(signal = 'SIGKILL') {
        await current.stop(signal);
      },
      async restart() {
        if (node.alive) await current.stop('SIGTERM');
        current = launch(i, port, dataDir);
        await current.ready;
      },
    };
    return node;
  }

  try {
    // The first node migrates the database alone; the others start together once it serves.
    const start = async (i: number) => {
      const dir = mkdtempSync(join(tmpdir(), `accord-node${i + 1}-`));
      dirs.push(dir);
      const p = launch(i, o.basePort ? o.basePort + i : 0, dir);
      nodes[i] = makeNode(i, p, await p.ready, dir);
    };
    await start(0);
    await Promise.all(Array.from({ length: n - 1 }, (_, k) => start(k + 1)));
  } catch (e) {
    for (const nd of nodes) await nd?.kill('SIGTERM');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    throw e;
  }

  let balancer: Balancer;
  try {
    balancer = await startBalancer({ targets: () => nodes.map((nd) => ({ host: '127.0.0.1', port: nd.port })), port: o.port, host: o.host });
  } catch (e) {
    for (const nd of nodes) await nd.kill('SIGTERM');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    throw e;
  }
  return {
    url: balancer.url,
    balancer,
    nodes,
    async close() {
      await balancer.close();
      await Promise.all(nodes.map((nd) => nd.kill('SIGTERM')));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
