import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMemoryPersistence } from './persistence.ts';
import { createSyncRoom } from './room.ts';
import { contentOf } from './testing/frames.ts';
import { createManualClock } from './testing/manual-clock.ts';
import { createRng, pick, randomInt, type Rng } from './testing/rng.ts';
import { createTestNetwork, type TestClient, type TestNetwork } from './testing/test-network.ts';

/** One user's editor: one document, one test client per node it may connect to. */
interface Actor {
  doc: Y.Doc;
  handles: TestClient[];
  reader: boolean;
  /** Keys this actor set exactly once and nobody deletes: all must survive. */
  uniqueKeys: string[];
}

const ALPHABET = 'abcdefghij';

function edit(rng: Rng, actor: Actor, serial: number): void {
  const doc = actor.doc;
  const text = doc.getText('t');
  const map = doc.getMap<unknown>('m');
  const array = doc.getArray<unknown>('a');
  const r = rng();
  if (r < 0.35) {
    const s = Array.from({ length: 1 + randomInt(rng, 3) }, () => pick(rng, [...ALPHABET])).join('');
    text.insert(randomInt(rng, text.length + 1), s);
  } else if (r < 0.5 && text.length > 0) {
    const at = randomInt(rng, text.length);
    text.delete(at, 1 + randomInt(rng, Math.min(3, text.length - at)));
  } else if (r < 0.65) {
    map.set(`k${randomInt(rng, 5)}`, rng() < 0.5 ? randomInt(rng, 100) : pick(rng, [...ALPHABET]));
  } else if (r < 0.7) {
    map.delete(`k${randomInt(rng, 5)}`);
  } else if (r < 0.78) {
    const key = `u-${actor.doc.clientID}-${serial}`;
    map.set(key, serial);
    actor.uniqueKeys.push(key);
  } else if (r < 0.92) {
    array.insert(randomInt(rng, array.length + 1), [randomInt(rng, 1000)]);
  } else if (array.length > 0) {
    array.delete(randomInt(rng, array.length), 1);
  }
}

