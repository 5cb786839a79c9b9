/**
 * Live-document clients for tests and the benchmark: the collab provider over a real
 * socket.io-client socket (msgpack, websocket only, cookie + Origin or an API token), or over a
 * document socket (`ws`, the same credentials; PROTOCOL.md [P26]).
 */
import { io as ioClient, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import msgpackParser from 'socket.io-msgpack-parser';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import {
  createDocProvider,
  createSocketDocTransport,
  createWebSocketDocTransport,
  decodeFrame,
  docSocketUrl,
  encodeFrame,
  type DocProvider,
  type DocSocketLike,
  type Frame,
  type SocketDocTransport,
  type WebSocketLike,
} from '@accord/collab';
import type { Ack, DocJoined } from '@accord/core';

export interface SocketAuth {
  url: string;
  cookie?: string | null;
  token?: string;
  /** Reconnect automatically (default: true). */
  reconnection?: boolean;
}

export function openSocket(a: SocketAuth): Socket {
  const headers: Record<string, string> = {};
  if (a.cookie) {
    headers.cookie = `accord_session=${a.cookie}`;
    headers.origin = a.url;
  }
  return ioClient(a.url, {
    transports: ['websocket'],
    parser: msgpackParser,
    extraHeaders: headers,
    auth: a.token ? { token: a.token } : {},
    reconnection: a.reconnection ?? true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    // The connect timeout: a loaded machine can take seconds to answer a handshake.
    timeout: 20_000,
  });
}

export function connected(socket: Socket): Promise<Socket> {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (e) => reject(e));
  });
}

export interface LiveDoc {
  doc: Y.Doc;
  awareness: Awareness;
  provider: DocProvider;
  transport: SocketDocTransport;
  errors: Array<{ code: string; message: string }>;
  refused: Array<{ code: string; message: string }>;
  close(): void;
}

export function openDoc(socket: Socket, name: string, doc = new Y.Doc()): LiveDoc {
  const refused: LiveDoc['refused'] = [];
  const transport = createSocketDocTransport(socket as unknown as DocSocketLike, name, { onRefused: (e) => refused.push(e), rejoinDelayMs: 50 });
  return liveDocOver(transport, doc, refused);
}

/** The provider and presence over `transport`, collecting errors; `refused` is the transport's list. */
function liveDocOver(transport: SocketDocTransport, doc: Y.Doc, refused: LiveDoc['refused']): LiveDoc {
  const errors: LiveDoc['errors'] = [];
  const awareness = new Awareness(doc);
  const provider = createDocProvider({ doc, awareness, transport });
  provider.on('error', (e) => errors.push(e));
  return {
    doc,
    awareness,
    provider,
    transport,
    errors,
    refused,
    close() {
      provider.destroy();
      transport.close();
      awareness.destroy();
    },
  };
}

/** The `ws` options that carry a client's credentials to a document socket. */
/** `origin: ''` sends none. */
export function docSocketOptions(a: Omit<SocketAuth, 'reconnection'> & { origin?: string }): WebSocket.ClientOptions {
  const headers: Record<string, string> = {};
  if (a.cookie) {
    headers.cookie = `accord_session=${a.cookie}`;
    if (a.origin !== '') headers.origin = a.origin ?? a.url;
  } else if (a.origin) headers.origin = a.origin;
  if (a.token) headers.authorization = `Bearer ${a.token}`;
  return { headers, perMessageDeflate: false };
}

/**
 * A live document over its own document socket, reconnecting as the web app's does (after 50 ms
 * doubling, unless `rejoinDelayMs` says otherwise; undefined: the web app's own default).
 */
export function openDocSocket(a: Omit<SocketAuth, 'reconnection'>, name: string, doc = new Y.Doc(), o: { rejoinDelayMs?: number | undefined } = { rejoinDelayMs: 50 }): LiveDoc {
  const refused: LiveDoc['refused'] = [];
  const transport = createWebSocketDocTransport({
    url: docSocketUrl(a.url, name),
    connect: (url) => new WebSocket(url, docSocketOptions(a)) as unknown as WebSocketLike,
    onRefused: (e) => refused.push(e),
    rejoinDelayMs: o.rejoinDelayMs,
  });
  return liveDocOver(transport, doc, refused);
}

