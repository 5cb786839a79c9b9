/**
 * One sync room per live document per process: created and loaded on first use, kept while anyone
 * holds it, destroyed (after flushing its log) some seconds after the last holder lets go, and
 * flushed on shutdown. Knows neither Socket.IO nor HTTP: the socket binding and the services both
 * go through it, so server-side changes reach the document through the room ([P17]).
 *
 * Several nodes on one PostgreSQL: the update log is the channel ([P21]). A NOTIFY `{doc, maxSeq}`
 * from another node makes the room read what it lacks; a poll of `max(seq)` every `pollMs` repairs
 * notifications lost while the listening connection was down.
 */
import type * as Y from 'yjs';
import { createSyncRoom, type Compactor, type DocPersistence, type RoomErrorContext, type RoomLimits, type SyncRoom } from '@accord/collab';
import type { Logger } from '../logger.ts';

export interface DocRegistryOptions {
  persistence: DocPersistence & { lastSeqs?(names: string[]): Promise<Map<string, number>> };
  logger: Logger;
  compactor?: Compactor;
  /** How long a room with no holders stays loaded (a quick reconnect finds it warm). */
  idleMs?: number;
  limits?: Partial<RoomLimits>;
  /** Subscribes to other nodes' append notifications (PostgreSQL); absent for a single process. */
  listen?: (fn: (payload: string) => void) => Promise<() => Promise<void>>;
  pollMs?: number;
}

interface Entry {
  room: SyncRoom;
  holds: number;
  idle: NodeJS.Timeout | null;
}

export function createDocRegistry(o: DocRegistryOptions) {
  const rooms = new Map<string, Entry>();
  const idleMs = o.idleMs ?? 5_000;
  let closed = false;
  let stopListening: (() => Promise<void>) | null = null;
  let poll: NodeJS.Timeout | null = null;

  const onError = (error: unknown, ctx: RoomErrorContext) => {
    // Refusals are the room doing its job (hostile or stale clients); failures to load or persist are not.
    const msg = error instanceof Error ? error.message : String(error);
    if (ctx.phase === 'receive' || ctx.phase === 'send') o.logger.debug('document frame refused', { ...ctx, message: msg });
    else o.logger.error('document error', { ...ctx, message: msg });
  };

  function create(name: string, frozen: boolean): Entry {
    const room = createSyncRoom({
      name,
      persistence: o.persistence,
      frozen,
      onError,
      ...(o.compactor ? { compactor: o.compactor } : {}),
      ...(o.limits ? { limits: o.limits } : {}),
    });
    const entry: Entry = { room, holds: 0, idle: null };
    rooms.set(name, entry);
    room.whenLoaded.catch(() => {
      // A failed load is not cached: the next join tries again.
      if (rooms.get(name) === entry) rooms.delete(name);
      void room.destroy();
    });
    return entry;
  }

  function acquire(name: string, opts: { frozen?: boolean } = {}): SyncRoom {
    if (closed) throw new Error('the document registry is closed');
    const entry = rooms.get(name) ?? create(name, opts.frozen ?? false);
    if (opts.frozen && !entry.room.frozen) entry.room.freeze();
    entry.holds++;
    if (entry.idle) clearTimeout(entry.idle);
    entry.idle = null;
    return entry.room;
  }

  function release(name: string, room: SyncRoom): void {
    const entry = rooms.get(name);
    if (!entry || entry.room !== room) return;
    entry.holds = Math.max(0, entry.holds - 1);
    if (entry.holds > 0 || entry.idle) return;
    entry.idle = setTimeout(() => {
      entry.idle = null;
      if (entry.holds > 0 || rooms.get(name) !== entry) return;
      rooms.delete(name);
      void entry.room.destroy();
    }, idleMs);
    entry.idle.unref();
  }

  async function withRoom<T>(name: string, fn: (room: SyncRoom) => Promise<T>): Promise<T> {
    const room = acquire(name);
    try {
      await room.whenLoaded;
      return await fn(room);
    } finally {
      release(name, room);
    }
  }

  function onNotify(payload: string): void {
    try {
      const { doc, maxSeq } = JSON.parse(payload) as { doc?: unknown; maxSeq?: unknown };
      if (typeof doc !== 'string' || typeof maxSeq !== 'number') return;
      const entry = rooms.get(doc);
      if (entry && entry.room.loaded && maxSeq > entry.room.lastSeq) void entry.room.catchUp();
    } catch {
      /* not ours */
    }
  }

  async function repair(): Promise<void> {
    const names = [...rooms.entries()].filter(([, e]) => e.room.loaded).map(([n]) => n);
    if (names.length === 0 || !o.persistence.lastSeqs) return;
    try {
      const seqs = await o.persistence.lastSeqs(names);
      for (const [name, seq] of seqs) {
        const room = rooms.get(name)?.room;
        if (room && seq > room.lastSeq) void room.catchUp();
      }
    } catch (e) {
      o.logger.error('document poll failed', { message: (e as Error).message });
    }
  }

  return {
    /** Starts listening for other nodes' writes (no-op without `listen`). */
    async start(): Promise<void> {
      if (!o.listen || closed) return;
      stopListening = await o.listen(onNotify);
      poll = setInterval(() => void repair(), o.pollMs ?? 1_500);
      poll.unref();
    },
    acquire,
    release,
    get: (name: string): SyncRoom | undefined => rooms.get(name)?.room,
    names: () => [...rooms.keys()],
    /**
     * Reads the server's copy once it is loaded. With several nodes it first reads what other nodes
     * have logged since (a publish on this node sees edits made through another, not only after the
     * notification arrives).
     */
    read: <T>(name: string, fn: (doc: Y.Doc) => T): Promise<T> =>
      withRoom(name, async (room) => {
        if (o.listen) await room.catchUp();
        return fn(room.doc);
      }),
    /** A server-side change, broadcast and logged like a peer's ([P17]). */
    transact: <T>(name: string, fn: (doc: Y.Doc) => T): Promise<T> => withRoom(name, (room) => room.transact(fn)),
    freeze(name: string): void {
      rooms.get(name)?.room.freeze();
    },
    /** Closes a room now: its peers are told to join again ([P24]) and get a fresh load and fresh access. */
    async reset(name: string): Promise<void> {
      const entry = rooms.get(name);
      if (!entry) return;
      rooms.delete(name);
      if (entry.idle) clearTimeout(entry.idle);
      await entry.room.destroy();
    },
    async flush(): Promise<void> {
      await Promise.all([...rooms.values()].map((e) => e.room.flush().catch(() => undefined)));
    },
    /** Flushes every room's log and closes it: a graceful restart loses nothing. */
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (poll) clearInterval(poll);
      await stopListening?.().catch(() => undefined);
      const entries = [...rooms.values()];
      rooms.clear();
      for (const e of entries) if (e.idle) clearTimeout(e.idle);
      await Promise.all(entries.map((e) => e.room.destroy()));
    },
  };
}

export type DocRegistry = ReturnType<typeof createDocRegistry>;
