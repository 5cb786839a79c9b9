/**
 * The bindings of live documents to sync rooms (`room.connect`, `room.receive`, `room.disconnect`),
 * over two transports that share one join, one re-check of rights and one broadcast:
 * - Socket.IO: `doc:join` / `doc:msg` / `doc:leave` on the app socket, many documents per socket
 *   (here);
 * - the document socket: one plain WebSocket per document at `/collab/<name>` (doc-socket.ts, [P26]).
 * Every payload is checked before use and every handler answers or stays silent — it never throws
 * at the socket. What is sent, and the bounds on what may wait for a client, are in doc-send.ts.
 */
import type { Server, Socket } from 'socket.io';
import type { WebSocket } from 'ws';
import type { Peer, SyncRoom } from '@accord/collab';
import { type Ack, type ClientToServerEvents, type DocJoined, type ServerToClientEvents, type SocketError } from '@accord/core';
import type { RealtimeDeps } from './deps.ts';
import type { AuthContext, UserRow } from '../http/context.ts';
import type { BusEventName, BusHandler } from '../bus.ts';
import { readAuth, resolveDocAccess, userColor, type DocAccess } from './access.ts';
import { createDocSender, type Sendable, type UserBacklog } from './doc-send.ts';
import { bindDocSockets, isDocName as isName, MAX_FRAME_BYTES } from './doc-socket.ts';
import type { SocketData } from './index.ts';

type IO = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type DocSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** Times a join resolves again because control events kept arriving while it resolved. */
const MAX_JOIN_RESOLVES = 5;
/** Documents one socket may hold open at once. */
const MAX_DOCS_PER_SOCKET = 16;
/** Events bound elsewhere on the same socket (quality.ts) are known too. */
const KNOWN_EVENTS = new Set(['doc:join', 'doc:leave', 'doc:msg', 'quality:join', 'quality:leave', 'calibration:join', 'calibration:leave']);

/** A client connection that holds documents open: a Socket.IO socket or a document socket. */
export interface DocConn extends Sendable {
  readonly id: string;
  /** Its credentials; `auth` is replaced by every fresh read. */
  readonly data: SocketData;
  readonly connected: boolean;
  /** Ends the connection: its session no longer authenticates. */
  end(): void;
  /** Tells the client the room closed this document (after any frame already sent). */
  closed(name: string, code: number, reason: string): void;
  /** Socket.IO's socket id, for broadcasts; absent on a document socket. */
  readonly sid?: string;
  /** The document socket; absent on Socket.IO. */
  readonly ws?: WebSocket;
  /** Its user's connections on this node (connsByUser), and what they have waiting (doc-send.ts). */
  readonly user: UserBacklog & { conns: Set<DocConn> };
}

export interface Joined {
  name: string;
  access: 'read' | 'write';
  projectId: string;
  conn: DocConn;
  peer: Peer;
  room: SyncRoom;
  open: boolean;
}

export type JoinResult = { ok: true; user: UserRow; access: 'read' | 'write'; projectId: string; room: SyncRoom } | { ok: false; ended?: boolean; error: SocketError };

const fail = (code: SocketError['code'], message: string): Ack<never> => ({ ok: false, error: { code, message } });
const refusal = (code: SocketError['code'], message: string, ended = false): JoinResult => ({ ok: false, ended, error: { code, message } });
const CLOSED_WHILE_JOINING = 'The connection closed while joining.';


