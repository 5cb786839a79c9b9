/**
 * The realtime endpoints on the app's HTTP server, both with the Origin checked before the upgrade
 * and a session cookie or API token required:
 * - Socket.IO at `/socket.io/`: websocket transport only, msgpack parser (one frame per message);
 * - document sockets at `/collab/<name>`: one plain WebSocket per live document (doc-socket.ts, [P26]).
 * Live documents on both and the control events that re-check connections (sessions ended,
 * deactivation, admin rights, membership, archiving) are bound in docs.ts; the handshake's copy of
 * the user only names the socket, it never authorizes. Any other upgrade is refused.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Server } from 'socket.io';
import msgpackParser from 'socket.io-msgpack-parser';
import type { ClientToServerEvents, ServerToClientEvents } from '@accord/core';
import type { RealtimeDeps } from './deps.ts';
import type { AuthContext } from '../http/context.ts';
import { sessionCookieName } from '../http/request.ts';
import { readAuth } from './access.ts';
import { bindCalibration } from './calibration.ts';
import { DOC_SOCKET_PATH } from './doc-socket.ts';
import { bindDocs } from './docs.ts';
import { bindQuality } from './quality.ts';

export interface SocketData {
  auth: AuthContext;
  cookie: string | null;
  token: string | null;
}

function parseCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return null; // malformed escapes: no session
    }
  }
  return null;
}

/** The API token of a non-browser client: `Authorization: Bearer <token>`. */
function bearerToken(header: string | undefined): string | null {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1]! : null;
}

function requestOrigin(req: IncomingMessage, trustProxy: boolean): string {
  const proto = trustProxy ? (req.headers['x-forwarded-proto'] as string | undefined)?.split(',')[0]?.trim() : undefined;
  const host = (trustProxy ? (req.headers['x-forwarded-host'] as string | undefined)?.split(',')[0]?.trim() : undefined) ?? req.headers.host;
  const secure = proto ? proto === 'https' : 'encrypted' in req.socket && Boolean((req.socket as { encrypted?: boolean }).encrypted);
  return `${secure ? 'https' : 'http'}://${host}`;
}

/** How often a node looks for open connections whose session or token expired by itself. */
const EXPIRY_SWEEP_MS = 10_000;

