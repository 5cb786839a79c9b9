/**
 * "Quality figures changed" for open dashboards: `quality:join` puts a socket in the project's room
 * `quality:<projectId>` when the caller is a lead or reviewer there now (admins act as lead), read
 * fresh from the database; control events (member removed, role changed, sessions ended, admin
 * rights) re-check every joined socket of the user. The event carries no figures, only the project
 * id: clients refetch through the API, which checks access again.
 * Changes come from the database: NOTIFY `accord_quality` (sent by the judgments trigger at commit,
 * heard by every node) on PostgreSQL; with PGlite (one process), a poll of the newest item change of
 * the watched projects. A project's event is sent at most every `throttleMs` (trailing edge kept).
 * Each NOTIFY also starts the quality service's background evaluation of the changed members (flags,
 * drift, medians), soon when a dashboard of the project is open on this node (it is pushed the saved
 * figures), else later (reads evaluate what is still queued first).
 */
import type { Server } from 'socket.io';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '@accord/core';
import type { AuthContext } from '../http/context.ts';
import { readAuth } from './access.ts';
import type { RealtimeDeps } from './deps.ts';
import type { SocketData } from './index.ts';

type IO = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type QSocket = Parameters<Parameters<IO['on']>[1]>[0];

export const QUALITY_CHANNEL = 'accord_quality';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_PROJECTS_PER_SOCKET = 16;
/** NOTIFY payload prefix: members' figures of the project that follows were saved. */
const MEMBERS_NOTICE = 'members:';
/** The NOTIFY payload (on `QUALITY_CHANNEL`) that members' figures of the project were saved. */
export const membersNotice = (projectId: string) => `${MEMBERS_NOTICE}${projectId}`;

const room = (projectId: string) => `quality:${projectId}`;
const fail = (code: 'bad_request' | 'not_found' | 'forbidden' | 'unavailable' | 'rate_limited', message: string): Ack<never> => ({ ok: false, error: { code, message } });

