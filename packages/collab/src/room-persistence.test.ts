import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { compactInProcess, createMemoryPersistence, type Compactor, type DocPersistence } from './persistence.ts';
import { createSyncRoom, type SyncRoom } from './room.ts';
import { createManualClock, type ManualClock } from './testing/manual-clock.ts';
import { createTestNetwork, type TestNetwork, type TestNetworkOptions } from './testing/test-network.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
const network = async (options: TestNetworkOptions = {}): Promise<TestNetwork> => {
  const net = createTestNetwork(options);
  cleanups.push(() => net.destroy());
  await net.room.whenLoaded;
  return net;
};
const room = async (persistence: DocPersistence, clock: ManualClock = createManualClock()): Promise<SyncRoom> => {
  const r = createSyncRoom({ name: 'test:doc', persistence, clock });
  cleanups.push(() => r.destroy());
  await r.whenLoaded;
  return r;
};
const text = (doc: Y.Doc): string => doc.getText('t').toString();

/** Memory persistence that records calls and can be told to fail. */
function spyPersistence() {
  const inner = createMemoryPersistence();
  const calls = { append: [] as number[], compact: [] as number[], load: 0, readSince: [] as number[] };
  let failAppends = 0;
  const persistence: DocPersistence = {
    load: (name) => {
      calls.load++;
      return inner.load(name);
    },
    append: async (name, updates) => {
      if (failAppends > 0) {
        failAppends--;
        throw new Error('database unavailable');
      }
      calls.append.push(updates.length);
      return inner.append(name, updates);
    },
    compact: (name, upToSeq, snapshot) => {
      calls.compact.push(upToSeq);
      return inner.compact(name, upToSeq, snapshot);
    },
    readSince: (name, seq) => {
      calls.readSince.push(seq);
      return inner.readSince!(name, seq);
    },
  };
  return { persistence, inner, calls, failNextAppends: (n: number) => (failAppends = n) };
}

