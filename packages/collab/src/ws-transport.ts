/**
 * The provider's `DocTransport` over a document socket: one plain WebSocket per document
 * (`/collab/<name>`, PROTOCOL.md [P26]). Opens when the server's `{"joined":…}` message arrives,
 * then carries binary frames both ways. Any close but a refusal (4400 bad request, 4401 not
 * authenticated, 4403 forbidden or kicked, 4404 not found) reconnects with jittered backoff; a
 * refusal leaves the transport closed and `onRefused` says why. The WebSocket is typed structurally,
 * so the browser's and the `ws` package's both fit.
 */
import type { Access } from './protocol.ts';
import type { SocketDocTransport } from './socket-transport.ts';
import { createBackoff, createTransportEvents } from './transport-events.ts';

/** What is used of a WebSocket (the browser's, or `ws`'s in Node). Handlers take `never`, so any fits. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: ArrayBuffer | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: never) => unknown) | null;
  onmessage: ((ev: never) => unknown) | null;
  onclose: ((ev: never) => unknown) | null;
  onerror: ((ev: never) => unknown) | null;
}

export interface WebSocketTransportOptions {
  /** The document socket's URL (`docSocketUrl`). */
  url: string;
  /** Opens a socket; the default is the global `WebSocket` (browsers send the session cookie with it). */
  connect?: (url: string) => WebSocketLike;
  /** The server refused the join (`not_found`, `forbidden`, `unauthenticated`, …) or kicked this client. */
  onRefused?: (error: { code: string; message: string }) => void;
  /** Base of the backoff before connecting again (ms). */
  rejoinDelayMs?: number;
}

/** The document socket's URL on the server at `origin` (http(s) or ws(s)). */
export function docSocketUrl(origin: string, name: string): string {
  return `${origin.replace(/^http/, 'ws').replace(/\/+$/, '')}/collab/${encodeURIComponent(name)}`;
}

const REFUSALS: Record<number, string> = { 4400: 'bad_request', 4401: 'unauthenticated', 4403: 'forbidden', 4404: 'not_found' };

export function createWebSocketDocTransport(options: WebSocketTransportOptions): SocketDocTransport {
  const events = createTransportEvents();
  const Ctor = (globalThis as unknown as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (!options.connect && !Ctor) throw new Error('There is no global WebSocket here: pass `connect`.');
  const connect = options.connect ?? ((url: string) => new Ctor!(url));
  let ws: WebSocketLike | null = null;
  let open = false;
  let access: Access | null = null;
  let closed = false;

  const setClosed = (event?: { code?: number; reason?: string }) => {
    if (!open) return;
    open = false;
    events.close(event);
  };

  const backoff = createBackoff(options.rejoinDelayMs ?? 250, () => start());
  const scheduleConnect = () => {
    if (!closed) backoff.schedule();
  };

  function start() {
    if (closed || ws) return;
    let socket: WebSocketLike;
    try {
      socket = connect(options.url);
    } catch {
      scheduleConnect();
      return;
    }
    ws = socket;
    let joined = false;
    socket.binaryType = 'arraybuffer';
    socket.onmessage = ((ev: { data: unknown }) => {
      if (ws !== socket || closed) return;
      const data = ev.data;
      if (typeof data === 'string') {
        if (joined) return;
        let a: unknown;
        try {
          a = (JSON.parse(data) as { joined?: { access?: unknown } } | null)?.joined?.access;
        } catch {
          a = undefined;
        }
        if (a !== 'read' && a !== 'write') return;
        joined = true;
        backoff.reset();
        access = a;
        open = true;
        events.open();
        return;
      }
      if (!open) return;
      const u8 =
        data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
      if (!u8) return;
      events.message(u8);
    }) as never;
    socket.onerror = (() => undefined) as never;
    socket.onclose = ((ev: { code?: number; reason?: string }) => {
      if (ws !== socket) return;
      ws = null;
      const code = typeof ev.code === 'number' ? ev.code : 1006;
      const reason = String(ev.reason ?? '');
      setClosed({ code, reason });
      if (closed) return;
      const refusal = REFUSALS[code];
      if (!refusal) return scheduleConnect();
      closed = true;
      options.onRefused?.({ code: code === 4403 && joined ? 'kicked' : refusal, message: reason || refusal });
    }) as never;
  }

  start();

  return {
    get open() {
      return open;
    },
    get access() {
      return access;
    },
    send(bytes) {
      if (open && ws && ws.readyState === 1) ws.send(bytes);
    },
    ...events.on,
    isOpen: () => open,
    close() {
      if (closed && !ws && !backoff.pending) return;
      closed = true;
      backoff.cancel();
      setClosed({ reason: 'left' });
      const s = ws;
      ws = null;
      if (s && (s.readyState === 0 || s.readyState === 1)) s.close(1000, 'left');
    },
  };
}
