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
import type { AuthContext, UserRow } from '../http/context.ts';
import type { BusEventName, BusHandler } from '../bus.ts';
import { resolveDocAccess, userColor, type DocAccess } from './access.ts';
import { fanOut } from './fanout.ts';
import type { SocketData } from './index.ts';

type IO = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type DocSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** Times a join resolves again because control events kept arriving while it resolved. */
const MAX_JOIN_RESOLVES = 5;
/** Documents one socket may hold open at once. */
const MAX_DOCS_PER_SOCKET = 16;
const MAX_FRAME_BYTES = 1024 * 1024 + 64;
/** Events bound elsewhere on the same socket (quality.ts) are known too. */
const KNOWN_EVENTS = new Set(['doc:join', 'doc:leave', 'doc:msg', 'quality:join', 'quality:leave', 'calibration:join', 'calibration:leave']);

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
  /** Bumped by every control event this node applies: a join that overlapped one resolves again. */
  let epoch = 0;
  /** Each room's kind `load` hook, run once per room on this node. */
  const loadHooks = new WeakMap<SyncRoom, Promise<void>>();

  /**
   * The socket's session (or API token) and its user, read from the database now; null once it no
   * longer authenticates (session ended, token revoked, user deactivated). Nothing authorizes from
   * the copy taken at the handshake; the fresh copy replaces it (for presence names).
   */
  async function currentAuth(socket: DocSocket): Promise<AuthContext | null> {
    const { cookie, token } = socket.data;
    const auth = cookie ? await deps.auth.fromCookie(cookie) : token ? await deps.auth.fromToken(token) : null;
    if (!auth || !auth.user.active) return null;
    socket.data.auth = auth;
    return auth;
  }

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
      else fanOut(io, g.sids, 'doc:msg', [g.name, payload]);
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

  /** The joined entry behind each peer this node handed to a room. */
  const joinedOf = new WeakMap<Peer, Joined>();
  /**
   * A room's broadcast (the same frame to many of its peers): whatever is queued in the outbox goes
   * first, then the frame is encoded once and written to each socket at once (fanout.ts). Shared by
   * every peer, so the room can hand it all its recipients in one call.
   */
  const sendMany = (peers: Peer[], bytes: Uint8Array) => {
    drain();
    const sids: string[] = [];
    let name = '';
    for (const p of peers) {
      const j = joinedOf.get(p);
      if (j?.open) {
        sids.push(j.socket.id);
        name = j.name;
      }
    }
    if (sids.length === 1) io.sockets.sockets.get(sids[0]!)?.emit('doc:msg', name, asBuffer(bytes));
    else if (sids.length > 1) fanOut(io, sids, 'doc:msg', [name, asBuffer(bytes)]);
  };

  function detach(j: Joined, notify: { code: number; reason: string } | null) {
    if (!j.open) return;
    j.open = false;
    const mine = bySocket.get(j.socket.id);
    if (mine?.get(j.name) === j) mine.delete(j.name);
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
      let user: UserRow | null = null;
      let access: DocAccess | null = null;
      // Resolved from the database as it is now; a control event applied meanwhile (a role taken
      // away, the project archived) makes it resolve again, so no stale answer slips past a re-check.
      for (let i = 0; i < MAX_JOIN_RESOLVES; i++) {
        const seen = epoch;
        const auth = await currentAuth(socket);
        if (!auth) {
          if (isPending()) mine.delete(name);
          socket.disconnect(true);
          return fail('forbidden', 'Your session has ended; sign in again.');
        }
        user = auth.user;
        access = await resolveDocAccess(deps, user, name);
        if (seen === epoch) break;
        access = null;
      }
      if (!socket.connected || !isPending()) return fail('bad_request', 'The connection closed while joining.');
      if (!user || !access) {
        mine.delete(name);
        return fail('unavailable', 'Access is changing; try again.');
      }
      if (!access.ok) {
        mine.delete(name);
        return fail(access.code, access.message);
      }
      const room = docs.acquire(name, { frozen: access.frozen });
      const kind = deps.docKinds.resolve(name);
      const load = kind?.kind.hooks?.load;
      if (load) {
        let hooked = loadHooks.get(room);
        if (!hooked) loadHooks.set(room, (hooked = room.whenLoaded.then(() => load(kind.id, room))));
        try {
          await hooked;
        } catch (e) {
          loadHooks.delete(room);
          docs.release(name, room);
          throw e;
        }
        if (!socket.connected || !isPending()) {
          docs.release(name, room);
          return fail('bad_request', 'The connection closed while joining.');
        }
      }
      const joinedUser = user;
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
          sendMany,
          close: (code, reason) => detach(j, { code, reason }),
        },
      };
      joinedOf.set(j.peer, j);
      mine.set(name, j);
      // Connect after the ack is on the wire, so the client's provider is open before the first frame.
      setImmediate(() => {
        if (j.open) room.connect(j.peer, { access: j.access, identity: { userId: joinedUser.id, name: joinedUser.name, color: userColor(joinedUser.id) } });
      });
      return { ok: true, data: { access: room.frozen ? 'read' : j.access } };
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
    // The acknowledgement is the last argument when the client asked for one, so a join or leave
    // sent without a name (or with extra arguments) still gets its error answer instead of silence.
    const split = (args: unknown[]) => {
      const ack = typeof args.at(-1) === 'function' ? args.at(-1) : undefined;
      return { name: ack !== undefined && args.length === 1 ? undefined : args[0], ack };
    };
    on('doc:join', (...args: unknown[]) => {
      const { name, ack } = split(args);
      join(socket, name).then(
        (r) => safeAck(ack, r),
        () => safeAck(ack, fail('unavailable', 'The document could not be opened.')),
      );
    });
    on('doc:leave', (...args: unknown[]) => {
      const { name, ack } = split(args);
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
    // An unknown event that asks for an answer gets an error rather than a client left waiting.
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (!KNOWN_EVENTS.has(event as string)) safeAck(args.at(-1), fail('bad_request', `Unknown event ${JSON.stringify(String(event).slice(0, 64))}.`));
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

  /** Re-resolves one open document for a user read fresh: kicked, downgraded, upgraded or frozen. */
  async function reresolve(j: Joined, user: UserRow): Promise<void> {
    try {
      const a = await resolveDocAccess(deps, user, j.name);
      if (!j.open) return;
      if (!a.ok) j.room.kick(j.peer.id, 'your access to this document was removed');
      else {
        j.access = a.access;
        j.room.setAccess(j.peer.id, a.access);
        if (a.frozen) j.room.freeze();
      }
    } catch (e) {
      logger.error('document access re-check failed', { message: (e as Error).message });
      if (j.open) j.room.kick(j.peer.id, 'access could not be re-checked');
    }
  }

  /**
   * A change of a user's rights, applied to their sockets on this node: each socket's session and
   * user are read again (ended or deactivated: disconnected), then each of its open documents (of
   * one project, or all) is re-resolved.
   */
  async function recheckUser(userId: string, projectId?: string): Promise<void> {
    for (const sid of [...(io.sockets.adapter.rooms.get(`user:${userId}`) ?? [])]) {
      const socket = io.sockets.sockets.get(sid);
      if (!socket) continue;
      let auth: AuthContext | null;
      try {
        auth = await currentAuth(socket);
      } catch (e) {
        // Unknown rights are no rights: the client reconnects and joins again, re-checked.
        logger.error('socket re-check failed', { message: (e as Error).message });
        auth = null;
      }
      if (!auth) {
        socket.disconnect(true);
        continue;
      }
      const open = [...(bySocket.get(sid)?.values() ?? [])].filter((j): j is Joined => !(j instanceof Promise) && (!projectId || j.projectId === projectId));
      for (const j of open) await reresolve(j, auth.user);
    }
  }

  /** One document's access changed (e.g. a calibration round revealed): every peer of it on this node is re-resolved. */
  async function recheckDoc(name: string): Promise<void> {
    for (const mine of [...bySocket.values()]) {
      const j = mine.get(name);
      if (!j || j instanceof Promise) continue;
      let auth: AuthContext | null = null;
      try {
        auth = await currentAuth(j.socket);
      } catch (e) {
        logger.error('socket re-check failed', { message: (e as Error).message });
      }
      if (!auth) j.socket.disconnect(true);
      else await reresolve(j, auth.user);
    }
  }

  /** Every loaded document of a project on this node (any kind). */
  async function roomsOf(projectId: string): Promise<string[]> {
    const out: string[] = [];
    for (const name of docs.names()) {
      try {
        if ((await deps.docKinds.projectOf(name)) === projectId) out.push(name);
      } catch (e) {
        logger.error('document project lookup failed', { name, message: (e as Error).message });
      }
    }
    return out;
  }

  const on = <K extends BusEventName>(name: K, fn: BusHandler<K>) =>
    deps.bus.on(name, (payload, meta) => {
      epoch++;
      return fn(payload, meta);
    });
  const offs = [
    on('user:sessions-ended', ({ userId }) => recheckUser(userId)),
    on('user:deactivated', ({ userId }) => void io.in(`user:${userId}`).disconnectSockets(true)),
    on('user:reactivated', () => undefined),
    on('user:admin-changed', ({ userId }) => recheckUser(userId)),
    on('member:removed', ({ userId, projectId }) => recheckUser(userId, projectId)),
    on('member:role-changed', ({ userId, projectId }) => recheckUser(userId, projectId)),
    on('member:eligibility-changed', ({ userId, projectId }) => recheckUser(userId, projectId)),
    on('project:archived', async ({ projectId, archived }) => {
      // Archiving freezes every document of the project at once (and every later load, through its
      // kind's `frozen`); unarchiving closes them so their peers join again with fresh access.
      for (const name of await roomsOf(projectId)) {
        if (archived) docs.freeze(name);
        else await docs.reset(name);
      }
    }),
    on('project:access-changed', async ({ projectId }) => {
      for (const name of await roomsOf(projectId)) await recheckDoc(name);
    }),
    on('doc:frozen', ({ doc }) => docs.freeze(doc)),
    on('doc:committed', ({ doc }) => docs.freeze(doc)),
    on('doc:access-changed', ({ doc }) => recheckDoc(doc)),
  ];

  return {
    onConnection,
    close() {
      for (const off of offs) off();
    },
  };
}
