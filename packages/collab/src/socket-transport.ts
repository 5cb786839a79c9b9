/**
 * Adapts a Socket.IO client socket (typed structurally: collab never imports socket.io) to the
 * provider's `DocTransport` for one document: joins on every (re)connect, opens when the join is
 * acknowledged, and joins again when the server closes the room (4503) or was overloaded (4429).
 * A kick (4403: access removed) or a refused join leaves the transport closed; `onRefused` says why.
 * Events: `doc:join` (ack), `doc:msg`, `doc:leave` out; `doc:msg`, `doc:closed`, `doc:error` in.
 */
import type { Access } from './protocol.ts';
import type { DocTransport } from './provider.ts';
import { createBackoff, createTransportEvents } from './transport-events.ts';

// Methods (checked bivariantly), so socket.io's typed emitters fit; listeners take `never[]` so
// any listener fits, and collab never calls them itself.
export interface DocSocketLike {
  readonly connected: boolean;
  emit(event: string, ...args: unknown[]): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

export interface SocketTransportOptions {
  /** The server refused the join (`not_found`, `forbidden`, …) or kicked this client. */
  onRefused?: (error: { code: string; message: string }) => void;
  /** Backoff before joining again after a closed room or a failed join (ms). */
  rejoinDelayMs?: number;
}

export interface SocketDocTransport extends DocTransport {
  readonly open: boolean;
  readonly access: Access | null;
  /** Leaves the document and stops listening. */
  close(): void;
}

type Ack = { ok: true; data: { access: Access } } | { ok: false; error: { code: string; message: string } };

const REJOIN_CODES = new Set([4503, 4429, 4500]);

export function createSocketDocTransport(socket: DocSocketLike, name: string, options: SocketTransportOptions = {}): SocketDocTransport {
  const events = createTransportEvents();
  let open = false;
  let access: Access | null = null;
  let closed = false;
  let joining = false;

  const setClosed = (event?: { code?: number; reason?: string }) => {
    if (!open) return;
    open = false;
    events.close(event);
  };

  const join = () => {
    if (closed || joining || open || !socket.connected) return;
    joining = true;
    socket.emit('doc:join', name, (r: Ack) => {
      joining = false;
      if (closed) return;
      if (r && r.ok) {
        backoff.reset();
        access = r.data.access;
        open = true;
        events.open();
      } else {
        const error = r && !r.ok ? r.error : { code: 'unavailable', message: 'no answer' };
        if (error.code === 'unavailable') scheduleJoin();
        else options.onRefused?.(error);
      }
    });
  };
  const backoff = createBackoff(options.rejoinDelayMs ?? 250, () => join());
  const scheduleJoin = () => {
    if (!closed) backoff.schedule();
  };

  const onConnect = () => join();
  const onDisconnect = () => {
    joining = false;
    setClosed({ reason: 'disconnected' });
  };
  const onMsg = (n: unknown, bytes: unknown) => {
    if (n !== name || !open) return;
    const u8 =
      bytes instanceof Uint8Array ? bytes : bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null;
    if (!u8) return;
    events.message(u8);
  };
  const onClosed = (n: unknown, code: unknown, reason: unknown) => {
    if (n !== name) return;
    setClosed({ code: typeof code === 'number' ? code : 4503, reason: String(reason ?? '') });
    if (typeof code === 'number' && REJOIN_CODES.has(code)) scheduleJoin();
    else options.onRefused?.({ code: 'kicked', message: String(reason ?? 'access removed') });
  };

  socket.on('connect', onConnect);
  socket.on('disconnect', onDisconnect);
  socket.on('doc:msg', onMsg);
  socket.on('doc:closed', onClosed);
  join();

  return {
    get open() {
      return open;
    },
    get access() {
      return access;
    },
    send(bytes) {
      // As an ArrayBuffer of exactly these bytes: socket.io-msgpack-parser's browser build encodes only
      // ArrayBuffers as binary (a Uint8Array becomes a map), and its Node build sends a view's whole buffer.
      const exact =
        bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
          ? bytes.buffer
          : bytes.slice().buffer;
      if (open) socket.emit('doc:msg', name, exact);
    },
    ...events.on,
    isOpen: () => open,
    close() {
      if (closed) return;
      if (open && socket.connected) socket.emit('doc:leave', name);
      setClosed({ reason: 'left' });
      closed = true;
      backoff.cancel();
      socket.off('connect', onConnect);
      socket.off('disconnect', onDisconnect);
      socket.off('doc:msg', onMsg);
      socket.off('doc:closed', onClosed);
    },
  };
}
