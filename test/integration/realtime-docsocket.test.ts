/**
 * Document sockets against the real server: one plain WebSocket per live document at
 * `/collab/<name>` (PROTOCOL.md [P26]), beside Socket.IO, with the same authorization at the join and
 * on every change of rights. Rule numbers refer to packages/collab/PROTOCOL.md.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Socket } from 'socket.io-client';
import { encodeFrame, getDimensionText } from '@accord/collab';
import { captureUpdate, updateFrame } from '@accord/collab/testing';
import { testDatabaseKinds } from '@accord/db/testing';
import { ApiClient } from '../utils/client.ts';
import { connected, openDoc, openDocSocket, openSocket, rawDocSocket, type LiveDoc } from '../utils/collab.ts';
import { createTestServer, signedInUser, waitFor, type TestServer } from '../utils/server.ts';

const kinds = await testDatabaseKinds();
/** The Helpfulness description of a rubric document. */
const text = (d: Y.Doc) => getDimensionText(d, 'helpfulness')?.toString() ?? '';

describe.each(kinds)('live documents over document sockets (%s)', (kind) => {
  let t: TestServer;
  let lead: ApiClient;
  let reviewer: ApiClient;
  let name: string;
  const sockets: Socket[] = [];
  const docs: LiveDoc[] = [];
  const raws: Array<ReturnType<typeof rawDocSocket>> = [];

  const live = async (c: ApiClient | { token: string }, docName = name) => {
    const d = openDocSocket(c instanceof ApiClient ? { url: t.url, cookie: c.cookie } : { url: t.url, token: c.token }, docName);
    docs.push(d);
    await waitFor(() => d.provider.synced, { message: `${docName} synced` });
    return d;
  };
  const raw = (a: Parameters<typeof rawDocSocket>[0], docName = name, path?: string) => {
    const r = rawDocSocket(a, docName, path);
    raws.push(r);
    return r;
  };
  /** The close a raw document socket got after its upgrade. */
  const closeOf = async (r: ReturnType<typeof rawDocSocket>) => {
    await r.opened;
    await waitFor(() => r.closed !== null, { message: 'closed by the server' });
    return r.closed!;
  };
  const description = (d: LiveDoc) => text(d.doc);
  const newUser = (role: 'lead' | 'reviewer' | 'trainer' | null) => signedInUser(t, role, 'Docsocket');

  beforeAll(async () => {
    t = await createTestServer(kind);
    lead = await t.as('lead');
    reviewer = await t.as('reviewer');
    name = `rubric:${t.demoProjectId}`;
  });
  afterAll(async () => {
    for (const d of docs) d.close();
    for (const r of raws) r.ws.terminate();
    for (const s of sockets) s.close();
    await t?.close();
  });

  it('[P26][P4] a document socket, an API-token client and a Socket.IO client converge on one document, with server-stamped presence', async () => {
    const a = await live(lead);
    expect(a.provider.access).toBe('write');
    const tok = await reviewer.post<{ token: string }>('/api/auth/tokens', { name: 'docsocket script', expiresInDays: 1 });
    expect(tok.status).toBe(201);
    const b = await live({ token: tok.body.token });
    const s = openSocket({ url: t.url, cookie: (await t.as('lead')).cookie });
    sockets.push(s);
    const c = openDoc(await connected(s), name);
    docs.push(c);
    await waitFor(() => c.provider.synced);
    getDimensionText(a.doc, 'helpfulness')!.insert(0, 'SOCKET ');
    getDimensionText(b.doc, 'helpfulness')!.insert(0, 'TOKEN ');
    getDimensionText(c.doc, 'helpfulness')!.insert(0, 'SIO ');
    await waitFor(() => ['SOCKET', 'TOKEN', 'SIO'].every((w) => description(a).includes(w)) && description(a) === description(b) && description(b) === description(c), { message: 'converged' });
    b.awareness.setLocalState({ user: { name: 'Mallory Admin', userId: 'forged' }, field: 'dimension:helpfulness:description' });
    await waitFor(() => a.awareness.getStates().has(b.doc.clientID) && c.awareness.getStates().has(b.doc.clientID), { message: 'presence crosses transports' });
    const seen = a.awareness.getStates().get(b.doc.clientID) as { user: { name: string; userId: string } };
    expect(seen.user.name).toBe('Rafael Reviewer');
    expect(seen.user.userId).not.toBe('forged');
    // The database holds what they wrote.
    await waitFor(async () => (await lead.get<{ draft: { dimensions: Array<{ description: string }> } }>(`/api/projects/${t.demoProjectId}/rubric`)).body.draft.dimensions[0]!.description === description(a));
  });

  it('[P26] refuses before the upgrade: a foreign or null Origin (403), another path (404)', async () => {
    await expect(raw({ url: t.url, cookie: lead.cookie, origin: 'http://evil.example' }).opened).rejects.toMatchObject({ status: 403 });
    await expect(raw({ url: t.url, cookie: lead.cookie, origin: 'null' }).opened).rejects.toMatchObject({ status: 403 });
    await expect(raw({ url: t.url, cookie: lead.cookie }, name, `/collabx/${name}`).opened).rejects.toMatchObject({ status: 404 });
    await expect(raw({ url: t.url, cookie: lead.cookie }, name, `/api/${name}`).opened).rejects.toMatchObject({ status: 404 });
  });

  it('[P26] refuses after the upgrade with a close code: no or dead credentials 4401, non-members and unknown documents the same 4404, trainers 4403, bad names 4400', async () => {
    expect(await closeOf(raw({ url: t.url }))).toMatchObject({ code: 4401 });
    // A cookie without Origin is not taken (browsers always send Origin): only tokens authenticate then.
    expect(await closeOf(raw({ url: t.url, cookie: lead.cookie, origin: '' }))).toMatchObject({ code: 4401 });
    expect(await closeOf(raw({ url: t.url, cookie: 'not-a-session' }))).toMatchObject({ code: 4401 });
    expect(await closeOf(raw({ url: t.url, token: 'acc_notatoken' }))).toMatchObject({ code: 4401 });
    const outsider = await newUser(null);
    const real = await closeOf(raw({ url: t.url, cookie: outsider.client.cookie }));
    const ghost = await closeOf(raw({ url: t.url, cookie: outsider.client.cookie }, `rubric:${randomUUID()}`));
    expect(real.code).toBe(4404);
    expect(ghost).toEqual(real);
    expect((await closeOf(raw({ url: t.url, cookie: (await t.as('trainer')).cookie }))).code).toBe(4403);
    for (const lookalike of [name.toUpperCase(), `${name} `, `${name}x`, `dispute:${t.demoProjectId}`, 'rubric:', '../rubric', '%E0%A4%A']) {
      const c = await closeOf(raw({ url: t.url, cookie: lead.cookie }, lookalike));
      expect([4400, 4404], lookalike).toContain(c.code);
    }
    // None of them was sent a frame of any document.
    for (const r of raws) if (r.closed && r.closed.code !== 1000) expect(r.frames).toEqual([]);
  });

  it('[P26][P7][P10] a joined socket: malformed frames are refused to it alone, a text message closes it (1003), an oversized one too (1009)', async () => {
    const watcher = await live(lead);
    const before = description(watcher);
    const r = raw({ url: t.url, cookie: reviewer.cookie });
    await r.opened;
    await waitFor(() => r.texts.length === 1 && r.frames.some((f) => f.type === 'sync-step1'));
    expect(JSON.parse(r.texts[0]!)).toEqual({ joined: { access: 'write' } });
    r.send(new Uint8Array(64).map((_, i) => (i * 7919 + 13) % 256));
    r.send(new Uint8Array([0, 2, 200, 1, 1]));
    await waitFor(() => r.errorsOf().length >= 2);
    expect(r.errorsOf()).toEqual(expect.arrayContaining(['malformed_message']));
    r.send('{"joined":true}');
    await waitFor(() => r.closed !== null);
    expect(r.closed!.code).toBe(1003);
    const big = raw({ url: t.url, cookie: reviewer.cookie });
    await big.opened;
    await waitFor(() => big.texts.length === 1);
    big.send(new Uint8Array(1024 * 1024 + 1024));
    await waitFor(() => big.closed !== null);
    expect(big.closed!.code).toBe(1009);
    expect(description(watcher)).toBe(before);
    expect(watcher.errors).toEqual([]);
  });

  it('[P26][P6] rights as they are now: a removed member is closed with 4403 (kicked), a signed-out session with 4401, a deactivated user too', async () => {
    const admin = await t.as('admin');
    const removed = await newUser('reviewer');
    const a = await live(removed.client);
    const watcher = await live(lead);
    await admin.delete(`/api/projects/${t.demoProjectId}/members/${removed.id}`);
    await waitFor(() => a.refused.length > 0, { message: 'kicked' });
    expect(a.refused[0]!.code).toBe('kicked');
    expect(a.transport.open).toBe(false);
    getDimensionText(a.doc, 'helpfulness')!.insert(0, 'GHOST ');
    getDimensionText(watcher.doc, 'helpfulness')!.insert(0, 'after-kick ');
    const fresh = await live(reviewer);
    await waitFor(() => description(fresh).startsWith('after-kick '));
    expect(description(fresh)).not.toContain('GHOST');

    const c = await t.as('reviewer');
    const r = raw({ url: t.url, cookie: c.cookie });
    await r.opened;
    await waitFor(() => r.texts.length === 1);
    await c.post('/api/auth/logout');
    expect((await closeOf(r)).code).toBe(4401);

    const gone = await newUser('reviewer');
    const g = raw({ url: t.url, cookie: gone.client.cookie });
    await g.opened;
    await waitFor(() => g.texts.length === 1);
    expect((await admin.patch(`/api/users/${gone.id}`, { active: false })).status).toBe(200);
    expect([4401, 4404]).toContain((await closeOf(g)).code);
  });

  it('[P26][P6] an id written in upper case is the same id: a removal, a demotion, a deactivation and an archiving through one close the live documents too', async () => {
    const admin = await t.as('admin');
    const UP = (id: string) => id.toUpperCase();
    // Removed through /members/<USER ID>: the REST answer and the document socket agree.
    const removed = await newUser('reviewer');
    const a = await live(removed.client);
    expect((await admin.delete(`/api/projects/${UP(t.demoProjectId)}/members/${UP(removed.id)}`)).status).toBe(200);
    expect((await removed.client.get(`/api/projects/${t.demoProjectId}/rubric`)).status).toBe(404);
    await waitFor(() => a.refused.length > 0, { message: 'kicked after a removal by an upper-case id', timeout: 5_000 });
    expect(a.refused[0]!.code).toBe('kicked');
    // Made a trainer the same way: trainers are refused the rubric draft.
    const demoted = await newUser('reviewer');
    const d = await live(demoted.client);
    const role = await admin.patch<{ userId: string }>(`/api/projects/${t.demoProjectId}/members/${UP(demoted.id)}`, { role: 'trainer' });
    expect(role.status).toBe(200);
    expect(role.body.userId).toBe(demoted.id);
    await waitFor(() => d.refused.length > 0, { message: 'kicked after a demotion by an upper-case id', timeout: 5_000 });
    // Deactivated through /users/<USER ID>.
    const gone = await newUser('reviewer');
    const g = raw({ url: t.url, cookie: gone.client.cookie });
    await g.opened;
    await waitFor(() => g.texts.length === 1);
    expect((await admin.patch(`/api/users/${UP(gone.id)}`, { active: false })).status).toBe(200);
    expect([4401, 4404]).toContain((await closeOf(g)).code);
    // An admin's own id in upper case is still their own account.
    const me = (await admin.get<{ user: { id: string } }>('/api/auth/me')).body.user.id;
    const self = await admin.patch<{ error: { details: { path: string }[] } }>(`/api/users/${UP(me)}`, { isAdmin: false });
    expect(self.status).toBe(409);
    expect(self.body.error.details).toEqual([{ path: 'body.isAdmin', message: 'cannot be changed on your own account' }]);
    // A project archived through /projects/<PROJECT ID> freezes its documents at once.
    const created = await lead.post<{ id: string }>('/api/projects', { name: `Upper-case archive ${randomUUID().slice(0, 6)}` });
    const w = await live(lead, `rubric:${created.body.id}`);
    expect(w.provider.access).toBe('write');
    expect((await lead.patch(`/api/projects/${UP(created.body.id)}`, { archived: true })).status).toBe(200);
    await waitFor(() => w.provider.access === 'read', { message: 'frozen after archiving by an upper-case id', timeout: 5_000 });
  });

  it('[P26] a session that ends by itself (its idle limit passed) closes its document sockets at the next sweep; a session used meanwhile stays', async () => {
    // A node whose clock the test moves: sessions expire on the server's clock, not on an event.
    let offset = 0;
    const node = await t.sibling({}, { clock: () => new Date(Date.now() + offset) });
    const idle = await newUser('reviewer');
    const used = await newUser('reviewer');
    const a = raw({ url: node.url, cookie: idle.client.cookie });
    const b = raw({ url: node.url, cookie: used.client.cookie });
    for (const r of [a, b]) {
      await r.opened;
      await waitFor(() => r.texts.length === 1, { message: 'joined' });
    }
    // Eleven hours on, one of the two signs a request on that node; at 12 h 1 min the other's idle
    // limit (12 h, the default) has passed.
    offset = 11 * 3_600_000;
    const usedThere = new ApiClient(node.url);
    usedThere.cookie = used.client.cookie;
    expect((await usedThere.get('/api/auth/me')).status).toBe(200);
    await node.realtime.sweepExpired();
    expect([a.closed, b.closed]).toEqual([null, null]);
    offset = 12 * 3_600_000 + 60_000;
    await node.realtime.sweepExpired();
    expect(await closeOf(a)).toMatchObject({ code: 4401 });
    expect(b.closed).toBeNull();
    // The ended session is gone for every request too; the one used meanwhile still signs in.
    const idleThere = new ApiClient(node.url);
    idleThere.cookie = idle.client.cookie;
    expect((await idleThere.get('/api/auth/me')).status).toBe(401);
    expect((await usedThere.get('/api/auth/me')).status).toBe(200);
  });

  it('[P26][P5] a frozen document (archived project) joins read-only, refuses writes, and writes again after unarchive', async () => {
    const created = await lead.post<{ id: string }>('/api/projects', { name: `Frozen socket ${randomUUID().slice(0, 6)}` });
    const pid = created.body.id;
    const doc = `rubric:${pid}`;
    const w = await live(lead, doc);
    w.doc.getMap('rubric').set('justificationMinWords', 5);
    await waitFor(async () => (await lead.get<{ draft: { justification: { minWords: number } } }>(`/api/projects/${pid}/rubric`)).body.draft.justification.minWords === 5);
    expect((await lead.patch(`/api/projects/${pid}`, { archived: true })).status).toBe(200);
    await waitFor(() => w.provider.access === 'read', { message: 'the writer becomes a reader' });
    const r = raw({ url: t.url, cookie: lead.cookie }, doc);
    await r.opened;
    await waitFor(() => r.texts.length === 1 && r.frames.some((f) => f.type === 'access'));
    expect(JSON.parse(r.texts[0]!)).toEqual({ joined: { access: 'read' } });
    r.send(updateFrame(captureUpdate(new Y.Doc(), (d) => d.getMap('rubric').set('justificationMinWords', 77))));
    r.send(encodeFrame({ type: 'sync-step2', update: captureUpdate(new Y.Doc(), (d) => d.getMap('rubric').set('justificationMinWords', 78)) }));
    await waitFor(() => r.errorsOf().length >= 2);
    expect(r.errorsOf()).toEqual(['read_only', 'read_only']);
    expect((await lead.get<{ draft: { justification: { minWords: number } } }>(`/api/projects/${pid}/rubric`)).body.draft.justification.minWords).toBe(5);
    await lead.patch(`/api/projects/${pid}`, { archived: false });
    await waitFor(() => w.provider.access === 'write', { message: 'writable again after unarchive (the socket reconnected)' });
  });
});