export function bindDocs(io: IO, deps: RealtimeDeps) {
  const { docs, logger } = deps;
  /** connection id → document name → joined entry (or the join in progress). */
  const byConn = new Map<string, Map<string, Joined | Promise<Ack<DocJoined>>>>();
  /** user id → their open connections on this node (both transports), for the re-checks and the user's backlog. */
  const connsByUser = new Map<string, UserBacklog & { conns: Set<DocConn> }>();
  /** Each Socket.IO socket's connection. */
  const connOfSocket = new WeakMap<DocSocket, DocConn>();
  /** Bumped by every control event this node applies: a join that overlapped one resolves again. */
  let epoch = 0;
  /** Each room's kind `load` hook, run once per room on this node. */
  const loadHooks = new WeakMap<SyncRoom, Promise<void>>();
  /** The joined entry behind each peer this node handed to a room. */
  const joinedOf = new WeakMap<Peer, Joined>();
  const sender = createDocSender(io as unknown as Server, {
    maxBuffered: deps.env.ACCORD_DOC_BUFFER_MB * 1024 * 1024,
    maxPerUser: deps.env.ACCORD_DOC_USER_BUFFER_MB * 1024 * 1024,
    logger,
    target: (peer) => {
      const j = joinedOf.get(peer);
      return j?.open ? j : undefined;
    },
  });

  /** The user's entry, for a connection of theirs about to be opened (and tracked). */
  const userEntry = (userId: string): UserBacklog & { conns: Set<DocConn> } => {
    let u = connsByUser.get(userId);
    if (!u) connsByUser.set(userId, (u = { conns: new Set(), bytes: 0, recounted: -1 }));
    return u;
  };
  const untrack = (userId: string, conn: DocConn) => {
    sender.forget(conn);
    const u = conn.user;
    if (u.conns.delete(conn) && u.conns.size === 0 && connsByUser.get(userId) === u) connsByUser.delete(userId);
  };

  const currentAuth = (conn: Pick<DocConn, 'data'>) => readAuth(deps, conn.data);

  function detach(j: Joined, notify: { code: number; reason: string } | null) {
    if (!j.open) return;
    j.open = false;
    const mine = byConn.get(j.conn.id);
    if (mine?.get(j.name) === j) mine.delete(j.name);
    docs.release(j.name, j.room);
    if (notify && j.conn.connected) j.conn.closed(j.name, notify.code, notify.reason);
  }

  /**
   * Who is asking and what they may do with `name`, resolved from the database as it is now, and the
   * room open on this node. A control event applied meanwhile (a role taken away, the project
   * archived) makes it resolve again, so no stale answer slips past a re-check. `stillWanted` is
   * asked after every wait: false once the client left or closed.
   */
  async function resolveJoin(conn: Pick<DocConn, 'data'>, name: string, stillWanted: () => boolean): Promise<JoinResult> {
    let user: UserRow | null = null;
    let access: DocAccess | null = null;
    for (let i = 0; i < MAX_JOIN_RESOLVES; i++) {
      const seen = epoch;
      const auth = await currentAuth(conn);
      if (!auth) return refusal('forbidden', 'Your session has ended; sign in again.', true);
      user = auth.user;
      access = await resolveDocAccess(deps, user, name);
      if (seen === epoch) break;
      access = null;
    }
    if (!stillWanted()) return refusal('bad_request', CLOSED_WHILE_JOINING);
    if (!user || !access) return refusal('unavailable', 'Access is changing; try again.');
    if (!access.ok) return refusal(access.code, access.message);
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
      if (!stillWanted()) {
        docs.release(name, room);
        return refusal('bad_request', CLOSED_WHILE_JOINING);
      }
    }
    return { ok: true, user, access: access.access, projectId: access.projectId, room };
  }

  /** The joined entry of a resolved join, registered on its connection; the room is connected by the caller. */
  function register(conn: DocConn, name: string, r: Extract<JoinResult, { ok: true }>): Joined {
    const j: Joined = {
      name,
      access: r.access,
      projectId: r.projectId,
      conn,
      room: r.room,
      open: true,
      peer: {
        id: `${conn.id}:${name}`,
        send: (bytes) => {
          if (j.open) sender.send(conn, name, bytes);
        },
        sendMany: sender.sendMany,
        close: (code, reason) => detach(j, { code, reason }),
      },
    };
    joinedOf.set(j.peer, j);
    let mine = byConn.get(conn.id);
    if (!mine) byConn.set(conn.id, (mine = new Map()));
    mine.set(name, j);
    return j;
  }

  const connectRoom = (j: Joined, user: UserRow) => {
    if (j.open) j.room.connect(j.peer, { access: j.access, identity: { userId: user.id, name: user.name, color: userColor(user.id) } });
  };

  // ---- Socket.IO

  function join(socket: DocSocket, name: unknown): Promise<Ack<DocJoined>> {
    if (!isName(name)) return Promise.resolve(fail('bad_request', 'The document name must be rubric:<uuid>, dispute:<uuid> or calibration:<uuid>.'));
    let mine = byConn.get(socket.id);
    if (!mine) byConn.set(socket.id, (mine = new Map()));
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
    const conn = connOfSocket.get(socket);
    try {
      if (!conn) return fail('bad_request', CLOSED_WHILE_JOINING);
      const r = await resolveJoin(conn, name, () => socket.connected && isPending());
      if (!r.ok) {
        if (isPending()) mine.delete(name);
        if (r.ended) socket.disconnect(true);
        return { ok: false, error: r.error };
      }
      const j = register(conn, name, r);
      // Connect after the ack is on the wire, so the client's provider is open before the first frame.
      setImmediate(() => connectRoom(j, r.user));
      return { ok: true, data: { access: r.room.frozen ? 'read' : j.access } };
    } catch (e) {
      if (isPending()) mine.delete(name);
      logger.error('doc:join failed', { message: (e as Error).message });
      return fail('unavailable', 'The document could not be opened; try again.');
    }
  }

  function leave(socket: DocSocket, name: unknown): Ack<null> {
    if (!isName(name)) return fail('bad_request', 'Not a document name.');
    const j = byConn.get(socket.id)?.get(name);
    if (!j || j instanceof Promise) return fail('not_joined', 'This document is not open on this connection.');
    j.room.disconnect(j.peer);
    detach(j, null);
    return { ok: true, data: null };
  }

  function message(socket: DocSocket, name: unknown, bytes: unknown): void {
    const j = isName(name) ? byConn.get(socket.id)?.get(name) : undefined;
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

  /** Closes every document of a connection that went away. */
  function dropConn(conn: DocConn, userId: string) {
    const mine = byConn.get(conn.id);
    byConn.delete(conn.id);
    untrack(userId, conn);
    for (const j of mine?.values() ?? []) {
      if (j instanceof Promise) continue;
      j.room.disconnect(j.peer);
      detach(j, null);
    }
  }

  function onConnection(socket: DocSocket): void {
    const userId = socket.data.auth.user.id;
    const conn: DocConn = {
      id: socket.id,
      sid: socket.id,
      data: socket.data,
      get connected() {
        return socket.connected;
      },
      end: () => socket.disconnect(true),
      closed: (name, code, reason) => {
        sender.drain(); // frames the room sent before closing (its error frame) go first
        socket.emit('doc:closed', name, code, reason);
      },
      user: userEntry(userId),
      counted: 0,
    };
    connOfSocket.set(socket, conn);
    conn.user.conns.add(conn);
    sender.watch(socket);
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
    socket.on('disconnect', () => dropConn(conn, userId));
  }

  // ---- document sockets: one plain WebSocket per document (doc-socket.ts)
  const docSockets = bindDocSockets(
    {
      resolveJoin,
      register,
      connectRoom,
      userEntry,
      openConns: (userId) => connsByUser.get(userId)?.conns.size ?? 0,
      dropConn,
    },
    deps,
  );

  // ---- re-checks of rights, on both transports

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
   * A change of a user's rights, applied to their connections on this node: each one's session and
   * user are read again (ended or deactivated: disconnected), then each of its open documents (of
   * one project, or all) is re-resolved.
   */
  async function recheckUser(userId: string, projectId?: string): Promise<void> {
    for (const conn of [...(connsByUser.get(userId)?.conns ?? [])]) {
      if (!conn.connected) continue;
      let auth: AuthContext | null;
      try {
        auth = await currentAuth(conn);
      } catch (e) {
        // Unknown rights are no rights: the client reconnects and joins again, re-checked.
        logger.error('socket re-check failed', { message: (e as Error).message });
        auth = null;
      }
      if (!auth) {
        conn.end();
        continue;
      }
      const open = [...(byConn.get(conn.id)?.values() ?? [])].filter((j): j is Joined => !(j instanceof Promise) && (!projectId || j.projectId === projectId));
      for (const j of open) await reresolve(j, auth.user);
    }
  }

  /** One document's access changed (e.g. a calibration round revealed): every peer of it on this node is re-resolved. */
  async function recheckDoc(name: string): Promise<void> {
    for (const mine of [...byConn.values()]) {
      const j = mine.get(name);
      if (!j || j instanceof Promise) continue;
      let auth: AuthContext | null = null;
      try {
        auth = await currentAuth(j.conn);
      } catch (e) {
        logger.error('socket re-check failed', { message: (e as Error).message });
      }
      if (!auth) j.conn.end();
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
    on('user:deactivated', ({ userId }) => {
      io.in(`user:${userId}`).disconnectSockets(true);
      for (const conn of [...(connsByUser.get(userId)?.conns ?? [])]) conn.end();
    }),
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
    upgrade: docSockets.upgrade,
    /** Re-checks the user's connections on this node (as a control event would): those whose credential no longer authenticates end. */
    recheckUser: (userId: string) => recheckUser(userId),
    /** Users with a connection on this node whose credential's own limit (`validUntil`) is at or before `now`. */
    dueUsers(now: number): string[] {
      const due: string[] = [];
      for (const [userId, u] of connsByUser) {
        for (const conn of u.conns) {
          const until = conn.data.auth?.validUntil;
          if (until && until.getTime() <= now) {
            due.push(userId);
            break;
          }
        }
      }
      return due;
    },
    close() {
      for (const off of offs) off();
      docSockets.close();
    },
  };
}
