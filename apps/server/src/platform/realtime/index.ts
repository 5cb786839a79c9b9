/**
 * Socket.IO on the app's HTTP server: websocket transport only, msgpack parser (one frame per
 * message), Origin checked before the upgrade, and a session cookie or API token required at
 * the handshake. Live documents (`doc:*` events) and the control events that re-check sockets
 * (sessions ended, deactivation, admin rights, membership, archiving) are bound in docs.ts; the
 * handshake's copy of the user only names the socket, it never authorizes.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server } from 'socket.io';
import msgpackParser from 'socket.io-msgpack-parser';
import type { ClientToServerEvents, ServerToClientEvents } from '@accord/core';
import type { RealtimeDeps } from './deps.ts';
import type { AuthContext } from '../http/context.ts';
import { sessionCookieName } from '../http/request.ts';
import { bindCalibration } from './calibration.ts';
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
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

function requestOrigin(req: IncomingMessage, trustProxy: boolean): string {
  const proto = trustProxy ? (req.headers['x-forwarded-proto'] as string | undefined)?.split(',')[0]?.trim() : undefined;
  const host = (trustProxy ? (req.headers['x-forwarded-host'] as string | undefined)?.split(',')[0]?.trim() : undefined) ?? req.headers.host;
  const secure = proto ? proto === 'https' : 'encrypted' in req.socket && Boolean((req.socket as { encrypted?: boolean }).encrypted);
  return `${secure ? 'https' : 'http'}://${host}`;
}

export function attachRealtime(httpServer: HttpServer, deps: RealtimeDeps) {
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(httpServer, {
    transports: ['websocket'],
    parser: msgpackParser,
    perMessageDeflate: false,
    maxHttpBufferSize: 1024 * 1024,
    serveClient: false,
    cors: { origin: false },
    // Connection-state recovery stays off: it would skip the auth middleware on recovery, and Yjs's
    // own handshake already recovers everything a reconnecting client missed.
    // Browsers always send Origin on a websocket; a foreign or `null` one is refused before the
    // upgrade. Non-browser clients without Origin must authenticate with an API token (below).
    allowRequest: (req, cb) => {
      const origin = req.headers.origin;
      if (origin === undefined) return cb(null, true);
      const ok = origin !== 'null' && (origin === requestOrigin(req, deps.env.ACCORD_TRUST_PROXY) || deps.env.ACCORD_ORIGINS.includes(origin));
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
  io.on('connection', (socket) => {
    docs.onConnection(socket);
    quality.onConnection(socket);
    calibration.onConnection(socket);
  });

  return {
    io,
    async close() {
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
