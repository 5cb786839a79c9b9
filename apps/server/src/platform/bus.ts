/**
 * The control bus: events that change who may do what (a member removed, a role or tier changed, a
 * user deactivated, admin rights given or taken, sessions ended, a project archived, a document
 * frozen or committed), so the realtime layer of EVERY node can act on what a service did, without
 * services knowing about sockets.
 *
 * Each event is a row of `control_events`, written in the transaction of the change
 * (`recordControlEvent`, its last statement) or in its own (`bus.emit`). Writers take one advisory
 * transaction lock, so sequence numbers are handed out in commit order: a reader that has seen seq n
 * has seen everything below n. The row's seq is announced with NOTIFY `accord_control` (PostgreSQL,
 * delivered at commit); every node, the writer included, reads `seq > lastApplied` in order and
 * applies each event exactly once (one reader at a time per node). A poll every `pollMs` and every
 * (re)connection of the listening connection repair notifications a node missed while it was cut
 * off from the database. With PGlite (one process) the writer applies its own events in-process.
 * Rows older than `retainMs` (a day) are pruned now and then.
 */
import { asc, gt, lt, max, sql } from 'drizzle-orm';
import { controlEvents, type Db, type Tx } from '@accord/db';
import type { Logger } from './logger.ts';
import { coalesce } from './background.ts';

export const CONTROL_CHANNEL = 'accord_control';
/** "accord" in ASCII followed by 0x0002: the advisory lock that orders control-event writes. */
export const CONTROL_LOCK_KEY = 0x6163636f72640002n;

export interface BusEvents {
  /** Logout, password change or reset: sockets whose session or token ended are disconnected. */
  'user:sessions-ended': { userId: string };
  'user:deactivated': { userId: string };
  'user:reactivated': { userId: string };
  /** Admin rights given or taken: every open document of the user is re-resolved. */
  'user:admin-changed': { userId: string; isAdmin: boolean };
  'member:removed': { projectId: string; userId: string };
  'member:role-changed': { projectId: string; userId: string; role: string };
  /** Tier or domain tags changed (who gets which work). */
  'member:eligibility-changed': { projectId: string; userId: string; tier: number };
  'project:archived': { projectId: string; archived: boolean };
  /** A project setting that decides who may write its documents changed (e.g. whether reviewers adjudicate): its open documents' peers are re-resolved. */
  'project:access-changed': { projectId: string };
  /** A document became read-only for everyone (its kind's `frozen` now answers true from the database). */
  'doc:frozen': { doc: string };
  /** A document was committed (a dispute's verdict): frozen like `doc:frozen`. */
  'doc:committed': { doc: string };
  /** A project's disputes or consensus labels changed: open queue pages (leads, reviewers) refetch. */
  'disputes:changed': { projectId: string; disputeId: string | null };
  /** Who may write a document changed (its kind's `access` answers differently now): open peers are re-resolved. */
  'doc:access-changed': { doc: string };
  /** A calibration session's phase, round, participants or submissions changed: its followers get the new state. */
  'calibration:changed': { sessionId: string; projectId: string };
}
export type BusEventName = keyof BusEvents;
export const BUS_EVENT_NAMES: readonly BusEventName[] = [
  'user:sessions-ended',
  'user:deactivated',
  'user:reactivated',
  'user:admin-changed',
  'member:removed',
  'member:role-changed',
  'member:eligibility-changed',
  'project:archived',
  'project:access-changed',
  'doc:frozen',
  'doc:committed',
  'disputes:changed',
  'doc:access-changed',
  'calibration:changed',
];

/** One event, for the repositories that write events in their transactions. */
export type ControlEvent = { [K in BusEventName]: { name: K; payload: BusEvents[K] } }[BusEventName];

export type BusHandler<K extends BusEventName> = (payload: BusEvents[K], meta: { seq: number }) => void | Promise<void>;

export interface Bus {
  /**
   * Writes the event durably in its own transaction, then applies it on this node (other nodes hear
   * the NOTIFY or their poll). Never rejects: if the write fails, the failure is logged and the event
   * is applied on this node only.
   */
  emit<K extends BusEventName>(name: K, payload: BusEvents[K]): Promise<void>;
  /** Applies every event written since the last one applied here (after a transaction that called `recordControlEvent` committed). */
  applyPending(): Promise<void>;
  /** Handlers run in seq order, one event at a time; a handler's promise is awaited before the next event. */
  on<K extends BusEventName>(name: K, fn: BusHandler<K>): () => void;
}

/**
 * Writes a control event inside the caller's transaction, as its last statement (the ordering lock
 * is held until commit). The NOTIFY goes out when the transaction commits; nothing if it rolls back.
 */
export async function recordControlEvent<K extends BusEventName>(tx: Tx, name: K, payload: BusEvents[K]): Promise<number> {
  await tx.execute(sql`select pg_advisory_xact_lock(${CONTROL_LOCK_KEY.toString()}::bigint)`);
  const [row] = await tx.insert(controlEvents).values({ kind: name, payload: payload as unknown as Record<string, unknown> }).returning({ seq: controlEvents.seq });
  await tx.execute(sql`select pg_notify(${CONTROL_CHANNEL}, ${String(row!.seq)})`);
  return row!.seq;
}

