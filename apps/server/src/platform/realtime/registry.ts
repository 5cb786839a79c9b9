/**
 * One sync room per live document per process: created and loaded on first use, kept while anyone
 * holds it, destroyed (after flushing its log) some seconds after the last holder lets go, and
 * flushed on shutdown. Knows neither Socket.IO nor HTTP: the socket binding and the services both
 * go through it, so server-side changes reach the document through the room ([P17]).
 *
 * Several nodes on one PostgreSQL: the update log is the channel ([P21]). A NOTIFY `{doc, maxSeq, n, node, u}`
 * from another node (a node skips its own) carries its entries when they fit in a notification (applied at once when they
 * follow what the room has); otherwise, or after a gap, the room reads what it lacks; a poll of `max(seq)` every `pollMs` repairs
 * notifications lost while the listening connection was down. The same poll brings a room the entries of
 * a notice it skipped as its node's own when they came from its predecessor (a room destroyed while a
 * retried append was still in flight, and loaded again before that append committed).
 */
import { randomUUID } from 'node:crypto';
import type * as Y from 'yjs';
import { createSyncRoom, type Compactor, type DocPersistence, type PresenceEntry, type RoomErrorContext, type RoomLimits, type SyncRoom, type SyncRoomOptions } from '@accord/collab';
import type { Logger } from '../logger.ts';

export interface DocRegistryOptions {
  persistence: DocPersistence & { lastSeqs?(names: string[]): Promise<Map<string, number>> };
  logger: Logger;
  compactor?: Compactor;
  /** How long a room with no holders stays loaded (a quick reconnect finds it warm). */
  idleMs?: number;
  limits?: Partial<RoomLimits>;
  /**
   * This node's id: the `node` of its own append notices (the persistence sends it, see `createDocStore`'s
   * `node`), which it skips, and of its presence messages. Default: a random one.
   */
  nodeId?: string;
  /** Subscribes to other nodes' append notifications (PostgreSQL); absent for a single process. */
  listen?: (fn: (payload: string) => void) => Promise<() => Promise<void>>;
  pollMs?: number;
  /**
   * Several nodes: presence travels between them on its own channel [P25], coalesced per node for
   * `presenceWindowMs`. `send` gets payloads of under 8,000 bytes (PostgreSQL's NOTIFY limit).
   */
  presence?: {
    listen: (fn: (payload: string) => void) => Promise<() => Promise<void>>;
    send: (payloads: string[]) => Promise<void>;
  };
  presenceWindowMs?: number;
  /** What of each client's presence a document's room relays (by document name; its kind decides) [P13]. */
  presenceFilter?: (name: string) => SyncRoomOptions['presenceFilter'] | undefined;
}

/** One NOTIFY payload at most (PostgreSQL refuses 8,000 bytes and more). */
const PRESENCE_PAYLOAD_MAX = 7_900;

interface PresenceMessage {
  /** The sending node. */
  n: string;
  /** The document. */
  d: string;
  /** Entries, or `h`: a node that just opened the document asks the others for their clients' presence. */
  e?: PresenceEntry[];
  h?: 1;
}

