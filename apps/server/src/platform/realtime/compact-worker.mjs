// Worker thread for document compaction ([P19]): folds a snapshot and an update log into one update
// by loading them into a fresh Y.Doc, off the event loop that serves sockets. Plain JavaScript so it
// runs the same under tsx, vitest and node.
import { parentPort } from 'node:worker_threads';
import * as Y from 'yjs';

parentPort.on('message', ({ id, snapshot, updates }) => {
  const doc = new Y.Doc();
  try {
    doc.transact(() => {
      if (snapshot) Y.applyUpdate(doc, snapshot);
      for (const u of updates) {
        try {
          Y.applyUpdate(doc, u);
        } catch {
          // Entries were checked on the way in; one unreadable entry must not block compaction forever.
        }
      }
    });
    const result = Y.encodeStateAsUpdate(doc);
    parentPort.postMessage({ id, result }, [result.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String(e?.message ?? e) });
  } finally {
    doc.destroy();
  }
});