/**
 * Raw access to a document socket for hostile tests: every text message, decoded binary frame and the
 * close (code and reason) it got; `opened` resolves on the upgrade, or rejects with the HTTP status
 * of a refused one.
 */
export function rawDocSocket(a: Omit<SocketAuth, 'reconnection'> & { origin?: string }, name: string, path?: string) {
  const ws = new WebSocket(path ? `${a.url.replace(/^http/, 'ws')}${path}` : docSocketUrl(a.url, name), docSocketOptions(a));
  const texts: string[] = [];
  const frames: Frame[] = [];
  let closed: { code: number; reason: string } | null = null;
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', (e) => reject(e));
  });
  opened.catch(() => undefined);
  ws.on('message', (data, isBinary) => {
    if (isBinary) frames.push(decodeFrame(new Uint8Array(data as Buffer)));
    else texts.push(String(data));
  });
  ws.on('close', (code, reason) => (closed = { code, reason: reason.toString() }));
  return {
    ws,
    opened,
    texts,
    frames,
    get closed() {
      return closed;
    },
    send: (bytes: Uint8Array | string) => ws.send(bytes),
    errorsOf: () => frames.filter((f): f is Extract<Frame, { type: 'error' }> => f.type === 'error').map((f) => f.code),
  };
}

/** Raw access for hostile tests: join and collect every frame the server sends for one document. */
export function rawDoc(socket: Socket, name: string) {
  const frames: Frame[] = [];
  const closed: Array<{ code: number; reason: string }> = [];
  const docErrors: Array<{ code: string }> = [];
  socket.on('doc:msg', (n: string, bytes: Uint8Array) => {
    if (n === name) frames.push(decodeFrame(new Uint8Array(bytes)));
  });
  socket.on('doc:closed', (n: string, code: number, reason: string) => {
    if (n === name) closed.push({ code, reason });
  });
  socket.on('doc:error', (n: string, e: { code: string }) => {
    if (n === name) docErrors.push(e);
  });
  return {
    frames,
    closed,
    docErrors,
    join: () => emitAck<Ack<DocJoined>>(socket, 'doc:join', name),
    send: (bytes: Uint8Array) => socket.emit('doc:msg', name, bytes),
    errorsOf: () => frames.filter((f): f is Extract<Frame, { type: 'error' }> => f.type === 'error').map((f) => f.code),
  };
}

export function emitAck<T>(socket: Socket, event: string, ...args: unknown[]): Promise<T> {
  return socket.timeout(10_000).emitWithAck(event, ...args) as Promise<T>;
}

/**
 * A benchmark editor on its document socket ([P26]): waits for the `joined` message, syncs `doc` once,
 * then sends its own edits as binary frames and only counts the frames it receives (`onDrained`),
 * without decoding or applying them, as a person typing costs their own machine and not the load
 * generator's. `doc` keeps the state of its sync plus its own edits.
 */
export function drainingDocSocketEditor(
  a: Omit<SocketAuth, 'reconnection'>,
  name: string,
  doc: Y.Doc,
  onDrained: (bytes: number) => void,
  onProblem: (message: string) => void,
): { ws: WebSocket; synced: () => boolean } {
  const ws = new WebSocket(docSocketUrl(a.url, name), docSocketOptions(a));
  let synced = false;
  const remote = Symbol('remote');
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      if (data.toString().startsWith('{"joined"')) ws.send(encodeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(doc) }));
      return;
    }
    if (synced) return onDrained(data.byteLength);
    const frame = decodeFrame(data);
    if (frame.type === 'sync-step2') {
      Y.applyUpdate(doc, frame.update, remote);
      synced = true;
    }
  });
  ws.on('close', (code, reason) => code >= 4000 && onProblem(`refused: ${code} ${reason.toString()}`));
  ws.on('error', (err) => onProblem(err.message));
  doc.on('update', (u: Uint8Array, origin: unknown) => origin !== remote && ws.readyState === WebSocket.OPEN && ws.send(encodeFrame({ type: 'sync-update', update: u })));
  return { ws, synced: () => synced };
}
