/**
 * One event to many sockets, encoded and framed once. Socket.IO's broadcast encodes a packet once,
 * but then hands it to each socket's engine.io connection, which queues it, flushes it, frames it for
 * WebSocket and runs its drain events: most of a live document's cost per recipient (docs/realtime.md).
 * Here the packet is encoded with the server's parser and framed once (RFC 6455: an unmasked binary
 * frame, header and payload in one buffer, so each recipient costs one plain socket write instead of
 * a corked two-buffer writev), and the frame is written straight to each recipient's WebSocket — the path engine.io takes
 * itself for a pre-encoded frame (`wsPreEncodedFrame`) — when its connection is open on the
 * WebSocket transport with nothing queued in engine.io; anything queued there was not handed to the
 * WebSocket yet and must go first, so such a socket gets the event through Socket.IO as usual.
 */
import type { Server } from 'socket.io';

/** What is read of an engine.io connection and its WebSocket transport (engine.io 6). */
interface EngineConn {
  readyState?: string;
  upgrading?: boolean;
  writeBuffer?: unknown[];
  transport?: {
    name?: string;
    perMessageDeflate?: unknown;
    socket?: { readyState?: number; _sender?: WsSender };
    /** engine.io's callback for a frame that is not the last of its batch: reports a write error. */
    _onSent?: (err?: Error) => void;
  };
}

interface WsSender {
  sendFrame?: (list: Buffer[], cb: (err?: Error) => void) => void;
  _queue?: unknown[];
  _state?: number;
}

const ignore = () => undefined;

/** Socket.IO's EVENT packet type. */
const EVENT = 2;

/** What is read of a `ws` WebSocket. */
interface WsLike {
  readyState?: number;
  _sender?: WsSender;
}

/**
 * Writes a pre-built `frame` to a `ws` WebSocket if nothing is queued in its sender; false when the
 * frame must go through `ws.send` (which queues behind what is waiting) instead.
 */
function writeFrame(ws: WsLike | undefined, frame: Buffer[], cb: (err?: Error) => void): boolean {
  const sender = ws?._sender;
  // ws holds sends back while it deflates or reads a Blob (its state other than 0): not to be overtaken.
  if (!ws || ws.readyState !== 1 || !sender || typeof sender.sendFrame !== 'function' || (sender._queue?.length ?? 0) !== 0 || (sender._state ?? 0) !== 0) return false;
  sender.sendFrame(frame, cb);
  return true;
}

/** Writes `frame` to the connection's WebSocket if nothing is queued for it in engine.io or ws. */
function sendDirect(conn: EngineConn, frame: Buffer[]): boolean {
  const t = conn.transport;
  if (conn.readyState !== 'open' || conn.upgrading || (conn.writeBuffer?.length ?? 1) !== 0) return false;
  if (!t || t.name !== 'websocket' || t.perMessageDeflate) return false;
  return writeFrame(t.socket, frame, t._onSent ?? ignore);
}

/**
 * A binary message framed once for all its recipients, for `sendRaw` and `fanOut`: an unmasked, final,
 * binary WebSocket frame (RFC 6455 5.2), header and payload in one buffer built in one allocation.
 */
export function binaryFrame(payload: Uint8Array): Buffer[] {
  const n = payload.byteLength;
  const size = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(size + n);
  frame[0] = 0x82;
  if (size === 2) frame[1] = n;
  else if (size === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    frame.writeUInt32BE(n >>> 0, 6);
  }
  frame.set(payload, size);
  return [frame];
}

/**
 * One binary message to a plain `ws` WebSocket (perMessageDeflate off), framed once for all its
 * recipients (`frame` is `binaryFrame(payload)`): a recipient with an idle sender costs one socket
 * write; another gets it through `ws.send`, behind what it has queued. A closed socket is skipped.
 */
export function sendRaw(ws: { readyState: number; send(data: Uint8Array): void }, frame: Buffer[], payload: Uint8Array): void {
  if (ws.readyState !== 1) return;
  if (!writeFrame(ws as WsLike, frame, ignore)) ws.send(payload);
}

/**
 * Emits `event` with `args` to the sockets of the main namespace named in `sids` (in that order), as
 * `io.to(sids).emit(event, ...args)` would. Returns how many sockets got the frame directly and how
 * many through Socket.IO.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Server's typed events
export function fanOut(io: Server<any, any, any, any>, sids: string[], event: string, args: unknown[]): { direct: number; queued: number } {
  const sent = { direct: 0, queued: 0 };
  const encoded = io.encoder.encode({ type: EVENT, data: [event, ...args], nsp: '/' }) as unknown[];
  const packet = encoded.length === 1 && Buffer.isBuffer(encoded[0]) ? encoded[0] : null;
  if (!packet) {
    io.to(sids).emit(event, ...args);
    sent.queued = sids.length;
    return sent;
  }
  const frame = binaryFrame(packet);
  for (const sid of sids) {
    const socket = io.sockets.sockets.get(sid);
    if (!socket) continue;
    if (sendDirect(socket.conn as unknown as EngineConn, frame)) sent.direct++;
    else {
      socket.emit(event, ...args);
      sent.queued++;
    }
  }
  return sent;
}
