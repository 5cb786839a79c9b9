/**
 * Document sockets: one plain WebSocket per live document at `/collab/<name>` (y-websocket's shape,
 * PROTOCOL.md [P26]). Its binary messages are the collab frames themselves, a text message
 * `{"joined":{"access":…}}` is the join's answer, and the close code carries a refusal. The join, the
 * re-checks of rights and what is sent are the documents' binding's (docs.ts), shared with Socket.IO;
 * this is the transport: the upgrade, the per-user cap (ACCORD_DOC_SOCKETS_PER_USER) and the pings.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode } from '@accord/collab';
import { DOC_NAME_RE, type SocketError } from '@accord/core';
import type { RealtimeDeps } from './deps.ts';
import type { AuthContext, UserRow } from '../http/context.ts';
import type { DocConn, Joined, JoinResult } from './docs.ts';
import type { SocketData } from './index.ts';

/** The path prefix of document sockets: `/collab/<document name, URI-encoded>`. */
export const DOC_SOCKET_PATH = '/collab/';
/** The largest document frame a client may send, on either transport. */
export const MAX_FRAME_BYTES = 1024 * 1024 + 64;
export const isDocName = (v: unknown): v is string => typeof v === 'string' && v.length <= 64 && DOC_NAME_RE.test(v);

/** The close code a document socket's refusal carries (PROTOCOL.md [P26]). */
const REFUSAL_CLOSE: Record<SocketError['code'], number> = {
  bad_request: CloseCode.badRequest,
  not_found: CloseCode.notFound,
  forbidden: CloseCode.kicked,
  rate_limited: CloseCode.overloaded,
  unavailable: CloseCode.roomClosed,
  not_joined: CloseCode.badRequest,
};

/** What the transport uses of the documents' binding (docs.ts). */
export interface DocBinding {
  /** Who is asking and what they may do with the document, resolved now, and its room open on this node. */
  resolveJoin(conn: Pick<DocConn, 'data'>, name: string, stillWanted: () => boolean): Promise<JoinResult>;
  /** The joined entry of a resolved join, registered on its connection. */
  register(conn: DocConn, name: string, r: Extract<JoinResult, { ok: true }>): Joined;
  /** Connects the entry's peer to its room (presence stamped with the user). */
  connectRoom(j: Joined, user: UserRow): void;
  /** The user's entry, for a connection of theirs about to open. */
  userEntry(userId: string): DocConn['user'];
  /** The user's open connections on this node (both transports). */
  openConns(userId: string): number;
  /** Closes every document of a connection that went away. */
  dropConn(conn: DocConn, userId: string): void;
}

export function bindDocSockets(binding: DocBinding, deps: Pick<RealtimeDeps, 'docs' | 'logger' | 'env'>) {
  const { docs, logger } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
  const rawConns = new Set<{ ws: WebSocket; alive: boolean }>();
  let rawSeq = 0;

  /**
   * A document socket's upgrade, its Origin already checked and its credentials (session cookie or
   * API token) read from the request. The join resolves before the upgrade; a refusal is then sent
   * as the close code and reason, so a browser learns why ([P26]).
   */
  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, name: unknown, creds: { cookie: string | null; token: string | null }): Promise<void> {
    let gone = false;
    socket.on('error', () => undefined);
    socket.once('close', () => (gone = true));
    const data: SocketData = { auth: undefined as unknown as AuthContext, cookie: creds.cookie, token: creds.token };
    const accept = (then: (ws: WebSocket) => void) => {
      if (gone || socket.destroyed) return;
      wss.handleUpgrade(req, socket, head, then);
    };
    const refuse = (error: SocketError, code = REFUSAL_CLOSE[error.code]) => accept((ws) => ws.close(code, error.message.slice(0, 120)));
    if (!isDocName(name)) return refuse({ code: 'bad_request', message: 'The document name must be rubric:<uuid>, dispute:<uuid> or calibration:<uuid>.' });
    if (!creds.cookie && !creds.token) return refuse({ code: 'forbidden', message: 'Sign in first.' }, CloseCode.unauthenticated);
    let r: JoinResult;
    try {
      r = await binding.resolveJoin({ data }, name, () => !gone);
    } catch (e) {
      logger.error('document socket join failed', { message: (e as Error).message });
      return refuse({ code: 'unavailable', message: 'The document could not be opened; try again.' });
    }
    if (!r.ok) return r.ended ? refuse(r.error, CloseCode.unauthenticated) : refuse(r.error);
    const user = r.user;
    // Per user and node (ACCORD_DOC_SOCKETS_PER_USER); the user's Socket.IO sockets count as one each.
    const cap = deps.env.ACCORD_DOC_SOCKETS_PER_USER;
    if (binding.openConns(user.id) >= cap) {
      docs.release(name, r.room);
      return refuse({ code: 'rate_limited', message: `At most ${cap} open documents per user.` });
    }
    if (gone || socket.destroyed) {
      docs.release(name, r.room);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const entry = { ws, alive: true };
      const conn: DocConn = {
        id: `ws${++rawSeq}`,
        ws,
        data,
        get connected() {
          return ws.readyState === ws.OPEN;
        },
        end: () => ws.close(CloseCode.unauthenticated, 'Your session has ended; sign in again.'),
        closed: (_name, code, reason) => ws.close(code, reason.slice(0, 120)),
        user: binding.userEntry(user.id),
        counted: 0,
      };
      rawConns.add(entry);
      conn.user.conns.add(conn);
      const j = binding.register(conn, name, r);
      ws.on('pong', () => (entry.alive = true));
      ws.on('error', () => undefined);
      ws.on('message', (msg, isBinary) => {
        try {
          if (!isBinary) ws.close(1003, 'Document frames are binary.');
          else if (j.open) j.room.receive(j.peer, Array.isArray(msg) ? Buffer.concat(msg) : msg instanceof ArrayBuffer ? new Uint8Array(msg) : msg);
        } catch (e) {
          logger.error('document socket message failed', { message: (e as Error).message });
        }
      });
      ws.on('close', () => {
        rawConns.delete(entry);
        binding.dropConn(conn, user.id);
      });
      ws.send(JSON.stringify({ joined: { access: r.room.frozen ? 'read' : j.access } }));
      binding.connectRoom(j, user);
    });
  }

  const pinger = setInterval(() => {
    for (const c of rawConns) {
      if (!c.alive) c.ws.terminate();
      else {
        c.alive = false;
        c.ws.ping();
      }
    }
  }, deps.env.ACCORD_DOC_PING_SECONDS * 1000);
  pinger.unref();

  return {
    upgrade,
    close() {
      clearInterval(pinger);
      for (const { ws } of rawConns) {
        ws.close(1001, 'The server is shutting down.');
        setTimeout(() => ws.terminate(), 1_000).unref();
      }
    },
  };
}
