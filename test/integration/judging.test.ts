/**
 * Assignment and judging over HTTP: the k limit under concurrent requests, reservations that expire,
 * gold items mixed in unmarked, validation against the published rubric, idempotent submission,
 * drafts, and what a trainer may see.
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnnotatorStats, Judgment, JudgmentPayload, JudgmentView, MyStats, Project, QueueNext, RubricDraft, Task, TaskKind } from '@accord/core';
import { assignments, items, rubricVersions } from '@accord/db';
import { testDatabaseKinds } from '@accord/db/testing';
import { ApiClient, type ErrorBody } from '../utils/client.ts';
import { createTestServer, lockWaiters, ownConnection, waitFor, type TestServer } from '../utils/server.ts';
import { importFile, jsonlOf, pairItem, validJudgment } from '../utils/work.ts';

interface Page<T> {
  items: T[];
  total: number;
}

const RUBRIC = {
  dimensions: [
    {
      id: 'helpfulness',
      name: 'Helpfulness',
      description: 'Does it help?',
      scale: { kind: 'likert', min: 1, max: 5 },
      levels: [1, 2, 3, 4, 5].map((v) => ({ value: v, label: `L${v}`, anchor: `Anchor ${v}` })),
      weight: 1,
      target: 'response',
    },
    {
      id: 'overall',
      name: 'Overall',
      description: 'Is the preferred one clearly better?',
      scale: { kind: 'binary' },
      levels: [0, 1].map((v) => ({ value: v, label: `B${v}`, anchor: `Binary ${v}` })),
      weight: 1,
      target: 'comparison',
    },
  ],
  precedence: [],
  justification: { minWords: 5, maxWords: 40 },
  spanCategories: [{ id: 'hallucination', name: 'Hallucination', description: '' }],
  flags: [{ id: 'unsafe', name: 'Unsafe', description: '' }],
};

const kinds = await testDatabaseKinds();

describe.each(kinds)('assignment and judging (%s)', (kind) => {
  let t: TestServer;
  let lead: ApiClient;
  let admin: ApiClient;
  let n = 0;

  /** A new project with `items` items and `trainers` fresh trainer members (signed in). */
  async function setup(opts: { items: number; trainers: number; settings?: Record<string, unknown>; taskKind?: TaskKind; file?: unknown[] }) {
    const p = (await lead.post<Project>('/api/projects', { name: `Judging ${n++}`, taskKind: opts.taskKind ?? 'pairwise' })).body.id;
    await importFile(lead, p, jsonlOf(opts.file ?? Array.from({ length: opts.items }, (_, i) => pairItem(`it-${i}`))));
    await lead.patch(`/api/projects/${p}/settings`, { goldRate: 0, ...opts.settings });
    const trainers: ApiClient[] = [];
    for (let i = 0; i < opts.trainers; i++) {
      const email = `tr-${randomUUID().slice(0, 8)}@example.com`;
      await admin.post('/api/users', { email, name: `Trainer ${i}`, password: 'trainer password 1' });
      await lead.post(`/api/projects/${p}/members`, { email, role: 'trainer' });
      const c = new ApiClient(t.url);
      await c.login(email, 'trainer password 1');
      trainers.push(c);
    }
    return { p, trainers };
  }
  const next = async (c: ApiClient, p: string) => (await c.post<QueueNext>(`/api/projects/${p}/queue/next`)).body;
  const nextTask = async (c: ApiClient, p: string) => {
    const task = (await next(c, p)).task;
    if (!task) throw new Error('expected a task');
    return task;
  };
  const submit = (c: ApiClient, p: string, task: Task, payload: JudgmentPayload = validJudgment(task)) =>
    c.post<{ judgment: Judgment; repeated: boolean } & ErrorBody>(`/api/projects/${p}/assignments/${task.assignmentId}/submit`, { payload, timeSpentMs: 1234 });

  beforeAll(async () => {
    t = await createTestServer(kind);
    lead = await t.as('lead');
    admin = await t.as('admin');
  });
  afterAll(() => t?.close());

  // PostgreSQL only: PGlite runs one connection, so no two transactions wait for each other there.
  if (kind === 'postgres')
    it('a reservation in progress does not hold up a submit of the same item (the two deadlocked before migration 0037)', async () => {
      const { p, trainers } = await setup({ items: 1, trainers: 2, settings: { overlap: 3 } });
      const task = await nextTask(trainers[0]!, p);
      const reservation = await ownConnection(t.db);
      const one = async <T,>(text: string, values: unknown[]) => (await reservation.query(text, values)).rows[0] as T;
      const mine = await one<{ user_id: string }>('select user_id from assignments where id = $1', [task.assignmentId]);
      const other = await one<{ user_id: string }>(`select user_id from project_members where project_id = $1 and role = 'trainer' and user_id <> $2`, [p, mine.user_id]);
      try {
        await reservation.query('begin');
        // The other trainer's queue/next, open after it reserved the same item: its item lock is held until it ends.
        const got = (await reservation.query('select a_item_id from accord_queue_next($1, $2, 4, true, 30, false, false)', [p, other.user_id])).rows[0] as { a_item_id: string };
        expect(got.a_item_id).toBe(task.item.id);
        const answer: { status: number | null } = { status: null };
        const submitted = submit(trainers[0]!, p, task).then((r) => (answer.status = r.status));
        // The submit's statement must not wait for the reservation. Before, its foreign-key check of the
        // item (FOR KEY SHARE) waited for the reservation's FOR UPDATE; a search holding one item and
        // waiting for a submit's next one made it a deadlock.
        while (answer.status === null && (await lockWaiters(t.db, 'with v as')) === 0) await new Promise((r) => setTimeout(r, 20));
        expect(answer.status).toBe(200);
        await reservation.query('commit');
        await submitted;
      } finally {
        await reservation.query('rollback').catch(() => undefined);
        reservation.release();
      }
      // Both hold their slot: the first judged the item, the second has it reserved.
      const [occupied] = await t.db.db.select({ occupied: items.occupied }).from(items).where(eq(items.id, task.item.id));
      expect(occupied!.occupied).toBe(2);
    });

  it('never gives more than k judgments per item when many trainers ask at once, and nobody gets an item twice', async () => {
    const k = 2;
    const { p, trainers } = await setup({ items: 5, trainers: 8, settings: { overlap: k } });
    // Every trainer judges until their queue is empty, all at the same time; half of them as the web
    // client does, one request per judgment (`submit?next=1` hands out the next task).
    const judged = await Promise.all(
      trainers.map(async (c, i) => {
        const mine: string[] = [];
        let task = (await next(c, p)).task;
        while (task) {
          if (i % 2) {
            const r = await submit(c, p, task);
            expect(r.status, r.text).toBe(200);
            mine.push(task.item.id);
            task = (await next(c, p)).task;
          } else {
            const r = await c.post<{ judgment: Judgment; next?: QueueNext }>(`/api/projects/${p}/assignments/${task.assignmentId}/submit?next=1`, {
              payload: validJudgment(task),
              timeSpentMs: 1234,
            });
            expect(r.status, r.text).toBe(200);
            expect(r.body.judgment.itemId).toBe(task.item.id);
            mine.push(task.item.id);
            expect(r.body.next?.progress.done).toBe(mine.length);
            task = r.body.next!.task;
          }
        }
        return mine;
      }),
    );
    const all = judged.flat();
    expect(all).toHaveLength(5 * k);
    const perItem = new Map<string, number>();
    for (const id of all) perItem.set(id, (perItem.get(id) ?? 0) + 1);
    expect([...perItem.values()]).toEqual(Array(5).fill(k));
    for (const mine of judged) expect(new Set(mine).size).toBe(mine.length);
    const stored = (await lead.get<Page<Judgment>>(`/api/projects/${p}/judgments?limit=100`)).body;
    expect(stored.total).toBe(5 * k);

    // One item, k = 1, eight simultaneous requests: exactly one reservation.
    const one = await setup({ items: 1, trainers: 8, settings: { overlap: 1 } });
    const got = await Promise.all(one.trainers.map((c) => next(c, one.p)));
    expect(got.filter((g) => g.task !== null)).toHaveLength(1);
    expect(got.find((g) => g.task)!.progress).toMatchObject({ reserved: 1, eligible: true });
  });

  it('a reservation expires and the item returns to the pool; the late submission is refused', async () => {
    const { p, trainers } = await setup({ items: 1, trainers: 2, settings: { overlap: 1, reservationMinutes: 5 } });
    const [a, b] = trainers as [ApiClient, ApiClient];
    const ta = (await next(a, p)).task!;
    expect((await next(b, p)).task).toBeNull();
    expect(new Date(ta.expiresAt).getTime() - new Date(ta.reservedAt).getTime()).toBe(5 * 60_000);
    // Asking again returns the same reservation rather than a new one.
    expect((await next(a, p)).task!.assignmentId).toBe(ta.assignmentId);
    await t.db.db.update(assignments).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(assignments.id, ta.assignmentId));
    const tb = (await next(b, p)).task!;
    expect(tb.item.id).toBe(ta.item.id);
    const late = await submit(a, p, ta);
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/expired/);
    expect((await submit(b, p, tb)).status).toBe(200);
    // The first trainer never gets that item again.
    expect((await next(a, p)).task).toBeNull();
  });

  it('mixes gold items in unmarked, and a trainer never sees gold labels, metadata or others\' judgments', async () => {
    const file = [
      pairItem('g1', { gold: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -3 } }, metadata: { secret: 'GOLD-CANARY' } }),
      pairItem('n1', { metadata: { annotatorLabels: 'LABEL-CANARY' } }),
    ];
    const { p, trainers } = await setup({ items: 0, trainers: 2, file, settings: { goldRate: 1, overlap: 1 } });
    const [a, b] = trainers as [ApiClient, ApiClient];
    const first = await a.post<QueueNext>(`/api/projects/${p}/queue/next`);
    expect(first.text).not.toMatch(/GOLD-CANARY|"gold"|isGold|externalId|metadata/);
    expect(first.body.task!.item.prompt).toMatch(/^Prompt g1/);
    expect((await submit(a, p, first.body.task!)).status).toBe(200);
    // Gold items do not use up k: the second trainer gets the same gold item.
    const other = await next(b, p);
    expect(other.task!.item.prompt).toMatch(/^Prompt g1/);
    await submit(b, p, other.task!);
    const normal = await b.post<QueueNext>(`/api/projects/${p}/queue/next`);
    expect(normal.body.task!.item.prompt).toMatch(/^Prompt n1/);
    expect(normal.text).not.toMatch(/LABEL-CANARY|externalId|metadata/);
    // A trainer lists only their own judgments, without external ids.
    const mine = (await a.get<Page<Judgment>>(`/api/projects/${p}/judgments`)).body;
    expect(mine.items.map((j) => j.userId)).toEqual([mine.items[0]!.userId]);
    expect(mine.items[0]!.item.externalId).toBeNull();
    const bId = (await b.get<{ user: { id: string } }>('/api/auth/me')).body.user.id;
    expect((await a.get(`/api/projects/${p}/judgments?userId=${bId}`)).status).toBe(403);
    // A past judgment opens with its item as the trainer saw it, without gold or metadata; another
    // trainer's is "not found".
    const own = await a.get<JudgmentView>(`/api/projects/${p}/judgments/${mine.items[0]!.id}`);
    expect(own.status).toBe(200);
    expect(own.text).not.toMatch(/GOLD-CANARY|"gold"|isGold|externalId":"|metadata|"model"/);
    expect(own.body.item.responses.map((r) => r.id)).toEqual(first.body.task!.responseOrder);
    expect(own.body.responseOrder).toEqual(first.body.task!.responseOrder);
    expect((await b.get(`/api/projects/${p}/judgments/${mine.items[0]!.id}`)).status).toBe(404);
    expect((await lead.get(`/api/projects/${p}/judgments/${mine.items[0]!.id}`)).status).toBe(200);
    // A trainer of another project sees nothing of this one.
    const outsider = (await setup({ items: 1, trainers: 1 })).trainers[0]!;
    for (const path of ['queue', 'judgments', 'settings']) expect((await outsider.get(`/api/projects/${p}/${path}`)).status).toBe(404);
    expect((await outsider.post(`/api/projects/${p}/queue/next`)).status).toBe(404);
    expect((await outsider.post(`/api/projects/${p}/assignments/${normal.body.task!.assignmentId}/submit`, { payload: validJudgment(normal.body.task!) })).status).toBe(404);
    // Nor can another trainer of the same project act on someone else's assignment.
    expect((await a.put(`/api/projects/${p}/assignments/${normal.body.task!.assignmentId}/draft`, { payload: {} })).status).toBe(404);
  });

  it('validates against the latest published rubric and names the offending field', async () => {
    const { p, trainers } = await setup({ items: 3, trainers: 1 });
    const c = trainers[0]!;
    // Without a published rubric: preference and justification only; the judgment records no version.
    const t0 = (await next(c, p)).task!;
    expect(t0.rubric).toBeNull();
    const scoresRefused = await submit(c, p, t0, { ...validJudgment(t0), scores: [{ dimension: 'helpfulness', responseId: 'r1', value: 3 }] });
    expect(scoresRefused.status).toBe(400);
    expect(scoresRefused.body.error.details).toEqual([{ path: 'body.payload.scores.0.dimension', message: expect.stringMatching(/no rubric is published/) }]);
    const ok0 = await submit(c, p, t0);
    expect(ok0.body.judgment).toMatchObject({ rubricVersion: null, status: 'submitted', timeSpentMs: 1234 });

    await t.db.db.insert(rubricVersions).values({ projectId: p, version: 1, content: RUBRIC });
    await t.db.db.insert(rubricVersions).values({ projectId: p, version: 2, content: { ...RUBRIC, justification: { minWords: 3, maxWords: 40 } } });
    const task = (await next(c, p)).task!;
    expect(task.rubric?.version).toBe(2);
    const [r1, r2] = task.item.responses.map((r) => r.id) as [string, string];
    const content1 = task.item.responses[0]!.content;
    const good: JudgmentPayload = {
      preference: { kind: 'pairwise', a: r1, b: r2, value: 2 },
      scores: [
        { dimension: 'helpfulness', responseId: r1, value: 2 },
        { dimension: 'helpfulness', responseId: r2, value: 5 },
        { dimension: 'overall', value: 1 },
      ],
      spans: [{ responseId: r1, start: 0, end: 10, quote: content1.slice(0, 10), category: 'hallucination', severity: 'major', note: 'made up' }],
      flags: ['unsafe'],
      justification: 'The second answer is correct and clear.',
    };
    const cases: [Partial<JudgmentPayload>, string, RegExp][] = [
      [{ scores: [...good.scores, { dimension: 'tone', responseId: r1, value: 1 }] }, 'body.payload.scores.3.dimension', /not a dimension/],
      [{ scores: [good.scores[0]!, { ...good.scores[1]!, value: 9 }, good.scores[2]!] }, 'body.payload.scores.1.value', /out of scale.*1, 2, 3, 4, 5/],
      [{ scores: [good.scores[0]!, good.scores[2]!] }, 'body.payload.scores', new RegExp(`missing a score for helpfulness on ${r2}`)],
      [{ scores: [good.scores[0]!, good.scores[1]!, { dimension: 'overall', responseId: r1, value: 1 }] }, 'body.payload.scores.2.responseId', /must be absent/],
      [{ spans: [{ ...good.spans[0]!, end: content1.length + 5, quote: undefined }] }, 'body.payload.spans.0.end', /outside the response text/],
      [{ spans: [{ ...good.spans[0]!, quote: 'something else' }] }, 'body.payload.spans.0.quote', /does not match/],
      [{ spans: [{ ...good.spans[0]!, category: 'typo' }] }, 'body.payload.spans.0.category', /not a span category/],
      [{ flags: ['nsfw'] }, 'body.payload.flags.0', /not a flag/],
      [{ justification: 'Too short.' }, 'body.payload.justification', /has 2 words; the rubric asks for at least 3/],
      [{ justification: 'word '.repeat(41) }, 'body.payload.justification', /at most 40/],
      [{ preference: { kind: 'ranking', groups: [[r1], [r2]] } }, 'body.payload.preference.kind', /must be 'pairwise'/],
      [{ preference: { kind: 'pairwise', a: r1, b: 'r9', value: 1 } }, 'body.payload.preference.b', /not a response/],
    ];
    for (const [patch, path, message] of cases) {
      const r = await submit(c, p, task, { ...good, ...patch });
      expect(r.status, `${path}: ${r.text}`).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
      expect(r.body.error.details).toContainEqual({ path, message: expect.stringMatching(message) });
      // The message reads as sentences; the details keep the paths.
      expect(r.body.error.message).not.toMatch(/body\.|payload\./);
    }
    const zodRefused = await submit(c, p, task, { ...good, preference: { kind: 'pairwise', a: r1, b: r2, value: 4 } });
    expect(zodRefused.body.error.details).toContainEqual({ path: 'body.payload.preference.value', message: expect.any(String) });

    // Double click: the same judgment twice at once stores one.
    const [x, y] = await Promise.all([submit(c, p, task, good), submit(c, p, task, good)]);
    expect([x.status, y.status]).toEqual([200, 200]);
    expect([x.body.repeated, y.body.repeated].sort()).toEqual([false, true]);
    expect(x.body.judgment.id).toBe(y.body.judgment.id);
    expect(x.body.judgment).toMatchObject({ rubricVersion: 2, responseOrder: task.responseOrder });
    // Stored by response id in the item's order, whatever the screen order was.
    expect(x.body.judgment.payload.preference).toEqual(r1 === 'r1' ? good.preference : { kind: 'pairwise', a: 'r1', b: 'r2', value: -2 });
    const changed = await submit(c, p, task, { ...good, justification: 'A different justification entirely now.' });
    expect(changed.status).toBe(409);
    const mine = (await c.get<Page<Judgment>>(`/api/projects/${p}/judgments`)).body;
    expect(mine.total).toBe(2);
  });

  it('autosaves drafts, returns them with the task, and randomises response order per trainer', async () => {
    const { p, trainers } = await setup({ items: 1, trainers: 12, settings: { overlap: 12 } });
    const tasks = await Promise.all(trainers.map(async (c) => (await next(c, p)).task!));
    const orders = new Set(tasks.map((task) => task.responseOrder.join(',')));
    // 12 trainers all seeing the same order of two responses has probability 2 × 2^-12.
    expect(orders.size).toBe(2);
    for (const task of tasks) expect(task.item.responses.map((r) => r.id)).toEqual(task.responseOrder);
    const c = trainers[0]!;
    const task = tasks[0]!;
    const draft = { preference: { kind: 'pairwise' as const, a: task.responseOrder[0]!, b: task.responseOrder[1]!, value: 1 }, justification: 'half written' };
    const saved = await c.put<{ savedAt: string }>(`/api/projects/${p}/assignments/${task.assignmentId}/draft`, { payload: draft, timeSpentMs: 5000 });
    expect(saved.status, saved.text).toBe(200);
    const again = (await next(c, p)).task!;
    expect(again.draft).toEqual(draft);
    expect(again.timeSpentMs).toBe(5000);
    // Drafts are not judgments: nobody lists them as submitted.
    expect((await lead.get<Page<Judgment>>(`/api/projects/${p}/judgments`)).body.total).toBe(0);
    expect((await c.post(`/api/projects/${p}/assignments/${task.assignmentId}/release`)).status).toBe(200);
    expect((await next(c, p)).task).toBeNull();
  });

  it('serves items in import order, an item that opens again behind the trainer next, and raising k reopens the items', async () => {
    // k = 1: trainer B's reservation closes it-0 for everyone else until B releases it. A's searches
    // start at A's frontier (where the last one found its first candidate); an item opening again
    // behind it must still come first.
    const { p, trainers } = await setup({ items: 6, trainers: 2, settings: { overlap: 1 } });
    const [a, b] = trainers as [ApiClient, ApiClient];
    const name = (task: Task) => /Prompt (it-\d+)/.exec(task.item.prompt)![1]!;
    const judge = async (c: ApiClient) => {
      const task = await nextTask(c, p);
      expect((await submit(c, p, task)).status).toBe(200);
      return name(task);
    };
    const held = await nextTask(b, p);
    expect(name(held)).toBe('it-0');
    const order = [await judge(a), await judge(a)];
    // it-0 opens again behind A's frontier (B skipped it: B never gets it again).
    expect((await b.post(`/api/projects/${p}/assignments/${held.assignmentId}/release`)).status).toBe(200);
    for (let i = 0; i < 4; i++) order.push(await judge(a));
    expect(order).toEqual(['it-1', 'it-2', 'it-0', 'it-3', 'it-4', 'it-5']);
    expect((await next(a, p)).task).toBeNull();
    // k = 2: every item opens again; A has had them all, B everything but it-0, in order.
    expect((await lead.patch(`/api/projects/${p}/settings`, { overlap: 2 })).status).toBe(200);
    expect((await next(a, p)).task).toBeNull();
    const forB: string[] = [];
    for (let task = (await next(b, p)).task; task; task = (await next(b, p)).task) {
      forB.push(name(task));
      expect((await submit(b, p, task)).status).toBe(200);
    }
    expect(forB).toEqual(['it-1', 'it-2', 'it-3', 'it-4', 'it-5']);
  });

  it('gives work only to eligible members, by role, tier and domain', async () => {
    const { p, trainers } = await setup({ items: 2, trainers: 1, settings: { eligibility: { minTier: 2 } } });
    const c = trainers[0]!;
    const r = await next(c, p);
    expect(r.task).toBeNull();
    expect(r.progress).toMatchObject({ eligible: false, reason: expect.stringMatching(/tier 2/) });
    const me = (await c.get<{ user: { id: string } }>('/api/auth/me')).body.user.id;
    expect((await lead.patch(`/api/projects/${p}/members/${me}`, { tier: 2, tags: ['Law'] })).status).toBe(200);
    await lead.patch(`/api/projects/${p}/settings`, { eligibility: { tags: ['medicine'] } });
    expect((await next(c, p)).progress.reason).toMatch(/medicine/);
    const s = await lead.patch<{ eligibility: { tags: string[]; minTier: number } }>(`/api/projects/${p}/settings`, { eligibility: { tags: ['medicine', 'law'] } });
    expect(s.body.eligibility).toMatchObject({ minTier: 2, tags: ['medicine', 'law'] });
    const ok = await next(c, p);
    expect(ok.task).not.toBeNull();
    expect(ok.progress).toMatchObject({ eligible: true, reserved: 1, done: 0, available: 1 });
    // Leads are not trainers here: no work, and settings are validated.
    expect((await next(lead, p)).progress.eligible).toBe(false);
    const bad = await lead.patch<ErrorBody>(`/api/projects/${p}/settings`, { overlap: 0, goldRate: 2 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details!.map((d) => d.path).sort()).toEqual(['body.goldRate', 'body.overlap']);
    expect((await c.patch(`/api/projects/${p}/settings`, { overlap: 5 })).status).toBe(403);
  });

  it("a lead's tier and domain changes decide who gets work", async () => {
    // Settings tags typed in any case match members' tags, which are stored lowercase.
    const { p, trainers } = await setup({ items: 3, trainers: 2, settings: { eligibility: { minTier: 2, tags: ['Medicine'] } } });
    const [a, b] = trainers as [ApiClient, ApiClient];
    const idOf = async (c: ApiClient) => (await c.get<{ user: { id: string } }>('/api/auth/me')).body.user.id;
    const setMember = (c: ApiClient, body: Record<string, unknown>) => idOf(c).then((id) => lead.patch(`/api/projects/${p}/members/${id}`, body));

    expect((await next(a, p)).task).toBeNull();
    await setMember(a, { tier: 3, tags: ['MEDICINE', 'law'] });
    await setMember(b, { tier: 3, tags: ['law'] });
    const ok = await next(a, p);
    expect(ok.task).not.toBeNull();
    expect(ok.progress).toMatchObject({ eligible: true, reserved: 1 });
    const wrongDomain = await next(b, p);
    expect(wrongDomain.task).toBeNull();
    expect(wrongDomain.progress).toMatchObject({ eligible: false, available: 0, reason: expect.stringMatching(/Medicine/) });

    await setMember(b, { tier: 1, tags: ['medicine'] });
    expect((await next(b, p)).progress.reason).toMatch(/tier 2 or higher \(you are tier 1\)/);
    await setMember(b, { tier: 2 });
    const eligibleNow = await next(b, p);
    expect(eligibleNow.task).not.toBeNull();
    expect(eligibleNow.progress).toMatchObject({ eligible: true, reason: null, reserved: 1 });
  });

  it('ranking projects take ordered groups with ties', async () => {
    const file = [{ externalId: 'rk', prompt: 'Rank', responses: ['a', 'b', 'c'].map((x) => ({ id: x, model: x, content: `answer ${x}` })) }];
    const { p, trainers } = await setup({ items: 0, trainers: 1, taskKind: 'ranking', file });
    const c = trainers[0]!;
    const task = (await next(c, p)).task!;
    expect(task.taskKind).toBe('ranking');
    const base = validJudgment(task);
    const missing = await submit(c, p, task, { ...base, preference: { kind: 'ranking', groups: [['a', 'b']] } });
    expect(missing.body.error.details).toEqual([{ path: 'body.payload.preference.groups', message: 'must rank every response; missing c' }]);
    const twice = await submit(c, p, task, { ...base, preference: { kind: 'ranking', groups: [['a', 'b'], ['a', 'c']] } });
    expect(twice.body.error.details![0]!.path).toBe('body.payload.preference.groups.1.0');
    const ok = await submit(c, p, task, { ...base, preference: { kind: 'ranking', groups: [['c'], ['b', 'a']] } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.judgment.payload.preference).toEqual({ kind: 'ranking', groups: [['c'], ['a', 'b']] });
  });

  it('rating and classification projects judge on the rubric\'s scale and taxonomy: off-scale values, unknown labels and a second label are refused naming the field; gold counts', async () => {
    const base: RubricDraft = { dimensions: [], precedence: [], justification: { minWords: 0, maxWords: 40 }, spanCategories: [], flags: [], rating: null, taxonomy: null };
    const labelling = async (taskKind: TaskKind, gold: unknown, draft: RubricDraft) => {
      const file = [
        { externalId: 'gold', prompt: 'I loved every minute of it.', gold: { preference: gold } },
        { externalId: 'resp', prompt: 'Review this film.', responses: [{ id: 'r1', model: 'm', content: 'Dull and far too long.' }] },
        { externalId: 'two', prompt: 'Two responses', responses: [{ id: 'r1', content: 'a' }, { id: 'r2', content: 'b' }] },
      ];
      const p = (await lead.post<Project>('/api/projects', { name: `Labelling ${n++}`, taskKind })).body.id;
      const job = await importFile(lead, p, jsonlOf(file));
      // An item is judged on its prompt or its one response: two responses are refused with the reason.
      expect(job).toMatchObject({ created: 2, rejected: 1 });
      expect(job.errors[0]!.reason).toMatch(new RegExp(`^responses: a ${taskKind} project rates or labels the prompt or one response`));
      await lead.patch(`/api/projects/${p}/settings`, { goldRate: 1, overlap: 1 });
      // The project's kind decides what the rubric must hold.
      await t.server.deps.rubrics.writeDraft(p, { ...base, dimensions: RUBRIC.dimensions as RubricDraft['dimensions'] });
      const missing = await lead.post<ErrorBody>(`/api/projects/${p}/rubric/publish`, { note: '' });
      expect(missing.status).toBe(400);
      expect(missing.body.error.details).toEqual([{ path: taskKind === 'rating' ? 'rating' : 'taxonomy', message: expect.stringMatching(taskKind === 'rating' ? /needs a rating scale/ : /needs a taxonomy/) }]);
      await t.server.deps.rubrics.writeDraft(p, draft);
      expect((await lead.post(`/api/projects/${p}/rubric/publish`, { note: '' })).status).toBe(201);
      const email = `tr-${randomUUID().slice(0, 8)}@example.com`;
      await admin.post('/api/users', { email, name: 'Labeller', password: 'trainer password 1' });
      await lead.post(`/api/projects/${p}/members`, { email, role: 'trainer' });
      const c = new ApiClient(t.url);
      await c.login(email, 'trainer password 1');
      return { p, c };
    };
    const pay = (preference: unknown) => ({ preference, scores: [], spans: [], flags: [], justification: '' }) as JudgmentPayload;

    // Rating: valence −2..2 (Snow et al. 2008's scale, coarsened).
    const levels = [-2, -1, 0, 1, 2].map((value) => ({ value, label: `valence ${value}`, anchor: '' }));
    const r = await labelling('rating', { kind: 'rating', value: 2 }, { ...base, rating: { levels } });
    const gold = await nextTask(r.c, r.p);
    expect(gold.taskKind).toBe('rating');
    expect(gold.item.responses).toEqual([]);
    expect(JSON.stringify(gold)).not.toMatch(/"gold"|externalId/);
    const off = await submit(r.c, r.p, gold, pay({ kind: 'rating', value: 3 }));
    expect(off.status).toBe(400);
    expect(off.body.error.details).toEqual([{ path: 'body.payload.preference.value', message: expect.stringMatching(/^is not a level of the rating scale \(allowed: -2 valence -2, .*2 valence 2\)$/) }]);
    expect(off.body.error.message).toMatch(/not a level of the rating scale/);
    expect((await submit(r.c, r.p, gold, pay({ kind: 'rating', value: 2 }))).status).toBe(200);
    const resp = await nextTask(r.c, r.p);
    expect(resp.item.responses.map((x) => x.content)).toEqual(['Dull and far too long.']);
    const rated = await submit(r.c, r.p, resp, pay({ kind: 'rating', value: -1 }));
    expect(rated.status, rated.text).toBe(200);
    expect(rated.body.judgment.payload.preference).toEqual({ kind: 'rating', value: -1 });

    // Classification, single-label, with a hierarchy.
    const labels = [
      { id: 'pos', name: 'Positive', parent: null, description: '' },
      { id: 'neg', name: 'Negative', parent: null, description: '' },
      { id: 'angry', name: 'Angry', parent: 'neg', description: '' },
    ];
    const k = await labelling('classification', { kind: 'classification', labels: ['pos'] }, { ...base, taxonomy: { multiLabel: false, labels } });
    const g2 = await nextTask(k.c, k.p);
    const two = await submit(k.c, k.p, g2, pay({ kind: 'classification', labels: ['pos', 'neg'] }));
    expect(two.status).toBe(400);
    expect(two.body.error.details).toEqual([{ path: 'body.payload.preference.labels', message: "must be a single label: this project's taxonomy is single-label (got 2)" }]);
    expect(two.body.error.message).toBe("Labels: must be a single label: this project's taxonomy is single-label (got 2).");
    const unknown = await submit(k.c, k.p, g2, pay({ kind: 'classification', labels: ['joy'] }));
    expect(unknown.body.error.details).toEqual([{ path: 'body.payload.preference.labels.0', message: expect.stringMatching(/^is not a label of the taxonomy \(joy; known: pos, neg, angry\)$/) }]);
    const wrongKind = await submit(k.c, k.p, g2, pay({ kind: 'rating', value: 1 }));
    expect(wrongKind.body.error.details).toEqual([{ path: 'body.payload.preference.kind', message: "must be 'classification' in this project" }]);
    expect((await submit(k.c, k.p, g2, pay({ kind: 'classification', labels: ['angry'] }))).status).toBe(200);

    // Gold accuracy: the rater matched gold's level, the labeller missed gold's label. The lead sees it at
    // once; the trainers' own figures count whole blocks of 10 judgments, so their one gold submit shows
    // nowhere on their page (it would tell them that item was gold, and its answer).
    const goldSeenByLead = async (p: string) =>
      (await lead.get<{ annotators: AnnotatorStats[] }>(`/api/projects/${p}/agreement/trainers`)).body.annotators.find((a) => a.role === 'trainer')!.goldAccuracy;
    await waitFor(async () => (await goldSeenByLead(r.p)).n === 1);
    expect(await goldSeenByLead(r.p)).toMatchObject({ value: 1, n: 1 });
    expect(await goldSeenByLead(k.p)).toMatchObject({ value: 0, n: 1 });
    expect((await r.c.get<MyStats>(`/api/projects/${r.p}/me/stats`)).body).toMatchObject({ judgments: 2, countedJudgments: 0, block: 10, goldAccuracy: { value: null, n: 0 } });
    expect((await k.c.get<MyStats>(`/api/projects/${k.p}/me/stats`)).body).toMatchObject({ judgments: 1, countedJudgments: 0, block: 10, goldAccuracy: { value: null, n: 0 } });
  });

  it('keeps the tables\' statistics where no autovacuum runs: after a trainer\'s queue, a pass analyzes what judging wrote', async () => {
    // The server's pass (ACCORD_DB_MAINTENANCE_SECONDS) asked for at once instead of waited for.
    const { p, trainers } = await setup({ items: 60, trainers: 1 });
    for (let task = (await next(trainers[0]!, p)).task; task; task = (await next(trainers[0]!, p)).task) {
      expect((await submit(trainers[0]!, p, task)).status).toBe(200);
    }
    const maintenance = t.server.deps.maintenance;
    // The outcome, whichever pass did the work: the server's own timer may have run one meanwhile
    // (the suite is long), and a backend reports its row counts only when idle, within seconds.
    const stats = async () =>
      ((await t.server.deps.db.db.execute(
        sql`select c.relname as name, c.reltuples::float8 as tuples, s.n_mod_since_analyze::float8 as mod, s.last_analyze is not null as analyzed
            from pg_stat_user_tables s join pg_class c on c.oid = s.relid where c.relname in ('assignments', 'judgments') order by 1`,
      )) as unknown as { rows: { name: string; tuples: number; mod: number; analyzed: boolean }[] }).rows;
    await expect
      .poll(async () => {
        await maintenance.run();
        if (maintenance.lastPass()!.autovacuum) return true;
        const r = await stats();
        // Both analyzed (assignments only a pass analyzes: imports never write them), nothing left due, the new judgments counted.
        return r.length === 2 && r.every((x) => x.analyzed && x.mod <= 50 + 0.1 * Math.max(x.tuples, 0)) && r[1]!.tuples >= 60;
      })
      .toBe(true);
    // PGlite starts no autovacuum; this machine's PostgreSQL runs without it (elsewhere the pass leaves the work to it).
    if (kind === 'pglite') expect(maintenance.lastPass()!.autovacuum).toBe(false);
  });
});
