/**
 * The queue's counters and gold blindness over HTTP: what a trainer can observe (counters before and
 * after each step, the end of the queue, what comes back after an expiry, settings, task payloads)
 * is the same for gold and ordinary items; the counters are kept by the database (imports, rows
 * inserted behind the server's back, k changes) and count what is left for the trainer.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnnotatorStats, MyStats, Project, QueueNext, QueueProgress, Task } from '@accord/core';
import { assignments, items } from '@accord/db';
import { testDatabaseKinds } from '@accord/db/testing';
import { ApiClient, type ErrorBody } from '../utils/client.ts';
import { createTestServer, type TestServer } from '../utils/server.ts';
import { importFile, jsonlOf, pairItem, validJudgment } from '../utils/work.ts';

const kinds = await testDatabaseKinds();
const GOLD = { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -3 } };

describe.each(kinds)('the queue stays blind to gold and counts what is left (%s)', (kind) => {
  let t: TestServer;
  let lead: ApiClient;
  let admin: ApiClient;
  let n = 0;

  async function setup(file: unknown[], settings: Record<string, unknown>, trainers = 1) {
    const p = (await lead.post<Project>('/api/projects', { name: `Blind ${n++}`, taskKind: 'pairwise' })).body.id;
    if (file.length) {
      const job = await importFile(lead, p, jsonlOf(file));
      expect(job.status).toBe('done');
    }
    expect((await lead.patch(`/api/projects/${p}/settings`, settings)).status).toBe(200);
    const out: ApiClient[] = [];
    for (let i = 0; i < trainers; i++) {
      const email = `bl-${randomUUID().slice(0, 8)}@example.com`;
      await admin.post('/api/users', { email, name: `Blind ${i}`, password: 'trainer password 1' });
      await lead.post(`/api/projects/${p}/members`, { email, role: 'trainer' });
      const c = new ApiClient(t.url);
      await c.login(email, 'trainer password 1');
      out.push(c);
    }
    return { p, trainers: out };
  }
  const next = async (c: ApiClient, p: string) => {
    const r = await c.post<QueueNext>(`/api/projects/${p}/queue/next`);
    expect(r.status, r.text).toBe(200);
    return r.body;
  };
  const queue = async (c: ApiClient, p: string) => (await c.get<QueueProgress>(`/api/projects/${p}/queue`)).body;
  const submit = (c: ApiClient, p: string, task: Task) =>
    c.post<ErrorBody>(`/api/projects/${p}/assignments/${task.assignmentId}/submit`, { payload: validJudgment(task), timeSpentMs: 1000 });
  const isGold = (task: Task) => /^Prompt g/.test(task.item.prompt);
  const diff = (a: QueueProgress, b: QueueProgress) => ({ done: b.done - a.done, reserved: b.reserved - a.reserved, available: b.available - a.available, left: b.left - a.left });

  beforeAll(async () => {
    t = await createTestServer(kind);
    lead = await t.as('lead');
    admin = await t.as('admin');
  });
  afterAll(() => t?.close());

  it('taking and submitting a gold task changes the counters exactly as an ordinary one does', async () => {
    // goldRate 1: gold first while the trainer has unseen gold, then ordinary work.
    const { p, trainers } = await setup([pairItem('g1', { gold: GOLD }), pairItem('n1'), pairItem('n2')], { goldRate: 1, overlap: 1 });
    const c = trainers[0]!;
    const steps: { gold: boolean; take: ReturnType<typeof diff>; submit: ReturnType<typeof diff> }[] = [];
    for (let i = 0; i < 2; i++) {
      const before = await queue(c, p);
      const { task, progress } = await next(c, p);
      const taken = diff(before, progress);
      expect(await queue(c, p)).toEqual(progress);
      expect((await submit(c, p, task!)).status).toBe(200);
      steps.push({ gold: isGold(task!), take: taken, submit: diff(progress, await queue(c, p)) });
    }
    expect(steps.map((s) => s.gold)).toEqual([true, false]);
    expect(steps[0]!.take).toEqual({ done: 0, reserved: 1, available: -1, left: 0 });
    expect(steps[1]!.take).toEqual(steps[0]!.take);
    // What is left for the trainer goes down as they submit.
    expect(steps[0]!.submit).toEqual({ done: 1, reserved: -1, available: 0, left: -1 });
    expect(steps[1]!.submit).toEqual(steps[0]!.submit);
    expect(await queue(c, p)).toMatchObject({ done: 2, reserved: 0, available: 1, left: 1 });
  });

  it('never ends a queue with gold: gold comes only mixed into ordinary work, and the counters agree', async () => {
    // A small gold rate: ordinary work almost always comes first; gold left unseen when it is used up stays unseen.
    const { p, trainers } = await setup([pairItem('g1', { gold: GOLD }), pairItem('g2', { gold: GOLD }), pairItem('n1'), pairItem('n2')], { goldRate: 0.01, overlap: 1 });
    const c = trainers[0]!;
    const got: Task[] = [];
    for (;;) {
      const before = await queue(c, p);
      const { task, progress } = await next(c, p);
      if (!task) {
        // "Done" only once nothing is left, and it stays done.
        expect(before).toMatchObject({ available: 0, left: 0 });
        expect(progress).toMatchObject({ available: 0, left: 0, reserved: 0 });
        break;
      }
      expect(before.available).toBeGreaterThan(0);
      got.push(task);
      expect((await submit(c, p, task)).status).toBe(200);
    }
    // Both ordinary items; the last task is ordinary, whatever gold came before it.
    expect(got.filter((x) => !isGold(x))).toHaveLength(2);
    expect(isGold(got.at(-1)!)).toBe(false);
    for (let i = 0; i < 20; i++) expect((await next(c, p)).task).toBeNull();
  });

  it("once others have filled the ordinary items, a trainer's queue is done: no run of gold, no counter settled on their unseen gold", async () => {
    const { p, trainers } = await setup([pairItem('g1', { gold: GOLD }), pairItem('g2', { gold: GOLD }), pairItem('g3', { gold: GOLD }), pairItem('n1'), pairItem('n2')], { goldRate: 0.2, overlap: 1 }, 2);
    const [c, other] = [trainers[0]!, trainers[1]!];
    // Before anyone works: the ordinary items and the gold, one figure.
    expect(await queue(c, p)).toMatchObject({ done: 0, reserved: 0, available: 5, left: 5 });
    // The other trainer takes and judges both ordinary items (k = 1), and whatever gold comes with them.
    const others: Task[] = [];
    for (let task = (await next(other, p)).task; task; task = (await next(other, p)).task) {
      others.push(task);
      expect((await submit(other, p, task)).status).toBe(200);
    }
    expect(others.filter((x) => !isGold(x))).toHaveLength(2);
    // Nothing is left for the first trainer: no gold is served, and the counters say done.
    expect(await queue(c, p)).toMatchObject({ available: 0, left: 0 });
    for (let i = 0; i < 5; i++) expect(await next(c, p)).toMatchObject({ task: null, progress: { available: 0, left: 0 } });
    // An ordinary item added later brings the gold back into the mix.
    const job = await importFile(lead, p, jsonlOf([pairItem('n3')]));
    expect(job.status).toBe('done');
    expect(await queue(c, p)).toMatchObject({ available: 4, left: 4 });
  });

  it('an expired reservation ends by the same rule for gold and ordinary items', async () => {
    const { p, trainers } = await setup([pairItem('g1', { gold: GOLD }), pairItem('n1'), pairItem('n2'), pairItem('n3')], { goldRate: 1, overlap: 1, reservationMinutes: 5 });
    const c = trainers[0]!;
    const outcomes: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const { task } = await next(c, p);
      const before = await queue(c, p);
      await t.db.db.update(assignments).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(assignments.id, task!.assignmentId));
      const after = await next(c, p);
      // Never revived: the trainer gets other work, and the late submission is refused.
      const late = await submit(c, p, task!);
      outcomes.push({
        gold: isGold(task!),
        sameItemBack: after.task?.item.id === task!.item.id,
        late: late.status,
        message: /expired/.test(late.body.error.message),
        counters: diff(before, after.progress),
      });
      expect((await c.post(`/api/projects/${p}/assignments/${after.task!.assignmentId}/release`)).status).toBe(200);
    }
    expect(outcomes[0]).toMatchObject({ gold: true });
    expect(outcomes[1]).toMatchObject({ gold: false });
    const { gold: _g, ...first } = outcomes[0] as Record<string, unknown>;
    const { gold: _o, ...second } = outcomes[1] as Record<string, unknown>;
    expect(first).toEqual({ sameItemBack: false, late: 409, message: true, counters: { done: 0, reserved: 0, available: -1, left: -1 } });
    expect(second).toEqual(first);
  });

  it('trainers do not see the gold rate, and see model names only when the lead shows them', async () => {
    const { p, trainers } = await setup([pairItem('n1'), pairItem('n2')], { goldRate: 0.3, overlap: 2 });
    const c = trainers[0]!;
    const settings = await c.get(`/api/projects/${p}/settings`);
    expect(settings.status).toBe(403);
    expect(settings.text).not.toMatch(/goldRate|0\.3/);
    expect((await lead.get<{ goldRate: number; showModelNames: boolean }>(`/api/projects/${p}/settings`)).body).toMatchObject({ goldRate: 0.3, showModelNames: false });

    const first = await c.post<QueueNext>(`/api/projects/${p}/queue/next`);
    expect(first.text).not.toMatch(/model-a|model-b|"model"|goldRate/);
    expect(first.body.task!.item.responses.every((r) => !('model' in r))).toBe(true);
    // Leads and reviewers see model names in the Items list as before.
    const listed = await lead.get<{ items: { responses: { model: string }[] }[] }>(`/api/projects/${p}/items`);
    expect(listed.body.items[0]!.responses.map((r) => r.model).sort()).toEqual(['model-a', 'model-b']);

    expect((await lead.patch(`/api/projects/${p}/settings`, { showModelNames: true })).status).toBe(200);
    const again = await next(c, p);
    expect(again.task!.item.responses.map((r) => r.model).sort()).toEqual(['model-a', 'model-b']);
  });

  it("a trainer's own figures stay as their last block left them while others judge the same items (an idle trainer learns no majority)", async () => {
    const { p, trainers } = await setup(Array.from({ length: 10 }, (_, i) => pairItem(`f${i + 1}`)), { goldRate: 0, overlap: 3 }, 3);
    const [c, ...others] = trainers as [ApiClient, ...ApiClient[]];
    for (let i = 0; i < 10; i++) {
      const task = (await next(c, p)).task!;
      expect((await submit(c, p, task)).status).toBe(200);
    }
    const mine = async () => {
      const { computedAt: _at, ...rest } = (await c.get<MyStats>(`/api/projects/${p}/me/stats`)).body;
      return rest;
    };
    const frozen = await mine();
    expect(frozen).toMatchObject({ judgments: 10, countedJudgments: 10, kappaVsConsensus: { n: 0 } });
    for (const o of others)
      for (let task = (await next(o, p)).task; task; task = (await next(o, p)).task)
        expect((await o.post(`/api/projects/${p}/assignments/${task.assignmentId}/submit`, { payload: validJudgment(task, 2), timeSpentMs: 1000 })).status).toBe(200);
    // The consensus on the trainer's ten items exists now (the lead reads it), but not in the trainer's own figures.
    expect(await mine()).toEqual(frozen);
    const me = (await c.get<{ user: { id: string } }>('/api/auth/me')).body.user.id;
    const byLead = (await lead.get<{ annotators: AnnotatorStats[] }>(`/api/projects/${p}/agreement/trainers`)).body.annotators.find((a) => a.annotator === me)!;
    expect(byLead.kappaVsConsensus.n).toBeGreaterThan(0);
  });

  it("a trainer's own figures move once per block of 10 judgments, never with one submit: no gold answer, no others' majority read item by item", async () => {
    // Three gold items handed out first (goldRate 1), nine ordinary ones; another trainer judged every item before.
    const file = [...[1, 2, 3].map((i) => pairItem(`g${i}`, { gold: GOLD })), ...Array.from({ length: 9 }, (_, i) => pairItem(`n${i + 1}`))];
    const { p, trainers } = await setup(file, { goldRate: 1, overlap: 2 }, 2);
    const [c, other] = [trainers[0]!, trainers[1]!];
    for (let task = (await next(other, p)).task; task; task = (await next(other, p)).task) expect((await submit(other, p, task)).status).toBe(200);
    const figures = async () => {
      const r = await c.get<MyStats>(`/api/projects/${p}/me/stats`);
      expect(r.status).toBe(200);
      const { goldAccuracy, agreementWithConsensus, kappaVsConsensus, drift, countedJudgments, block } = r.body;
      return { goldAccuracy, agreementWithConsensus, kappaVsConsensus, drift, countedJudgments, block, judgments: r.body.judgments };
    };
    const before = await figures();
    expect(before).toMatchObject({ judgments: 0, countedJudgments: 0, block: 10, goldAccuracy: { n: 0 }, agreementWithConsensus: { n: 0 } });
    const seen: boolean[] = [];
    for (let i = 1; i <= 11; i++) {
      const task = (await next(c, p)).task!;
      seen.push(isGold(task));
      expect((await submit(c, p, task)).status).toBe(200);
      const now = await figures();
      expect(now.judgments).toBe(i);
      // Nothing but the count moves until the tenth judgment completes the block; then all ten count at once.
      if (i < 10) expect({ ...now, judgments: 0 }).toEqual({ ...before, judgments: 0 });
      else expect(now).toMatchObject({ countedJudgments: 10, goldAccuracy: { n: 3 }, agreementWithConsensus: { n: 10 }, kappaVsConsensus: { n: 10 } });
    }
    expect(seen.slice(0, 3)).toEqual([true, true, true]);
    // The lead sees every judgment at once, the eleventh included.
    const lead11 = (await lead.get<{ annotators: AnnotatorStats[] }>(`/api/projects/${p}/agreement/trainers`)).body.annotators;
    expect(lead11.filter((a) => a.role === 'trainer').map((a) => a.judgments).sort((x, y) => x - y)).toEqual([11, 12]);
  });

  it('counters follow imported judgments, rows inserted behind the server, and changes of k', async () => {
    const { p, trainers } = await setup([pairItem('n1'), pairItem('n2'), pairItem('n3')], { goldRate: 0, overlap: 1 });
    const c = trainers[0]!;
    expect(await queue(c, p)).toMatchObject({ available: 3, left: 3 });
    // An imported judgment takes n1's only slot.
    const votes = await importFile(lead, p, jsonlOf([{ externalId: 'n1', annotator: 'someone-else', judgment: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 1 } } }]), { kind: 'judgments' });
    expect(votes).toMatchObject({ status: 'done', created: 1 });
    expect(await queue(c, p)).toMatchObject({ available: 2 });
    // Items written straight into the table (as COPY does) count too; a gold one only while gold is handed out.
    const [row] = await t.db.db.select().from(items).where(eq(items.projectId, p)).limit(1);
    await t.db.db.insert(items).values([
      { projectId: p, externalId: 'sql-1', prompt: 'Prompt sql-1', responses: row!.responses, position: 100 },
      { projectId: p, externalId: 'sql-g', prompt: 'Prompt g-sql', responses: row!.responses, position: 101, isGold: true, gold: GOLD },
    ]);
    expect(await queue(c, p)).toMatchObject({ available: 3 });
    expect((await lead.patch(`/api/projects/${p}/settings`, { goldRate: 0.5 })).status).toBe(200);
    expect(await queue(c, p)).toMatchObject({ available: 4 });
    // k from 1 to 2: n1 takes one more trainer.
    expect((await lead.patch(`/api/projects/${p}/settings`, { overlap: 2 })).status).toBe(200);
    expect(await queue(c, p)).toMatchObject({ available: 5 });
    const seen = new Set<string>();
    for (;;) {
      const { task } = await next(c, p);
      if (!task) break;
      seen.add(task.item.prompt.split(':')[0]!);
      expect((await submit(c, p, task)).status).toBe(200);
    }
    expect([...seen].sort()).toEqual(['Prompt g-sql', 'Prompt n1', 'Prompt n2', 'Prompt n3', 'Prompt sql-1']);
    expect(await queue(c, p)).toMatchObject({ done: 5, available: 0, left: 0 });
  });
});