describe('document sockets per user and node (pglite, ACCORD_DOC_SOCKETS_PER_USER=2)', () => {
  let t: TestServer;
  const raws: Array<ReturnType<typeof rawDocSocket>> = [];
  beforeAll(async () => {
    t = await createTestServer('pglite', { ACCORD_DOC_SOCKETS_PER_USER: '2' });
  });
  afterAll(async () => {
    for (const r of raws) r.ws.terminate();
    await t?.close();
  });
  const open = (cookie: string | null | undefined) => {
    const r = rawDocSocket({ url: t.url, cookie }, `rubric:${t.demoProjectId}`);
    raws.push(r);
    return r;
  };
  /** Joined, or the close it got instead. */
  const outcome = async (r: ReturnType<typeof rawDocSocket>) => {
    await r.opened;
    await waitFor(() => r.texts.length === 1 || r.closed !== null, { message: 'joined or closed' });
    return r.texts.length === 1 ? 'joined' : r.closed!.code;
  };

  it('[P26] a user’s third open document socket is closed with 4429; another user is not held; closing one lets the next in', async () => {
    const lead = await t.as('lead');
    const a = open(lead.cookie);
    expect(await outcome(a)).toBe('joined');
    expect(await outcome(open(lead.cookie))).toBe('joined');
    const third = open(lead.cookie);
    expect(await outcome(third)).toBe(4429);
    expect(third.frames).toEqual([]);
    expect(await outcome(open((await t.as('reviewer')).cookie))).toBe('joined');
    a.ws.close();
    await waitFor(() => a.closed !== null);
    // The server frees the slot when it sees the socket close: a new one gets in (retried until it has).
    await waitFor(async () => (await outcome(open(lead.cookie))) === 'joined', { message: 'a freed slot is taken' });
  });
});

