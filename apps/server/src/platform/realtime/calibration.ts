/**
 * Live state of calibration sessions: `calibration:join` puts a socket in the session's room when
 * its user, read fresh, is a participant or a lead of the project, and answers the state at once;
 * every `calibration:changed` control event (written by the service with each change, applied by
 * every node) re-reads the state from the database and sends it to this node's sockets in the room.
 * The state says who has joined and who has submitted — never what anyone submitted. Changes of a
 * user's rights re-check their joined sockets, which leave rooms they may no longer follow.
 */
import type { Server } from 'socket.io';
import type { Ack, CalibrationState, ClientToServerEvents, ServerToClientEvents } from '@accord/core';
import type { AuthContext } from '../http/context.ts';
import { readAuth } from './access.ts';
import type { RealtimeDeps } from './deps.ts';
import type { SocketData } from './index.ts';

type IO = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type CSocket = Parameters<Parameters<IO['on']>[1]>[0];

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_SESSIONS_PER_SOCKET = 8;
const room = (sessionId: string) => `calibration-state:${sessionId}`;
const fail = (code: 'bad_request' | 'not_found' | 'forbidden' | 'unavailable' | 'rate_limited', message: string): Ack<never> => ({ ok: false, error: { code, message } });

export function bindCalibration(io: IO, deps: RealtimeDeps) {
  const { logger } = deps;
  /** socket id → followed session ids */
  const joined = new Map<string, Set<string>>();

  const currentAuth = (socket: CSocket) => readAuth(deps, socket.data);

  async function join(socket: CSocket, sessionId: unknown): Promise<Ack<CalibrationState>> {
    if (typeof sessionId !== 'string' || !UUID_RE.test(sessionId)) return fail('bad_request', 'The session id must be a lower-case UUID.');
    const mine = joined.get(socket.id) ?? new Set<string>();
    if (!mine.has(sessionId) && mine.size >= MAX_SESSIONS_PER_SOCKET) return fail('rate_limited', `At most ${MAX_SESSIONS_PER_SOCKET} sessions per connection.`);
    const auth = await currentAuth(socket);
    if (!auth) {
      socket.disconnect(true);
      return fail('forbidden', 'Your session has ended; sign in again.');
    }
    const r = await deps.calibration.stateFor(auth.user, sessionId);
    if (!r.ok) return r.code === 'not_found' ? fail('not_found', 'No such calibration session.') : fail('forbidden', 'Only the session’s participants and the project’s leads follow it.');
    if (!socket.connected) return fail('unavailable', 'Disconnected.');
    mine.add(sessionId);
    joined.set(socket.id, mine);
    await socket.join(room(sessionId));
    return { ok: true, data: r.state };
  }

  async function leave(socket: CSocket, sessionId: string) {
    joined.get(socket.id)?.delete(sessionId);
    await socket.leave(room(sessionId));
  }

  async function changed(sessionId: string) {
    if (!io.sockets.adapter.rooms.has(room(sessionId))) return;
    const state = await deps.calibration.state(sessionId);
    if (state) io.to(room(sessionId)).emit('calibration:state', state);
  }

  async function recheckUser(userId: string) {
    for (const sid of [...(io.sockets.adapter.rooms.get(`user:${userId}`) ?? [])]) {
      const socket = io.sockets.sockets.get(sid);
      const mine = joined.get(sid);
      if (!socket || !mine || mine.size === 0) continue;
      let auth: AuthContext | null = null;
      try {
        auth = await currentAuth(socket);
      } catch (e) {
        logger.error('calibration re-check failed', { message: (e as Error).message });
      }
      for (const s of [...mine]) {
        let ok = false;
        try {
          ok = auth !== null && (await deps.calibration.stateFor(auth.user, s)).ok;
        } catch (e) {
          logger.error('calibration re-check failed', { message: (e as Error).message });
        }
        if (!ok) await leave(socket, s);
      }
    }
  }

  const safeAck = (ack: unknown, result: Ack<unknown>) => {
    if (typeof ack !== 'function') return;
    try {
      (ack as (r: unknown) => void)(result);
    } catch {
      /* a client that sent a bad ack id gets nothing */
    }
  };

  function onConnection(socket: CSocket): void {
    const on = socket.on.bind(socket) as unknown as (ev: string, fn: (...args: unknown[]) => void) => void;
    on('calibration:join', (...args: unknown[]) => {
      const ack = args.at(-1);
      join(socket, typeof ack === 'function' && args.length === 1 ? undefined : args[0]).then(
        (r) => safeAck(ack, r),
        (e: unknown) => {
          logger.error('calibration:join failed', { message: (e as Error).message });
          safeAck(ack, fail('unavailable', 'Could not follow this session.'));
        },
      );
    });
    on('calibration:leave', (...args: unknown[]) => {
      const ack = args.at(-1);
      const sessionId = args[0];
      if (typeof sessionId !== 'string') return safeAck(ack, fail('bad_request', 'The session id must be a string.'));
      leave(socket, sessionId).then(
        () => safeAck(ack, { ok: true, data: null }),
        () => safeAck(ack, fail('unavailable', 'Could not leave.')),
      );
    });
    socket.on('disconnect', () => joined.delete(socket.id));
  }

  const offs = [
    deps.bus.on('calibration:changed', ({ sessionId }) => changed(sessionId)),
    deps.bus.on('user:sessions-ended', ({ userId }) => recheckUser(userId)),
    deps.bus.on('user:admin-changed', ({ userId }) => recheckUser(userId)),
    deps.bus.on('member:removed', ({ userId }) => recheckUser(userId)),
    deps.bus.on('member:role-changed', ({ userId }) => recheckUser(userId)),
  ];

  return {
    onConnection,
    /** Re-checks the user's sockets on this node: rooms their credential or rights no longer allow are left. */
    recheckUser: (userId: string) => recheckUser(userId),
    close() {
      for (const off of offs) off();
    },
  };
}