export function attachRealtime(httpServer: HttpServer, deps: RealtimeDeps) {
  const originAllowed = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    return origin !== 'null' && (origin === requestOrigin(req, deps.env.ACCORD_TRUST_PROXY) || deps.env.ACCORD_ORIGINS.includes(origin));
  };
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(httpServer, {
    transports: ['websocket'],
    parser: msgpackParser,
    perMessageDeflate: false,
    maxHttpBufferSize: 1024 * 1024,
    serveClient: false,
    cors: { origin: false },
    // Upgrades to other paths are ours (document sockets) or refused below, not left to engine.io.
    destroyUpgrade: false,
    // Connection-state recovery stays off: it would skip the auth middleware on recovery, and Yjs's
    // own handshake already recovers everything a reconnecting client missed.
    // Browsers always send Origin on a websocket; a foreign or `null` one is refused before the
    // upgrade. Non-browser clients without Origin must authenticate with an API token (below).
    allowRequest: (req, cb) => {
      const ok = originAllowed(req);
      cb(ok ? null : 'origin not allowed', ok);
    },
  });

  // Socket.IO ignores a middleware's promise: the handshake reports only through next(), even on failure.
  const handshake = async (...[socket, next]: Parameters<Parameters<typeof io.use>[0]>) => {
    try {
      const req = socket.request;
      const token = typeof socket.handshake.auth?.token === 'string' ? socket.handshake.auth.token : null;
      let auth: AuthContext | null = null;
      let cookie: string | null = null;
      if (token) auth = await deps.auth.fromToken(token);
      else if (req.headers.origin !== undefined) {
        cookie = parseCookie(req.headers.cookie, sessionCookieName(requestOrigin(req, deps.env.ACCORD_TRUST_PROXY).startsWith('https:')));
        if (cookie) auth = await deps.auth.fromCookie(cookie);
      }
      if (!auth) return next(new Error('unauthenticated'));
      socket.data = { auth, cookie, token };
      await socket.join(`user:${auth.user.id}`);
      next();
    } catch (e) {
      deps.logger.error('socket handshake failed', { message: (e as Error).message });
      next(new Error('unavailable'));
    }
  };
  io.use((socket, next) => void handshake(socket, next));

  const docs = bindDocs(io, deps);
  const quality = bindQuality(io, deps);
  const calibration = bindCalibration(io, deps);
  // Document sockets. Credentials as at the Socket.IO handshake: an API token, or else (browsers,
  // which always send Origin) the session cookie.
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      docSocketUpgrade(req, socket, head);
    } catch (e) {
      // Nothing a request carries may take the process down.
      deps.logger.error('document socket upgrade failed', { message: (e as Error).message });
      socket.destroy();
    }
  };
  const docSocketUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0]!;
    if (path.startsWith('/socket.io/')) return; // engine.io's
    const reject = (status: number, text: string) => {
      socket.on('error', () => undefined);
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!path.startsWith(DOC_SOCKET_PATH)) return reject(404, 'Not Found');
    if (!originAllowed(req)) return reject(403, 'Forbidden');
    let name: string | null;
    try {
      name = decodeURIComponent(path.slice(DOC_SOCKET_PATH.length));
    } catch {
      name = null;
    }
    const token = bearerToken(req.headers.authorization);
    const cookie = !token && req.headers.origin !== undefined ? parseCookie(req.headers.cookie, sessionCookieName(requestOrigin(req, deps.env.ACCORD_TRUST_PROXY).startsWith('https:'))) : null;
    docs.upgrade(req, socket, head, name, { cookie, token }).catch((e: unknown) => {
      deps.logger.error('document socket upgrade failed', { message: (e as Error).message });
      socket.destroy();
    });
  };
  httpServer.on('upgrade', onUpgrade);
  io.on('connection', (socket) => {
    docs.onConnection(socket);
    quality.onConnection(socket);
    calibration.onConnection(socket);
  });

  // A session also ends by itself (idle or absolute expiry) and a token at its expiry, with no event
  // to announce it: every EXPIRY_SWEEP_MS the node looks for connections whose credential's limit
  // (`validUntil`, as of its last read) has passed on the server's clock, and re-checks their users
  // as a logout would. A credential used meanwhile (its session touched by a request) reads fresh
  // with a later limit; one that ended closes its document sockets and leaves its rooms.
  const rechecking = new Set<string>();
  async function recheckExpired(userId: string): Promise<void> {
    if (rechecking.has(userId)) return;
    rechecking.add(userId);
    try {
      await Promise.all([docs.recheckUser(userId), quality.recheckUser(userId), calibration.recheckUser(userId)]);
      // Sockets with nothing open are not re-read by the rooms above: read theirs here, so a live one
      // carries its new limit and an ended one is not looked at again at every sweep.
      for (const sid of [...(io.sockets.adapter.rooms.get(`user:${userId}`) ?? [])]) {
        const socket = io.sockets.sockets.get(sid);
        const a = socket?.data.auth;
        if (!socket || !a?.validUntil || a.validUntil.getTime() > deps.clock().getTime()) continue;
        if (!(await readAuth(deps, socket.data))) socket.data.auth = { ...a, validUntil: null };
      }
    } catch (e) {
      deps.logger.error('socket expiry re-check failed', { message: (e as Error).message });
    } finally {
      rechecking.delete(userId);
    }
  }
  async function sweepExpired(): Promise<void> {
    const now = deps.clock().getTime();
    const users = new Set(docs.dueUsers(now));
    for (const socket of io.sockets.sockets.values()) {
      const until = socket.data.auth?.validUntil;
      if (until && until.getTime() <= now) users.add(socket.data.auth.user.id);
    }
    await Promise.all([...users].map(recheckExpired));
  }
  const expirySweep = setInterval(() => void sweepExpired(), EXPIRY_SWEEP_MS);
  expirySweep.unref();

  return {
    io,
    /** Re-checks now the connections whose credential's limit has passed (what the sweep does every EXPIRY_SWEEP_MS); for tests. */
    sweepExpired,
    async close() {
      clearInterval(expirySweep);
      httpServer.off('upgrade', onUpgrade);
      docs.close();
      quality.close();
      calibration.close();
      await new Promise<void>((res, rej) => {
        io.close(() => res()).catch(rej);
      });
    },
  };
}

export type Realtime = ReturnType<typeof attachRealtime>;
