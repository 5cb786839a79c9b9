/**
 * The control bus: domain events that change who may do what (a member removed, a user
 * deactivated, a project archived), so the realtime layer can act on what services did without
 * services knowing about sockets. In-process today; the `Bus` interface is what a cross-node
 * implementation (PostgreSQL NOTIFY) will provide too.
 */
import { EventEmitter } from 'node:events';

export interface BusEvents {
  'user:sessions-ended': { userId: string };
  'user:deactivated': { userId: string };
  'member:removed': { projectId: string; userId: string };
  'member:role-changed': { projectId: string; userId: string; role: string };
  'project:archived': { projectId: string; archived: boolean };
}

export interface Bus {
  emit<K extends keyof BusEvents>(name: K, payload: BusEvents[K]): void;
  on<K extends keyof BusEvents>(name: K, fn: (payload: BusEvents[K]) => void): () => void;
}

/** One process: listeners run synchronously in this process only. */
export function createLocalBus(): Bus {
  const ee = new EventEmitter();
  ee.setMaxListeners(100);
  return {
    emit(name, payload) {
      ee.emit(name, payload);
    },
    on(name, fn) {
      ee.on(name, fn as (p: unknown) => void);
      return () => ee.off(name, fn as (p: unknown) => void);
    },
  };
}
