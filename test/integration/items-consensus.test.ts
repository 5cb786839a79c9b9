/**
 * The Items list carries each item's consensus status: its current consensus label (with the method)
 * and its open dispute (with the reason), and filters on them (`status=consensus|disputed`), totals
 * included. Two trainers judge three items; they agree on two (a majority label each) and differ on
 * the third (a dispute). A lead reopening a label moves its item from consensus to disputed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '@accord/db/testing';
import type { DisputeSummary, Item, Task } from '@accord/core';
import type { ErrorBody } from '../utils/client.ts';
import { createFactory, type FactoryProject } from '../utils/factory.ts';
import { createTestServer, waitFor, type TestServer } from '../utils/server.ts';
import { validJudgment } from '../utils/work.ts';

type Page<T> = { items: T[]; total: number };
const kinds = await testDatabaseKinds();

describe.each(kinds)('items list: consensus and dispute status (%s)', (kind) => {
  let t: TestServer;
  let p: FactoryProject;
  const list = (query: string) => p.reviewer.client.get<Page<Item>>(`/api/projects/${p.id}/items?limit=50${query}`);

  beforeAll(async () => {
    t = await createTestServer(kind);
    const factory = createFactory(await t.as('admin'), t.server.deps);
    p = await factory.project({ items: 3, trainers: 2, settings: { overlap: 2, consensus: { rule: 'majority', threshold: 0.5 } } });
    const base = `/api/projects/${p.id}`;
    const lastId = (await p.lead.client.get<Page<Item>>(`${base}/items?q=${encodeURIComponent(p.items[2]!)}`)).body.items[0]!.id;
    for (const [i, trainer] of p.trainers.entries()) {
      for (let n = 0; n < 10; n++) {
        // (bounded: three items each)
        const task = (await trainer.client.post<{ task: Task | null }>(`${base}/queue/next`)).body.task;
        if (!task) break;
        // Both prefer the first response, except on the last item, where the second trainer prefers the second.
        const value = i === 1 && task.item.id === lastId ? 2 : -2;
        const payload = { ...validJudgment(task), preference: { kind: 'pairwise' as const, a: task.canonicalOrder[0]!, b: task.canonicalOrder[1]!, value } };
        expect((await trainer.client.post(`${base}/assignments/${task.assignmentId}/submit`, { payload })).status).toBe(200);
      }
    }
  }, 120_000);
  afterAll(() => t?.close());

  it('shows each item\'s current label and open dispute, and filters on them', async () => {
    // Consensus is computed after the submits; wait for it rather than for a time.
    await waitFor(async () => (await list('&status=consensus')).body.total === 2 && (await list('&status=disputed')).body.total === 1, { message: 'two labels and one dispute' });
    const all = (await list('')).body.items;
    expect(all).toHaveLength(3);
    const byExt = new Map(all.map((i) => [i.externalId, i]));
    for (const ext of p.items.slice(0, 2)) {
      expect(byExt.get(ext)).toMatchObject({ consensus: { method: 'majority' }, dispute: null, judgments: 2 });
    }
    expect(byExt.get(p.items[2]!)).toMatchObject({ consensus: null, dispute: { reason: 'disagreement' }, judgments: 2 });

    const consensus = await list('&status=consensus');
    expect(consensus.body.items.map((i) => i.externalId).sort()).toEqual(p.items.slice(0, 2).sort());
    const disputed = await list('&status=disputed');
    expect(disputed.body.items.map((i) => i.externalId)).toEqual([p.items[2]]);
    // The dispute the list names is the queue's.
    const queue = await p.reviewer.client.get<{ items: DisputeSummary[] }>(`/api/projects/${p.id}/disputes`);
    expect(queue.body.items.map((d) => d.id)).toEqual([disputed.body.items[0]!.dispute!.id]);
    // Filters combine with the others.
    expect((await list(`&status=consensus&q=${encodeURIComponent(p.items[0]!)}`)).body.total).toBe(1);
  });

  it('moves a reopened item from consensus to disputed', async () => {
    const item = (await list('&status=consensus')).body.items[0]!;
    const reopened = await p.lead.client.post<DisputeSummary>(`/api/projects/${p.id}/consensus/${item.consensus!.labelId}/reopen`, { note: 'Both judgments missed the factual error.' });
    expect(reopened.status).toBe(201);
    const after = (await list('')).body.items.find((i) => i.id === item.id)!;
    expect(after).toMatchObject({ consensus: null, dispute: { id: reopened.body.id, reason: 'reopened' } });
    expect((await list('&status=consensus')).body.total).toBe(1);
    expect((await list('&status=disputed')).body.total).toBe(2);
  });

  it('refuses an unknown status, naming the parameter; trainers see no items', async () => {
    const bad = await p.reviewer.client.get<ErrorBody>(`/api/projects/${p.id}/items?status=settled`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('query.status');
    expect((await p.trainer.client.get(`/api/projects/${p.id}/items?status=disputed`)).status).toBe(403);
  });
});