describe('update log', () => {
  it('[P18] writes the updates of one window as one append, merged', async () => {
    const spy = spyPersistence();
    const net = await network({ persistence: spy.persistence });
    const a = net.addClient();
    const b = net.addClient();
    for (let i = 0; i < 20; i++) {
      (i % 2 ? a : b).doc.getText('t').insert(0, String(i % 10));
      net.advance(2);
    }
    expect(spy.calls.append).toEqual([]);
    net.advance(60);
    await net.room.flush();
    expect(spy.calls.append).toEqual([1]);
    expect(net.room.lastSeq).toBe(1);
    const fresh = await room(spy.persistence);
    expect(text(fresh.doc)).toBe(text(net.room.doc));
  });

  it('[P18] keeps entries through failed appends and retries with backoff; flush waits for them', async () => {
    const spy = spyPersistence();
    const errors: string[] = [];
    const net = await network({ persistence: spy.persistence, onError: (_e, ctx) => errors.push(ctx.phase) });
    const a = net.addClient();
    spy.failNextAppends(2);
    a.doc.getText('t').insert(0, 'precious');
    net.advance(50); // first attempt fails
    await Promise.resolve();
    await Promise.resolve();
    net.advance(100); // second attempt (backed off) fails
    await new Promise((r) => setTimeout(r, 0));
    expect(errors.filter((p) => p === 'persist').length).toBe(2);
    a.doc.getText('t').insert(8, '!');
    net.flush();
    await net.room.flush();
    const { updates } = await spy.inner.load('test:doc');
    const check = new Y.Doc();
    for (const u of updates) Y.applyUpdate(check, u);
    expect(text(check)).toBe('precious!');
  });

  it('[P18] flush rejects while the database is down, so shutdown knows edits were not saved', async () => {
    const spy = spyPersistence();
    const net = await network({ persistence: spy.persistence, onError: () => undefined });
    net.addClient().doc.getText('t').insert(0, 'x');
    net.flush();
    spy.failNextAppends(1);
    await expect(net.room.flush()).rejects.toThrow('database unavailable');
    await net.room.flush();
    expect((await spy.inner.load('test:doc')).lastSeq).toBe(1);
  });

  it('[P19] compacts the log into a snapshot by loading it into a document', async () => {
    const spy = spyPersistence();
    const seen: Array<{ snapshot: boolean; updates: number }> = [];
    const compactor: Compactor = (snapshot, updates) => {
      seen.push({ snapshot: snapshot !== null, updates: updates.length });
      return compactInProcess(snapshot, updates);
    };
    const clock = createManualClock();
    const r = createSyncRoom({ name: 'test:doc', persistence: spy.persistence, clock, compactor, limits: { compactAfterUpdates: 5 } });
    cleanups.push(() => r.destroy());
    const net = await network({ room: r, clock, persistence: spy.persistence });
    const a = net.addClient();
    for (let i = 0; i < 12; i++) {
      a.doc.getText('t').insert(0, String(i % 10));
      net.advance(60);
      await r.flush();
    }
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]).toEqual({ snapshot: false, updates: 5 });
    expect(seen[1]?.snapshot).toBe(true);
    const stored = spy.inner.docs.get('test:doc')!;
    expect(stored.snapshot).not.toBeNull();
    expect(stored.log.length).toBeLessThan(5);
    const fresh = await room(spy.persistence);
    expect(text(fresh.doc)).toBe(text(r.doc));
    expect(fresh.lastSeq).toBe(12);
  });

  it('[P19] a failing compactor leaves the log intact', async () => {
    const persistence = createMemoryPersistence();
    const clock = createManualClock();
    const errors: string[] = [];
    const r = createSyncRoom({
      name: 'test:doc',
      persistence,
      clock,
      compactor: () => Promise.reject(new Error('worker died')),
      limits: { compactAfterUpdates: 2 },
      onError: (_e, ctx) => errors.push(ctx.phase),
    });
    cleanups.push(() => r.destroy());
    for (let i = 0; i < 3; i++) {
      await r.transact((doc) => doc.getText('t').insert(0, 'x'));
      clock.advance(60);
      await r.flush();
    }
    expect(errors).toContain('compact');
    const fresh = await room(persistence);
    expect(text(fresh.doc)).toBe('xxx');
  });
});

