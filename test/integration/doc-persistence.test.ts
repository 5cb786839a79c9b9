/**
 * The database implementation of live-document persistence passes the same contract suite as the
 * in-memory one ([P18]–[P21]), on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { persistenceContract } from '@accord/collab/testing';
import { createDocStore, DOC_NOTIFY_CHANNEL, type DbHandle } from '@accord/db';
import { openTestHandle, testDatabaseKinds, type TestHandle } from '@accord/db/testing';
import { waitFor } from '../utils/server.ts';

const kinds = await testDatabaseKinds();

const update = (text: string) => {
  const doc = new Y.Doc();
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  doc.getText('t').insert(0, text);
  return out[0]!;
};

describe.each(kinds)('document store (%s)', (kind) => {
  let db: TestHandle;
  let handle: DbHandle;
  beforeAll(async () => {
    db = await openTestHandle(kind);
    handle = db.handle;
  });
  afterAll(() => db?.close());

  persistenceContract(kind, () => ({ persistence: createDocStore(handle.db) }));

  it('[P21] reports the last sequence number of many documents at once (the poll that repairs lost notifications)', async () => {
    const store = createDocStore(handle.db);
    const a = `rubric:${crypto.randomUUID()}`;
    const b = `rubric:${crypto.randomUUID()}`;
    await store.append(a, [update('x'), update('y')]);
    await store.append(b, [update('z')]);
    await store.compact(b, 1, update('z'));
    const seqs = await store.lastSeqs([a, b, 'rubric:never']);
    expect(Object.fromEntries(seqs)).toEqual({ [a]: 2, [b]: 1, 'rubric:never': 0 });
  });

  // PGlite is one process: nothing to notify.
  if (kind === 'postgres')
    it('[P21] sends one NOTIFY per append with the document, its new last seq, the node and the entries', async () => {
      const store = createDocStore(handle.db, { notify: true, node: 'node-1' });
      const got: string[] = [];
      const stop = await handle.listen!(DOC_NOTIFY_CHANNEL, (p) => got.push(p));
      try {
        const name = `rubric:${crypto.randomUUID()}`;
        const [a, b, c] = [update('a'), update('b'), update('c')];
        await store.append(name, [a, b]);
        await store.append(name, [c]);
        await waitFor(() => got.filter((g) => g.includes(name)).length === 2, { message: 'two notifications' });
        // Each notice carries its entries (base64) when they fit, so other nodes need not read them back.
        const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
        expect(got.filter((g) => g.includes(name)).map((g) => JSON.parse(g))).toEqual([
          { doc: name, maxSeq: 2, n: 2, node: 'node-1', u: [b64(a), b64(b)] },
          { doc: name, maxSeq: 3, n: 1, node: 'node-1', u: [b64(c)] },
        ]);
        // Entries that would not fit in one notification (PostgreSQL refuses 8,000 bytes) stay in the
        // log: the notice names the document and its last seq only. Many small ones still fit.
        const big = new Uint8Array(6_000).fill(7);
        const many = Array.from({ length: 1_000 }, (_, i) => new Uint8Array([i % 251, 1, 2]));
        await store.append(name, [big]);
        await store.append(name, many);
        await waitFor(() => got.filter((g) => g.includes(name)).length === 4, { message: 'four notifications' });
        const [bigNotice, manyNotice] = got.filter((g) => g.includes(name)).slice(2);
        expect(JSON.parse(bigNotice!)).toEqual({ doc: name, maxSeq: 4, n: 1, node: 'node-1' });
        expect(manyNotice!.length).toBeLessThan(8_000);
        const m = JSON.parse(manyNotice!) as { maxSeq: number; n: number; u?: string[] };
        expect([m.maxSeq, m.n]).toEqual([4 + 1_000, 1_000]);
        expect(m.u).toEqual(many.map(b64));
        // What the notices promised is in the log, in order.
        const back = await store.readSince(name, 0);
        expect(back.lastSeq).toBe(4 + 1_000);
        expect(back.updates.map(b64)).toEqual([a, b, c, big, ...many].map(b64));
        // A store that names no node sends `"node": null`: every node applies its notices.
        await createDocStore(handle.db, { notify: true }).append(name, [update('d')]);
        await waitFor(() => got.filter((g) => g.includes(name)).length === 5, { message: 'five notifications' });
        expect(JSON.parse(got.filter((g) => g.includes(name))[4]!)).toMatchObject({ maxSeq: 4 + 1_000 + 1, n: 1, node: null });
      } finally {
        await stop();
      }
    });
});
