/**
 * Where a room keeps its document: an append-only update log plus an occasional snapshot
 * ([P18]–[P21]). The database package implements the same interface and runs the same contract
 * suite (`@accord/collab/testing`).
 */
import * as Y from 'yjs';

export interface LoadedDoc {
  /** State up to and including the snapshot's sequence number, or null before the first compaction. */
  snapshot: Uint8Array | null;
  /** Log entries after the snapshot, in sequence order. */
  updates: Uint8Array[];
  /** Highest sequence number the snapshot or the log covers; 0 for a document never written. */
  lastSeq: number;
}

export interface DocPersistence {
  load(name: string): Promise<LoadedDoc>;
  /**
   * Appends one log entry per update. Sequence numbers of a document are consecutive integers from 1,
   * so the entries of one call get `result - updates.length + 1 … result`; a gap tells the caller
   * another writer (another node) appended in between.
   */
  append(name: string, updates: Uint8Array[]): Promise<number>;
  /**
   * Replaces the snapshot and every entry with seq ≤ upToSeq by `snapshot`. Ignored when a snapshot
   * at or beyond upToSeq exists already, so concurrent compactions are harmless.
   */
  compact(name: string, upToSeq: number, snapshot: Uint8Array): Promise<void>;
  /** Entries with seq > `seq`, for catching up with writes of other nodes. */
  readSince?(name: string, seq: number): Promise<{ updates: Uint8Array[]; lastSeq: number }>;
}

/**
 * Folds a snapshot and a log into one update. A hook so the server can move it to a worker thread;
 * it must not use `Y.mergeUpdates` on a long log (super-linear).
 */
export type Compactor = (snapshot: Uint8Array | null, updates: Uint8Array[]) => Promise<Uint8Array>;

export const compactInProcess: Compactor = async (snapshot, updates) => {
  const doc = new Y.Doc();
  try {
    doc.transact(() => {
      if (snapshot) Y.applyUpdate(doc, snapshot);
      for (const update of updates) {
        // Entries were checked on the way in; one unreadable entry must not block compaction forever.
        try {
          Y.applyUpdate(doc, update);
        } catch {
          /* skipped: the entry could not have been applied at load time either */
        }
      }
    });
    return Y.encodeStateAsUpdate(doc);
  } finally {
    doc.destroy();
  }
};

interface MemoryDoc {
  snapshot: Uint8Array | null;
  snapshotSeq: number;
  log: Array<{ seq: number; update: Uint8Array }>;
  lastSeq: number;
}

/** In-memory persistence for tests and single-process demos; copies bytes in and out like a database would. */
export function createMemoryPersistence(): DocPersistence & { readonly docs: ReadonlyMap<string, Readonly<MemoryDoc>> } {
  const docs = new Map<string, MemoryDoc>();
  const get = (name: string): MemoryDoc => {
    let doc = docs.get(name);
    if (!doc) {
      doc = { snapshot: null, snapshotSeq: 0, log: [], lastSeq: 0 };
      docs.set(name, doc);
    }
    return doc;
  };
  // Resolve on a later microtask so callers cannot accidentally rely on synchronous persistence.
  const later = async <T>(fn: () => T): Promise<T> => {
    await Promise.resolve();
    return fn();
  };
  return {
    docs,
    load: (name) =>
      later(() => {
        const doc = docs.get(name);
        if (!doc) return { snapshot: null, updates: [], lastSeq: 0 };
        return {
          snapshot: doc.snapshot ? doc.snapshot.slice() : null,
          updates: doc.log.map((e) => e.update.slice()),
          lastSeq: doc.lastSeq,
        };
      }),
    append: (name, updates) =>
      later(() => {
        const doc = get(name);
        for (const update of updates) doc.log.push({ seq: ++doc.lastSeq, update: update.slice() });
        return doc.lastSeq;
      }),
    compact: (name, upToSeq, snapshot) =>
      later(() => {
        const doc = get(name);
        if (upToSeq <= doc.snapshotSeq || upToSeq > doc.lastSeq) return;
        doc.snapshot = snapshot.slice();
        doc.snapshotSeq = upToSeq;
        doc.log = doc.log.filter((e) => e.seq > upToSeq);
      }),
    readSince: (name, seq) =>
      later(() => {
        const doc = docs.get(name);
        if (!doc) return { updates: [], lastSeq: 0 };
        if (seq < doc.snapshotSeq && doc.snapshot) {
          // The asked-for entries were compacted away: the snapshot stands in for them.
          return { updates: [doc.snapshot.slice(), ...doc.log.map((e) => e.update.slice())], lastSeq: doc.lastSeq };
        }
        return { updates: doc.log.filter((e) => e.seq > seq).map((e) => e.update.slice()), lastSeq: doc.lastSeq };
      }),
  };
}
