/**
 * A `Compactor` that runs in one long-lived worker thread, so folding a long log into a snapshot
 * never stalls the event loop that serves sockets (docs/realtime.md: 78–285 ms on the main thread).
 * Falls back to folding in-process if the worker cannot start or dies.
 */
import { Worker } from 'node:worker_threads';
import { compactInProcess, type Compactor } from '@accord/collab';

export interface WorkerCompactor {
  compact: Compactor;
  /** Whether folds run in the worker (false before the first fold, or after falling back). */
  readonly inWorker: boolean;
  close(): Promise<void>;
}

export function createWorkerCompactor(onError: (e: unknown) => void = () => {}): WorkerCompactor {
  let worker: Worker | null = null;
  let broken = false;
  let nextId = 1;
  const pending = new Map<number, { resolve: (u: Uint8Array) => void; reject: (e: Error) => void }>();

  const start = (): Worker | null => {
    if (worker || broken) return worker;
    try {
      const w = new Worker(new URL('./compact-worker.mjs', import.meta.url));
      w.unref();
      w.on('message', (m: { id: number; result?: Uint8Array; error?: string }) => {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (!p) return;
        if (m.result) p.resolve(new Uint8Array(m.result.buffer, m.result.byteOffset, m.result.byteLength));
        else p.reject(new Error(m.error ?? 'compaction failed'));
      });
      const fail = (e: unknown) => {
        onError(e);
        worker = null;
        broken = true;
        for (const p of pending.values()) p.reject(new Error('compaction worker stopped'));
        pending.clear();
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        if (worker === w && code !== 0) fail(new Error(`compaction worker exited with ${code}`));
        else if (worker === w) worker = null;
      });
      worker = w;
    } catch (e) {
      onError(e);
      broken = true;
    }
    return worker;
  };

  return {
    compact(snapshot, updates) {
      const w = start();
      if (!w) return compactInProcess(snapshot, updates);
      const id = nextId++;
      return new Promise<Uint8Array>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        w.postMessage({ id, snapshot, updates });
      });
    },
    get inWorker() {
      return worker !== null;
    },
    async close() {
      const w = worker;
      worker = null;
      broken = true;
      if (w) await w.terminate();
    },
  };
}