/**
 * Edits of ~400 KB each (under the server's 512 KiB per update) until `dropped()` holds; at most
 * `max` of them, each seen by the server's copy (`room()`) before the next. Returns how many were made.
 */
async function floodRoom(room: () => { doc: Y.Doc } | undefined, writer: LiveDoc, dropped: () => boolean, max = 120): Promise<number> {
  for (let i = 0; i < max; i++) {
    if (dropped()) return i;
    const chunk = `${i}:`.padEnd(400_000, 'x');
    const before = room()?.doc ? text(room()!.doc).length : 0;
    getDimensionText(writer.doc, 'helpfulness')!.insert(0, chunk);
    await waitFor(() => text(room()!.doc).length >= before + chunk.length, { message: `edit ${i} reached the server` });
  }
  return max;
}

describe('a client that stops reading (pglite, ACCORD_DOC_BUFFER_MB=1, pings hourly)', () => {
  let t: TestServer;
  const docs: LiveDoc[] = [];
  const sockets: Socket[] = [];
  const raws: Array<ReturnType<typeof rawDocSocket>> = [];
  beforeAll(async () => {
    // Pings every hour: only the byte bound can drop the silent reader within the test.
    t = await createTestServer('pglite', { ACCORD_DOC_BUFFER_MB: '1', ACCORD_DOC_PING_SECONDS: '3600' });
  });
  afterAll(async () => {
    for (const d of docs) d.close();
    for (const s of sockets) s.disconnect();
    for (const r of raws) r.ws.terminate();
    await t?.close();
  });
  const name = () => `rubric:${t.demoProjectId}`;
  const room = () => t.server.deps.docs.get(name());
  const flood = (writer: LiveDoc, dropped: () => boolean, max?: number) => floodRoom(room, writer, dropped, max);

  it('a document socket that never reads is dropped past the bound; the room and its other peers go on', async () => {
    const lead = await t.as('lead');
    const writer = openDocSocket({ url: t.url, cookie: lead.cookie }, name());
    docs.push(writer);
    await waitFor(() => writer.provider.synced, { message: 'writer synced' });
    const reader = rawDocSocket({ url: t.url, cookie: (await t.as('reviewer')).cookie }, name());
    raws.push(reader);
    await reader.opened;
    await waitFor(() => reader.texts.length === 1, { message: 'reader joined' });
    await waitFor(() => room()?.peerCount === 2, { message: 'both peers in the room' });
    reader.ws.pause();
    let received = 0;
    reader.ws.on('message', (data: Buffer) => (received += data.length));

    const edits = await flood(writer, () => room()!.peerCount === 1);
    expect(room()!.peerCount, `the silent reader is still connected after ${edits} edits of 400 KB`).toBe(1);
    // What the kernel took before the bound was reached is well under what was sent.
    const sent = text(room()!.doc).length;
    reader.ws.resume();
    await waitFor(() => reader.closed !== null, { message: 'the reader sees its connection end' });
    expect(reader.closed!.code).toBe(1006);
    expect(received).toBeLessThan(sent);

    // The room goes on: the writer's next edit reaches a new peer, and the database has everything.
    getDimensionText(writer.doc, 'helpfulness')!.insert(0, 'AFTER ');
    const late = openDocSocket({ url: t.url, cookie: (await t.as('reviewer')).cookie }, name());
    docs.push(late);
    await waitFor(() => text(late.doc).startsWith('AFTER ') && text(late.doc) === text(writer.doc), { message: 'a new reader converges' });
    console.log(`the silent document socket was dropped after ${edits} edits of 400 KB, having taken ${received} bytes of ${sent}`);
    for (const d of docs.splice(0)) d.close();
    await waitFor(() => (room()?.peerCount ?? 0) === 0, { message: 'the room is empty again' });
  });

  it('a document socket that stops answering pings is dropped at the ping after the one it missed (ACCORD_DOC_PING_SECONDS=5, a second node)', async () => {
    const node = await t.sibling({ ACCORD_DOC_PING_SECONDS: '5' });
    const reader = rawDocSocket({ url: node.url, cookie: (await t.as('reviewer')).cookie }, name());
    raws.push(reader);
    await reader.opened;
    await waitFor(() => reader.texts.length === 1, { message: 'reader joined' });
    const onNode = () => node.deps.docs.get(name())?.peerCount ?? 0;
    await waitFor(() => onNode() === 1, { message: 'the reader is in the room on the second node' });
    // Not reading, it cannot see the pings, so it answers none: the node drops it at the next ping but one.
    reader.ws.pause();
    await waitFor(() => onNode() === 0, { message: 'the silent socket is dropped after two ping intervals', timeout: 60_000 });
    reader.ws.resume();
    await waitFor(() => reader.closed !== null, { message: 'the reader sees its connection end' });
    expect(reader.closed!.code).toBe(1006);
  });

  it('a Socket.IO client on WebSocket that never reads is disconnected past the same bound, and its connection freed at once', async () => {
    const lead = await t.as('lead');
    const writer = openDocSocket({ url: t.url, cookie: lead.cookie }, name());
    docs.push(writer);
    await waitFor(() => writer.provider.synced, { message: 'writer synced' });
    // Why the server let each socket go ('ping timeout' would be engine.io's heartbeat, not the bound).
    const reasons = new Map<string, string>();
    const conns = new Map<string, { readyState: string }>();
    t.server.realtime.io.on('connection', (s) => {
      conns.set(s.id, s.conn as unknown as { readyState: string });
      s.on('disconnect', (reason) => reasons.set(s.id, reason));
    });
    const reviewer = await t.as('reviewer');
    const socket = await connected(openSocket({ url: t.url, cookie: reviewer.cookie, reconnection: false }));
    sockets.push(socket);
    const sid = socket.id!;
    const d = openDoc(socket, name());
    docs.push(d);
    await waitFor(() => d.provider.synced, { message: 'Socket.IO reader synced' });
    await waitFor(() => room()?.peerCount === 2, { message: 'both peers in the room' });
    // Stop reading at the TCP level: the engine's WebSocket and its socket stay open, unread.
    const ws = (socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws;
    ws._socket.pause();
    const edits = await flood(writer, () => room()!.peerCount === 1);
    expect(room()!.peerCount, `the silent Socket.IO reader is still in the room after ${edits} edits of 400 KB`).toBe(1);
    expect(reasons.get(sid)).toBe('server namespace disconnect');
    // Its engine.io connection closes now, not after a ping timeout with its backlog held meanwhile.
    await waitFor(() => conns.get(sid)?.readyState === 'closed', { message: 'the engine.io connection is closed', timeout: 20_000 });
    let disconnected = '';
    socket.on('disconnect', (reason) => (disconnected = reason));
    ws._socket.resume();
    await waitFor(() => disconnected !== '' || !socket.connected, { message: 'the client sees its socket end' });
  });

  it('a reader whose sync reply (the whole document) is larger than the bound is not dropped while it reads it', async () => {
    const lead = await t.as('lead');
    const writer = openDocSocket({ url: t.url, cookie: lead.cookie }, name());
    docs.push(writer);
    await waitFor(() => writer.provider.synced, { message: 'writer synced' });
    // A document of 12 MB or more: far beyond 1 MiB plus what the kernel takes for an unread socket.
    await flood(writer, () => text(room()!.doc).length >= 12_000_000);
    const size = text(room()!.doc).length;
    const peers = room()!.peerCount;
    const reader = rawDocSocket({ url: t.url, cookie: (await t.as('reviewer')).cookie }, name());
    raws.push(reader);
    await reader.opened;
    await waitFor(() => reader.texts.length === 1, { message: 'reader joined' });
    await waitFor(() => room()!.peerCount === peers + 1, { message: 'the reader is in the room' });
    // Ask for the whole document, then stop reading while it comes and others keep editing.
    reader.send(encodeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(new Y.Doc()) }));
    reader.ws.pause();
    for (let i = 0; i < 3; i++) {
      const before = text(room()!.doc).length;
      getDimensionText(writer.doc, 'helpfulness')!.insert(0, `small ${i} `);
      await waitFor(() => text(room()!.doc).length > before, { message: `small edit ${i} reached the server` });
    }
    expect(room()!.peerCount, 'the reader of a large document was dropped').toBe(peers + 1);
    reader.ws.resume();
    await waitFor(() => reader.frames.some((f) => f.type === 'sync-step2'), { message: `the reader has the ${size}-character document`, timeout: 60_000 });
    await waitFor(() => reader.frames.filter((f) => f.type === 'sync-update').length >= 3, { message: 'and the three edits after it' });
    expect(reader.closed).toBeNull();
  });
});

