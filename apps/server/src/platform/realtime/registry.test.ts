/**
 * The registry's side of several nodes [P21]: append notices from other nodes reach the room; a
 * node's own notices (the persistence names the node in each) do not, since its room holds those
 * entries already. The notices here are what `accord_doc_append` sends (migration 0049).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMemoryPersistence } from '@accord/collab';
import { createLogger } from '../logger.ts';
import { createDocRegistry } from './registry.ts';

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
/** An update inserting `text` into the text `t` of a fresh document. */
const edit = (text: string): Uint8Array => {
  const doc = new Y.Doc();
  let out: Uint8Array | null = null;
  doc.on('update', (u: Uint8Array) => (out = u));
  doc.getText('t').insert(0, text);
  return out!;
};
const notice = (fields: { maxSeq: number; n: number; node: string | null; u: Uint8Array[] }) =>
  JSON.stringify({ doc: 'rubric:x', maxSeq: fields.maxSeq, n: fields.n, node: fields.node, u: fields.u.map(b64) });

describe('document registry: append notices of several nodes [P21]', () => {
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await close?.();
    close = null;
  });

  async function node(nodeId: string) {
    let deliver: ((payload: string) => void) | null = null;
    const registry = createDocRegistry({
      nodeId,
      persistence: createMemoryPersistence(),
      logger: createLogger('silent'),
      listen: async (fn) => {
        deliver = fn;
        return async () => undefined;
      },
    });
    await registry.start();
    close = () => registry.close();
    const room = registry.acquire('rubric:x');
    await room.whenLoaded;
    // applyRemote waits for the load (a resolved promise) before it applies.
    const settle = () => new Promise((r) => setTimeout(r, 0));
    return { room, deliver: (p: string) => deliver!(p), settle };
  }

  it("skips the node's own notice and applies the next one, from another node, at the same sequence numbers", async () => {
    const { room, deliver, settle } = await node('node-a');
    // Had the room applied its own notice (entries it would already hold), it would also have taken
    // seq 1 as known and then dropped node b's notice for seq 1.
    deliver(notice({ maxSeq: 1, n: 1, node: 'node-a', u: [edit('own')] }));
    await settle();
    expect(room.doc.getText('t').toString()).toBe('');
    expect(room.lastSeq).toBe(0);
    deliver(notice({ maxSeq: 1, n: 1, node: 'node-b', u: [edit('theirs')] }));
    await settle();
    expect(room.doc.getText('t').toString()).toBe('theirs');
    expect(room.lastSeq).toBe(1);
  });

  it('applies a notice that names no node (a node of the previous version, during a rolling upgrade)', async () => {
    const { room, deliver, settle } = await node('node-a');
    deliver(notice({ maxSeq: 1, n: 1, node: null, u: [edit('older')] }));
    await settle();
    expect(room.doc.getText('t').toString()).toBe('older');
    deliver(JSON.stringify({ doc: 'rubric:x', maxSeq: 2, n: 1, u: [b64(edit('no field'))] }));
    await settle();
    expect(room.lastSeq).toBe(2);
    expect(room.doc.getText('t').toString()).toContain('no field');
  });
});