export function bindQuality(io: IO, deps: RealtimeDeps, options: { throttleMs?: number; pollMs?: number } = {}) {
  const throttleMs = options.throttleMs ?? 250;
  const pollMs = options.pollMs ?? 300;
  const { logger } = deps;
  /** socket id → joined project ids */
  const joined = new Map<string, Set<string>>();
  const lastSent = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();

  const watched = (): string[] => {
    const all = new Set<string>();
    for (const s of joined.values()) for (const p of s) all.add(p);
    return [...all];
  };

  function send(projectId: string) {
    lastSent.set(projectId, Date.now());
    io.to(room(projectId)).emit('quality:changed', { projectId, at: new Date().toISOString() });
  }

  /** A project's figures changed: tell its room now, or at the end of the throttle window. */
  function changed(projectId: string) {
    if (!UUID_RE.test(projectId) || !io.sockets.adapter.rooms.has(room(projectId))) return;
    if (timers.has(projectId)) return;
    const wait = (lastSent.get(projectId) ?? 0) + throttleMs - Date.now();
    if (wait <= 0) send(projectId);
    else
      timers.set(
        projectId,
        setTimeout(() => {
          timers.delete(projectId);
          send(projectId);
        }, wait),
      );
  }

  // ---- the change feed
  let stopListening: (() => Promise<void>) | null = null;
  let poll: NodeJS.Timeout | null = null;
  let stopMembers: (() => void) | null = null;
  const seen = new Map<string, number>();
  if (deps.db.listen) {
    // Every node hears every change: the quality service re-evaluates the changed members in the
    // background (idempotent: a member taken off the queue by one node is not taken by another).
    deps.db
      .listen(QUALITY_CHANNEL, (payload) => {
        // `members:<project>`: members' figures saved (by any node): dashboards read them again.
        if (payload.startsWith(MEMBERS_NOTICE)) return changed(payload.slice(MEMBERS_NOTICE.length));
        if (UUID_RE.test(payload)) deps.quality.changed(payload, io.sockets.adapter.rooms.has(room(payload)));
        changed(payload);
      })
      .then((stop) => (stopListening = stop))
      .catch((e: unknown) => logger.error('quality listener failed', { message: (e as Error).message }));
  } else {
    // One process: this node's evaluations are all there are.
    stopMembers = deps.quality.onMembersSaved(changed);
    let busy = false;
    poll = setInterval(() => {
      const ids = watched();
      if (busy || ids.length === 0) return;
      busy = true;
      deps.quality
        .lastChange(ids)
        .then((m) => {
          for (const [id, at] of m) {
            const before = seen.get(id);
            seen.set(id, at);
            if (before !== undefined && at > before) {
              deps.quality.changed(id, true);
              changed(id);
            }
          }
        })
        .catch((e: unknown) => logger.error('quality poll failed', { message: (e as Error).message }))
        .finally(() => (busy = false));
    }, pollMs);
    poll.unref();
  }

  const currentAuth = (socket: QSocket) => readAuth(deps, socket.data);

  async function allowed(auth: AuthContext, projectId: string): Promise<'ok' | 'not_found' | 'forbidden'> {
    const access = await deps.projects.access(auth.user, projectId);
    if (!access) return 'not_found';
    return access.role === 'lead' || access.role === 'reviewer' ? 'ok' : 'forbidden';
  }

  async function join(socket: QSocket, projectId: unknown): Promise<Ack<null>> {
    if (typeof projectId !== 'string' || !UUID_RE.test(projectId)) return fail('bad_request', 'The project id must be a lower-case UUID.');
    const mine = joined.get(socket.id) ?? new Set<string>();
    if (!mine.has(projectId) && mine.size >= MAX_PROJECTS_PER_SOCKET) return fail('rate_limited', `At most ${MAX_PROJECTS_PER_SOCKET} projects per connection.`);
    const auth = await currentAuth(socket);
    if (!auth) {
      socket.disconnect(true);
      return fail('forbidden', 'Your session has ended; sign in again.');
    }
    const a = await allowed(auth, projectId);
    if (a === 'not_found') return fail('not_found', 'No such project.');
    if (a === 'forbidden') return fail('forbidden', 'Quality figures are for leads and reviewers.');
    if (!socket.connected) return fail('unavailable', 'Disconnected.');
    mine.add(projectId);
    joined.set(socket.id, mine);
    await socket.join(room(projectId));
    if (!deps.db.listen && !seen.has(projectId)) {
      const m = await deps.quality.lastChange([projectId]);
      seen.set(projectId, m.get(projectId) ?? 0);
    }
    return { ok: true, data: null };
  }

  async function leave(socket: QSocket, projectId: string) {
    joined.get(socket.id)?.delete(projectId);
    await socket.leave(room(projectId));
  }

  /** A change of a user's rights: each of their joined sockets keeps only the rooms it may still follow. */
  async function recheckUser(userId: string, projectId?: string) {
    for (const sid of [...(io.sockets.adapter.rooms.get(`user:${userId}`) ?? [])]) {
      const socket = io.sockets.sockets.get(sid);
      const mine = joined.get(sid);
      if (!socket || !mine || mine.size === 0) continue;
      let auth: AuthContext | null = null;
      try {
        auth = await currentAuth(socket);
      } catch (e) {
        logger.error('quality re-check failed', { message: (e as Error).message });
      }
      for (const p of [...mine]) {
        if (projectId && p !== projectId) continue;
        let ok = false;
        try {
          ok = auth !== null && (await allowed(auth, p)) === 'ok';
        } catch (e) {
          logger.error('quality re-check failed', { message: (e as Error).message });
        }
        if (!ok) await leave(socket, p);
      }
    }
  }

  const safeAck = (ack: unknown, result: Ack<null>) => {
    if (typeof ack !== 'function') return;
    try {
      (ack as (r: unknown) => void)(result);
    } catch {
      /* a client that sent a bad ack id gets nothing */
    }
  };

  function onConnection(socket: QSocket): void {
    const on = socket.on.bind(socket) as unknown as (ev: string, fn: (...args: unknown[]) => void) => void;
    on('quality:join', (...args: unknown[]) => {
      const ack = args.at(-1);
      join(socket, typeof ack === 'function' && args.length === 1 ? undefined : args[0]).then(
        (r) => safeAck(ack, r),
        (e: unknown) => {
          logger.error('quality:join failed', { message: (e as Error).message });
          safeAck(ack, fail('unavailable', 'Could not follow this project.'));
        },
      );
    });
    on('quality:leave', (...args: unknown[]) => {
      const ack = args.at(-1);
      const projectId = args[0];
      if (typeof projectId !== 'string') return safeAck(ack, fail('bad_request', 'The project id must be a string.'));
      leave(socket, projectId).then(
        () => safeAck(ack, { ok: true, data: null }),
        () => safeAck(ack, fail('unavailable', 'Could not leave.')),
      );
    });
    socket.on('disconnect', () => joined.delete(socket.id));
  }

  const offs = [
    // Disputes and consensus labels changed (on any node): the project's followers refetch.
    deps.bus.on('disputes:changed', ({ projectId, disputeId }) => {
      if (UUID_RE.test(projectId)) io.to(room(projectId)).emit('disputes:changed', { projectId, disputeId, at: new Date().toISOString() });
    }),
    deps.bus.on('user:sessions-ended', ({ userId }) => recheckUser(userId)),
    deps.bus.on('user:admin-changed', ({ userId }) => recheckUser(userId)),
    deps.bus.on('member:removed', ({ userId, projectId }) => recheckUser(userId, projectId)),
    deps.bus.on('member:role-changed', ({ userId, projectId }) => recheckUser(userId, projectId)),
  ];

  return {
    onConnection,
    /** Re-checks the user's sockets on this node: rooms their credential or rights no longer allow are left. */
    recheckUser: (userId: string) => recheckUser(userId),
    /** For tests and in-process callers: announce a change as the database would. */
    changed,
    close() {
      for (const off of offs) off();
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      if (poll) clearInterval(poll);
      stopMembers?.();
      void stopListening?.().catch(() => undefined);
    },
  };
}