describe('one user’s many connections that stop reading (pglite, ACCORD_DOC_USER_BUFFER_MB=2, pings hourly)', () => {
  let t: TestServer;
  const docs: LiveDoc[] = [];
  const sockets: Socket[] = [];
  const raws: Array<ReturnType<typeof rawDocSocket>> = [];
  beforeAll(async () => {
    // Each connection keeps the default bound (16 MiB); only the user's total is small.
    t = await createTestServer('pglite', { ACCORD_DOC_USER_BUFFER_MB: '2', ACCORD_DOC_PING_SECONDS: '3600' });
  });
  afterAll(async () => {
    for (const d of docs) d.close();
    for (const s of sockets) s.disconnect();
    for (const r of raws) r.ws.terminate();
    await t?.close();
  });
  const name = () => `rubric:${t.demoProjectId}`;
  const room = () => t.server.deps.docs.get(name());

  it('drops the user’s lagging connections, on both transports, long before each one’s own bound; another user who reads goes on', async () => {
    const lead = await t.as('lead');
    const writer = openDocSocket({ url: t.url, cookie: lead.cookie }, name());
    docs.push(writer);
    await waitFor(() => writer.provider.synced, { message: 'writer synced' });
    const reviewer = await t.as('reviewer');
    // Three document sockets and one Socket.IO socket of one user, none of them reading.
    for (let i = 0; i < 3; i++) {
      const r = rawDocSocket({ url: t.url, cookie: reviewer.cookie }, name());
      raws.push(r);
      await r.opened;
      await waitFor(() => r.texts.length === 1, { message: `reader ${i} joined` });
    }
    const socket = await connected(openSocket({ url: t.url, cookie: reviewer.cookie, reconnection: false }));
    sockets.push(socket);
    const d = openDoc(socket, name());
    docs.push(d);
    await waitFor(() => d.provider.synced, { message: 'Socket.IO reader synced' });
    await waitFor(() => room()?.peerCount === 5, { message: 'the writer and four readers in the room' });
    const tcp = (socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws._socket;
    for (const r of raws) r.ws.pause();
    tcp.pause();

    // 30 edits of 400 KB send each reader 12 MB: what the kernel takes of an unread loopback socket
    // (about 5 MB) and 7 MB more, under one connection's 16 MiB, over the user's 2 MiB.
    const max = 30;
    const edits = await floodRoom(room, writer, () => room()!.peerCount === 1, max);
    expect(room()!.peerCount, `the user's silent connections still in the room after ${max} edits of 400 KB`).toBe(1);
    for (const r of raws) r.ws.resume();
    tcp.resume();
    await waitFor(() => raws.every((r) => r.closed !== null), { message: 'each document socket sees its connection end' });
    await waitFor(() => !socket.connected, { message: 'the Socket.IO client sees its socket end' });
    // The writer (another user, reading) kept its connection: its next edit reaches a new reader.
    getDimensionText(writer.doc, 'helpfulness')!.insert(0, 'AFTER ');
    const late = openDocSocket({ url: t.url, cookie: reviewer.cookie }, name());
    docs.push(late);
    await waitFor(() => text(late.doc).startsWith('AFTER ') && text(late.doc) === text(writer.doc), { message: 'a new reader of the same user converges' });
    console.log(`one user's four silent connections were dropped within ${edits} edits of 400 KB`);
  });
});
