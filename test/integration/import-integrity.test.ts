/**
 * Judgments keep their meaning: imports never rewrite judged items, never enrol existing users,
 * never drop Label Studio annotations silently, and mark model annotators apart; comparison
 * dimensions are stored in the item's order whatever order a trainer saw.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCanonicalPayload, type Item, type Judgment, type JudgmentPayload, type Member, type Project, type QueueNext, type Task } from '@accord/core';
import { testDatabaseKinds } from '@accord/db/testing';
import { BENCH_RUBRIC, publishRubric } from '../utils/bench-load.ts';
import { ApiClient } from '../utils/client.ts';
import { createTestServer, type TestServer } from '../utils/server.ts';
import { importFile, jsonlOf, pairItem, validJudgment } from '../utils/work.ts';

interface Page<T> {
  items: T[];
  total: number;
}

const kinds = await testDatabaseKinds();
const pref = (a: string, b: string, value: number) => ({ kind: 'pairwise', a, b, value });

describe.each(kinds)('import integrity (%s)', (kind) => {
  let t: TestServer;
  let lead: ApiClient;
  let admin: ApiClient;
  let n = 0;
  const newProject = async (taskKind: 'pairwise' | 'ranking' = 'pairwise') => (await lead.post<Project>('/api/projects', { name: `Integrity ${n++}`, taskKind })).body.id;
  const itemsOf = async (p: string) => (await lead.get<Page<Item>>(`/api/projects/${p}/items?sort=externalId&limit=200`)).body.items;
  const judgmentsOf = async (p: string) => (await lead.get<Page<Judgment>>(`/api/projects/${p}/judgments?limit=200`)).body.items;
  const membersOf = async (p: string) => (await lead.get<{ items: (Member & { kind: string })[] }>(`/api/projects/${p}/members`)).body.items;

  async function newTrainer(p: string) {
    const email = `tr-${randomUUID().slice(0, 8)}@example.com`;
    await admin.post('/api/users', { email, name: email, password: 'trainer password 1' });
    await lead.post(`/api/projects/${p}/members`, { email, role: 'trainer' });
    const c = new ApiClient(t.url);
    await c.login(email, 'trainer password 1');
    return c;
  }

  beforeAll(async () => {
    t = await createTestServer(kind);
    lead = await t.as('lead');
    admin = await t.as('admin');
  });
  afterAll(() => t?.close());

  it('refuses to change a judged item on re-import, names the line and the way out; unjudged items still update', async () => {
    const p = await newProject();
    await importFile(lead, p, jsonlOf([pairItem('j1'), pairItem('j2'), pairItem('j3'), pairItem('free')]));
    const judged = await importFile(lead, p, jsonlOf(['j1', 'j2', 'j3'].map((id) => ({ externalId: id, annotator: 'crowd-1', judgment: { preference: pref('r1', 'r2', -1) } }))), { kind: 'judgments' });
    expect(judged).toMatchObject({ status: 'done', created: 3, rejected: 0 });
    const before = await itemsOf(p);
    const changed = jsonlOf([
      pairItem('j1', { prompt: 'A new prompt' }),
      pairItem('j2', { responses: [{ id: 'r1', model: 'm', content: 'changed' }, { id: 'r2', model: 'm', content: 'also changed' }] }),
      pairItem('j3', { responses: [{ id: 'x1', model: 'model-a', content: 'Rayleigh scattering makes short wavelengths scatter more (j3).' }, { id: 'x2', model: 'model-b', content: 'Because it reflects the ocean (j3).' }] }),
      pairItem('free', { prompt: 'An unjudged item may change' }),
    ]);
    const job = await importFile(lead, p, changed);
    expect(job).toMatchObject({ status: 'done', updated: 1, rejected: 3 });
    expect(job.errors.map((e) => e.line)).toEqual([1, 2, 3]);
    for (const e of job.errors) expect(e.reason).toMatch(/already has judgments.*new external id/);
    expect(job.errors[0]!.reason).toMatch(/prompt/);
    expect(job.errors[1]!.reason).toMatch(/responses/);
    const after = await itemsOf(p);
    for (const id of ['j1', 'j2', 'j3']) expect(after.find((i) => i.externalId === id)).toEqual(before.find((i) => i.externalId === id));
    expect(after.find((i) => i.externalId === 'free')!.prompt).toBe('An unjudged item may change');
    // A judgment made in Accord (a draft is enough) guards its item too.
    const q = await newProject();
    await importFile(lead, q, jsonlOf([pairItem('d1')]));
    const tr = await newTrainer(q);
    const task = (await tr.post<QueueNext>(`/api/projects/${q}/queue/next`)).body.task!;
    expect((await tr.put(`/api/projects/${q}/assignments/${task.assignmentId}/draft`, { payload: { justification: 'thinking' } })).status).toBe(200);
    expect(await importFile(lead, q, jsonlOf([pairItem('d1', { prompt: 'changed' })]))).toMatchObject({ updated: 0, rejected: 1 });
  });

  it('refuses to change an item a trainer holds (no draft yet), so the judgment they submit is of what they saw; its metadata may change', async () => {
    const p = await newProject();
    await importFile(lead, p, jsonlOf([pairItem('h1')]));
    await lead.patch(`/api/projects/${p}/settings`, { goldRate: 0, overlap: 1 });
    const tr = await newTrainer(p);
    const task = (await tr.post<QueueNext>(`/api/projects/${p}/queue/next`)).body.task!;
    const seen = task.item.prompt;
    const job = await importFile(lead, p, jsonlOf([pairItem('h1', { prompt: 'A prompt the trainer never saw' })]));
    expect(job).toMatchObject({ status: 'done', updated: 0, rejected: 1 });
    expect(job.errors[0]!.reason).toMatch(/h1 is being judged now.*prompt cannot change/);
    // Metadata is not what the trainer judges: it changes.
    expect(await importFile(lead, p, jsonlOf([pairItem('h1', { metadata: { batch: 2 } })]))).toMatchObject({ updated: 1, rejected: 0 });
    const submitted = await tr.post<{ judgment: Judgment }>(`/api/projects/${p}/assignments/${task.assignmentId}/submit`, { payload: validJudgment(task), timeSpentMs: 1000 });
    expect(submitted.status).toBe(200);
    expect((await itemsOf(p))[0]!.prompt).toBe(seen);
    // Released unjudged, an item may change again.
    await importFile(lead, p, jsonlOf([pairItem('h2')]));
    const next = (await tr.post<QueueNext>(`/api/projects/${p}/queue/next`)).body.task!;
    expect(next.item.prompt).toMatch(/h2/);
    expect((await tr.post(`/api/projects/${p}/assignments/${next.assignmentId}/release`)).status).toBe(200);
    expect(await importFile(lead, p, jsonlOf([pairItem('h2', { prompt: 'Changed after the release' })]))).toMatchObject({ updated: 1, rejected: 0 });
  });

  it('a label follows its judgments: an import that changes or adds some supersedes it and the rule computes it again; an adjudicated one reopens as a dispute', async () => {
    const p = await newProject();
    await importFile(lead, p, jsonlOf([pairItem('c1'), pairItem('c2')]));
    const votes = (ext: string, values: number[], from = 0) => values.map((v, i) => ({ externalId: ext, annotator: `ann-${from + i}`, judgment: { preference: pref('r1', 'r2', v) } }));
    expect(await importFile(lead, p, jsonlOf([...votes('c1', [2, 2, -2]), ...votes('c2', [1, 1, 1])]), { kind: 'judgments' })).toMatchObject({ created: 6, rejected: 0 });
    type Label = { id: string; itemId: string; method: string; judgments: number; label: { preference: { value: number } }; supersededAt: string | null };
    const current = async () => (await lead.get<Page<Label>>(`/api/projects/${p}/consensus`)).body.items;
    const [c1, c2] = (await itemsOf(p)).map((i) => i.id);
    const first = await current();
    expect(first.find((l) => l.itemId === c1)).toMatchObject({ method: 'majority', judgments: 3, label: { preference: { value: 2 } } });
    // The three judgments of c1 change: its label is superseded and computed again from them.
    expect(await importFile(lead, p, jsonlOf(votes('c1', [-3, -3, -3])), { kind: 'judgments' })).toMatchObject({ updated: 3 });
    const second = await current();
    const c1Now = second.find((l) => l.itemId === c1)!;
    expect(c1Now).toMatchObject({ judgments: 3, label: { preference: { value: -3 } } });
    expect(c1Now.id).not.toBe(first.find((l) => l.itemId === c1)!.id);
    expect((await lead.get<Page<Label>>(`/api/projects/${p}/consensus?state=all&itemId=${c1}`)).body.items.filter((l) => l.supersededAt !== null)).toHaveLength(1);
    // The export follows: no row of the old label.
    const exported = await lead.get(`/api/projects/${p}/exports/consensus?format=jsonl`);
    const rows = exported.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { externalId: string; preference: { value: number } });
    expect(rows.filter((r) => r.externalId === 'c1').map((r) => r.preference.value)).toEqual([-3]);
    // c2's label was decided by people: a fourth judgment reopens it as a dispute instead of recomputing it.
    await t.db.db.execute(sql`update consensus_labels set method = 'adjudicated' where item_id = ${c2} and superseded_at is null`);
    expect(await importFile(lead, p, jsonlOf(votes('c2', [-3], 3)), { kind: 'judgments' })).toMatchObject({ created: 1 });
    expect((await current()).find((l) => l.itemId === c2)).toBeUndefined();
    const disputes = (await lead.get<Page<{ itemId: string; reason: string; status: string; detail: string }>>(`/api/projects/${p}/disputes?status=open`)).body.items;
    expect(disputes.find((d) => d.itemId === c2)).toMatchObject({ reason: 'reopened', detail: expect.stringMatching(/changed by import/) });
  });

  it('imports Label Studio annotations as judgments and reports each one it cannot map, with its line', async () => {
    const p = await newProject();
    // Ratings become scores of the rubric's dimensions and choices its flags (by id or name): the rubric first.
    await publishRubric(lead, p, { ...BENCH_RUBRIC, flags: [{ id: 'needs-expert', name: 'Needs expert', description: 'Only an expert can judge it.' }] });
    const data = (i: number) => ({ prompt: `Question ${i}`, response_a: `First answer ${i}`, model_a: 'A', response_b: `Second answer ${i}`, model_b: 'B' });
    const tasks = [
      {
        id: 1,
        data: data(1),
        annotations: [
          {
            id: 101,
            completed_by: { id: 7, email: 'ann7@labelstudio.example' },
            lead_time: 12.5,
            created_at: '2024-05-01T10:00:00Z',
            result: [
              { from_name: 'preference', to_name: 'comparison', type: 'pairwise', value: { selected: 'right' } },
              { from_name: 'helpfulness', to_name: 'response_a', type: 'rating', value: { rating: 2 } },
              { from_name: 'helpfulness', to_name: 'response_b', type: 'rating', value: { rating: 5 } },
              { from_name: 'why', to_name: 'prompt', type: 'textarea', value: { text: ['B answers the question.'] } },
              { from_name: 'quality', to_name: 'prompt', type: 'choices', value: { choices: ['Needs expert'] } },
            ],
          },
          { id: 102, completed_by: 8, result: [{ from_name: 'winner', to_name: 'prompt', type: 'choices', value: { choices: ['A'] } }] },
        ],
      },
      {
        id: 2,
        data: data(2),
        annotations: [
          { id: 201, completed_by: 8, result: [{ from_name: 'rank', to_name: 'prompt', type: 'ranker', value: { ranker: { rank: ['b', 'a'] } } }] },
          { id: 202, completed_by: 9, result: [{ from_name: 'box', to_name: 'image', type: 'rectanglelabels', value: { x: 1, y: 2 } }] },
          { id: 203, completed_by: 10, was_cancelled: true, result: [] },
        ],
      },
    ];
    const text = JSON.stringify(tasks, null, 2);
    const job = await importFile(lead, p, text, { format: 'label-studio' });
    expect(job).toMatchObject({ status: 'done', created: 2 });
    expect(job.message).toMatch(/3 annotations imported as judgments/);
    const task2Line = text.split('\n').findIndex((l) => l.includes('"id": 2,')) + 1 - 1;
    expect(job.errors).toEqual([
      { line: task2Line, reason: expect.stringMatching(/annotation 202.*rectanglelabels/) },
      { line: task2Line, reason: expect.stringMatching(/annotation 203.*cancelled/) },
    ]);
    expect(job.rejected).toBe(2);
    const js = await judgmentsOf(p);
    expect(js).toHaveLength(3);
    const byUser = (s: string) => js.find((j) => j.user.email.includes(s))!;
    expect(byUser('ann7@labelstudio.example').payload).toEqual({
      preference: pref('a', 'b', 2),
      scores: [
        { dimension: 'helpfulness', responseId: 'a', value: 2 },
        { dimension: 'helpfulness', responseId: 'b', value: 5 },
      ],
      spans: [],
      flags: ['needs-expert'],
      justification: 'B answers the question.',
    });
    expect(byUser('ann7@labelstudio.example').timeSpentMs).toBe(12_500);
    const ann8 = js.filter((j) => j.user.email.includes('label-studio-8'));
    expect(ann8.map((j) => j.payload.preference).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([pref('a', 'b', -2), pref('a', 'b', 2)]);
    // Again: nothing changes.
    const again = await importFile(lead, p, text, { format: 'label-studio' });
    expect(again).toMatchObject({ created: 0, unchanged: 2, rejected: 2 });
    expect(again.message).toMatch(/3 annotations.*unchanged/);
  });

  it("refuses imported scores and flags the rubric does not have, as a submit does, naming each", async () => {
    const p = await newProject();
    await importFile(lead, p, jsonlOf([pairItem('s1')]));
    const line = (judgment: Record<string, unknown>) => ({ externalId: 's1', annotator: `ann-${randomUUID().slice(0, 6)}`, judgment: { preference: pref('r1', 'r2', 2), ...judgment } });
    // No rubric yet: no scores or flags are taken.
    const none = await importFile(lead, p, jsonlOf([line({ scores: [{ dimension: 'helpfulness', responseId: 'r1', value: 3 }] }), line({ flags: ['unsafe'] })]), { kind: 'judgments' });
    expect(none).toMatchObject({ created: 0, rejected: 2 });
    expect(none.errors[0]!.reason).toMatch(/judgment\.scores\.0\.dimension.*no rubric is published/);
    expect(none.errors[1]!.reason).toMatch(/judgment\.flags\.0.*no rubric is published/);
    await publishRubric(lead, p);
    const job = await importFile(
      lead,
      p,
      jsonlOf([
        line({ scores: [{ dimension: 'bogus-dim', value: 1 }] }),
        line({ scores: [{ dimension: 'helpfulness', responseId: 'r1', value: -77 }] }),
        line({ scores: [{ dimension: 'helpfulness', responseId: 'zz', value: 3 }] }),
        line({ flags: ['no-such-flag'] }),
        // Some scores only, and a flag named by its name: taken.
        line({ scores: [{ dimension: 'helpfulness', responseId: 'r1', value: 4 }], flags: ['Unsafe'] }),
      ]),
      { kind: 'judgments' },
    );
    expect(job).toMatchObject({ created: 1, rejected: 4 });
    expect(job.errors.map((e) => e.line)).toEqual([1, 2, 3, 4]);
    expect(job.errors[0]!.reason).toMatch(/judgment\.scores\.0\.dimension: is not a dimension/);
    expect(job.errors[1]!.reason).toMatch(/judgment\.scores\.0\.value: is out of scale/);
    expect(job.errors[2]!.reason).toMatch(/judgment\.scores\.0\.responseId: is not a response of this item/);
    expect(job.errors[3]!.reason).toMatch(/judgment\.flags\.0: is not a flag of the rubric/);
    const [stored] = await judgmentsOf(p);
    expect(stored!.payload).toMatchObject({ scores: [{ dimension: 'helpfulness', responseId: 'r1', value: 4 }], flags: ['unsafe'] });
  });

  it('attaches judgments only to members or new placeholders, never enrolling an existing user', async () => {
    const p = await newProject();
    await importFile(lead, p, jsonlOf([pairItem('e1')]));
    const member = await newTrainer(p);
    const memberEmail = (await member.get<{ user: { email: string } }>('/api/auth/me')).body.user.email;
    const adminLogin = t.logins.find((l) => l.role === 'admin')!;
    const other = t.logins.find((l) => l.email === 'trainer2@accord.local')!;
    const adminId = (await admin.get<{ user: { id: string } }>('/api/auth/me')).body.user.id;
    const line = (annotator: string) => ({ externalId: 'e1', annotator, judgment: { preference: pref('r1', 'r2', 1) } });
    const job = await importFile(lead, p, jsonlOf([line(adminLogin.email), line(adminId), line(other.email), line(memberEmail), line('new-crowd-worker')]), { kind: 'judgments' });
    expect(job).toMatchObject({ created: 2, rejected: 3 });
    expect(job.errors.map((e) => e.line)).toEqual([1, 2, 3]);
    for (const e of job.errors) expect(e.reason).toMatch(/not a member of this project/);
    const emails = (await membersOf(p)).map((m) => m.email);
    expect(emails).not.toContain(adminLogin.email);
    expect(emails).not.toContain(other.email);
    expect(emails.some((e) => e.startsWith('annotator-new-crowd-worker'))).toBe(true);
  });

  it("an admin creates the account an import named by e-mail: the placeholder becomes that person's account, judgments and all (no squatting)", async () => {
    const p = await newProject();
    await importFile(lead, p, jsonlOf([pairItem('s1'), pairItem('s2')]));
    const email = `new-hire-${randomUUID().slice(0, 8)}@example.com`;
    const job = await importFile(lead, p, jsonlOf(['s1', 's2'].map((id) => ({ externalId: id, annotator: email, judgment: { preference: pref('r1', 'r2', 2) } }))), { kind: 'judgments' });
    expect(job).toMatchObject({ created: 2, rejected: 0 });
    const placeholder = (await membersOf(p)).find((m) => m.email === email)!;
    expect(placeholder).toMatchObject({ active: false, role: 'trainer' });
    // Nobody can sign in as the placeholder.
    expect((await new ApiClient(t.url).post('/api/auth/login', { email, password: 'new hire password 1' })).status).toBe(401);
    // The admin creates the person's account: it is the placeholder, now active, with its judgments.
    const created = await admin.post<{ id: string; email: string; active: boolean; placeholder: boolean }>('/api/users', { email, name: 'New Hire', password: 'new hire password 1' });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ id: placeholder.userId, email, active: true, placeholder: false });
    const c = new ApiClient(t.url);
    await c.login(email, 'new hire password 1');
    expect((await c.get<{ user: { id: string; name: string } }>('/api/auth/me')).body.user).toMatchObject({ id: placeholder.userId, name: 'New Hire' });
    expect((await judgmentsOf(p)).filter((j) => j.userId === placeholder.userId)).toHaveLength(2);
    // Once claimed, the address is taken like any other.
    const again = await admin.post<{ error: { code: string } }>('/api/users', { email, name: 'Someone else', password: 'other password 12' });
    expect(again.status).toBe(409);
    expect((await c.get<{ user: { name: string } }>('/api/auth/me')).body.user.name).toBe('New Hire');
  });

  it('marks model annotators and counts them apart from human members', async () => {
    const p = await newProject();
    await importFile(lead, p, jsonlOf([pairItem('m1'), pairItem('m2')]));
    const before = (await lead.get<Project & { counts: { models: number } }>(`/api/projects/${p}`)).body.counts;
    const job = await importFile(
      lead,
      p,
      jsonlOf([
        { externalId: 'm1', annotator: 'gpt-3.5-turbo', annotatorKind: 'model', judgment: { preference: pref('r1', 'r2', -1) } },
        { externalId: 'm2', annotator: 'gpt-3.5-turbo', annotatorKind: 'model', judgment: { preference: pref('r1', 'r2', 1) } },
        { externalId: 'm1', annotator: 'human-1', judgment: { preference: pref('r1', 'r2', 1) } },
        { externalId: 'm1', annotator: 'bad', annotatorKind: 'robot', judgment: { preference: pref('r1', 'r2', 1) } },
        { externalId: 'm2', annotator: 'human-1', annotatorKind: 'model', judgment: { preference: pref('r1', 'r2', 1) } },
      ]),
      { kind: 'judgments' },
    );
    expect(job).toMatchObject({ created: 3, rejected: 2 });
    expect(job.errors[0]).toMatchObject({ line: 4, reason: expect.stringMatching(/annotatorKind/) });
    expect(job.errors[1]).toMatchObject({ line: 5, reason: expect.stringMatching(/human-1.*human/) });
    const members = await membersOf(p);
    expect(members.find((m) => m.name.includes('gpt-3.5-turbo'))).toMatchObject({ kind: 'model', active: false });
    expect(members.find((m) => m.name.includes('human-1'))).toMatchObject({ kind: 'human' });
    expect(members.find((m) => m.role === 'lead')).toMatchObject({ kind: 'human' });
    const counts = (await lead.get<Project & { counts: { models: number } }>(`/api/projects/${p}`)).body.counts;
    expect(counts).toEqual({ ...before, members: before.members + 1, models: 1 });
  });

  it('stores the same payload for two trainers who prefer the same response in opposite screen orders', async () => {
    const p = await newProject();
    await importFile(lead, p, jsonlOf(Array.from({ length: 16 }, (_, i) => pairItem(`o-${i}`))));
    await lead.patch(`/api/projects/${p}/settings`, { goldRate: 0, overlap: 2 });
    await publishRubric(lead, p, BENCH_RUBRIC);
    const trainers = [await newTrainer(p), await newTrainer(p)];
    const orders = new Map<string, string[][]>();
    for (const c of trainers) {
      for (;;) {
        const task = (await c.post<QueueNext>(`/api/projects/${p}/queue/next`)).body.task as Task | null;
        if (!task) break;
        expect(task.canonicalOrder).toEqual(['r1', 'r2']);
        orders.set(task.item.id, [...(orders.get(task.item.id) ?? []), task.responseOrder]);
        // Both prefer r1 (the model-a answer): on screen that is A or B depending on the order shown.
        const r1OnLeft = task.responseOrder[0] === 'r1';
        const screen: JudgmentPayload = {
          preference: pref(task.responseOrder[0]!, task.responseOrder[1]!, r1OnLeft ? -2 : 2) as JudgmentPayload['preference'],
          scores: [
            ...['r1', 'r2'].flatMap((id) => [
              { dimension: 'helpfulness', responseId: id, value: id === 'r1' ? 5 : 2 },
              { dimension: 'harmlessness', responseId: id, value: 1 },
            ]),
            { dimension: 'preference', value: r1OnLeft ? 0 : 2 }, // "A is better" / "B is better" as seen
          ],
          spans: [],
          flags: [],
          justification: 'The first model explains the physics correctly while the other one invents a wrong cause.',
        };
        const payload = toCanonicalPayload(screen, task.responseOrder, task.canonicalOrder, BENCH_RUBRIC);
        const r = await c.post(`/api/projects/${p}/assignments/${task.assignmentId}/submit`, { payload });
        expect(r.status).toBe(200);
      }
    }
    const opposite = [...orders.values()].filter((o) => o.length === 2 && o[0]![0] !== o[1]![0]);
    expect(opposite.length).toBeGreaterThan(0);
    const js = (await lead.get<Page<Judgment>>(`/api/projects/${p}/judgments?limit=200`)).body.items;
    expect(js).toHaveLength(32);
    const byItem = new Map<string, Judgment[]>();
    for (const j of js) byItem.set(j.itemId, [...(byItem.get(j.itemId) ?? []), j]);
    for (const [, pair] of byItem) {
      expect(pair).toHaveLength(2);
      expect(pair[0]!.payload).toEqual(pair[1]!.payload);
      expect((pair[0]!.payload.scores as { dimension: string; value: number }[]).find((s) => s.dimension === 'preference')!.value).toBe(0);
    }
  });
});
