/**
 * Support for the fault tests (test/integration/faults*.test.ts): a TCP relay that cuts a
 * node's database connections, sockets with the web app's reconnection settings, a judging project
 * with trainers holding API tokens, the trainer loop that keeps every 2xx it got, live editors
 * whose every insertion is a unique token, and reading a live document back from PostgreSQL.
 */
import { connect, createServer, type Server, type Socket as NetSocket } from 'node:net';
import pg from 'pg';
import { io as ioClient, type Socket } from 'socket.io-client';
import msgpackParser from 'socket.io-msgpack-parser';
import * as Y from 'yjs';
import { getDimensionText, readRubricDraft } from '@accord/collab';
import type { Project, QueueNext, User } from '@accord/core';
import { KeepAliveClient, publishRubric } from './bench-load.ts';
import { ApiClient } from './client.ts';
import { openDoc, openDocSocket, type LiveDoc } from './collab.ts';
import { importFile, jsonlOf, pairItem, validJudgment } from './work.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const uniq = () => crypto.randomUUID().slice(0, 8);

// ---------------------------------------------------------------- database relay

export interface Relay {
  port: number;
  /** Drops every open connection and refuses new ones until `restore()`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A TCP relay in front of PostgreSQL: the nodes connect through it, so the test can partition them from their database. */
export async function startRelay(target: { host: string; port: number }): Promise<Relay> {
  const open = new Set<NetSocket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) return void client.destroy();
    const up = connect(target.port, target.host);
    open.add(client).add(up);
    const drop = () => {
      client.destroy();
      up.destroy();
      open.delete(client);
      open.delete(up);
    };
    client.on('error', drop).on('close', drop);
    up.on('error', drop).on('close', drop);
    client.pipe(up);
    up.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut() {
      down = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------- sockets as the web app opens them

/**
 * The reconnection settings of apps/web/src/lib/realtime/socket.ts: reconnectionDelay 500,
 * reconnectionDelayMax 5000, and socket.io-client's default randomizationFactor 0.5 (each delay
 * drawn from ±50 % of the exponential step: the jitter that spreads a reconnect storm).
 */
export const APP_RECONNECT = { reconnectionDelay: 500, reconnectionDelayMax: 5000, randomizationFactor: 0.5 } as const;

export function openAppSocket(url: string, cookie: string | null): Socket {
  return ioClient(url, {
    transports: ['websocket'],
    parser: msgpackParser,
    extraHeaders: cookie ? { cookie: `accord_session=${cookie}`, origin: url } : {},
    reconnection: true,
    ...APP_RECONNECT,
    timeout: 10_000,
  });
}

// ---------------------------------------------------------------- a judging project

export interface JudgingSetup {
  projectId: string;
  tokens: string[];
}

/** A pairwise project with `items` items and a published rubric, and `trainers` trainers with API tokens. */
export async function setupJudging(admin: ApiClient, o: { trainers: number; items: number; name?: string }): Promise<JudgingSetup> {
  const p = await admin.post<Project>('/api/projects', { name: o.name ?? `Faults ${uniq()}`, taskKind: 'pairwise' });
  if (p.status !== 201) throw new Error(`creating the project: ${p.status} ${p.text}`);
  const projectId = p.body.id;
  const job = await importFile(admin, projectId, jsonlOf(Array.from({ length: o.items }, (_, i) => pairItem(`it-${i}`))), { fileName: 'faults.jsonl' });
  if (job.status !== 'done' || job.created !== o.items) throw new Error(`import: ${job.status}, created ${job.created}/${o.items}`);
  await publishRubric(admin, projectId);
  const tokens: string[] = [];
  for (let i = 0; i < o.trainers; i++) {
    const email = `t${i}-${uniq()}@faults.local`;
    const password = `faults-trainer-${i}-password`;
    const u = await admin.post<User>('/api/users', { email, name: `Trainer ${i}`, password });
    if (u.status !== 201) throw new Error(`creating ${email}: ${u.status} ${u.text}`);
    const m = await admin.post(`/api/projects/${projectId}/members`, { email, role: 'trainer' });
    if (m.status !== 201) throw new Error(`adding ${email}: ${m.status} ${m.text}`);
    const c = new ApiClient(admin.base);
    await c.login(email, password);
    const t = await c.post<{ token: string }>('/api/auth/tokens', { name: 'faults' });
    if (t.status !== 201) throw new Error(`token for ${email}: ${t.status} ${t.text}`);
    tokens.push(t.body.token);
  }
  return { projectId, tokens };
}

export interface LoopRecord {
  /** Assignments whose submit answered 2xx. */
  accepted: string[];
  /** Non-2xx answers by status (and `network` for a dropped connection). */
  failures: Map<string, number>;
  /** Retry-After headers seen with 503s are not visible through KeepAliveClient; statuses are. */
  exhausted: number;
}

/**
 * One trainer looping `queue/next` + `submit` until `stop()`: every submit that answered 2xx is
 * recorded; failures (a killed node, a lost database) are counted and retried after a jittered pause.
 */
export async function trainerLoop(base: string, token: string, projectId: string, stop: () => boolean, rec: LoopRecord): Promise<void> {
  let c = new KeepAliveClient(base, token);
  const fail = async (what: string) => {
    rec.failures.set(what, (rec.failures.get(what) ?? 0) + 1);
    // A dead kept-alive connection is not reused.
    c.close();
    c = new KeepAliveClient(base, token);
    await sleep(100 + Math.random() * 200);
  };
  try {
    while (!stop()) {
      let next;
      try {
        next = await c.post<QueueNext>(`/api/projects/${projectId}/queue/next`);
      } catch {
        await fail('network');
        continue;
      }
      if (next.status !== 200) {
        await fail(String(next.status));
        continue;
      }
      const task = next.body.task;
      if (!task) {
        rec.exhausted++;
        return;
      }
      try {
        const sub = await c.post(`/api/projects/${projectId}/assignments/${task.assignmentId}/submit`, { payload: validJudgment(task, -1), timeSpentMs: 1000 });
        if (sub.status === 200 || sub.status === 201) rec.accepted.push(task.assignmentId);
        else await fail(String(sub.status));
      } catch {
        await fail('network');
      }
    }
  } finally {
    c.close();
  }
}

export const newLoopRecord = (): LoopRecord => ({ accepted: [], failures: new Map(), exhausted: 0 });

// ---------------------------------------------------------------- live editors

export const EDIT_DIMENSION = 'helpfulness';

/** A live editor of a rubric: each `edit()` appends one unique token to a dimension's description. */
/**
 * A live editor that appends `<name.n>` tokens to one rubric description: over the app's Socket.IO
 * socket (`overSocketIo`) or over its own document socket as the web app does (`overDocSocket`).
 */
export class Editor {
  readonly written: string[] = [];
  private n = 0;
  private constructor(
    readonly live: LiveDoc,
    readonly name: string,
    /** The Socket.IO socket; null on a document socket. */
    readonly socket: Socket | null,
  ) {}
  static overSocketIo(socket: Socket, name: string, docName: string): Editor {
    return new Editor(openDoc(socket, docName), name, socket);
  }
  /** With the web app's backoff (the transport's default). */
  static overDocSocket(url: string, cookie: string | null, name: string, docName: string): Editor {
    return new Editor(openDocSocket({ url, cookie }, docName, undefined, { rejoinDelayMs: undefined }), name, null);
  }
  /** Connected, and (on a document socket) joined. */
  get connected(): boolean {
    return this.socket ? this.socket.connected : this.live.transport.open;
  }
  /** `fn` on every loss of the connection. */
  onDrop(fn: () => void): void {
    if (this.socket) this.socket.on('disconnect', fn);
    else this.live.transport.onClose(fn);
  }
  /** `fn` on every return after a loss. */
  onBack(fn: () => void): void {
    if (this.socket) this.socket.io.on('reconnect', fn);
    else this.live.transport.onOpen(fn);
  }
  edit(): string {
    const t = getDimensionText(this.live.doc, EDIT_DIMENSION);
    if (!t) throw new Error(`${this.name}: dimension ${EDIT_DIMENSION} is missing from the draft`);
    const token = `<${this.name}.${this.n++}>`;
    t.insert(t.length, token);
    this.written.push(token);
    return token;
  }
  close() {
    this.live.close();
    this.socket?.close();
  }
}

export const draftState = (doc: Y.Doc) => JSON.stringify(readRubricDraft(doc));
export const descriptionOf = (doc: Y.Doc) => getDimensionText(doc, EDIT_DIMENSION)?.toString() ?? '';

/** The live document as PostgreSQL holds it: the snapshot and every logged update after it, applied to a fresh doc. */
export async function docFromDatabase(databaseUrl: string, name: string): Promise<Y.Doc> {
  const c = new pg.Client({ connectionString: databaseUrl });
  c.on('error', () => {});
  await c.connect();
  try {
    const doc = new Y.Doc();
    const snap = await c.query<{ data: Buffer }>('select data from doc_snapshots where doc = $1', [name]);
    if (snap.rows[0]) Y.applyUpdate(doc, new Uint8Array(snap.rows[0].data));
    const ups = await c.query<{ data: Buffer }>('select data from doc_updates where doc = $1 order by seq', [name]);
    for (const r of ups.rows) Y.applyUpdate(doc, new Uint8Array(r.data));
    return doc;
  } finally {
    await c.end();
  }
}

/** Runs `sql` on the database at `url` with its own connection. */
export async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** Nothing half-written: every submitted judgment's assignment is submitted, and every submitted assignment has its judgment. */
export async function judgingConsistency(url: string, projectId: string) {
  const [r] = await query<{ orphan_judgments: string; orphan_assignments: string; judgments: string }>(
    url,
    `select
       (select count(*) from judgments j left join assignments a on a.id = j.assignment_id
         where j.project_id = $1 and j.status = 'submitted' and j.source = 'accord' and (a.id is null or a.status <> 'submitted')) as orphan_judgments,
       (select count(*) from assignments a left join judgments j on j.assignment_id = a.id and j.status = 'submitted'
         where a.project_id = $1 and a.status = 'submitted' and j.id is null) as orphan_assignments,
       (select count(*) from judgments j where j.project_id = $1 and j.status = 'submitted') as judgments`,
    [projectId],
  );
  return { orphanJudgments: Number(r!.orphan_judgments), orphanAssignments: Number(r!.orphan_assignments), judgments: Number(r!.judgments) };
}
