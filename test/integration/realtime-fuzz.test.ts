/**
 * Seeded fuzz against the real server and database: 6 editors (leads and reviewers, each on its own
 * socket) make random rubric edits while their connections drop and come back at random; at the end
 * every client, the server's copy and what the database reloads are identical ([P4], [P18], [P20]).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDimension, getDimensionText, moveDimension, readRubricDraft, removeDimension, setField, setJustification } from '@accord/collab';
import { createRng, pick, randomInt } from '@accord/collab/testing';
import { createDocStore } from '@accord/db';
import { connected, openDoc, openSocket, type LiveDoc } from '../utils/collab.ts';
import { testRunEnv } from '../utils/env.ts';
import { createTestServer, waitFor, type TestServer } from '../utils/server.ts';
import type { Socket } from 'socket.io-client';

const SEED = testRunEnv.fuzzSeed;

describe('live documents: seeded fuzz against the real server (pglite)', () => {
  let t: TestServer;
  const cleanup: Array<() => void> = [];
  beforeAll(async () => {
    t = await createTestServer('pglite');
  });
  afterAll(async () => {
    for (const c of cleanup) c();
    await t?.close();
  });

  it(`converges: all clients, the server and the database hold one state (seed ${SEED})`, async () => {
    const rng = createRng(SEED);
    const between = (lo: number, hi: number) => lo + randomInt(rng, hi - lo + 1);
    const name = `rubric:${t.demoProjectId}`;
    const roles = ['lead', 'reviewer', 'lead', 'reviewer', 'lead', 'reviewer'] as const;
    const peers: Array<{ socket: Socket; live: LiveDoc; cookie: string }> = [];
    for (const role of roles) {
      const api = await t.as(role);
      const socket = openSocket({ url: t.url, cookie: api.cookie });
      const live = openDoc(await connected(socket), name);
      cleanup.push(() => live.close(), () => socket.close());
      peers.push({ socket, live, cookie: api.cookie! });
    }
    await waitFor(() => peers.every((p) => p.live.provider.synced));

    for (let step = 0; step < 300; step++) {
      const p = pick(rng, peers);
      const doc = p.live.doc;
      const dims = readRubricDraft(doc).dimensions;
      const r = rng();
      if (r < 0.06 && p.socket.connected) p.socket.disconnect();
      else if (r < 0.14 && !p.socket.connected) p.socket.connect();
      else if (r < 0.55 && dims.length > 0) {
        const text = getDimensionText(doc, pick(rng, dims).id)!;
        if (rng() < 0.7 || text.length === 0) text.insert(between(0, text.length), `w${step} `);
        else text.delete(between(0, text.length - 1), 1);
      } else if (r < 0.65 && dims.length > 0) setField(doc, pick(rng, dims).id, 'name', `Name ${step}`);
      else if (r < 0.72 && dims.length > 1) moveDimension(doc, pick(rng, dims).id, between(0, dims.length - 1));
      else if (r < 0.78) {
        const id = `fuzz-${step}`;
        addDimension(doc, { id, name: `Fuzz ${step}`, description: '', scale: { kind: 'binary' }, levels: [], weight: 1, target: 'response' }, between(0, dims.length));
      } else if (r < 0.82 && dims.length > 3) removeDimension(doc, pick(rng, dims).id);
      else if (r < 0.9 && dims.length > 0) setField(doc, pick(rng, dims).id, 'weight', between(1, 5));
      else setJustification(doc, { minWords: between(0, 20) });
      // Let the network breathe now and then, so drops land mid-traffic rather than all at the start.
      if (step % 5 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    for (const p of peers) if (!p.socket.connected) p.socket.connect();
    const state = (doc: Y.Doc) => JSON.stringify(readRubricDraft(doc));
    await waitFor(() => peers.every((p) => p.live.provider.synced) && new Set(peers.map((p) => state(p.live.doc))).size === 1, {
      timeout: 30_000,
      message: 'all clients converge',
    });
    const expected = state(peers[0]!.live.doc);
    const room = t.server.deps.docs.get(name)!;
    await waitFor(() => state(room.doc) === expected, { message: 'the server copy converges' });
    await t.server.deps.docs.flush();
    const loaded = await createDocStore(t.db.db).load(name);
    const fromDb = new Y.Doc();
    if (loaded.snapshot) Y.applyUpdate(fromDb, loaded.snapshot);
    for (const u of loaded.updates) Y.applyUpdate(fromDb, u);
    expect(state(fromDb)).toBe(expected);
  });
});