describe('several nodes', () => {
  it('[P21] applyRemote brings in what another node persisted, broadcasts it, and does not log it again', async () => {
    const spy = spyPersistence();
    const nodeA = await network({ persistence: spy.persistence });
    const nodeB = await network({ persistence: spy.persistence });
    const onA = nodeA.addClient();
    const onB = nodeB.addClient();
    onA.doc.getText('t').insert(0, 'from A');
    await nodeA.settle();
    const appendsBefore = spy.calls.append.length;
    const { updates, lastSeq } = await spy.persistence.readSince!('test:doc', nodeB.room.lastSeq);
    await nodeB.room.applyRemote(updates, lastSeq);
    nodeB.flush();
    expect(text(onB.doc)).toBe('from A');
    await nodeB.settle();
    expect(spy.calls.append.length).toBe(appendsBefore);
    expect(nodeB.room.lastSeq).toBe(lastSeq);
    // Replaying an old batch is a no-op.
    await nodeB.room.applyRemote(updates, lastSeq);
    expect(text(nodeB.room.doc)).toBe('from A');
  });

  it('[P21] entries carried by a notification apply at once when they follow, and a gap before them is read from the log', async () => {
    const spy = spyPersistence();
    const nodeA = await network({ persistence: spy.persistence });
    const nodeB = await network({ persistence: spy.persistence });
    const onA = nodeA.addClient();
    const onB = nodeB.addClient();
    onA.doc.getText('t').insert(0, 'one ');
    await nodeA.settle();
    const first = await spy.persistence.readSince!('test:doc', 0);
    onA.doc.getText('t').insert(4, 'two');
    await nodeA.settle();
    const second = await spy.persistence.readSince!('test:doc', first.lastSeq);
    // The second notice arrives first: its entries do not follow what B has, so B reads the log.
    const readsBefore = spy.calls.readSince.length;
    await nodeB.room.applyRemote(second.updates, second.lastSeq, first.lastSeq);
    expect(text(nodeB.room.doc)).toBe('one two');
    expect(spy.calls.readSince.length).toBeGreaterThan(readsBefore);
    // A notice that follows applies without a read.
    onA.doc.getText('t').insert(7, '!');
    await nodeA.settle();
    const third = await spy.persistence.readSince!('test:doc', second.lastSeq);
    const reads = spy.calls.readSince.length;
    await nodeB.room.applyRemote(third.updates, third.lastSeq, second.lastSeq);
    expect(spy.calls.readSince.length).toBe(reads); // applied without reading the log
    nodeB.flush();
    expect(text(onB.doc)).toBe('one two!');
    expect(nodeB.room.lastSeq).toBe(third.lastSeq);
  });

  it('[P21] a node that finds a gap after its own append catches up by itself', async () => {
    const persistence = createMemoryPersistence();
    const nodeA = await network({ persistence });
    const nodeB = await network({ persistence });
    const onA = nodeA.addClient();
    const onB = nodeB.addClient();
    onA.doc.getText('t').insert(0, 'A');
    await nodeA.settle();
    onB.doc.getText('t').insert(0, 'B');
    await nodeB.settle(); // B's append returns seq 2 where B knew 0: it reads seq 1 back
    expect(text(nodeB.room.doc)).toContain('A');
    expect(text(onB.doc)).toBe(text(nodeB.room.doc));
    await nodeA.room.catchUp(); // what the poll / NOTIFY does on A
    nodeA.flush();
    expect(text(onA.doc)).toBe(text(onB.doc));
  });

  it('[P21] a catch-up asked for while one is reading reads again once it ends', async () => {
    const persistence = createMemoryPersistence();
    // B's reads wait for a gate, so that A's second write lands while B's first read is in flight.
    let gate: (() => void) | null = null;
    const readSince = persistence.readSince!.bind(persistence);
    const gated = {
      ...persistence,
      readSince: async (name: string, seq: number) => {
        const r = await readSince(name, seq);
        if (gate === null) await new Promise<void>((open) => (gate = open));
        return r;
      },
    };
    const nodeA = await network({ persistence });
    const nodeB = await network({ persistence: gated });
    const onA = nodeA.addClient();
    const onB = nodeB.addClient();
    onA.doc.getText('t').insert(0, 'one ');
    await nodeA.settle();
    const first = nodeB.room.catchUp(); // reads seq 1, then waits at the gate
    await Promise.resolve();
    onA.doc.getText('t').insert(4, 'two');
    await nodeA.settle();
    const second = nodeB.room.catchUp(); // the notification of seq 2 arrives during the read
    gate!();
    await Promise.all([first, second]);
    nodeB.flush();
    expect(nodeB.room.lastSeq).toBe(nodeA.room.lastSeq);
    expect(text(onB.doc)).toBe('one two');
  });

  it('[P21] a client moving to a node with stale state loses nothing (Hocuspocus #971, #1119)', async () => {
    const persistence = createMemoryPersistence();
    const nodeA = await network({ persistence });
    const nodeB = await network({ persistence }); // loaded before A's edits: stale from here on
    const writer = nodeA.addClient();
    writer.doc.getText('t').insert(0, 'written on A');
    nodeA.flush();
    // A dies before its write window closes: the edit exists only at the client.
    const moved = nodeB.addClient({ doc: writer.doc, connect: false });
    writer.disconnect();
    const observer = nodeB.addClient();
    moved.reconnect();
    nodeB.flush();
    expect(text(nodeB.room.doc)).toBe('written on A');
    expect(text(observer.doc)).toBe('written on A');
    await nodeB.settle();
    const fresh = await room(persistence);
    expect(text(fresh.doc)).toBe('written on A');
  });
});
