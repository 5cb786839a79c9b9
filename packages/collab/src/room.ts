/**
 * Server side of one live document, independent of the transport: the Socket.IO binding calls
 * `connect`/`receive`/`disconnect` and hands each peer a `send`/`close` pair. Rules [P1]…[P24] are
 * stated in PROTOCOL.md; the rule numbers below point there.
 */
import * as Y from 'yjs';
import { systemClock, type RoomClock, type TimerHandle } from './clock.ts';
import { compactInProcess, type Compactor, type DocPersistence } from './persistence.ts';
import {
  CloseCode,
  ErrorCode,
  decodeAwarenessUpdate,
  decodeFrame,
  encodeAwarenessEntries,
  encodeFrame,
  type Access,
  type AwarenessEntry,
} from './protocol.ts';
import { appliesWhole, checkUpdate, defaultUpdateLimits, inspectUpdate, type DecodedUpdate, type UpdateLimits } from './validate.ts';

export interface PeerIdentity {
  userId: string;
  name: string;
  color: string;
}

export interface Peer {
  readonly id: string;
  /** Must not keep or mutate `bytes`: the same frame is handed to every recipient. */
  send(bytes: Uint8Array): void;
  /**
   * Optional: `bytes` to several open peers at once, in their order, as that run of `send` calls
   * would. The room calls it only with peers that all have this same function, so a transport can
   * encode and frame a broadcast once and write it to each connection right away.
   */
  sendMany?(peers: Peer[], bytes: Uint8Array): void;
  close(code: number, reason: string): void;
}

export interface ConnectOptions {
  access: Access;
  identity: PeerIdentity;
}

export interface RoomLimits extends UpdateLimits {
  /** Pending (not yet integrable) structs kept by the server doc before they are dropped. */
  maxPendingBytes: number;
  maxAwarenessBytes: number;
  maxClientIdsPerPeer: number;
  awarenessThrottleMs: number;
  /** An unchanged awareness state is forwarded again only after this long (clients time out at 30 s). */
  awarenessRenewMs: number;
  /**
   * After its connection closes, a presence id stays reserved for the user who held it this long, so
   * no one else can take it over while they reconnect ([P12], [P15]). Clients time states out at 30 s.
   */
  awarenessReserveMs: number;
  /** Reservations kept per room; beyond this the oldest is released first. */
  maxReservedAwarenessIds: number;
  /** Messages held while the document loads, per room. */
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  persistDelayMs: number;
  maxPersistBackoffMs: number;
  compactAfterUpdates: number;
  /** Updates merged into one frame or log entry; `Y.mergeUpdates` is super-linear. */
  maxMergeBatch: number;
  /** Above this many senders in one turn, one merged broadcast goes to all (echo is harmless). */
  maxExcludedSenders: number;
  /**
   * The longest a change waits while its room is busy (0: one broadcast per event-loop turn, nothing
   * held). Coalescing is adaptive ([P11]): a change goes out at the end of its turn unless the room
   * broadcast less than the current spacing ago. The spacing starts at 1/8 of the window; after a held
   * broadcast it doubles (up to the window) if the hold gathered at least two changes per 1/8 window
   * (1,600/s at 10 ms), and halves otherwise or once changes arrive two spacings apart; a whole quiet
   * window resets it. An idle or lightly used room never waits: a change half a window or more after
   * the last broadcast, when that broadcast took at most 1/8 of the time since, goes out from the call
   * that accepted it, without waiting for the turn to end. A busy one sends bigger batches, not more
   * frames, which saves every receiver a transaction per frame.
   */
  broadcastWindowMs: number;
}

export const defaultRoomLimits: RoomLimits = {
  ...defaultUpdateLimits,
  maxPendingBytes: 4_000_000,
  maxAwarenessBytes: 64 * 1024,
  maxClientIdsPerPeer: 4,
  awarenessThrottleMs: 100,
  awarenessRenewMs: 10_000,
  awarenessReserveMs: 30_000,
  maxReservedAwarenessIds: 10_000,
  maxQueuedMessages: 1_000,
  maxQueuedBytes: 8_000_000,
  persistDelayMs: 50,
  maxPersistBackoffMs: 5_000,
  compactAfterUpdates: 500,
  maxMergeBatch: 64,
  maxExcludedSenders: 4,
  broadcastWindowMs: 0,
};

export type RoomErrorPhase = 'load' | 'receive' | 'persist' | 'compact' | 'remote' | 'send';

export interface RoomErrorContext {
  room: string;
  phase: RoomErrorPhase;
  peerId?: string;
}

export interface SyncRoomOptions {
  name: string;
  persistence: DocPersistence;
  limits?: Partial<RoomLimits>;
  /** Everything refused or failed is reported here for logging; the room itself never throws at peers. */
  onError?: (error: unknown, context: RoomErrorContext) => void;
  clock?: RoomClock;
  compactor?: Compactor;
  /** Start frozen, e.g. a committed dispute or a published rubric version ([P6]). */
  frozen?: boolean;
  /** Room-wide ceiling on peer access; `'read'` is the same as `frozen: true`. */
  access?: Access;
  /**
   * Several nodes: called with the presence entries this room forwards to its own peers (changes,
   * renewals and removals, as sent), so other nodes' rooms of the document can show them [P25].
   */
  onPresenceOut?: (entries: PresenceEntry[]) => void;
  /**
   * What of a client's presence state the room relays [P13]: called with the state as sent and the
   * sender's effective access; only what it returns goes on (then `user` is set by the server).
   * Without it every field is relayed.
   */
  presenceFilter?: (state: Record<string, unknown>, access: Access) => Record<string, unknown>;
}

