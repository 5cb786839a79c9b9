/**
 * The Socket.IO binding of live documents: a thin adapter from `doc:join` / `doc:msg` / `doc:leave`
 * to sync rooms (`room.connect`, `room.receive`, `room.disconnect`). Every payload is checked before
 * use and every handler answers or stays silent — it never throws at the socket. Frames the room
 * sends to many peers at once are encoded once and broadcast (docs/realtime.md).
 */
import type { Server, Socket } from 'socket.io';
import type { Peer, SyncRoom } from '@accord/collab';
import { DOC_NAME_RE, type Ack, type ClientToServerEvents, type DocJoined, type ServerToClientEvents, type SocketError } from '@accord/core';
import type { RealtimeDeps } from './deps.ts';
import { resolveDocAccess, userColor } from './access.ts';
import type { SocketData } from './index.ts';

type IO = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type DocSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** Documents one socket may hold open at once. */
const MAX_DOCS_PER_SOCKET = 16;
const MAX_FRAME_BYTES = 1024 * 1024 + 64;

interface Joined {
  name: string;
  access: 'read' | 'write';
  projectId: string;
  socket: DocSocket;
  peer: Peer;
  room: SyncRoom;
  open: boolean;
}

const isName = (v: unknown): v is string => typeof v === 'string' && v.length <= 64 && DOC_NAME_RE.test(v);
const fail = (code: SocketError['code'], message: string): Ack<never> => ({ ok: false, error: { code, message } });

