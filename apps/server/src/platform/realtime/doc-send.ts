/**
 * What live documents send, on both transports (docs.ts). Consecutive sends of one frame to several
 * Socket.IO sockets become one broadcast, and a room's broadcast is framed once (fanout.ts). What a
 * client that stops reading may have waiting is bounded twice, and a connection past either bound is
 * dropped (the client reconnects and resyncs) instead of growing the server's memory:
 * - per connection: ACCORD_DOC_BUFFER_MB beyond the largest frame it was sent;
 * - per user on this node: ACCORD_DOC_USER_BUFFER_MB over all their connections, so one account
 *   holding many document sockets (up to ACCORD_DOC_SOCKETS_PER_USER) cannot make the process hold
 *   that many times the first bound. The user's total is kept as sends happen, not summed per send
 *   (one user may hold a thousand sockets of one room), and recounted from every connection only
 *   when it is over the bound, at most once per turn of the event loop (docs/realtime.md).
 */
import type { Server } from 'socket.io';
import type { WebSocket } from 'ws';
import type { Peer } from '@accord/collab';
import type { Logger } from '../logger.ts';
import { binaryFrame, fanOut, sendRaw } from './fanout.ts';

/** What is read of a Socket.IO socket's engine.io connection (engine.io 6). */
interface EngineConnLike {
  transport?: { name?: string; socket?: { bufferedAmount?: number; terminate?: () => void } };
  on(event: 'drain', fn: () => void): void;
  on(event: 'packetCreate', fn: (packet: { data?: unknown }) => void): void;
}

/** The bytes of an engine.io packet's data (msgpack packets are Buffers; pings and the like short strings). */
const packetBytes = (data: unknown): number =>
  typeof data === 'string' ? data.length : data instanceof Uint8Array ? data.byteLength : data instanceof ArrayBuffer ? data.byteLength : 0;

/** One user's connections on this node and what they have waiting, as last seen. */
export interface UserBacklog {
  readonly conns: Set<Sendable>;
  /** The sum of their `counted`. */
  bytes: number;
  /** The turn of the event loop in which `bytes` was last recounted from every connection. */
  recounted: number;
}

/** A connection frames are sent to: a Socket.IO socket (`sid`) or a document socket (`ws`). */
export interface Sendable {
  readonly sid?: string;
  readonly ws?: WebSocket;
  readonly user: UserBacklog;
  /** What this connection adds to its user's total: its backlog beyond its largest frame, once past LAGGING. */
  counted: number;
}

/**
 * Backlogs up to this size are not counted in the user's total: nearly every send finds the backlog
 * at zero, and skipping them spares the bookkeeping. A user's uncounted part is at most this much
 * per connection.
 */
const LAGGING = 64 * 1024;

export interface DocSenderOptions {
  /** Bytes one connection may have waiting beyond the largest frame it was sent. */
  maxBuffered: number;
  /** Bytes one user's connections on this node may have waiting in all (each beyond its largest frame). */
  maxPerUser: number;
  logger: Logger;
  /** The connection and document behind a peer a room was handed, while it is open. */
  target(peer: Peer): { conn: Sendable; name: string } | undefined;
}

