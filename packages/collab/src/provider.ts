/**
 * Client side of the document channel, independent of the transport: the web app adapts a
 * socket.io-client socket to `DocTransport`. Reconnecting is the transport's job; the provider
 * resynchronizes on every open ([P4], [P22], [P23] in PROTOCOL.md).
 */
import * as Y from 'yjs';
import { applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates, type Awareness } from 'y-protocols/awareness';
import { decodeFrame, encodeFrame, type Access, type Frame } from './protocol.ts';

export interface DocTransport {
  send(bytes: Uint8Array): void;
  /** Each `on…` returns a function that unsubscribes. */
  onMessage(listener: (bytes: Uint8Array) => void): () => void;
  onOpen(listener: () => void): () => void;
  onClose(listener: (event?: { code?: number; reason?: string }) => void): () => void;
  /** Whether the transport is open already when the provider is created. */
  isOpen?(): boolean;
}

export type ProviderStatus = 'connecting' | 'connected' | 'disconnected';

export interface ProviderError {
  code: string;
  message: string;
}

export interface ProviderEvents {
  status: (status: ProviderStatus) => void;
  synced: (synced: boolean) => void;
  access: (access: Access) => void;
  error: (error: ProviderError) => void;
}

export interface DocProviderOptions {
  doc: Y.Doc;
  awareness?: Awareness;
  transport: DocTransport;
}

export interface DocProvider {
  readonly doc: Y.Doc;
  readonly awareness: Awareness | null;
  readonly status: ProviderStatus;
  /** True once the server's state has been received on the current connection. */
  readonly synced: boolean;
  /** Access granted on the current connection, null until the server says. */
  readonly access: Access | null;
  /** Resolves when synced on the current or a later connection. */
  whenSynced(): Promise<void>;
  on<E extends keyof ProviderEvents>(event: E, listener: ProviderEvents[E]): () => void;
  destroy(): void;
}

export function createDocProvider(options: DocProviderOptions): DocProvider {
  const { doc, transport } = options;
  const awareness = options.awareness ?? null;
  // The provider itself is the transaction origin of everything that came from the server.
  const origin = Symbol('doc-provider');
  let status: ProviderStatus = 'connecting';
  let synced = false;
  let access: Access | null = null;
  let destroyed = false;
  const listeners: { [E in keyof ProviderEvents]: Set<ProviderEvents[E]> } = {
    status: new Set(),
    synced: new Set(),
    access: new Set(),
    error: new Set(),
  };
  let syncWaiters: Array<() => void> = [];

  const emit = <E extends keyof ProviderEvents>(event: E, ...args: Parameters<ProviderEvents[E]>): void => {
    for (const listener of [...listeners[event]]) {
      try {
        (listener as (...a: Parameters<ProviderEvents[E]>) => void)(...args);
      } catch (err) {
        // A listener's bug must not desynchronize the document.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  };
  const setStatus = (next: ProviderStatus): void => {
    if (status === next) return;
    status = next;
    emit('status', next);
  };
  const setSynced = (next: boolean): void => {
    if (synced === next) return;
    synced = next;
    emit('synced', next);
    if (next) {
      const waiters = syncWaiters;
      syncWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };
  const send = (frame: Frame): void => {
    if (status !== 'connected' || destroyed) return;
    transport.send(encodeFrame(frame));
  };

  const onDocUpdate = (update: Uint8Array, updateOrigin: unknown): void => {
    // While closed nothing is sent: the next handshake carries these edits ([P4]).
    if (updateOrigin !== origin) send({ type: 'sync-update', update });
  };
  const onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    changeOrigin: unknown,
  ): void => {
    // Only our own state travels: the server refuses states of other clients ([P12]).
    if (changeOrigin !== 'local' || !awareness) return;
    const own = [...added, ...updated, ...removed].filter((id) => id === doc.clientID);
    if (own.length > 0) send({ type: 'awareness', update: encodeAwarenessUpdate(awareness, own) });
  };

  const handleOpen = (): void => {
    if (destroyed) return;
    access = null;
    setSynced(false);
    setStatus('connected');
    send({ type: 'sync-step1', stateVector: Y.encodeStateVector(doc) });
    const local = awareness?.getLocalState();
    // Re-set rather than re-send: the bumped clock beats the removal others saw when we dropped,
    // and a never-changed state at clock 0 is ignored by y-protocols receivers.
    if (awareness && local) awareness.setLocalState(local);
  };
  const handleClose = (): void => {
    if (destroyed) return;
    setSynced(false);
    setStatus('disconnected');
    if (awareness) {
      // Others' presence is only known while connected; the server re-sends it on the next open.
      const others = [...awareness.meta.keys()].filter((id) => id !== doc.clientID);
      removeAwarenessStates(awareness, others, origin);
      // Forget their clocks too: on reopen the server re-sends the same clocks, which would look stale.
      for (const id of others) awareness.meta.delete(id);
    }
  };
  const handleMessage = (bytes: Uint8Array): void => {
    if (destroyed || status !== 'connected') return;
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (err) {
      emit('error', { code: 'malformed_message', message: err instanceof Error ? err.message : 'malformed frame from server' });
      return;
    }
    try {
      switch (frame.type) {
        case 'sync-step1':
          send({ type: 'sync-step2', update: Y.encodeStateAsUpdate(doc, frame.stateVector) });
          break;
        case 'sync-step2':
          Y.applyUpdate(doc, frame.update, origin);
          setSynced(true);
          break;
        case 'sync-update':
          Y.applyUpdate(doc, frame.update, origin);
          break;
        case 'awareness':
          if (awareness) applyAwarenessUpdate(awareness, frame.update, origin);
          break;
        case 'error':
          emit('error', { code: frame.code, message: frame.message });
          break;
        case 'access':
          if (access !== frame.access) {
            access = frame.access;
            emit('access', frame.access);
          }
          break;
      }
    } catch (err) {
      emit('error', { code: 'apply_failed', message: err instanceof Error ? err.message : String(err) });
    }
  };

  doc.on('update', onDocUpdate);
  awareness?.on('update', onAwarenessUpdate);
  const unsubscribe = [transport.onMessage(handleMessage), transport.onOpen(handleOpen), transport.onClose(handleClose)];
  if (transport.isOpen?.()) handleOpen();

  return {
    doc,
    awareness,
    get status() {
      return status;
    },
    get synced() {
      return synced;
    },
    get access() {
      return access;
    },
    whenSynced() {
      if (synced) return Promise.resolve();
      return new Promise<void>((resolve) => syncWaiters.push(resolve));
    },
    on(event, listener) {
      listeners[event].add(listener);
      return () => {
        listeners[event].delete(listener);
      };
    },
    destroy() {
      if (destroyed) return;
      if (awareness && status === 'connected') {
        // Tell others at once rather than when the server notices the disconnect.
        removeAwarenessStates(awareness, [doc.clientID], 'local');
      }
      destroyed = true;
      setStatus('disconnected');
      doc.off('update', onDocUpdate);
      awareness?.off('update', onAwarenessUpdate);
      for (const off of unsubscribe) off();
    },
  };
}
