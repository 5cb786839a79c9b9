/**
 * The consensus queue's claims (migration 0028): a computation claims queued items in a statement of
 * its own and holds no lock a submit needs. A judgment stored while its item is claimed clears the
 * claim, so the item is computed again with it; a claim in force is left alone by other computations,
 * one past its time is taken again; a computation that fails releases its claim.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type SQL } from 'drizzle-orm';
import { testDatabaseKinds } from '@accord/db/testing';
import { createConsensusRepo } from '@accord/server';
import type { Task } from '@accord/core';
import { createFactory, type FactoryProject, type FactoryUser } from '../utils/factory.ts';
import { createTestServer, lockWaiters, ownConnection, waitFor, type TestServer } from '../utils/server.ts';
import { validJudgment } from '../utils/work.ts';

const kinds = await testDatabaseKinds();

describe.each(kinds)('consensus queue claims (%s)', (kind) => {
  let t: TestServer;
  let p: FactoryProject;
  const rows = async <T = Record<string, unknown>>(q: SQL) => ((await t.db.db.execute(q)) as unknown as { rows: T[] }).rows;
  const pending = (itemId: string) => rows<{ claim: string | null }>(sql`select claim from consensus_pending where item_id = ${itemId}`);
  const labels = (itemId: string) => rows<{ judgments: number }>(sql`select judgments from consensus_labels where item_id = ${itemId} and superseded_at is null`);
  /** A computation holds the item (as if one were running now, for ten minutes). */
  const claimed = (itemId: string) =>
    rows(sql`insert into consensus_pending (item_id, project_id, claim, claimed_until) values (${itemId}, ${p.id}, gen_random_uuid(), now() + interval '10 minutes')`);

  /** The trainer's next task, submitted preferring the first response. */
  async function judgeNext(trainer: FactoryUser): Promise<string> {
    const base = `/api/projects/${p.id}`;
    const task = (await trainer.client.post<{ task: Task | null }>(`${base}/queue/next`)).body.task!;
    const payload = { ...validJudgment(task), preference: { kind: 'pairwise' as const, a: task.canonicalOrder[0]!, b: task.canonicalOrder[1]!, value: -2 } };
    expect((await trainer.client.post(`${base}/assignments/${task.assignmentId}/submit`, { payload })).status).toBe(200);
    return task.item.id;
  }

  beforeAll(async () => {
    t = await createTestServer(kind);
    const factory = createFactory(await t.as('admin'), t.server.deps);
    p = await factory.project({ items: 3, trainers: 2, settings: { overlap: 2, consensus: { rule: 'majority', threshold: 0.5 } } });
  }, 120_000);
  afterAll(() => t?.close());

  it('a judgment stored while its item is claimed clears the claim, and the item is computed again with it', async () => {
    const item = await judgeNext(p.trainers[0]!);
    // One judgment of two: computed (no label) and taken off the queue.
    await waitFor(async () => (await pending(item)).length === 0, { message: 'the first judgment computed' });
    expect(await labels(item)).toEqual([]);
    await claimed(item);
    expect(await judgeNext(p.trainers[1]!)).toBe(item);
    // The second judgment cleared the claim: the item is computed again, with both judgments.
    await waitFor(async () => (await labels(item)).length === 1, { message: 'the item labelled with the second judgment' });
    expect((await labels(item))[0]!.judgments).toBe(2);
    await waitFor(async () => (await pending(item)).length === 0, { message: 'the item off the queue' });
  });

  it('a claim in force is left alone; a claim past its time is taken again', async () => {
    const item = await judgeNext(p.trainers[0]!);
    await waitFor(async () => (await pending(item)).length === 0, { message: 'the first judgment computed' });
    await claimed(item);
    expect(await t.server.deps.consensus.process(p.id)).toBe(0);
    expect(await pending(item)).toHaveLength(1);
    // Its process died: once the claim has expired, the next computation takes the item.
    await rows(sql`update consensus_pending set claimed_until = now() - interval '1 second' where item_id = ${item}`);
    await waitFor(async () => (await t.server.deps.consensus.process(p.id), (await pending(item)).length === 0), { message: 'the expired claim taken again' });
  });

  it('a computation that fails releases its claim', async () => {
    // The server's own computations stop, so that only this one claims.
    await t.server.deps.consensus.close();
    const item = await judgeNext(p.trainers[0]!);
    expect(await pending(item)).toEqual([{ claim: null }]);
    const repo = createConsensusRepo(t.db.db);
    let seen: string[] = [];
    await expect(
      repo.withClaim(10, p.id, async (tx, claimed) => {
        seen = claimed.map((c) => c.itemId);
        // Claimed by this computation (read in its transaction: PGlite has one connection).
        const r = (await tx.execute(sql`select claim from consensus_pending where item_id = ${item}`)) as unknown as { rows: { claim: string | null }[] };
        expect(r.rows[0]?.claim).toMatch(/^[0-9a-f-]{36}$/);
        throw new Error('computation failed');
      }),
    ).rejects.toThrow('computation failed');
    expect(seen).toEqual([item]);
    expect(await pending(item)).toEqual([{ claim: null }]);
  });

  // PostgreSQL only: PGlite runs one connection, so no two transactions wait for each other there.
  if (kind === 'postgres') it('taking claimed items off the queue waits for a submit in item order, so the two never deadlock', async () => {
    // The server's own computations stop (the test above stopped them too), so that only this one claims.
    await t.server.deps.consensus.close();
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const q = await factory.project({ items: 2, trainers: 1, settings: { overlap: 2, consensus: { rule: 'majority', threshold: 0.5 } } });
    const [lo, hi] = (await rows<{ id: string }>(sql`select id from items where project_id = ${q.id} order by id`)).map((r) => r.id);
    // Queued in the other order than the items' (a small queue is read in the order its rows were written).
    for (const itemId of [hi!, lo!]) await rows(sql`insert into consensus_pending (item_id, project_id) values (${itemId}, ${q.id})`);
    // A submit in progress: its statement stores judgments in item order, and the judgments trigger
    // queues each item again (it clears the claim) before the statement commits.
    const submit = await ownConnection(t.db);
    const judge = (itemId: string) =>
      submit.query(
        `insert into judgments (project_id, item_id, user_id, status, source, payload, submitted_at)
         select i.project_id, i.id, $2::uuid, 'submitted', 'accord',
                jsonb_build_object('preference', jsonb_build_object('kind', 'pairwise', 'a', i.responses->0->>'id', 'b', i.responses->1->>'id', 'value', -1)), now()
         from items i where i.id = $1::uuid`,
        [itemId, q.trainer.id],
      );
    let release!: () => void;
    const submitHoldsLo = new Promise<void>((r) => (release = r));
    let claimed: string[] = [];
    try {
      const computation = createConsensusRepo(t.db.db).withClaim(10, q.id, async (_tx, c) => {
        claimed = c.map((x) => x.itemId).sort();
        await submitHoldsLo;
        return 'computed';
      });
      await waitFor(() => claimed.length === 2, { message: 'both items claimed' });
      await submit.query('begin');
      // This transaction, not the computation, would be the one PostgreSQL finds in a deadlock.
      await submit.query(`set local deadlock_timeout = '20ms'`);
      await judge(lo!);
      release();
      // The computation's removal now waits for the submit (it holds the first item's queue row).
      await waitFor(async () => (await lockWaiters(t.db, 'delete from consensus_pending')) === 1, { message: 'the removal waiting for the submit' });
      // Before: the removal had taken the second item's row, and this statement deadlocked.
      await judge(hi!);
      await submit.query('commit');
      expect(await computation).toEqual({ claimed: 2, result: 'computed' });
    } finally {
      await submit.query('rollback').catch(() => undefined);
      submit.release();
    }
    expect(claimed).toEqual([lo, hi]);
    // Both items were queued again by the submit: they stay queued, unclaimed, for the next computation.
    expect(await rows(sql`select item_id, claim from consensus_pending where project_id = ${q.id} order by item_id`)).toEqual([
      { item_id: lo, claim: null },
      { item_id: hi, claim: null },
    ]);
  });
});