const stateVector = (doc: Y.Doc): Array<[number, number]> =>
  [...Y.decodeStateVector(Y.encodeStateVector(doc)).entries()].sort((a, b) => a[0] - b[0]);

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function runScenario(
  seed: number,
  { nodes, actors: actorCount, steps, windowMs = 0 }: { nodes: number; actors: number; steps: number; windowMs?: number },
) {
  const rng = createRng(seed);
  const persistence = createMemoryPersistence();
  const clock = createManualClock();
  const errors: string[] = [];
  const nets: TestNetwork[] = Array.from({ length: nodes }, () =>
    createTestNetwork({
      room: createSyncRoom({
        name: 'fuzz:doc',
        persistence,
        clock,
        limits: { compactAfterUpdates: 6, broadcastWindowMs: windowMs },
        // Refusals would mean a legitimate update was judged hostile.
        onError: (e, ctx) => errors.push(`${ctx.phase}: ${String(e)}`),
      }),
      clock,
      persistence,
    }),
  );
  for (const net of nets) await net.room.whenLoaded;
  const withPresence = nodes === 1;
  const actors: Actor[] = Array.from({ length: actorCount }, (_, i) => {
    const doc = new Y.Doc();
    const reader = i === actorCount - 1;
    const handles = nets.map((net) =>
      net.addClient({
        doc,
        access: reader ? 'read' : 'write',
        identity: { userId: `user${i}`, name: `User ${i}` },
        awareness: withPresence,
        connect: false,
      }),
    );
    pick(rng, handles).reconnect();
    handles[0]!.awareness?.setLocalStateField('n', i);
    return { doc, handles, reader, uniqueKeys: [] };
  });
  const connected = (a: Actor) => a.handles.some((h) => h.connected);

  for (let step = 0; step < steps; step++) {
    const r = rng();
    if (r < 0.4) {
      const writers = actors.filter((a) => !a.reader);
      edit(rng, pick(rng, writers), step);
    } else if (r < 0.7) {
      pick(rng, nets).deliverRandom(rng, 1 + randomInt(rng, 8));
    } else if (r < 0.76) {
      const online = actors.filter(connected);
      if (online.length > 0) for (const h of pick(rng, online).handles) h.disconnect();
    } else if (r < 0.84) {
      const offline = actors.filter((a) => !connected(a));
      if (offline.length > 0) pick(rng, pick(rng, offline).handles).reconnect();
    } else if (r < 0.91) {
      clock.advance(randomInt(rng, 80));
    } else if (r < 0.95 && withPresence) {
      const actor = pick(rng, actors);
      actor.handles[0]!.awareness?.setLocalStateField('cursor', randomInt(rng, 50));
    } else if (nodes > 1) {
      // The 1–2 s poll that repairs a lost NOTIFY.
      await pick(rng, nets).room.catchUp();
    }
    if (step % 16 === 0) await tick();
  }

  // Heal: everyone back online, deliver everything, persist, let nodes catch up with each other.
  for (const actor of actors) if (!connected(actor)) pick(rng, actor.handles).reconnect();
  for (let round = 0; round < 3; round++) {
    for (const net of nets) net.flushRandom(rng);
    for (const net of nets) await net.settle();
    for (const net of nets) await net.room.catchUp();
  }
  for (const net of nets) net.flush();

  const expected = contentOf(nets[0]!.room.doc);
  for (const net of nets) {
    expect(contentOf(net.room.doc)).toEqual(expected);
    expect(stateVector(net.room.doc)).toEqual(stateVector(nets[0]!.room.doc));
  }
  for (const [i, actor] of actors.entries()) {
    expect(contentOf(actor.doc), `actor ${i}`).toEqual(expected);
    expect(stateVector(actor.doc), `actor ${i}`).toEqual(stateVector(nets[0]!.room.doc));
    const map = nets[0]!.room.doc.getMap('m');
    for (const key of actor.uniqueKeys) expect(map.has(key), `${key} was lost`).toBe(true);
  }
  const reloaded = createSyncRoom({ name: 'fuzz:doc', persistence });
  await reloaded.whenLoaded;
  expect(contentOf(reloaded.doc)).toEqual(expected);
  await reloaded.destroy();

  if (withPresence) {
    for (const [i, actor] of actors.entries()) {
      const states = actor.handles[0]!.awareness!.getStates();
      for (const [j, other] of actors.entries()) {
        if (i === j) continue;
        expect(states.get(other.doc.clientID), `actor ${i} sees ${j}`).toMatchObject({ n: j, user: { userId: `user${j}` } });
      }
    }
  }
  expect(errors).toEqual([]);
  expect(actors.flatMap((a) => a.handles.flatMap((h) => h.errors.filter((e) => !(a.reader && e.code === 'read_only'))))).toEqual([]);
  const stored = persistence.docs.get('fuzz:doc');
  // Compaction ran along the way, concurrently with edits (and on two nodes at once).
  expect(stored?.snapshotSeq).toBeGreaterThan(0);
  for (const net of nets) await net.destroy();
}

describe('sync fuzz', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`[P4][P11][P18][P20] 6 peers on one node converge with random delivery and dropped connections (seed ${seed})`, () =>
      runScenario(seed, { nodes: 1, actors: 6, steps: 500 }));
  }
  for (const seed of [11, 12, 13]) {
    it(`[P21] 5 peers moving between 2 nodes converge, and the shared log holds it all (seed ${seed})`, () =>
      runScenario(seed, { nodes: 2, actors: 5, steps: 400 }));
  }
  // The server's 10 ms window: changes are held, merged across turns, or sent as they came ([P11]).
  for (const seed of [7, 8, 9]) {
    it(`[P11] with a broadcast window, 6 peers on one node converge (seed ${seed})`, () => runScenario(seed, { nodes: 1, actors: 6, steps: 500, windowMs: 10 }));
  }
  for (const seed of [14, 15]) {
    it(`[P11][P21] with a broadcast window, 5 peers moving between 2 nodes converge (seed ${seed})`, () =>
      runScenario(seed, { nodes: 2, actors: 5, steps: 400, windowMs: 10 }));
  }
});
