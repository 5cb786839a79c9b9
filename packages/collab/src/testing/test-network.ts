/**
 * In-memory transport between a sync room and real providers, with one queue per direction per
 * client so tests decide exactly when and in which order frames arrive, and when connections drop.
 */
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { createMemoryPersistence, type DocPersistence } from '../persistence.ts';
import type { Access } from '../protocol.ts';
import { createDocProvider, type DocProvider, type DocTransport, type ProviderError } from '../provider.ts';
import { createSyncRoom, type Peer, type PeerIdentity, type PresenceEntry, type RoomErrorContext, type RoomLimits, type SyncRoom, type SyncRoomOptions } from '../room.ts';
import { createManualClock, type ManualClock } from './manual-clock.ts';
import { randomInt, type Rng } from './rng.ts';

export interface TestNetworkOptions {
  name?: string;
  persistence?: DocPersistence;
  limits?: Partial<RoomLimits>;
  clock?: ManualClock;
  frozen?: boolean;
  onError?: (error: unknown, context: RoomErrorContext) => void;
  /** Use an existing room (e.g. a second node) instead of creating one. */
  room?: SyncRoom;
  /** The room's relay of presence to other nodes [P25]. */
  onPresenceOut?: (entries: PresenceEntry[]) => void;
  presenceFilter?: SyncRoomOptions['presenceFilter'];
}

export interface TestClientOptions {
  access?: Access;
  identity?: Partial<PeerIdentity>;
  doc?: Y.Doc;
  /** Give the client an Awareness instance (default true). */
  awareness?: boolean;
  /** Connect right away (default true). */
  connect?: boolean;
}

export interface TestClient {
  readonly name: string;
  readonly doc: Y.Doc;
  readonly awareness: Awareness | null;
  readonly provider: DocProvider;
  readonly connected: boolean;
  /** Peer id of the current connection; a new one per reconnect, as with real sockets. */
  readonly peerId: string | null;
  readonly identity: PeerIdentity;
  access: Access;
  /** Error frames received, in order. */
  readonly errors: ProviderError[];
  readonly closes: Array<{ code: number; reason: string }>;
  /** Every frame delivered to this client. */
  readonly received: Uint8Array[];
  /** Drops the connection and whatever was still in flight in either direction. */
  disconnect(): void;
  reconnect(): void;
  /** Queues raw bytes towards the server as if this client had sent them. */
  sendRaw(bytes: Uint8Array): void;
}

export interface TestNetwork {
  readonly room: SyncRoom;
  readonly clock: ManualClock;
  readonly persistence: DocPersistence;
  readonly clients: readonly TestClient[];
  addClient(options?: TestClientOptions): TestClient;
  /** Frames in flight plus end-of-turn work not yet run. */
  pending(): number;
  /** Delivers everything in FIFO order, running end-of-turn work, until nothing moves. */
  flush(): void;
  /** Like flush, but each step picks a random non-empty queue (per-connection order is kept, as TCP does). */
  flushRandom(rng: Rng): void;
  /** Performs up to `steps` random delivery steps and returns how many were possible. */
  deliverRandom(rng: Rng, steps: number): number;
  /** Advances the manual clock (throttles, persistence window) and then flushes. */
  advance(ms: number): void;
  /** Flushes, fires every timer, and awaits the room's pending writes. */
  settle(): Promise<void>;
  destroy(): Promise<void>;
}

interface ClientState {
  client: TestClient;
  up: Uint8Array[];
  down: Uint8Array[];
  peer: Peer | null;
  generation: number;
  connected: boolean;
  messageListeners: Set<(bytes: Uint8Array) => void>;
  openListeners: Set<() => void>;
  closeListeners: Set<(event?: { code?: number; reason?: string }) => void>;
}