/** A presence state on the wire between nodes: as stamped by the node its client is connected to; `json` 'null' removes it. */
export interface PresenceEntry {
  clientId: number;
  clock: number;
  json: string;
}

export interface SyncRoom {
  readonly name: string;
  /** The server's copy. Read it freely; change it only through `transact` ([P17]). */
  readonly doc: Y.Doc;
  readonly whenLoaded: Promise<void>;
  readonly loaded: boolean;
  readonly frozen: boolean;
  readonly peerCount: number;
  /** Highest log sequence number reflected in `doc`. */
  readonly lastSeq: number;
  connect(peer: Peer, options: ConnectOptions): void;
  receive(peer: Peer, bytes: Uint8Array): void;
  disconnect(peer: Peer): void;
  setAccess(peerId: string, access: Access): void;
  kick(peerId: string, reason: string): void;
  freeze(): void;
  transact<T>(fn: (doc: Y.Doc) => T): Promise<T>;
  /**
   * Applies entries another node logged, up to `upToSeq`. With `fromSeq` (the entries are exactly
   * (fromSeq, upToSeq], e.g. carried by a notification) a gap before them makes the room read the
   * log instead.
   */
  applyRemote(updates: Uint8Array[], upToSeq: number, fromSeq?: number): Promise<void>;
  catchUp(): Promise<void>;
  /** Presence of clients connected to other nodes, forwarded to this room's peers [P25]. */
  applyRemotePresence(entries: PresenceEntry[]): void;
  /** The presence of this room's own clients, for a node that just opened the document [P25]. */
  localPresence(): PresenceEntry[];
  flush(): Promise<void>;
  destroy(): Promise<void>;
}

interface Conn {
  peer: Peer;
  access: Access;
  identity: PeerIdentity;
  /** Awareness client ids this peer may speak for; null until its first awareness message ([P12]). */
  clientIds: Set<number> | null;
  awarenessPending: Set<number>;
  lastAwarenessAt: number;
  awarenessTimer: TimerHandle | null;
  greeted: boolean;
  open: boolean;
}

interface AwarenessRecord {
  clock: number;
  /** Stamped state as sent to others; null once the client left. */
  json: string | null;
  owner: Conn;
  lastBroadcastAt: number;
}

/** Presence from another node not renewed for this long is dropped (clients renew every 15 s, the server forwards renewals every 10 s). */
const REMOTE_PRESENCE_TTL_MS = 35_000;

// Transaction origins that are not peers.
const LOAD = Symbol('load');
/** The largest change an idle room sends on as it came ([P11]); typing and small pastes are far below. */
const MAX_FORWARDED_BYTES = 16 * 1024;
const REMOTE = Symbol('remote');
const SERVER = Symbol('server');

