/**
 * The behaviour every DocPersistence must have, as a vitest suite. The memory implementation runs
 * it here; the db package runs it against PGlite and PostgreSQL:
 *   persistenceContract('pglite', async () => ({ persistence, cleanup }))
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocPersistence } from '../persistence.ts';

export interface PersistenceFixture {
  persistence: DocPersistence;
  cleanup?: () => Promise<void> | void;
}

const textUpdate = (doc: Y.Doc, text: string): Uint8Array => {
  let captured: Uint8Array | null = null;
  const capture = (u: Uint8Array): void => {
    captured = u;
  };
  doc.on('update', capture);
  doc.getText('t').insert(doc.getText('t').length, text);
  doc.off('update', capture);
  if (!captured) throw new Error('no update');
  return captured;
};

const replay = (snapshot: Uint8Array | null, updates: Uint8Array[]): string => {
  const doc = new Y.Doc();
  if (snapshot) Y.applyUpdate(doc, snapshot);
  for (const u of updates) Y.applyUpdate(doc, u);
  return doc.getText('t').toString();
};

export function persistenceContract(label: string, factory: () => Promise<PersistenceFixture> | PersistenceFixture): void {
  // Document names are unique per run, so the suite also holds against a database that is not empty.
  const run = Math.random().toString(36).slice(2, 8);
  const name = (n: string): string => `contract-${run}:${n}`;
  describe(`DocPersistence contract: ${label}`, () => {
    let fixture: PersistenceFixture | null = null;
    const setup = async (): Promise<DocPersistence> => {
      fixture = await factory();
      return fixture.persistence;
    };
    afterEach(async () => {
      await fixture?.cleanup?.();
      fixture = null;
    });

    it('[P20] loads a never-written document as empty at seq 0', async () => {
      const p = await setup();
      expect(await p.load(name('doc:never'))).toEqual({ snapshot: null, updates: [], lastSeq: 0 });
    });

    it('[P18] gives one consecutive seq per update and returns the last', async () => {
      const p = await setup();
      const doc = new Y.Doc();
      expect(await p.append(name('doc:a'), [textUpdate(doc, 'a')])).toBe(1);
      expect(await p.append(name('doc:a'), [textUpdate(doc, 'b'), textUpdate(doc, 'c')])).toBe(3);
      const loaded = await p.load(name('doc:a'));
      expect(loaded.lastSeq).toBe(3);
      expect(loaded.updates).toHaveLength(3);
      expect(replay(loaded.snapshot, loaded.updates)).toBe('abc');
    });

    it('[P18] returns the exact bytes, even when given views into larger buffers', async () => {
      const p = await setup();
      const update = textUpdate(new Y.Doc(), 'hello');
      const big = new Uint8Array(update.byteLength + 20);
      big.set(update, 10);
      await p.append(name('doc:view'), [big.subarray(10, 10 + update.byteLength)]);
      const { updates } = await p.load(name('doc:view'));
      expect(updates).toHaveLength(1);
      expect(Array.from(updates[0]!)).toEqual(Array.from(update));
    });

    it('[P18] keeps documents apart', async () => {
      const p = await setup();
      await p.append(name('doc:x'), [textUpdate(new Y.Doc(), 'x')]);
      await p.append(name('doc:y'), [textUpdate(new Y.Doc(), 'y'), textUpdate(new Y.Doc(), 'z')]);
      const x = await p.load(name('doc:x'));
      const y = await p.load(name('doc:y'));
      expect(x.lastSeq).toBe(1);
      expect(y.lastSeq).toBe(2);
      expect(replay(x.snapshot, x.updates)).toBe('x');
    });

    it('[P18] serializes concurrent appends to one document without losing any', async () => {
      const p = await setup();
      const docs = Array.from({ length: 8 }, () => new Y.Doc());
      const results = await Promise.all(docs.map((d, i) => p.append(name('doc:race'), [textUpdate(d, String(i))])));
      expect(new Set(results).size).toBe(8);
      expect(results.slice().sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const loaded = await p.load(name('doc:race'));
      expect(loaded.updates).toHaveLength(8);
      expect(replay(loaded.snapshot, loaded.updates).split('').sort().join('')).toBe('01234567');
    });

    it('[P19] compaction replaces entries up to the seq and keeps later ones', async () => {
      const p = await setup();
      const doc = new Y.Doc();
      await p.append(name('doc:c'), [textUpdate(doc, 'a'), textUpdate(doc, 'b')]);
      const before = await p.load(name('doc:c'));
      const snapshot = Y.encodeStateAsUpdate(doc);
      await p.append(name('doc:c'), [textUpdate(doc, 'c')]);
      await p.compact(name('doc:c'), before.lastSeq, snapshot);
      const after = await p.load(name('doc:c'));
      expect(after.lastSeq).toBe(3);
      expect(after.snapshot).not.toBeNull();
      expect(after.updates).toHaveLength(1);
      expect(replay(after.snapshot, after.updates)).toBe('abc');
      expect(await p.append(name('doc:c'), [textUpdate(doc, 'd')])).toBe(4);
    });

    it('[P19] ignores a compaction older than the current snapshot', async () => {
      const p = await setup();
      const doc = new Y.Doc();
      await p.append(name('doc:old'), [textUpdate(doc, 'a')]);
      const at1 = Y.encodeStateAsUpdate(doc);
      await p.append(name('doc:old'), [textUpdate(doc, 'b')]);
      await p.compact(name('doc:old'), 2, Y.encodeStateAsUpdate(doc));
      await p.compact(name('doc:old'), 1, at1);
      const loaded = await p.load(name('doc:old'));
      expect(loaded.lastSeq).toBe(2);
      expect(replay(loaded.snapshot, loaded.updates)).toBe('ab');
    });

    it('[P21] readSince returns what a node that has seen `seq` is missing', async (ctx) => {
      const p = await setup();
      if (!p.readSince) {
        ctx.skip('readSince is optional and not implemented here');
        return;
      }
      const doc = new Y.Doc();
      await p.append(name('doc:since'), [textUpdate(doc, 'a'), textUpdate(doc, 'b')]);
      const node = new Y.Doc();
      const first = await p.readSince(name('doc:since'), 0);
      expect(first.lastSeq).toBe(2);
      for (const u of first.updates) Y.applyUpdate(node, u);
      await p.append(name('doc:since'), [textUpdate(doc, 'c')]);
      const second = await p.readSince(name('doc:since'), 2);
      expect(second.lastSeq).toBe(3);
      expect(second.updates).toHaveLength(1);
      for (const u of second.updates) Y.applyUpdate(node, u);
      expect(node.getText('t').toString()).toBe('abc');
      // Behind a compaction, what comes back must still bring the reader up to date.
      await p.compact(name('doc:since'), 3, Y.encodeStateAsUpdate(doc));
      await p.append(name('doc:since'), [textUpdate(doc, 'd')]);
      const stale = new Y.Doc();
      Y.applyUpdate(stale, first.updates[0]!);
      const third = await p.readSince(name('doc:since'), 1);
      expect(third.lastSeq).toBe(4);
      for (const u of third.updates) Y.applyUpdate(stale, u);
      expect(stale.getText('t').toString()).toBe('abcd');
      expect(await p.readSince(name('doc:since'), 4)).toEqual({ updates: [], lastSeq: 4 });
    });
  });
}
