/**
 * In-process domain events, so the realtime layer can act on what services did (a member removed,
 * a user deactivated) without services knowing about sockets.
 */
import { EventEmitter } from 'node:events';

export interface EventMap {
  'user:sessions-ended': { userId: string };
  'user:deactivated': { userId: string };
  'member:removed': { projectId: string; userId: string };
  'member:role-changed': { projectId: string; userId: string; role: string };
  'project:archived': { projectId: string; archived: boolean };
}

export interface Events {
  emit<K extends keyof EventMap>(name: K, payload: EventMap[K]): void;
  on<K extends keyof EventMap>(name: K, fn: (payload: EventMap[K]) => void): () => void;
}

export function createEvents(): Events {
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
