/**
 * Live documents against the real server: Socket.IO handshake → doc:join → collab room → database.
 * Rule numbers refer to packages/collab/PROTOCOL.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Socket } from 'socket.io-client';
import { encodeFrame, getDimensionText, readRubricDraft } from '@accord/collab';
import { captureUpdate, craftStruct, updateFrame, yjsLimitVectors } from '@accord/collab/testing';
import type { Ack, DocJoined } from '@accord/core';
import { testDatabaseKinds } from '@accord/db/testing';
import { ApiClient } from '../utils/client.ts';
import { connected, emitAck, openDoc, openSocket, rawDoc, type LiveDoc } from '../utils/collab.ts';
import { runServerProcess, type ServerProcess } from '../utils/process.ts';
import { createTestServer, signedInUser, waitFor, type TestServer } from '../utils/server.ts';

const kinds = await testDatabaseKinds();

describe.each(kinds)('live documents over Socket.IO (%s)', (kind) => {
  let t: TestServer;
  let lead: ApiClient;
  let reviewer: ApiClient;
  let name: string;
  const sockets: Socket[] = [];
  const docs: LiveDoc[] = [];

  const socketFor = async (c: ApiClient) => {
    const s = openSocket({ url: t.url, cookie: c.cookie });
    sockets.push(s);
    return connected(s);
  };
  const live = async (c: ApiClient, docName = name) => {
    const d = openDoc(await socketFor(c), docName);
    docs.push(d);
    await waitFor(() => d.provider.synced, { message: `${docName} synced` });
    return d;
  };
  const description = (d: LiveDoc) => getDimensionText(d.doc, 'helpfulness')?.toString() ?? '';
  const newUser = (role: 'lead' | 'reviewer' | 'trainer' | null) => signedInUser(t, role, 'Realtime');

  beforeAll(async () => {
    t = await createTestServer(kind);
    lead = await t.as('lead');
    reviewer = await t.as('reviewer');
    name = `rubric:${t.demoProjectId}`;
  });
  afterAll(async () => {
    for (const d of docs) d.close();
    for (const s of sockets) s.close();
    await t?.close();
  });

  it('[P4] two editors converge on the seeded rubric draft, and see each other’s presence with server-stamped names [P13]', async () => {
    const a = await live(lead);
    const b = await live(reviewer);
    expect(a.provider.access).toBe('write');
    expect(readRubricDraft(a.doc).dimensions.map((d) => d.id)).toEqual(['helpfulness', 'harmlessness', 'honesty', 'conciseness']);
    getDimensionText(a.doc, 'helpfulness')!.insert(0, 'LEAD ');
    getDimensionText(b.doc, 'helpfulness')!.insert(0, 'REVIEWER ');
    await waitFor(() => description(a) === description(b) && description(a).includes('LEAD') && description(a).includes('REVIEWER'), { message: 'converged' });
    // A client claiming another name is stamped with the identity the server knows.
    // Only the presence fields the server allows (`field`, `cursor`) are relayed: not `extra`.
    b.awareness.setLocalState({ user: { name: 'Mallory Admin', userId: 'forged' }, cursor: { anchor: 1 }, extra: 'not relayed' });
    await waitFor(() => [...a.awareness.getStates().values()].some((s) => (s as { cursor?: unknown }).cursor), { message: 'presence arrives' });
    const seen = [...a.awareness.getStates().entries()].find(([id]) => id === b.doc.clientID)?.[1] as { user: { name: string; userId: string; color: string } };
    expect(seen.user.name).toBe('Rafael Reviewer');
    expect(seen.user.userId).not.toBe('forged');
    expect(seen.user.color).toMatch(/^#[0-9a-f]{6}$/);
    expect(Object.keys(seen).sort()).toEqual(['cursor', 'user']);
    // The REST view reads the same server copy.
    const rest = await lead.get<{ draft: { dimensions: Array<{ id: string; description: string }> } }>(`/api/projects/${t.demoProjectId}/rubric`);
    await waitFor(async () => (await lead.get<{ draft: { dimensions: Array<{ description: string }> } }>(`/api/projects/${t.demoProjectId}/rubric`)).body.draft.dimensions[0]!.description === description(a));
    expect(rest.status).toBe(200);
  });

  it('joining needs membership: non-members, guessed and look-alike names get the same refusal; trainers cannot open the draft', async () => {
    const outsider = await newUser(null);
    const s = await socketFor(outsider.client);
    const join = (n: unknown) => emitAck<Ack<DocJoined>>(s, 'doc:join', n);
    const real = await join(name);
    const ghost = await join(`rubric:${randomUUID()}`);
    expect(real).toEqual({ ok: false, error: { code: 'not_found', message: expect.any(String) } });
    expect(real).toEqual(ghost);
    for (const lookalike of [name.toUpperCase(), `${name} `, `${name}x`, `Rubric:${t.demoProjectId}`, `rubric:/${t.demoProjectId}`, `dispute:${t.demoProjectId}`, 'rubric:', '../rubric']) {
      const r = await emitAck<Ack<DocJoined>>(await socketFor(lead), 'doc:join', lookalike);
      expect(r.ok, lookalike).toBe(false);
    }
    const trainer = await socketFor(await t.as('trainer'));
    expect(await emitAck<Ack<DocJoined>>(trainer, 'doc:join', name)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    // Sending to a document one has not joined does nothing but an error.
    const raw = rawDoc(s, name);
    raw.send(updateFrame(captureUpdate(new Y.Doc(), (d) => d.getText('t').insert(0, 'intrusion'))));
    await waitFor(() => raw.docErrors.length === 1);
    expect(raw.docErrors[0]!.code).toBe('not_joined');
  });

  it('[P7][P8][P10] malformed, crafted and oversized updates are refused to their sender only; the document and other peers are untouched', async () => {
    const watcher = await live(lead);
    const received: Uint8Array[] = [];
    watcher.doc.on('update', (u: Uint8Array, origin: unknown) => origin !== null && received.push(u));
    const s = await socketFor(reviewer);
    const raw = rawDoc(s, name);
    expect(await raw.join()).toMatchObject({ ok: true, data: { access: 'write' } });
    await waitFor(() => raw.frames.some((f) => f.type === 'sync-step1'));
    const serverDoc = t.server.deps.docs.get(name)!.doc;
    const stateBefore = Array.from(Y.encodeStateAsUpdate(serverDoc));
    const random = new Uint8Array(512).map((_, i) => (i * 7919 + 13) % 256);
    // yjs's crafted vectors are V2 or degenerate: each is either refused or a harmless no-op as V1.
    for (const v of Object.values(yjsLimitVectors)) {
      raw.send(updateFrame(v));
      raw.send(encodeFrame({ type: 'sync-step2', update: v }));
      raw.send(v);
    }
    const refused: Array<[string, Uint8Array, string]> = [
      ['empty update', updateFrame(new Uint8Array(0)), 'malformed_update'],
      ['random bytes as an update', updateFrame(random), 'malformed_update'],
      ['a struct claiming 2^53 clocks', updateFrame(craftStruct('gc', 2 ** 53 - 1)), 'malformed_update'],
      ['truncated update', updateFrame(captureUpdate(new Y.Doc(), (d) => d.getText('x').insert(0, 'truncated text')).slice(0, 9)), 'malformed_update'],
      ['an update over the size limit', updateFrame(captureUpdate(new Y.Doc(), (d) => d.getText('x').insert(0, 'x'.repeat(600_000)))), 'update_too_large'],
      ['an empty frame', new Uint8Array(0), 'malformed_message'],
      ['an unknown frame type', new Uint8Array([9, 9, 9]), 'malformed_message'],
    ];
    for (const [label, frame, code] of refused) {
      const n = raw.errorsOf().length;
      raw.send(frame);
      await waitFor(() => raw.errorsOf().length > n, { message: `an error for ${label}` });
      expect(raw.errorsOf().at(-1), label).toBe(code);
    }
    expect(Array.from(Y.encodeStateAsUpdate(serverDoc))).toEqual(stateBefore);
    // The server keeps serving: a normal edit still reaches the watcher, and nothing else did.
    getDimensionText(watcher.doc, 'honesty')!.insert(0, 'still alive ');
    const other = await live(reviewer);
    await waitFor(() => getDimensionText(other.doc, 'honesty')?.toString().startsWith('still alive '), { message: 'still serving' });
    expect(received, 'the watcher received nothing from the attacker').toHaveLength(0);
    expect(watcher.errors).toEqual([]);
    // A packet over the transport limit (1 MB) ends only that connection.
    raw.send(updateFrame(new Uint8Array(1_100_000)));
    await waitFor(() => !s.connected, { message: 'the oversized packet closes its connection' });
    getDimensionText(watcher.doc, 'honesty')!.insert(0, 'and again ');
    await waitFor(() => getDimensionText(other.doc, 'honesty')?.toString().startsWith('and again '), { message: 'others unaffected' });
  });

  it('hostile event payloads get an error ack, never a crash or a polluted prototype', async () => {
    const s = await socketFor(lead);
    const bad: unknown[] = [{ ['__proto__']: { polluted: true } }, JSON.parse('{"__proto__":{"polluted":true}}'), 42, null, ['rubric', t.demoProjectId], 'x'.repeat(200_000), { toString: 'rubric' }, true];
    for (const payload of bad) {
      const r = await emitAck<Ack<DocJoined>>(s, 'doc:join', payload);
      expect(r).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    }
    s.emit('doc:join', name); // no ack function
    s.emit('doc:msg', { ['__proto__']: 1 }, 'not bytes');
    s.emit('doc:msg', name, 'a string, not bytes');
    s.emit('doc:leave', 42, 'not a function');
    s.emit('__proto__', { polluted: true });
    s.emit('constructor', 1);
    const r = await emitAck<Ack<DocJoined>>(s, 'doc:join', name);
    expect(r.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(s.connected).toBe(true);
    expect((await t.anonymous().get('/api/health')).status).toBe(200);
  });

  it('[P6] a removed member’s live socket loses access at once; a demoted one too', async () => {
    const admin = await t.as('admin');
    const removed = await newUser('reviewer');
    const demoted = await newUser('reviewer');
    const a = await live(removed.client);
    const b = await live(demoted.client);
    const watcher = await live(lead);
    expect(a.provider.access).toBe('write');
    await admin.delete(`/api/projects/${t.demoProjectId}/members/${removed.id}`);
    await admin.patch(`/api/projects/${t.demoProjectId}/members/${demoted.id}`, { role: 'trainer' });
    await waitFor(() => a.refused.length > 0 && b.refused.length > 0, { message: 'both kicked' });
    expect(a.transport.open).toBe(false);
    expect(b.transport.open).toBe(false);
    // Edits they make now reach no one.
    getDimensionText(a.doc, 'helpfulness')!.insert(0, 'GHOST ');
    getDimensionText(watcher.doc, 'helpfulness')!.insert(0, 'after ');
    const fresh = await live(reviewer);
    await waitFor(() => description(fresh).startsWith('after '));
    expect(description(fresh)).not.toContain('GHOST');
  });

  it('signing out ends the live sockets of that session', async () => {
    const c = await t.as('reviewer');
    const s = openSocket({ url: t.url, cookie: c.cookie, reconnection: false });
    sockets.push(s);
    const d = openDoc(await connected(s), name);
    docs.push(d);
    await waitFor(() => d.provider.synced);
    await c.post('/api/auth/logout');
    await waitFor(() => !s.connected, { message: 'the socket of the ended session disconnects' });
  });

  it('[P5][P6] a frozen document (archived project) is read-only for everyone, live and on join', async () => {
    const created = await lead.post<{ id: string }>('/api/projects', { name: `Frozen ${randomUUID().slice(0, 6)}` });
    const pid = created.body.id;
    const doc = `rubric:${pid}`;
    const w = await live(lead, doc);
    w.doc.getMap('rubric').set('justificationMinWords', 5);
    await waitFor(async () => (await lead.get<{ draft: { justification: { minWords: number } } }>(`/api/projects/${pid}/rubric`)).body.draft.justification.minWords === 5);
    expect((await lead.patch(`/api/projects/${pid}`, { archived: true })).status).toBe(200);
    await waitFor(() => w.provider.access === 'read', { message: 'the writer becomes a reader' });
    w.doc.getMap('rubric').set('justificationMinWords', 99);
    await waitFor(() => w.errors.some((e) => e.code === 'read_only'));
    const s = await socketFor(lead);
    const raw = rawDoc(s, doc);
    expect(await raw.join()).toEqual({ ok: true, data: { access: 'read' } });
    await waitFor(() => raw.frames.some((f) => f.type === 'access'));
    const n = raw.errorsOf().length;
    raw.send(updateFrame(captureUpdate(new Y.Doc(), (d) => d.getMap('rubric').set('justificationMinWords', 77))));
    raw.send(encodeFrame({ type: 'sync-step2', update: captureUpdate(new Y.Doc(), (d) => d.getMap('rubric').set('justificationMinWords', 78)) }));
    await waitFor(() => raw.errorsOf().length >= n + 2);
    expect(raw.errorsOf().slice(n)).toEqual(['read_only', 'read_only']);
    expect((await lead.get<{ draft: { justification: { minWords: number } } }>(`/api/projects/${pid}/rubric`)).body.draft.justification.minWords).toBe(5);
    // Unarchived, it opens for writing again (the room reloads and peers rejoin).
    await lead.patch(`/api/projects/${pid}`, { archived: false });
    await waitFor(() => w.provider.access === 'write', { message: 'writable again after unarchive' });
  });

  it('[P18][P24] a graceful restart loses nothing: edits made just before close are in the database', async () => {
    const a = await live(lead);
    const marker = `restart-${randomUUID().slice(0, 6)} `;
    getDimensionText(a.doc, 'harmlessness')!.insert(0, marker);
    // Close as soon as the server has it in memory (well inside the log's write window, [P18]).
    await waitFor(() => t.server.deps.docs.get(name) && getDimensionText(t.server.deps.docs.get(name)!.doc, 'harmlessness')?.toString().startsWith(marker));
    a.close();
    await t.server.close();
    const next = await t.sibling();
    const c = new ApiClient(next.url);
    await c.login('lead@accord.local', t.logins.find((l) => l.role === 'lead')!.password);
    const s = openSocket({ url: next.url, cookie: c.cookie });
    sockets.push(s);
    const d = openDoc(await connected(s), name);
    docs.push(d);
    await waitFor(() => d.provider.synced);
    expect(getDimensionText(d.doc, 'harmlessness')!.toString().startsWith(marker)).toBe(true);
    // Keep the rest of the file (none) honest: point the fixture at the new server.
    t.server = next;
    t.url = next.url;
  });
});


describe('a crash mid-edit (kill -9 of the real server process)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'accord-crash-'));
  const procs: ServerProcess[] = [];
  const cleanup: Array<() => void> = [];
  afterAll(async () => {
    for (const c of cleanup) c();
    for (const p of procs) await p.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  const start = async (port: number) => {
    const p = runServerProcess({ ACCORD_DATA_DIR: dataDir, PORT: String(port), ACCORD_LOG: 'error' });
    procs.push(p);
    await p.ready;
    return p;
  };
  const freePort = () =>
    new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });

  it('[P4][P18] loses nothing: the connected client re-sends what the server lacked, and offline edits come back too', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const first = await start(port);
    const logins = JSON.parse(readFileSync(join(dataDir, 'demo-logins.json'), 'utf8')) as Array<{ email: string; password: string }>;
    const lead = new ApiClient(url);
    await lead.login('lead@accord.local', logins.find((l) => l.email === 'lead@accord.local')!.password);
    const projectId = (await lead.get<{ items: Array<{ id: string; taskKind: string }> }>('/api/projects')).body.items.find((p) => p.taskKind === 'pairwise')!.id;
    const name = `rubric:${projectId}`;
    const socket = openSocket({ url, cookie: lead.cookie });
    const editor = openDoc(await connected(socket), name);
    cleanup.push(() => editor.close(), () => socket.close());
    await waitFor(() => editor.provider.synced);
    const text = getDimensionText(editor.doc, 'helpfulness')!;

    // Edits, then kill -9 at once: at most the last write window was in the log.
    for (let i = 0; i < 20; i++) text.insert(0, `[${i}]`);
    first.child.kill('SIGKILL');
    await first.exited;
    await waitFor(() => !socket.connected, { message: 'the client notices the crash' });
    text.insert(0, '[offline]');

    const second = await start(port);
    await waitFor(() => editor.provider.synced, { timeout: 30_000, message: 'the client resyncs with the restarted server' });
    const expected = text.toString();
    expect(expected.startsWith('[offline][19][18]')).toBe(true);
    const reader = openSocket({ url, cookie: lead.cookie });
    const fresh = openDoc(await connected(reader), name);
    cleanup.push(() => fresh.close(), () => reader.close());
    await waitFor(() => getDimensionText(fresh.doc, 'helpfulness')?.toString() === expected, { message: 'a fresh client sees every edit' });

    // And it is in the database now: a graceful restart and a brand-new client see it all.
    fresh.close();
    reader.close();
    editor.close();
    socket.close();
    await second.stop('SIGTERM');
    await start(port);
    const again = openSocket({ url, cookie: lead.cookie, reconnection: false });
    const last = openDoc(await connected(again), name);
    cleanup.push(() => last.close(), () => again.close());
    await waitFor(() => last.provider.synced);
    expect(getDimensionText(last.doc, 'helpfulness')!.toString()).toBe(expected);
    // Three start-ups of a real server process on PGlite: over 80 s on a loaded 2-core machine.
  }, 240_000);
});

// Several nodes need PostgreSQL (PGlite is one process); testDatabaseKinds printed why if it is missing.
describe.each(kinds.filter((k) => k === 'postgres'))('two server nodes on one database (%s)', (kind) => {
  let t: TestServer;
  const cleanup: Array<() => void> = [];
  beforeAll(async () => {
    t = await createTestServer(kind);
  });
  afterAll(async () => {
    for (const c of cleanup) c();
    await t?.close();
  });

  it('[P21] edits on one node reach clients of the other; a client that moves nodes loses nothing and sees no stale state', async () => {
    const second = await t.sibling();
    const lead = await t.as('lead');
    const reviewer = await t.as('reviewer');
    const name = `rubric:${t.demoProjectId}`;
    const on = async (url: string, c: ApiClient) => {
      const s = openSocket({ url, cookie: c.cookie, reconnection: false });
      const d = openDoc(await connected(s), name);
      cleanup.push(() => d.close(), () => s.close());
      await waitFor(() => d.provider.synced);
      return { s, d };
    };
    const text = (d: LiveDoc) => getDimensionText(d.doc, 'honesty')!.toString();
    const a = await on(t.url, lead);
    const b = await on(second.url, reviewer);
    getDimensionText(a.d.doc, 'honesty')!.insert(0, 'from node 1. ');
    getDimensionText(b.d.doc, 'honesty')!.insert(0, 'from node 2. ');
    await waitFor(() => text(a.d) === text(b.d) && text(a.d).includes('node 1') && text(a.d).includes('node 2'), { message: 'both nodes converge' });

    // The lead edits offline, then reconnects to the other node: its edits arrive, and it gets the others'.
    a.s.close();
    getDimensionText(a.d.doc, 'honesty')!.insert(0, 'offline on node 1. ');
    getDimensionText(b.d.doc, 'honesty')!.insert(0, 'meanwhile on node 2. ');
    const moved = openSocket({ url: second.url, cookie: lead.cookie, reconnection: false });
    cleanup.push(() => moved.close());
    const again = openDoc(await connected(moved), name, a.d.doc);
    cleanup.push(() => again.close());
    await waitFor(() => text(again) === text(b.d) && text(b.d).includes('offline on node 1') && text(b.d).includes('meanwhile on node 2'), { message: 'the moved client converges' });
    // A fresh client on the first node is not served stale state.
    const fresh = await on(t.url, reviewer);
    await waitFor(() => text(fresh.d) === text(b.d), { message: 'node 1 caught up' });
  });
});