export function createDocSender(io: Server, { maxBuffered, maxPerUser, logger, target }: DocSenderOptions) {
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
  /** A frame for one Socket.IO socket, sent at the end of this turn of the event loop. */
  const enqueue = (name: string, bytes: Uint8Array, sid: string) => {
    const last = outbox[outbox.length - 1];
    if (last && last.bytes === bytes && last.name === name) last.sids.push(sid);
    else outbox.push({ name, bytes, sids: [sid] });
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(drain);
    }
  };

  // ---- what each connection has waiting
  /**
   * What a connection's backlog may reach: the bound plus the largest frame it was sent, so a join's
   * sync reply (the whole document, which may exceed the bound) never gets its reader dropped. Frames
   * of up to 64 KiB are not recorded: they change the allowance by little, and recording costs a
   * lookup per recipient of every broadcast. Keyed by the document socket, or the engine.io connection.
   */
  const largestFrame = new WeakMap<object, number>();
  const noteFrame = (key: object, size: number): void => {
    if (size > 65_536 && size > (largestFrame.get(key) ?? 0)) largestFrame.set(key, size);
  };
  // The first test spares the map lookup while the backlog is under the bound itself (nearly always).
  const overBound = (key: object, backlog: number): boolean => backlog > maxBuffered && backlog > maxBuffered + (largestFrame.get(key) ?? 0);
  /**
   * A Socket.IO socket's backlog (WebSocket transport only, `transports` in index.ts): what its
   * WebSocket has waiting, plus every packet engine.io queued behind it since it last handed its queue
   * over (its `drain`, the only way its queue empties while open) — document frames and every other
   * event (quality, calibration) alike, counted as engine.io creates them (`watch`). engine.io hands
   * the WebSocket more only after each write's callback, so the WebSocket's own backlog stays small
   * while engine.io's grows.
   */
  const ioQueued = new WeakMap<object, { bytes: number }>();
  const engineOf = (sid: string) => {
    const socket = io.sockets.sockets.get(sid);
    const conn = socket?.conn as unknown as EngineConnLike | undefined;
    return socket && conn && conn.transport?.name === 'websocket' ? { socket, conn } : null;
  };
  const ioBacklog = (conn: EngineConnLike): number => (conn.transport?.socket?.bufferedAmount ?? 0) + (ioQueued.get(conn)?.bytes ?? 0);
  /** Ends a Socket.IO socket that does not keep up, and frees its backlog now. */
  const dropIo = (socket: { disconnect(close: boolean): unknown }, conn: EngineConnLike, why: string, bytes: number): void => {
    logger.debug(why, { bytes });
    try {
      socket.disconnect(true);
    } catch (err) {
      logger.error('socket disconnect failed', { message: (err as Error).message });
    }
    // engine.io would wait for its queue to drain (never, the client does not read) until its ping
    // timeout; ending the WebSocket frees the backlog now.
    conn.transport?.socket?.terminate?.();
  };
  /**
   * Counts what engine.io queues for a Socket.IO socket from its connection on. Events other than
   * document frames are bounded here as they are created, since nothing else checks them: past the
   * bound (and the largest document frame it was sent), the socket is dropped once engine.io's call
   * returns.
   */
  const watch = (socket: { conn: unknown; disconnect(close: boolean): unknown }): void => {
    const conn = socket.conn as EngineConnLike;
    const q = { bytes: 0 };
    ioQueued.set(conn, q);
    let dropping = false;
    conn.on('drain', () => (q.bytes = 0));
    conn.on('packetCreate', (packet) => {
      q.bytes += packetBytes(packet.data);
      if (dropping || q.bytes <= maxBuffered || conn.transport?.name !== 'websocket') return;
      const backlog = ioBacklog(conn);
      if (!overBound(conn, backlog)) return;
      dropping = true;
      queueMicrotask(() => dropIo(socket, conn, 'socket dropped: it does not read its events', backlog));
    });
  };

  // ---- the user's total
  let turn = 0;
  let turnScheduled = false;
  const nextTurn = () => {
    turnScheduled = false;
    turn++;
  };
  /** Sets what `c` adds to its user's total from its `backlog` (beyond the allowance of its largest frame). */
  const count = (c: Sendable, key: object, backlog: number): void => {
    const counted = backlog > LAGGING ? Math.max(0, backlog - (largestFrame.get(key) ?? 0)) : 0;
    if (counted !== c.counted) {
      c.user.bytes += counted - c.counted;
      c.counted = counted;
    }
  };
  /** The user's total read again from each connection (backlogs shrink as clients read, unseen). */
  const recount = (user: UserBacklog): number => {
    if (user.recounted === turn) return user.bytes;
    for (const c of user.conns) {
      if (c.ws) count(c, c.ws, c.ws.bufferedAmount);
      else if (c.sid) {
        const e = engineOf(c.sid);
        if (e) count(c, e.conn, ioBacklog(e.conn));
      }
    }
    user.recounted = turn;
    if (!turnScheduled) {
      turnScheduled = true;
      setImmediate(nextTurn);
    }
    return user.bytes;
  };
  /** False when `c`, lagging, takes its user past their bound. */
  const userKeepsUp = (c: Sendable, key: object, backlog: number): boolean => {
    count(c, key, backlog);
    return c.counted === 0 || c.user.bytes <= maxPerUser || recount(c.user) <= maxPerUser;
  };
  /** A connection that is gone or dropped no longer counts. */
  const forget = (c: Sendable): void => {
    c.user.bytes -= c.counted;
    c.counted = 0;
  };

  /** False (and the connection dropped) once `c` has more than it may have waiting, with a frame of `size` added. */
  const keepsUp = (c: Sendable, size: number): boolean => {
    if (c.ws) {
      const ws = c.ws;
      noteFrame(ws, size);
      const backlog = ws.bufferedAmount;
      const own = !overBound(ws, backlog);
      if (own && userKeepsUp(c, ws, backlog)) return true;
      logger.debug(own ? 'document socket dropped: its user has too much waiting' : 'document socket dropped: it does not read its frames', { bytes: backlog, user: c.user.bytes });
      forget(c);
      ws.terminate();
      return false;
    }
    const e = c.sid ? engineOf(c.sid) : null;
    if (!e) return true;
    noteFrame(e.conn, size);
    const backlog = ioBacklog(e.conn);
    const own = !overBound(e.conn, backlog);
    if (own && userKeepsUp(c, e.conn, backlog)) return true;
    forget(c);
    dropIo(e.socket, e.conn, own ? 'socket dropped: its user has too much waiting' : 'socket dropped: it does not read its document frames', backlog);
    return false;
  };

  /**
   * A room's broadcast (the same frame to many of its peers): whatever is queued in the outbox goes
   * first, then the frame is encoded once and written to each socket at once (fanout.ts). Shared by
   * every peer, so the room can hand it all its recipients in one call.
   */
  const sendMany = (peers: Peer[], bytes: Uint8Array) => {
    drain();
    const sids: string[] = [];
    let frame: Buffer[] | null = null;
    let name = '';
    for (const p of peers) {
      const t = target(p);
      if (!t || !keepsUp(t.conn, bytes.byteLength)) continue;
      // Written as it is checked: the first recipients do not wait for the checks of the last.
      if (t.conn.ws) sendRaw(t.conn.ws, (frame ??= binaryFrame(bytes)), bytes);
      else if (t.conn.sid) {
        sids.push(t.conn.sid);
        name = t.name;
      }
    }
    if (sids.length === 1) io.sockets.sockets.get(sids[0]!)?.emit('doc:msg', name, asBuffer(bytes));
    else if (sids.length > 1) fanOut(io, sids, 'doc:msg', [name, asBuffer(bytes)]);
  };

  /** One frame to one peer's connection, after what was sent to it before. */
  const send = (c: Sendable, name: string, bytes: Uint8Array): void => {
    if (!keepsUp(c, bytes.byteLength)) return;
    if (c.ws) c.ws.send(bytes);
    else if (c.sid) enqueue(name, bytes, c.sid);
  };

  return { send, sendMany, drain, forget, watch };
}

export type DocSender = ReturnType<typeof createDocSender>;