export function createSyncRoom(options: SyncRoomOptions): SyncRoom {
  const { name, persistence } = options;
  const limits: RoomLimits = { ...defaultRoomLimits, ...options.limits };
  const clock = options.clock ?? systemClock;
  const compactor = options.compactor ?? compactInProcess;
  const report = (error: unknown, phase: RoomErrorPhase, peerId?: string): void => {
    try {
      options.onError?.(error, peerId === undefined ? { room: name, phase } : { room: name, phase, peerId });
    } catch {
      /* a faulty logger must not break the room */
    }
  };

  const doc = new Y.Doc();
  const conns = new Map<string, Conn>();
  const awareness = new Map<number, AwarenessRecord>();
  /** Presence of clients on other nodes [P25], by client id, with when it was last heard of. */
  const remotePresence = new Map<number, { clock: number; json: string; seenAt: number }>();
  /** Presence ids of users who left, by id, oldest first: they alone may claim them until `until` ([P12]). */
  const reserved = new Map<number, { userId: string; until: number }>();
  let frozen = (options.frozen ?? false) || options.access === 'read';
  let loaded = false;
  let failed = false;
  let destroyed = false;

  let queue: Array<{ conn: Conn; bytes: Uint8Array }> = [];
  let queuedBytes = 0;

  let batch: Array<{ update: Uint8Array; sender: Conn | null }> = [];
  let broadcastScheduled = false;
  let lastBroadcastAt = -Infinity;
  /** How long the last broadcast took to hand its frames to the transport (its share of a busy loop). */
  let lastBroadcastCost = 0;
  /**
   * When the room last finished a broadcast or accepting a change. Changes read back to back (they
   * queued while the loop was busy) are W/20 apart or less; an idle room's next one comes later.
   */
  let lastWorkEnd = -Infinity;
  /**
   * While a change that went out as it came is applied, its sender: that transaction's update event
   * (the first with this origin) is logged, not broadcast again. Anything else Yjs does in the same
   * apply (a transaction of its own, e.g. removing format markers a deletion made redundant) goes out
   * as usual, to everyone.
   */
  let forwardedFrom: Conn | null = null;
  /** Whether the scheduled broadcast was held back (the room is busy), and the current minimum spacing. */
  let broadcastHeld = false;
  const minSpacing = (): number => limits.broadcastWindowMs / 8;
  let broadcastSpacing = 0;

  let persistQueue: Uint8Array[] = [];
  let persistTimer: TimerHandle | null = null;
  let writing: Promise<void> | null = null;
  let persistFailures = 0;
  let knownSeq = 0;
  let logLength = 0;
  let compacting: Promise<void> | null = null;
  let catchUpAgain = false;
  let catchingUp: Promise<void> | null = null;

  const effectiveAccess = (conn: Conn): Access => (frozen ? 'read' : conn.access);
  const connObjects = new WeakSet<object>();
  const isLiveConn = (value: unknown): value is Conn =>
    typeof value === 'object' && value !== null && connObjects.has(value) && (value as Conn).open;

  const send = (conn: Conn, bytes: Uint8Array): void => {
    if (!conn.open) return;
    try {
      conn.peer.send(bytes);
    } catch (err) {
      report(err, 'send', conn.peer.id);
    }
  };
  /**
   * The greeted connections in connection order (every broadcast's recipients), and the `sendMany`
   * their peers all share, if they do. Kept between broadcasts, dropped when a connection is greeted
   * or goes: a busy room broadcasts far more often than its peers come and go.
   */
  let audience: { conns: Conn[]; many: Peer['sendMany'] } | null = null;
  const currentAudience = (): { conns: Conn[]; many: Peer['sendMany'] } => {
    if (audience) return audience;
    const list: Conn[] = [];
    for (const c of conns.values()) if (c.greeted) list.push(c);
    const many = list.length > 1 ? list[0]!.peer.sendMany : undefined;
    let shared = many !== undefined;
    for (let i = 1; shared && i < list.length; i++) shared = list[i]!.peer.sendMany === many;
    return (audience = { conns: list, many: shared ? many : undefined });
  };
  /**
   * One frame to the audience but the connections in `except` (the batch's senders): through their
   * shared `sendMany` when they have one, else one by one. One pass, no intermediate lists: this runs
   * for every change.
   */
  const sendAll = (bytes: Uint8Array, except: ReadonlySet<Conn> | null): void => {
    const { conns: list, many } = currentAudience();
    if (!many) {
      for (const conn of list) if (!except?.has(conn)) send(conn, bytes);
      return;
    }
    const peers: Peer[] = [];
    for (const c of list) if (c.open && !except?.has(c)) peers.push(c.peer);
    if (peers.length === 0) return;
    try {
      many(peers, bytes);
    } catch (err) {
      report(err, 'send');
    }
  };
  const sendError = (conn: Conn, code: ErrorCode, message: string): void => {
    send(conn, encodeFrame({ type: 'error', code, message }));
  };
  const refuse = (conn: Conn, code: ErrorCode, message: string): void => {
    report(new Error(`${code}: ${message}`), 'receive', conn.peer.id);
    sendError(conn, code, message);
  };

  // ---- document updates: batch per turn for broadcast [P11], per window for the log [P18]

  /**
   * [P11] The spacing for a broadcast `since` ms after the last one, and how long it must wait for it
   * (≤ 0: not held). A room quiet for a whole window starts again from the shortest spacing; changes
   * arriving at least twice the spacing apart (the room is calming down) halve it.
   */
  const spacingFor = (since: number): { spacing: number; wait: number } => {
    const window = limits.broadcastWindowMs;
    let spacing = window <= 0 || since >= window ? minSpacing() : broadcastSpacing;
    const wait = window > 0 ? spacing - since : 0;
    if (wait <= 0 && since >= 2 * spacing) spacing = Math.max(minSpacing(), spacing / 2);
    return { spacing, wait };
  };

  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin === LOAD) return;
    let now = false;
    if (forwardedFrom !== null && origin === forwardedFrom) forwardedFrom = null;
    else {
      const sender = isLiveConn(origin) ? origin : null;
      batch.push({ update, sender });
      if (!broadcastScheduled) {
        broadcastScheduled = true;
        const window = limits.broadcastWindowMs;
        const since = clock.now() - lastBroadcastAt;
        const { spacing, wait } = spacingFor(since);
        broadcastSpacing = spacing;
        broadcastHeld = wait > 0;
        if (broadcastHeld) clock.setTimeout(flushBroadcast, wait);
        // Idle (no broadcast for half a window, and the last one took under 1/8 of the time since):
        // out from this call. Otherwise at the end of the turn, with whatever else the turn accepts; a
        // saturated loop must batch, and its first change after a long turn would go out alone.
        else if (window > 0 && since >= window / 2 && lastBroadcastCost * 8 <= since) now = true;
        else clock.defer(flushBroadcast);
      }
    }
    if (origin !== REMOTE) {
      persistQueue.push(update);
      schedulePersist();
    }
    if (now) flushBroadcast();
  });

  const mergeChunks = (updates: Uint8Array[]): Uint8Array[] => {
    if (updates.length <= 1) return updates;
    const out: Uint8Array[] = [];
    for (let i = 0; i < updates.length; i += limits.maxMergeBatch) {
      const chunk = updates.slice(i, i + limits.maxMergeBatch);
      try {
        out.push(chunk.length === 1 ? chunk[0]! : Y.mergeUpdates(chunk));
      } catch (err) {
        // Every input was applied to the doc already, so this "cannot happen"; fall back to sending them as they are.
        report(err, 'send');
        out.push(...chunk);
      }
    }
    return out;
  };

  const frames = (updates: Uint8Array[]): Uint8Array[] =>
    mergeChunks(updates).map((update) => encodeFrame({ type: 'sync-update', update }));

  function flushBroadcast(): void {
    broadcastScheduled = false;
    if (broadcastHeld) {
      // Holding paid off if changes kept coming at two or more per shortest spacing: widen the spacing
      // (up to the window). Otherwise holding only added latency: narrow it again.
      broadcastSpacing = batch.length * minSpacing() >= 2 * broadcastSpacing
        ? Math.min(limits.broadcastWindowMs, broadcastSpacing * 2)
        : Math.max(minSpacing(), broadcastSpacing / 2);
    }
    broadcastHeld = false;
    const items = batch;
    batch = [];
    if (items.length === 0 || destroyed) return;
    sendTimed(items);
  }

  /** `broadcast`, noting when it started and ended and what it cost (the spacing and the idle signal read them). */
  function sendTimed(items: Array<{ update: Uint8Array; sender: Conn | null }>): void {
    lastBroadcastAt = clock.now();
    broadcast(items);
    lastWorkEnd = clock.now();
    lastBroadcastCost = lastWorkEnd - lastBroadcastAt;
  }

  /**
   * [P11] Whether a checked live change goes out as it came, before the document applies it: the
   * room has nothing waiting to go out, the change integrates whole (so the document would broadcast
   * exactly it) and the room would send it now: not held by the spacing, and idle for W/20 or more
   * (`lastWorkEnd`). A change read right after a broadcast or another change may have queued up with
   * others while the loop was busy; those go at the end of the turn, merged (forwarding each as it came
   * would cost a broadcast per change exactly when the loop can least afford it). Applying (a Yjs
   * transaction, which walks every client the document has seen) is then off the path to the peers.
   */
  function forwardsAsItCame(update: DecodedUpdate, bytes: Uint8Array): boolean {
    const window = limits.broadcastWindowMs;
    if (window <= 0 || batch.length > 0 || broadcastScheduled) return false;
    // Only what adds content, and small: a deletion of what is deleted already changes nothing, and
    // nothing of it would be logged; whatever a change carries that does nothing goes to every peer.
    if (update.structs.length === 0 || bytes.byteLength > MAX_FORWARDED_BYTES) return false;
    const now = clock.now();
    if (now - lastWorkEnd < window / 20 || spacingFor(now - lastBroadcastAt).wait > 0) return false;
    return appliesWhole(update, doc.store);
  }

  /** The change as it came, through the same broadcast (and sender rule) as a batch of one. */
  function forward(conn: Conn, update: Uint8Array): void {
    broadcastSpacing = spacingFor(clock.now() - lastBroadcastAt).spacing;
    sendTimed([{ update, sender: conn }]);
  }

  function broadcast(items: Array<{ update: Uint8Array; sender: Conn | null }>): void {
    const audience = currentAudience().conns;
    if (audience.length === 0) return;
    const senders = new Set<Conn>();
    for (const item of items) if (item.sender) senders.add(item.sender);
    const excludeSelf = senders.size > 0 && senders.size <= limits.maxExcludedSenders;
    // Senders still in the audience (greeted, not gone): when they are all of it, nobody else needs the batch.
    let present = 0;
    for (const conn of senders) if (conn.open && conn.greeted) present++;
    // Frame by frame, each to all its recipients at once (their shared sendMany) or in a row (the
    // transport may turn consecutive sends of the same bytes into one encoded broadcast). Per peer the
    // frames still arrive in order.
    // No named closure per broadcast: the server's loader (tsx) wraps each in `__name` as it is created.
    if (!excludeSelf || audience.length > present) for (const f of frames(items.map((i) => i.update))) sendAll(f, excludeSelf ? senders : null);
    if (!excludeSelf) return;
    for (const conn of senders) {
      if (!conn.open || !conn.greeted) continue;
      const others = items.filter((i) => i.sender !== conn).map((i) => i.update);
      if (others.length > 0) for (const f of frames(others)) send(conn, f);
    }
  }

  function schedulePersist(): void {
    if (persistTimer !== null || writing || destroyed || persistQueue.length === 0) return;
    const delay = Math.min(limits.persistDelayMs * 2 ** persistFailures, Math.max(limits.maxPersistBackoffMs, limits.persistDelayMs));
    persistTimer = clock.setTimeout(() => {
      persistTimer = null;
      void writeNow().catch(() => undefined);
    }, delay);
  }

  function writeNow(): Promise<void> {
    if (writing) return writing;
    if (persistQueue.length === 0) return Promise.resolve();
    const entries = mergeChunks(persistQueue);
    persistQueue = [];
    writing = (async () => {
      // Start after `writing` is assigned, even if `append` throws synchronously.
      await Promise.resolve();
      try {
        const seq = await persistence.append(name, entries);
        persistFailures = 0;
        onAppended(seq, entries.length);
      } catch (err) {
        // Keep the entries: they are in memory and at the peers, and must still reach the log.
        persistQueue = [...entries, ...persistQueue];
        persistFailures++;
        report(err, 'persist');
        throw err;
      } finally {
        writing = null;
        schedulePersist();
      }
    })();
    return writing;
  }

  function onAppended(seq: number, count: number): void {
    logLength += count;
    if (seq - count <= knownSeq) {
      knownSeq = Math.max(knownSeq, seq);
    } else if (persistence.readSince) {
      // Another node appended in between [P21]: read what we missed (our own entries again, harmlessly).
      void catchUp();
    } else {
      knownSeq = seq;
    }
    maybeCompact();
  }

  function maybeCompact(): void {
    if (compacting || destroyed || logLength < limits.compactAfterUpdates) return;
    compacting = (async () => {
      await Promise.resolve();
      try {
        const { snapshot, updates, lastSeq } = await persistence.load(name);
        if (updates.length === 0) {
          logLength = 0;
          return;
        }
        const compacted = await compactor(snapshot, updates);
        await persistence.compact(name, lastSeq, compacted);
        logLength = Math.max(0, logLength - updates.length);
      } catch (err) {
        report(err, 'compact');
      } finally {
        compacting = null;
      }
    })();
  }

  // ---- loading [P2]

  const whenLoaded = (async () => {
    try {
      const { snapshot, updates, lastSeq } = await persistence.load(name);
      if (destroyed) return;
      doc.transact(() => {
        for (const entry of snapshot ? [snapshot, ...updates] : updates) {
          try {
            Y.applyUpdate(doc, entry, LOAD);
          } catch (err) {
            report(err, 'load');
          }
        }
      }, LOAD);
      knownSeq = lastSeq;
      logLength = updates.length;
      loaded = true;
    } catch (err) {
      failed = true;
      report(err, 'load');
      for (const conn of [...conns.values()]) {
        sendError(conn, ErrorCode.loadFailed, 'the document could not be loaded');
        closeConn(conn, CloseCode.loadFailed, 'load failed');
      }
      queue = [];
      throw err;
    }
    for (const conn of conns.values()) greet(conn);
    const pending = queue;
    queue = [];
    queuedBytes = 0;
    for (const { conn, bytes } of pending) if (conn.open) handle(conn, bytes);
    maybeCompact();
  })();
  whenLoaded.catch(() => undefined);

  // ---- peers

  function greet(conn: Conn): void {
    conn.greeted = true;
    audience = null;
    const access = effectiveAccess(conn);
    send(conn, encodeFrame({ type: 'access', access }));
    // [P4] Asking writers for what we lack is how their offline edits come back; readers could only be refused.
    if (access === 'write') send(conn, encodeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(doc) }));
    const states = [...awareness.entries()].filter(([, r]) => r.json !== null).map(([clientId, r]) => ({ clientId, clock: r.clock, json: r.json! }));
    const now = clock.now();
    for (const [clientId, r] of remotePresence) {
      // A node that died cannot say its clients left: what was not renewed in time is gone (clients renew every 15 s).
      if (now - r.seenAt > REMOTE_PRESENCE_TTL_MS) remotePresence.delete(clientId);
      else if (!awareness.has(clientId)) states.push({ clientId, clock: r.clock, json: r.json });
    }
    if (states.length > 0) send(conn, encodeFrame({ type: 'awareness', update: encodeAwarenessEntries(states) }));
  }

  function closeConn(conn: Conn, code: number, reason: string): void {
    if (!conn.open) return;
    try {
      conn.peer.close(code, reason);
    } catch (err) {
      report(err, 'send', conn.peer.id);
    }
    removeConn(conn);
  }

  function removeConn(conn: Conn): void {
    if (conns.get(conn.peer.id) !== conn) return;
    conn.open = false;
    conns.delete(conn.peer.id);
    audience = null;
    if (conn.awarenessTimer !== null) clock.clearTimeout(conn.awarenessTimer);
    conn.awarenessTimer = null;
    // [P15] Its presence goes with it, at once and unthrottled.
    const removed: Array<{ clientId: number; clock: number; json: string }> = [];
    for (const clientId of conn.clientIds ?? []) {
      const record = awareness.get(clientId);
      if (record?.owner !== conn) continue;
      awareness.delete(clientId);
      reserve(clientId, conn.identity.userId);
      // Same clock, not +1: receivers accept a null at an equal clock, and the client's next state
      // (its provider bumps the clock on every open) must be newer than this removal. A held-back
      // removal (json null, still throttled) must go out too, or others keep the last state shown.
      if (record.json !== null || conn.awarenessPending.has(clientId)) removed.push({ clientId, clock: record.clock, json: 'null' });
    }
    conn.awarenessPending.clear();
    if (removed.length > 0) {
      const frame = encodeFrame({ type: 'awareness', update: encodeAwarenessEntries(removed) });
      for (const other of conns.values()) if (other.greeted) send(other, frame);
      presenceOut(removed);
    }
  }

  function reserve(clientId: number, userId: string): void {
    const now = clock.now();
    reserved.delete(clientId); // re-inserted last, so the map stays ordered by expiry
    reserved.set(clientId, { userId, until: now + limits.awarenessReserveMs });
    for (const [id, r] of reserved) {
      if (r.until > now && reserved.size <= Math.max(limits.maxReservedAwarenessIds, 0)) break;
      reserved.delete(id);
    }
  }

  /** The user an absent owner's id is still reserved for, if any. */
  function reservedFor(clientId: number): string | null {
    const r = reserved.get(clientId);
    if (!r) return null;
    if (r.until > clock.now()) return r.userId;
    reserved.delete(clientId);
    return null;
  }

  function connect(peer: Peer, opts: ConnectOptions): void {
    if (destroyed || failed) {
      const [code, reason] = failed ? [CloseCode.loadFailed, 'load failed'] : [CloseCode.roomClosed, 'room closed'];
      try {
        peer.close(code, reason);
      } catch (err) {
        report(err, 'send', peer.id);
      }
      return;
    }
    const previous = conns.get(peer.id);
    if (previous) removeConn(previous);
    const conn: Conn = {
      peer,
      access: opts.access,
      identity: { userId: opts.identity.userId, name: opts.identity.name, color: opts.identity.color },
      clientIds: null,
      awarenessPending: new Set(),
      lastAwarenessAt: -Infinity,
      awarenessTimer: null,
      greeted: false,
      open: true,
    };
    conns.set(peer.id, conn);
    connObjects.add(conn);
    if (loaded) greet(conn);
  }

  function receive(peer: Peer, bytes: Uint8Array): void {
    const conn = conns.get(peer.id);
    if (!conn || destroyed || failed) return;
    if (!(bytes instanceof Uint8Array)) {
      refuse(conn, ErrorCode.malformedMessage, 'frames are binary');
      return;
    }
    if (!loaded) {
      // [P3] Bounded: a peer that floods a loading room is cut off and resyncs when it reconnects.
      if (queue.length >= limits.maxQueuedMessages || queuedBytes + bytes.byteLength > limits.maxQueuedBytes) {
        sendError(conn, ErrorCode.overloaded, 'too many messages while the document loads');
        closeConn(conn, CloseCode.overloaded, 'overloaded');
        return;
      }
      // Copied: the transport may reuse its buffer once we return.
      queue.push({ conn, bytes: bytes.slice() });
      queuedBytes += bytes.byteLength;
      return;
    }
    handle(conn, bytes);
  }

  function handle(conn: Conn, bytes: Uint8Array): void {
    if (bytes.byteLength > limits.maxUpdateBytes + 16) {
      refuse(conn, ErrorCode.updateTooLarge, `message of ${bytes.byteLength} bytes exceeds the limit`);
      return;
    }
    let frame;
    try {
      frame = decodeFrame(bytes);
    } catch (err) {
      refuse(conn, ErrorCode.malformedMessage, err instanceof Error ? err.message : 'malformed message');
      return;
    }
    switch (frame.type) {
      case 'sync-step1': {
        let update: Uint8Array;
        try {
          update = Y.encodeStateAsUpdate(doc, frame.stateVector);
        } catch {
          refuse(conn, ErrorCode.malformedMessage, 'malformed state vector');
          return;
        }
        send(conn, encodeFrame({ type: 'sync-step2', update }));
        return;
      }
      case 'sync-step2':
      case 'sync-update':
        // [P5] Both carry changes; a reader may send neither.
        if (effectiveAccess(conn) !== 'write') {
          refuse(conn, ErrorCode.readOnly, frozen ? 'the document is frozen' : 'read-only access');
          return;
        }
        acceptUpdate(conn, frame.update, frame.type === 'sync-update');
        return;
      case 'awareness':
        handleAwareness(conn, frame.update);
        return;
      default:
        refuse(conn, ErrorCode.unexpectedMessage, `clients do not send ${frame.type} frames`);
    }
  }

  /** `live`: a change as it is made (`sync-update`), not a catch-up (`sync-step2`). */
  function acceptUpdate(conn: Conn, update: Uint8Array, live: boolean): void {
    // [P7][P8] Check everything before the doc sees a byte.
    const check = inspectUpdate(update, limits);
    if (!check.ok) {
      refuse(conn, check.code, check.reason);
      return;
    }
    const store = doc.store;
    // Integrating someone else's pending structs is not this sender's content: it must receive the result too.
    const origin = store.pendingStructs || store.pendingDs ? null : conn;
    if (origin === conn && live && forwardsAsItCame(check.decoded, update)) {
      forwardedFrom = conn;
      forward(conn, update);
    }
    try {
      Y.applyUpdate(doc, update, origin);
    } catch (err) {
      // [P9] Whatever applied before the throw was broadcast and logged by the update handler, so all
      // stay consistent. A change that went out as it came integrates whole by construction
      // (`appliesWhole`); should it throw anyway, its peers have the whole change, the document and the
      // log what applied.
      refuse(conn, ErrorCode.malformedUpdate, `update could not be applied: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      forwardedFrom = null;
      lastWorkEnd = clock.now();
    }
    boundPending();
  }

  function boundPending(): void {
    const store = doc.store;
    const size = (store.pendingStructs?.update.byteLength ?? 0) + (store.pendingDs?.byteLength ?? 0);
    if (size > limits.maxPendingBytes) {
      // Structs waiting for dependencies that never come would grow forever; their authors resend them on resync.
      store.pendingStructs = null;
      store.pendingDs = null;
      report(new Error(`dropped ${size} bytes of pending structs`), 'receive');
    }
  }

  // ---- awareness [P12]–[P15]

  /** The part of a state the room relays [P13]; a filter that throws relays nothing but the identity. */
  function presenceOf(state: Record<string, unknown>, conn: Conn): Record<string, unknown> {
    const filter = options.presenceFilter;
    if (!filter) return state;
    try {
      const out = filter(state, effectiveAccess(conn));
      return typeof out === 'object' && out !== null && !Array.isArray(out) ? out : {};
    } catch (err) {
      report(err, 'receive', conn.peer.id);
      return {};
    }
  }

  function handleAwareness(conn: Conn, update: Uint8Array): void {
    if (update.byteLength > limits.maxAwarenessBytes) {
      refuse(conn, ErrorCode.awarenessRefused, 'awareness update too large');
      return;
    }
    let entries: AwarenessEntry[];
    try {
      entries = decodeAwarenessUpdate(update, Math.max(limits.maxClientIdsPerPeer, 1) * 4);
    } catch (err) {
      refuse(conn, ErrorCode.awarenessRefused, err instanceof Error ? err.message : 'malformed awareness update');
      return;
    }
    if (conn.clientIds === null) {
      const ids = new Set(entries.map((e) => e.clientId));
      if (ids.size > limits.maxClientIdsPerPeer) {
        refuse(conn, ErrorCode.awarenessRefused, `at most ${limits.maxClientIdsPerPeer} awareness clients per connection`);
        return;
      }
      for (const id of ids) {
        const owner = awareness.get(id)?.owner;
        // Held by a live connection of another user, or by one who left moments ago and may come back.
        const userId = owner ? owner.identity.userId : reservedFor(id);
        if (userId !== null && owner !== conn && userId !== conn.identity.userId) {
          refuse(conn, ErrorCode.awarenessRefused, `awareness client ${id} belongs to another user`);
          return;
        }
      }
      conn.clientIds = ids;
      for (const id of ids) reserved.delete(id);
      // The same user reconnecting with the same client id takes its presence over from the stale connection.
      for (const id of ids) {
        const record = awareness.get(id);
        if (record && record.owner !== conn) {
          record.owner.clientIds?.delete(id);
          record.owner = conn;
        }
      }
    }
    const now = clock.now();
    let refused = 0;
    for (const entry of entries) {
      const record = awareness.get(entry.clientId);
      if (!conn.clientIds.has(entry.clientId) || (record && record.owner !== conn)) {
        refused++;
        continue;
      }
      if (record) {
        const newer = entry.clock > record.clock || (entry.clock === record.clock && entry.state === null && record.json !== null);
        if (!newer) continue;
      }
      const json = entry.state === null ? null : JSON.stringify({ ...presenceOf(entry.state, conn), user: { ...conn.identity } });
      if (record && json !== null && json === record.json && now - record.lastBroadcastAt < limits.awarenessRenewMs) {
        record.clock = entry.clock; // [P14] a renewal that changes nothing is not forwarded
        continue;
      }
      if (record) {
        record.clock = entry.clock;
        record.json = json;
      } else {
        awareness.set(entry.clientId, { clock: entry.clock, json, owner: conn, lastBroadcastAt: -Infinity });
      }
      conn.awarenessPending.add(entry.clientId);
    }
    if (refused > 0) refuse(conn, ErrorCode.awarenessRefused, 'awareness states of other clients are not accepted');
    scheduleAwareness(conn);
  }

  function scheduleAwareness(conn: Conn): void {
    if (conn.awarenessPending.size === 0 || conn.awarenessTimer !== null) return;
    const wait = conn.lastAwarenessAt + limits.awarenessThrottleMs - clock.now();
    if (wait <= 0) sendAwareness(conn);
    else conn.awarenessTimer = clock.setTimeout(() => sendAwareness(conn), wait);
  }

  function sendAwareness(conn: Conn): void {
    conn.awarenessTimer = null;
    if (!conn.open || destroyed) return;
    const now = clock.now();
    const entries: Array<{ clientId: number; clock: number; json: string }> = [];
    for (const clientId of conn.awarenessPending) {
      const record = awareness.get(clientId);
      if (!record || record.owner !== conn) continue;
      entries.push({ clientId, clock: record.clock, json: record.json ?? 'null' });
      record.lastBroadcastAt = now;
    }
    conn.awarenessPending.clear();
    conn.lastAwarenessAt = now;
    if (entries.length === 0) return;
    const frame = encodeFrame({ type: 'awareness', update: encodeAwarenessEntries(entries) });
    for (const other of conns.values()) if (other !== conn && other.greeted) send(other, frame);
    presenceOut(entries);
  }

  // ---- presence across nodes [P25]

  function presenceOut(entries: PresenceEntry[]): void {
    if (!options.onPresenceOut || entries.length === 0) return;
    try {
      options.onPresenceOut(entries);
    } catch (err) {
      report(err, 'send');
    }
  }

  function applyRemotePresence(entries: PresenceEntry[]): void {
    if (destroyed) return;
    const now = clock.now();
    const accepted: PresenceEntry[] = [];
    for (const e of entries) {
      // A client connected here speaks for itself; another node's word on it is stale.
      if (awareness.has(e.clientId)) continue;
      const cur = remotePresence.get(e.clientId);
      if (cur && !(e.clock > cur.clock || (e.clock === cur.clock && e.json === 'null' && cur.json !== 'null'))) {
        if (e.clock === cur.clock && e.json === cur.json) cur.seenAt = now;
        continue;
      }
      if (e.json === 'null') remotePresence.delete(e.clientId);
      else remotePresence.set(e.clientId, { clock: e.clock, json: e.json, seenAt: now });
      accepted.push(e);
    }
    if (accepted.length === 0) return;
    const frame = encodeFrame({ type: 'awareness', update: encodeAwarenessEntries(accepted) });
    for (const c of conns.values()) if (c.greeted) send(c, frame);
  }

  function localPresence(): PresenceEntry[] {
    return [...awareness.entries()].filter(([, r]) => r.json !== null).map(([clientId, r]) => ({ clientId, clock: r.clock, json: r.json! }));
  }

  // ---- server-side operations

  async function transact<T>(fn: (doc: Y.Doc) => T): Promise<T> {
    await whenLoaded;
    if (destroyed) throw new Error(`room ${name} is destroyed`);
    if (frozen) throw new Error(`room ${name} is frozen`);
    let result!: T;
    doc.transact(() => {
      result = fn(doc);
    }, SERVER);
    return result;
  }

  async function applyRemote(updates: Uint8Array[], upToSeq: number, fromSeq?: number): Promise<void> {
    await whenLoaded;
    if (destroyed || upToSeq <= knownSeq) return;
    if (fromSeq !== undefined && fromSeq > knownSeq) {
      // Entries before these are missing here: the log has them [P21].
      await catchUp();
      return;
    }
    doc.transact(() => {
      for (const update of updates) {
        // Written by a node that checked it, but a log is still input: keep the structural check.
        const check = checkUpdate(update, { ...limits, maxUpdateBytes: Number.POSITIVE_INFINITY });
        if (!check.ok) {
          report(new Error(check.reason), 'remote');
          continue;
        }
        try {
          Y.applyUpdate(doc, update, REMOTE);
        } catch (err) {
          report(err, 'remote');
        }
      }
    }, REMOTE);
    logLength += upToSeq - knownSeq;
    knownSeq = upToSeq;
    boundPending();
    maybeCompact();
  }

  function catchUp(): Promise<void> {
    const readSince = persistence.readSince;
    if (!readSince) return Promise.resolve();
    // A request during a read may announce entries that read missed: read again once it ends [P21].
    if (catchingUp) {
      catchUpAgain = true;
      return catchingUp;
    }
    catchingUp = (async () => {
      await Promise.resolve();
      try {
        await whenLoaded;
        do {
          catchUpAgain = false;
          const { updates, lastSeq } = await readSince.call(persistence, name, knownSeq);
          await applyRemote(updates, lastSeq);
        } while (catchUpAgain && !destroyed);
      } catch (err) {
        report(err, 'remote');
      } finally {
        catchingUp = null;
      }
    })();
    return catchingUp;
  }

  async function flush(): Promise<void> {
    await whenLoaded.catch(() => undefined);
    if (persistTimer !== null) {
      clock.clearTimeout(persistTimer);
      persistTimer = null;
    }
    for (;;) {
      if (writing) await writing;
      else if (persistQueue.length > 0) await writeNow();
      else if (compacting) await compacting;
      else if (catchingUp) await catchingUp;
      else break;
    }
  }

  async function destroy(): Promise<void> {
    if (destroyed) return;
    try {
      await flush();
    } catch {
      /* reported already; the entries are lost with this process only if it exits */
    }
    destroyed = true;
    if (persistTimer !== null) clock.clearTimeout(persistTimer);
    persistTimer = null;
    for (const conn of [...conns.values()]) {
      sendError(conn, ErrorCode.roomClosed, 'the document was closed on this server');
      closeConn(conn, CloseCode.roomClosed, 'room closed');
    }
    doc.destroy();
  }

  return {
    name,
    doc,
    whenLoaded,
    get loaded() {
      return loaded;
    },
    get frozen() {
      return frozen;
    },
    get peerCount() {
      return conns.size;
    },
    get lastSeq() {
      return knownSeq;
    },
    connect,
    receive,
    disconnect(peer) {
      const conn = conns.get(peer.id);
      if (conn) removeConn(conn);
    },
    setAccess(peerId, access) {
      const conn = conns.get(peerId);
      if (!conn || conn.access === access) return;
      const before = effectiveAccess(conn);
      conn.access = access;
      const after = effectiveAccess(conn);
      if (!conn.greeted || before === after) return;
      send(conn, encodeFrame({ type: 'access', access: after }));
      if (after === 'write') send(conn, encodeFrame({ type: 'sync-step1', stateVector: Y.encodeStateVector(doc) }));
    },
    kick(peerId, reason) {
      const conn = conns.get(peerId);
      if (!conn) return;
      sendError(conn, ErrorCode.kicked, reason);
      closeConn(conn, CloseCode.kicked, reason);
    },
    freeze() {
      if (frozen) return;
      frozen = true;
      for (const conn of conns.values()) {
        if (conn.greeted && conn.access === 'write') send(conn, encodeFrame({ type: 'access', access: 'read' }));
      }
    },
    transact,
    applyRemote,
    catchUp,
    applyRemotePresence,
    localPresence,
    flush,
    destroy,
  };
}