/** `recordControlEvent` for several events, in order. */
export async function recordControlEvents(tx: Tx, events: readonly ControlEvent[]): Promise<void> {
  for (const e of events) await recordControlEvent(tx, e.name, e.payload);
}

export interface ControlBusOptions {
  db: Db;
  logger: Logger;
  /** LISTEN on a channel (PostgreSQL); `onConnect` runs after every (re)connection. Absent with PGlite. */
  listen?: (channel: string, fn: (payload: string) => void, onConnect?: () => void) => Promise<() => Promise<void>>;
  /** How often to read missed events (default 1.5 s). */
  pollMs?: number;
  /** How long events are kept (default a day) and how often old ones are pruned (default 10 min). */
  retainMs?: number;
  pruneEveryMs?: number;
  /** Events read per query. */
  batch?: number;
}

export type ControlBus = Bus & {
  /** Reads the current last seq (events before start are history) and starts listening and polling. */
  start(): Promise<void>;
  close(): Promise<void>;
  /** The seq of the last event applied on this node. */
  readonly lastApplied: number;
  /** Deletes events older than `retainMs`; returns how many. */
  prune(): Promise<number>;
};

export function createControlBus(o: ControlBusOptions): ControlBus {
  const handlers = new Map<string, Set<BusHandler<BusEventName>>>();
  const batch = o.batch ?? 200;
  const retainMs = o.retainMs ?? 86_400_000;
  const pruneEveryMs = o.pruneEveryMs ?? 600_000;
  let last = 0;
  let started = false;
  let closed = false;
  let readFailing = false;
  let poll: NodeJS.Timeout | null = null;
  let lastPrune = Date.now();
  let stopListening: (() => Promise<void>) | null = null;

  async function dispatch(kind: string, payload: unknown, seq: number): Promise<void> {
    for (const fn of handlers.get(kind) ?? []) {
      try {
        await fn(payload as never, { seq });
      } catch (e) {
        o.logger.error('control event handler failed', { kind, seq, message: (e as Error).message });
      }
    }
  }

  async function drain(): Promise<void> {
    for (;;) {
      let rows: Array<{ seq: number; kind: string; payload: Record<string, unknown> }>;
      try {
        rows = await o.db.select().from(controlEvents).where(gt(controlEvents.seq, last)).orderBy(asc(controlEvents.seq)).limit(batch);
        if (readFailing) o.logger.info('control events readable again; catching up', { after: last });
        readFailing = false;
      } catch (e) {
        // The database is unreachable: the poll (or the listener's reconnection) tries again.
        if (!readFailing) o.logger.error('control events could not be read; will retry', { message: (e as Error).message });
        readFailing = true;
        return;
      }
      for (const r of rows) {
        if (closed) return;
        await dispatch(r.kind, r.payload, r.seq);
        last = r.seq;
      }
      if (rows.length < batch) return;
    }
  }

  /** Reads and applies the pending events; a call during a read is covered by one more read after it. */
  const pending = coalesce(drain, () => closed);
  function applyPending(): Promise<void> {
    if (!started || closed) return Promise.resolve();
    return pending.run();
  }

  function onNotify(payload: string): void {
    const seq = Number(payload);
    if (Number.isFinite(seq) && seq > last) void applyPending();
  }

  async function prune(): Promise<number> {
    lastPrune = Date.now();
    const gone = await o.db.delete(controlEvents).where(lt(controlEvents.createdAt, new Date(Date.now() - retainMs))).returning({ seq: controlEvents.seq });
    return gone.length;
  }

  function tick(): void {
    void applyPending();
    if (Date.now() - lastPrune >= pruneEveryMs) prune().catch((e: unknown) => o.logger.error('control events could not be pruned', { message: (e as Error).message }));
  }

  return {
    get lastApplied() {
      return last;
    },
    async start() {
      if (started || closed) return;
      // Listen first, then read where the log stands: nothing written in between is skipped.
      if (o.listen) stopListening = await o.listen(CONTROL_CHANNEL, onNotify, () => void applyPending());
      const [top] = await o.db.select({ seq: max(controlEvents.seq) }).from(controlEvents);
      last = top?.seq == null ? 0 : Number(top.seq);
      started = true;
      poll = setInterval(tick, o.pollMs ?? 1_500);
      poll.unref();
      await applyPending();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (poll) clearInterval(poll);
      await stopListening?.().catch(() => undefined);
      await pending.running?.catch(() => undefined);
    },
    prune,
    async emit(name, payload) {
      try {
        await o.db.transaction((tx) => recordControlEvent(tx, name, payload));
      } catch (e) {
        o.logger.error('control event could not be written; applied on this node only', { kind: name, message: (e as Error).message });
        await dispatch(name, payload, -1);
        return;
      }
      await applyPending();
    },
    applyPending,
    on(name, fn) {
      let set = handlers.get(name);
      if (!set) handlers.set(name, (set = new Set()));
      set.add(fn as BusHandler<BusEventName>);
      return () => void set.delete(fn as BusHandler<BusEventName>);
    },
  };
}