export function bindDocs(io: IO, deps: RealtimeDeps) {
  const { docs, logger } = deps;
  /** socket id → document name → joined entry (or the join in progress). */
  const bySocket = new Map<string, Map<string, Joined | Promise<Ack<DocJoined>>>>();
  const byUser = new Map<string, Set<Joined>>();

  // ---- outgoing: consecutive sends of one frame to several sockets become one encoded broadcast
  let outbox: Array<{ name: string; bytes: Uint8Array; sids: string[] }> = [];
  let scheduled = false;
  const drain = () => {
    scheduled = false;
    const groups = outbox;
    outbox = [];
    for (const g of groups) {
      const payload = asBuffer(g.bytes);
      if (g.sids.length === 1) io.sockets.sockets.get(g.sids[0]!)?.emit('doc:msg', g.name, payload);
      else io.to(g.sids).emit('doc:msg', g.name, payload);
    }
  };
  // As a Buffer view, msgpack encodes exactly these bytes (a plain typed array would send its whole backing buffer).
  const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  const enqueue = (name: string, bytes: Uint8Array, sid: string) => {
    const last = outbox[outbox.length - 1];
    if (last && last.bytes === bytes && last.name === name) last.sids.push(sid);
    else outbox.push({ name, bytes, sids: [sid] });
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(drain);
    }
  };

  function detach(j: Joined, notify: { code: number; reason: string } | null) {
    if (!j.open) return;
    j.open = false;
    const mine = bySocket.get(j.socket.id);
    if (mine?.get(j.name) === j) mine.delete(j.name);
    byUser.get(j.socket.data.auth.user.id)?.delete(j);
    docs.release(j.name, j.room);
    if (notify && j.socket.connected) {
      drain(); // frames the room sent before closing (its error frame) go first
      j.socket.emit('doc:closed', j.name, notify.code, notify.reason);
    }
  }

  function join(socket: DocSocket, name: unknown): Promise<Ack<DocJoined>> {
    if (!isName(name)) return Promise.resolve(fail('bad_request', 'The document name must be rubric:<uuid>, dispute:<uuid> or calibration:<uuid>.'));
    let mine = bySocket.get(socket.id);
    if (!mine) bySocket.set(socket.id, (mine = new Map()));
    const current = mine.get(name);
    // A repeated join answers like the first (a join in progress is shared, not started twice).
    if (current instanceof Promise) return current;
    if (current) return Promise.resolve({ ok: true, data: { access: current.room.frozen ? 'read' : current.access } });
    if (mine.size >= MAX_DOCS_PER_SOCKET) return Promise.resolve(fail('rate_limited', `At most ${MAX_DOCS_PER_SOCKET} documents per connection.`));
    const pending = doJoin(socket, name, mine);
    mine.set(name, pending);
    return pending;
  }

  async function doJoin(socket: DocSocket, name: string, mine: Map<string, Joined | Promise<Ack<DocJoined>>>): Promise<Ack<DocJoined>> {
    await Promise.resolve(); // `mine` holds the promise before anything below runs
    const isPending = () => mine.get(name) instanceof Promise;
    try {
      const user = socket.data.auth.user;
      const access = await resolveDocAccess(deps, user, name);
      if (!socket.connected || !isPending()) return fail('bad_request', 'The connection closed while joining.');
      if (!access.ok) {
        mine.delete(name);
        return fail(access.code, access.message);
      }
      const room = docs.acquire(name, { frozen: access.frozen });
      const sid = socket.id;
      const j: Joined = {
        name,
        access: access.access,
        projectId: access.projectId,
        socket,
        room,
        open: true,
        peer: {
          id: `${sid}:${name}`,
          send: (bytes) => {
            if (j.open) enqueue(name, bytes, sid);
          },
          close: (code, reason) => detach(j, { code, reason }),
        },
      };
      mine.set(name, j);
      let set = byUser.get(user.id);
      if (!set) byUser.set(user.id, (set = new Set()));
      set.add(j);
      // Connect after the ack is on the wire, so the client's provider is open before the first frame.
      setImmediate(() => {
        if (j.open) room.connect(j.peer, { access: access.access, identity: { userId: user.id, name: user.name, color: userColor(user.id) } });
      });
      return { ok: true, data: { access: room.frozen ? 'read' : access.access } };
    } catch (e) {
      if (isPending()) mine.delete(name);
      logger.error('doc:join failed', { message: (e as Error).message });
      return fail('unavailable', 'The document could not be opened; try again.');
    }
  }

  function leave(socket: DocSocket, name: unknown): Ack<null> {
    if (!isName(name)) return fail('bad_request', 'Not a document name.');
    const j = bySocket.get(socket.id)?.get(name);
    if (!j || j instanceof Promise) return fail('not_joined', 'This document is not open on this connection.');
    j.room.disconnect(j.peer);
    detach(j, null);
    return { ok: true, data: null };
  }

  function message(socket: DocSocket, name: unknown, bytes: unknown): void {
    const j = isName(name) ? bySocket.get(socket.id)?.get(name) : undefined;
    if (!j || j instanceof Promise) {
      if (isName(name)) socket.emit('doc:error', name, { code: 'not_joined', message: 'Join the document before sending to it.' });
      return;
    }
    // msgpack hands binary over as a Buffer (bin) or an ArrayBuffer (what browsers' typed arrays encode as).
    const frame = bytes instanceof Uint8Array ? bytes : bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : null;
    if (!frame) {
      socket.emit('doc:error', j.name, { code: 'bad_request', message: 'Document frames are binary.' });
      return;
    }
    if (frame.byteLength > MAX_FRAME_BYTES) {
      socket.emit('doc:error', j.name, { code: 'bad_request', message: 'The frame is too large.' });
      return;
    }
    j.room.receive(j.peer, frame);
  }

  const safeAck = (ack: unknown, result: unknown) => {
    if (typeof ack === 'function') {
      try {
        (ack as (r: unknown) => void)(result);
      } catch {
        /* a client that sent a bad ack id gets nothing */
      }
    }
  };

  function onConnection(socket: DocSocket): void {
    // Untyped on purpose: anything can arrive, and each argument is checked before use.
    const on = socket.on.bind(socket) as unknown as (ev: string, fn: (...args: any[]) => void) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
    on('doc:join', (name, ack) => {
      join(socket, name).then(
        (r) => safeAck(ack, r),
        () => safeAck(ack, fail('unavailable', 'The document could not be opened.')),
      );
    });
    on('doc:leave', (name, ack) => {
      try {
        safeAck(ack, leave(socket, name));
      } catch (e) {
        logger.error('doc:leave failed', { message: (e as Error).message });
        safeAck(ack, fail('unavailable', 'Could not leave the document.'));
      }
    });
    on('doc:msg', (name, bytes) => {
      try {
        message(socket, name, bytes);
      } catch (e) {
        logger.error('doc:msg failed', { message: (e as Error).message });
      }
    });
    socket.on('disconnect', () => {
      const mine = bySocket.get(socket.id);
      bySocket.delete(socket.id);
      for (const j of mine?.values() ?? []) {
        if (j instanceof Promise) continue;
        j.room.disconnect(j.peer);
        detach(j, null);
      }
    });
  }

  /** Re-resolves a user's open documents of one project after a membership change: access drops at once. */
  async function recheck(userId: string, projectId: string): Promise<void> {
    const open = [...(byUser.get(userId) ?? [])].filter((j) => j.projectId === projectId);
    for (const j of open) {
      try {
        const a = await resolveDocAccess(deps, j.socket.data.auth.user, j.name);
        if (!j.open) continue;
        if (!a.ok) j.room.kick(j.peer.id, 'your access to this document was removed');
        else {
          j.access = a.access;
          j.room.setAccess(j.peer.id, a.access);
        }
      } catch (e) {
        logger.error('document access re-check failed', { message: (e as Error).message });
        j.room.kick(j.peer.id, 'access could not be re-checked');
      }
    }
  }

  const offs = [
    deps.bus.on('member:removed', ({ userId, projectId }) => void recheck(userId, projectId)),
    deps.bus.on('member:role-changed', ({ userId, projectId }) => void recheck(userId, projectId)),
    deps.bus.on('project:archived', ({ projectId, archived }) => {
      const name = `rubric:${projectId}`;
      // Archiving freezes the draft for everyone at once; unarchiving reopens it with fresh access.
      if (archived) docs.freeze(name);
      else void docs.reset(name);
    }),
  ];

  return {
    onConnection,
    close() {
      for (const off of offs) off();
    },
  };
}