export function createTestNetwork(options: TestNetworkOptions = {}): TestNetwork {
  const clock = options.clock ?? createManualClock();
  const persistence = options.persistence ?? createMemoryPersistence();
  const room =
    options.room ??
    createSyncRoom({
      name: options.name ?? 'test:doc',
      persistence,
      clock,
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.frozen !== undefined ? { frozen: options.frozen } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.onPresenceOut ? { onPresenceOut: options.onPresenceOut } : {}),
      ...(options.presenceFilter ? { presenceFilter: options.presenceFilter } : {}),
    });
  const states: ClientState[] = [];
  const clients: TestClient[] = [];

  const deliverUp = (state: ClientState): void => {
    const bytes = state.up.shift();
    if (bytes && state.peer) room.receive(state.peer, bytes);
  };
  const deliverDown = (state: ClientState): void => {
    const bytes = state.down.shift();
    if (!bytes) return;
    state.client.received.push(bytes);
    for (const listener of [...state.messageListeners]) listener(bytes);
  };

  const dropConnection = (state: ClientState, event?: { code: number; reason: string }): void => {
    if (!state.connected) return;
    state.connected = false;
    state.up.length = 0;
    state.down.length = 0;
    const peer = state.peer;
    state.peer = null;
    if (peer) room.disconnect(peer);
    for (const listener of [...state.closeListeners]) listener(event);
  };

  const openConnection = (state: ClientState): void => {
    if (state.connected) return;
    const generation = ++state.generation;
    const peer: Peer = {
      id: `${state.client.name}#${generation}`,
      send: (bytes) => {
        // Copy like a socket would, so tests cannot be fooled by shared buffers.
        if (state.connected && state.generation === generation) state.down.push(bytes.slice());
      },
      close: (code, reason) => {
        if (state.generation !== generation) return;
        state.client.closes.push({ code, reason });
        // Frames sent before the close still arrive, as they would over a socket.
        while (state.down.length > 0) deliverDown(state);
        dropConnection(state, { code, reason });
      },
    };
    state.peer = peer;
    state.connected = true;
    room.connect(peer, { access: state.client.access, identity: state.client.identity });
    for (const listener of [...state.openListeners]) listener();
  };

  const addClient = (opts: TestClientOptions = {}): TestClient => {
    const index = clients.length;
    const doc = opts.doc ?? new Y.Doc();
    const awareness = opts.awareness === false ? null : new Awareness(doc);
    const name = `client${index}`;
    const identity: PeerIdentity = {
      userId: opts.identity?.userId ?? `user${index}`,
      name: opts.identity?.name ?? `User ${index}`,
      color: opts.identity?.color ?? '#336699',
    };
    const state = {
      up: [],
      down: [],
      peer: null,
      generation: 0,
      connected: false,
      messageListeners: new Set(),
      openListeners: new Set(),
      closeListeners: new Set(),
    } as Omit<ClientState, 'client'> as ClientState;
    const transport: DocTransport = {
      send: (bytes) => {
        if (state.connected) state.up.push(bytes.slice());
      },
      onMessage: (l) => (state.messageListeners.add(l), () => state.messageListeners.delete(l)),
      onOpen: (l) => (state.openListeners.add(l), () => state.openListeners.delete(l)),
      onClose: (l) => (state.closeListeners.add(l), () => state.closeListeners.delete(l)),
      isOpen: () => state.connected,
    };
    const provider = createDocProvider({ doc, transport, ...(awareness ? { awareness } : {}) });
    const errors: ProviderError[] = [];
    provider.on('error', (e) => errors.push(e));
    const client: TestClient = {
      name,
      doc,
      awareness,
      provider,
      identity,
      access: opts.access ?? 'write',
      errors,
      closes: [],
      received: [],
      get connected() {
        return state.connected;
      },
      get peerId() {
        return state.peer?.id ?? null;
      },
      disconnect: () => dropConnection(state),
      reconnect: () => openConnection(state),
      sendRaw: (bytes) => {
        if (state.connected) state.up.push(bytes.slice());
      },
    };
    state.client = client;
    states.push(state);
    clients.push(client);
    if (opts.connect !== false) openConnection(state);
    return client;
  };

  const queueCount = (): number => states.reduce((n, s) => n + s.up.length + s.down.length, 0);

  const flush = (): void => {
    for (let guard = 0; ; guard++) {
      if (guard > 1_000_000) throw new Error('test network did not quiesce');
      clock.runDeferred();
      if (queueCount() === 0) return;
      for (const state of states) while (state.up.length > 0) deliverUp(state);
      for (const state of states) while (state.down.length > 0) deliverDown(state);
    }
  };

  const randomStep = (rng: Rng): boolean => {
    const choices: Array<() => void> = [];
    for (const state of states) {
      if (state.up.length > 0) choices.push(() => deliverUp(state));
      if (state.down.length > 0) choices.push(() => deliverDown(state));
    }
    if (clock.pendingDeferred > 0) choices.push(() => clock.runDeferred());
    if (choices.length === 0) return false;
    choices[randomInt(rng, choices.length)]!();
    return true;
  };

  return {
    room,
    clock,
    persistence,
    clients,
    addClient,
    pending: () => queueCount() + clock.pendingDeferred,
    flush,
    flushRandom(rng) {
      for (let guard = 0; randomStep(rng); guard++) {
        if (guard > 1_000_000) throw new Error('test network did not quiesce');
      }
    },
    deliverRandom(rng, steps) {
      let done = 0;
      while (done < steps && randomStep(rng)) done++;
      return done;
    },
    advance(ms) {
      flush();
      clock.advance(ms);
      flush();
    },
    async settle() {
      flush();
      for (let i = 0; i < 100 && (clock.pendingTimers > 0 || queueCount() > 0); i++) {
        clock.advance(60_000);
        flush();
        await room.flush();
      }
      await room.flush();
      flush();
    },
    async destroy() {
      for (const client of clients) {
        client.provider.destroy();
        client.awareness?.destroy();
      }
      await room.destroy();
    },
  };
}
