import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createWorkerCompactor, type WorkerCompactor } from './compactor.ts';

const edits = (n: number) => {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  for (let i = 0; i < n; i++) doc.getText('t').insert(i, String(i % 10));
  return { doc, updates };
};

describe('worker-thread compactor [P19]', () => {
  let c: WorkerCompactor | null = null;
  afterEach(async () => {
    await c?.close();
    c = null;
  });

  it('folds a snapshot and a log into one update off the main thread, equal to the edited document', async () => {
    c = createWorkerCompactor();
    const { doc, updates } = edits(2000);
    const snapshot = Y.mergeUpdates(updates.slice(0, 10));
    const folded = await c.compact(snapshot, updates.slice(10));
    expect(c.inWorker).toBe(true);
    const out = new Y.Doc();
    Y.applyUpdate(out, folded);
    expect(out.getText('t').toString()).toBe(doc.getText('t').toString());
    // Concurrent requests are answered each with its own result.
    const [a, b] = await Promise.all([c.compact(null, updates.slice(0, 5)), c.compact(null, updates.slice(0, 7))]);
    const da = new Y.Doc();
    const db = new Y.Doc();
    Y.applyUpdate(da, a);
    Y.applyUpdate(db, b);
    expect([da.getText('t').length, db.getText('t').length]).toEqual([5, 7]);
  });

  it('skips an unreadable log entry instead of failing the whole fold', async () => {
    c = createWorkerCompactor();
    const { updates } = edits(3);
    const folded = await c.compact(null, [updates[0]!, new Uint8Array([1, 2, 3]), updates[1]!, updates[2]!]);
    const out = new Y.Doc();
    Y.applyUpdate(out, folded);
    expect(out.getText('t').toString()).toBe('012');
  });
});