const isEntry = (x: unknown): x is PresenceEntry =>
  typeof x === 'object' &&
  x !== null &&
  Number.isSafeInteger((x as PresenceEntry).clientId) &&
  Number.isSafeInteger((x as PresenceEntry).clock) &&
  typeof (x as PresenceEntry).json === 'string';

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
  let stopPresence: (() => Promise<void>) | null = null;
  let poll: NodeJS.Timeout | null = null;
  const nodeId = o.nodeId ?? randomUUID();
  /** Presence waiting to go to the other nodes, by document; `hello`: documents this node just opened. */
  const presenceOut = new Map<string, PresenceEntry[]>();
  const hello = new Set<string>();
  let presenceTimer: NodeJS.Timeout | null = null;
  function queuePresence(name: string, entries: PresenceEntry[]): void {
    if (!o.presence || closed) return;
    const list = presenceOut.get(name);
    if (list) list.push(...entries);
    else presenceOut.set(name, [...entries]);
    schedulePresence();
  }

  function schedulePresence(): void {
    if (presenceTimer) return;
    presenceTimer = setTimeout(() => void sendPresence(), o.presenceWindowMs ?? 20);
    presenceTimer.unref();
  }

  /** Everything queued, as NOTIFY payloads under the size limit; a state too large for one is not relayed. */
  function presencePayloads(): string[] {
    const payloads: string[] = [];
    for (const d of hello) payloads.push(JSON.stringify({ n: nodeId, d, h: 1 } satisfies PresenceMessage));
    hello.clear();
    for (const [d, entries] of presenceOut) {
      // The newest word on each client is enough.
      const latest = new Map<number, PresenceEntry>();
      for (const e of entries) latest.set(e.clientId, e);
      let batch: PresenceEntry[] = [];
      const base = JSON.stringify({ n: nodeId, d, e: [] }).length;
      let size = base;
      for (const e of latest.values()) {
        const len = JSON.stringify(e).length + 1;
        if (base + len > PRESENCE_PAYLOAD_MAX) {
          o.logger.debug('presence state too large to relay to other nodes', { doc: d, bytes: len });
          continue;
        }
        if (size + len > PRESENCE_PAYLOAD_MAX) {
          payloads.push(JSON.stringify({ n: nodeId, d, e: batch } satisfies PresenceMessage));
          batch = [];
          size = base;
        }
        batch.push(e);
        size += len;
      }
      if (batch.length > 0) payloads.push(JSON.stringify({ n: nodeId, d, e: batch } satisfies PresenceMessage));
    }
    presenceOut.clear();
    return payloads;
  }

  async function sendPresence(): Promise<void> {
    presenceTimer = null;
    const payloads = presencePayloads();
    if (payloads.length === 0 || !o.presence) return;
    try {
      await o.presence.send(payloads);
    } catch (e) {
      // Presence is ephemeral: clients renew it every 15 s, so a lost batch heals by itself.
      o.logger.debug('presence relay failed', { message: (e as Error).message });
    }
  }

  function onPresence(payload: string): void {
    let m: PresenceMessage;
    try {
      m = JSON.parse(payload) as PresenceMessage;
    } catch {
      return;
    }
    if (typeof m !== 'object' || m === null || m.n === nodeId || typeof m.d !== 'string') return;
    const room = rooms.get(m.d)?.room;
    if (!room || !room.loaded) return;
    if (m.h === 1) {
      const own = room.localPresence();
      if (own.length > 0) queuePresence(m.d, own);
    } else if (Array.isArray(m.e)) {
      const entries = m.e.filter(isEntry);
      if (entries.length > 0) room.applyRemotePresence(entries);
    }
  }

  const onError = (error: unknown, ctx: RoomErrorContext) => {
    // Refusals are the room doing its job (hostile or stale clients); failures to load or persist are not.
    const msg = error instanceof Error ? error.message : String(error);
    if (ctx.phase === 'receive' || ctx.phase === 'send') o.logger.debug('document frame refused', { ...ctx, message: msg });
    else o.logger.error('document error', { ...ctx, message: msg });
  };

  function create(name: string, frozen: boolean): Entry {
    const filter = o.presenceFilter?.(name);
    const room = createSyncRoom({
      name,
      persistence: o.persistence,
      frozen,
      onError,
      ...(o.compactor ? { compactor: o.compactor } : {}),
      ...(o.limits ? { limits: o.limits } : {}),
      ...(o.presence ? { onPresenceOut: (entries: PresenceEntry[]) => queuePresence(name, entries) } : {}),
      ...(filter ? { presenceFilter: filter } : {}),
    });
    const entry: Entry = { room, holds: 0, idle: null };
    rooms.set(name, entry);
    if (o.presence)
      room.whenLoaded.then(
        () => {
          if (rooms.get(name) !== entry || closed) return;
          hello.add(name);
          schedulePresence();
        },
        () => undefined,
      );
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
      const { doc, maxSeq, n, u, node } = JSON.parse(payload) as { doc?: unknown; maxSeq?: unknown; n?: unknown; u?: unknown; node?: unknown };
      // This node's own append: its room has the entries, and the append's result gives their seq.
      if (typeof doc !== 'string' || typeof maxSeq !== 'number' || node === nodeId) return;
      const entry = rooms.get(doc);
      if (!entry || !entry.room.loaded || maxSeq <= entry.room.lastSeq) return;
      // The notice carries the entries when they fit: apply them unless some before them are missing.
      if (Array.isArray(u) && typeof n === 'number' && u.length === n && n > 0 && u.every((x) => typeof x === 'string')) {
        const updates = (u as string[]).map((b) => new Uint8Array(Buffer.from(b, 'base64')));
        void entry.room.applyRemote(updates, maxSeq, maxSeq - n);
      } else void entry.room.catchUp();
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
      if (o.presence) stopPresence = await o.presence.listen(onPresence);
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
      if (presenceTimer) clearTimeout(presenceTimer);
      await stopListening?.().catch(() => undefined);
      await stopPresence?.().catch(() => undefined);
      const entries = [...rooms.values()];
      rooms.clear();
      for (const e of entries) if (e.idle) clearTimeout(e.idle);
      await Promise.all(entries.map((e) => e.room.destroy()));
    },
  };
}

export type DocRegistry = ReturnType<typeof createDocRegistry>;
