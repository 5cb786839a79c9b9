/**
 * SFT writing projects end to end over HTTP: importing writing items (and refusing what a writing
 * project cannot take), submitting a rewrite and a writing from scratch (with the refusals that name
 * the field), the server's stored word diff, a review that sends a writing back with feedback, the
 * trainer's revision and the history of versions, acceptance, what other trainers may not see or do,
 * imported writings, the reviewers' agreement (equal to @accord/metrics on the stored scores) and the
 * SFT JSONL export checked line for line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krippendorffAlpha } from '@accord/metrics';
import type { Feedback, Judgment, RubricDraft, Task, WritingAgreement, WritingDetail, WritingSummary } from '@accord/core';
import { testDatabaseKinds } from '@accord/db/testing';
import type { ApiClient, ErrorBody } from '../utils/client.ts';
import { createFactory, type FactoryProject } from '../utils/factory.ts';
import { importFile, jsonlOf } from '../utils/work.ts';
import { createTestServer, type TestServer } from '../utils/server.ts';

const level = (values: number[]) => values.map((value) => ({ value, label: `Level ${value}`, anchor: `What ${value} means.` }));
const WRITING_RUBRIC: RubricDraft = {
  dimensions: [
    { id: 'helpfulness', name: 'Helpfulness', description: 'Does it do what was asked?', scale: { kind: 'likert', min: 1, max: 5 }, levels: level([1, 2, 3, 4, 5]), weight: 1, target: 'response' },
    { id: 'correctness', name: 'Correctness', description: 'Is every claim true?', scale: { kind: 'likert', min: 1, max: 5 }, levels: level([1, 2, 3, 4, 5]), weight: 1, target: 'response' },
    { id: 'style', name: 'Style', description: 'Clear, concise, well formatted.', scale: { kind: 'likert', min: 1, max: 3 }, levels: level([1, 2, 3]), weight: 1, target: 'response' },
  ],
  precedence: [],
  justification: { minWords: 0, maxWords: 300 },
  spanCategories: [],
  flags: [],
  rating: null,
  taxonomy: null,
};

const ITEMS = [
  { externalId: 'w-1', prompt: 'Rewrite more concisely: "If you have any questions about my rate, please let me know."', responses: [{ id: 'r1', model: 'bloom-7b', content: 'If you have any questions about my rate, please let me know.' }] },
  { externalId: 'w-2', prompt: 'Write a haiku about autumn.', context: [{ role: 'system', content: 'You are a poet.' }] },
  { externalId: 'w-3', prompt: 'Explain recursion to a child.', responses: [{ id: 'r1', model: 'llama-7b', content: 'Recursion is when a thing is defined by itself.' }] },
];

type Err = ErrorBody & { error: { details?: { path: string; message: string }[] } };
const paths = (r: { body: unknown }) => ((r.body as Err).error.details ?? []).map((d) => d.path);
const scores = (h: number, c: number, s: number) => [
  { dimension: 'helpfulness', value: h },
  { dimension: 'correctness', value: c },
  { dimension: 'style', value: s },
];

const kinds = await testDatabaseKinds();

describe.each(kinds)('SFT writing (%s)', (kind) => {
  let t: TestServer;
  let w: FactoryProject;
  let lead: ApiClient;
  let reviewer: ApiClient;
  let trainerA: ApiClient;
  let trainerB: ApiClient;
  const p = () => `/api/projects/${w.id}`;
  /** The trainer's tasks until they have the one for this external id's prompt. */
  const taskFor = async (c: ApiClient, prompt: string): Promise<Task> => {
    const r = await c.post<{ task: Task | null }>(`${p()}/queue/next`);
    const task = r.body.task;
    if (!task) throw new Error('no task');
    if (task.item.prompt !== prompt) {
      await c.post(`${p()}/assignments/${task.assignmentId}/release`);
      throw new Error(`expected the task ${prompt}, got ${task.item.prompt}`);
    }
    return task;
  };
  const submit = (c: ApiClient, task: Task, preference: Record<string, unknown>) =>
    c.post<{ judgment: Judgment } & Err>(`${p()}/assignments/${task.assignmentId}/submit`, { payload: { preference, scores: [], spans: [], flags: [], justification: '' }, timeSpentMs: 5000 });
  let rewriteId = '';
  let scratchId = '';
  let importedId = '';

  beforeAll(async () => {
    t = await createTestServer(kind);
    const factory = createFactory(await t.as('admin'), t.server.deps);
    w = await factory.project({ name: 'Writing', taskKind: 'writing', items: [], trainers: 2, rubric: WRITING_RUBRIC, settings: { overlap: 1 } });
    lead = w.lead.client;
    reviewer = w.reviewer.client;
    [trainerA, trainerB] = w.trainers.map((x) => x.client) as [ApiClient, ApiClient];
  }, 60_000);
  afterAll(() => t?.close());

  it('imports a prompt with at most one model response and refuses two responses or a gold label, by line', async () => {
    const job = await importFile(
      lead,
      w.id,
      jsonlOf([
        ...ITEMS,
        { externalId: 'bad-2', prompt: 'Two responses', responses: [{ id: 'a', content: 'x' }, { id: 'b', content: 'y' }] },
        { externalId: 'bad-gold', prompt: 'Gold', gold: { preference: { kind: 'writing', text: 'The answer.' } } },
      ]),
    );
    expect(job).toMatchObject({ status: 'done', created: 3, rejected: 2 });
    expect(job.errors).toEqual([
      { line: 4, reason: 'responses: a writing project takes the prompt and at most 1 model response to rewrite (got 2)' },
      { line: 5, reason: 'gold: a writing project has no gold items (reviewers judge each writing)' },
    ]);
  });

  it('takes a rewrite and a writing from scratch; refuses an empty or too long text, a base that is not the item\'s response, another kind', async () => {
    const task = await taskFor(trainerA, ITEMS[0]!.prompt);
    expect(task.taskKind).toBe('writing');
    expect(task.item.responses.map((r) => r.content)).toEqual([ITEMS[0]!.responses![0]!.content]);
    const empty = await submit(trainerA, task, { kind: 'writing', text: '   ', base: 'r1' });
    expect([empty.status, paths(empty)]).toEqual([400, ['body.payload.preference.text']]);
    const long = await submit(trainerA, task, { kind: 'writing', text: 'x'.repeat(20_001) });
    expect([long.status, paths(long)]).toEqual([400, ['body.payload.preference.text']]);
    expect((long.body as Err).error.message).toMatch(/at most 20000 characters/);
    const base = await submit(trainerA, task, { kind: 'writing', text: 'Questions? Ask me.', base: 'r9' });
    expect([base.status, paths(base)]).toEqual([400, ['body.payload.preference.base']]);
    const other = await submit(trainerA, task, { kind: 'rating', value: 3 });
    expect([other.status, paths(other)]).toEqual([400, ['body.payload.preference.kind']]);
    // Nothing was lost: the same reservation takes the good writing.
    const ok = await submit(trainerA, task, { kind: 'writing', text: 'Questions about my rate? Let me know.', base: 'r1' });
    expect(ok.status, ok.text).toBe(200);
    rewriteId = ok.body.judgment.id;

    const t2 = await taskFor(trainerB, ITEMS[1]!.prompt);
    expect(t2.item.responses).toEqual([]);
    const noBase = await submit(trainerB, t2, { kind: 'writing', text: 'Leaves.', base: 'r1' });
    expect([noBase.status, (noBase.body as Err).error.details?.[0]?.message]).toEqual([400, 'must be absent: this item has no model response to rewrite']);
    const s = await submit(trainerB, t2, { kind: 'writing', text: 'Crisp leaves falling\nthe maple lets go of red\nsoft light, shorter days' });
    expect(s.status, s.text).toBe(200);
    scratchId = s.body.judgment.id;
  });

  it('keeps a word diff against the response it rewrites, computed by the server, and shows it to reviewers', async () => {
    const d = (await reviewer.get<WritingDetail>(`${p()}/writings/${rewriteId}`)).body;
    expect(d).toMatchObject({ status: 'pending', version: 1, rewrite: true, externalId: 'w-1', item: { response: { id: 'r1', model: 'bloom-7b' } } });
    expect(d.versions).toHaveLength(1);
    expect(d.versions[0]!.diff).toEqual({
      parts: [
        { op: 'del', text: 'If' },
        { op: 'ins', text: 'Questions' },
        { op: 'eq', text: ' ' },
        { op: 'del', text: 'you have any questions ' },
        { op: 'eq', text: 'about my ' },
        { op: 'del', text: 'rate,' },
        { op: 'ins', text: 'rate?' },
        { op: 'eq', text: ' ' },
        { op: 'del', text: 'please let' },
        { op: 'ins', text: 'Let' },
        { op: 'eq', text: ' me know.' },
      ],
      inserted: 3,
      deleted: 8,
    });
    const scratch = (await reviewer.get<WritingDetail>(`${p()}/writings/${scratchId}`)).body;
    expect(scratch).toMatchObject({ rewrite: false, words: 13, item: { response: null, context: [{ role: 'system', content: 'You are a poet.' }] } });
    expect(scratch.versions[0]!.diff).toBeNull();
    // Reviewers see both, waiting; each trainer sees their own only.
    const all = (await reviewer.get<{ items: WritingSummary[]; total: number }>(`${p()}/writings`)).body;
    expect(all.items.map((x) => [x.judgmentId, x.status])).toEqual([
      [rewriteId, 'pending'],
      [scratchId, 'pending'],
    ]);
    const mine = (await trainerB.get<{ items: WritingSummary[] }>(`${p()}/writings`)).body.items;
    expect(mine.map((x) => [x.judgmentId, x.externalId])).toEqual([[scratchId, null]]);
  });

  it('refuses other trainers, trainers reviewing, and reviews that miss a dimension, leave the scale or send back without feedback', async () => {
    expect((await trainerB.get(`${p()}/writings/${rewriteId}`)).status).toBe(404);
    expect((await trainerB.post(`${p()}/writings/${rewriteId}/revisions`, { text: 'Mine now.' })).status).toBe(404);
    expect((await reviewer.post(`${p()}/writings/${rewriteId}/revisions`, { text: 'Mine now.' })).status).toBe(404);
    expect((await trainerB.post(`${p()}/writings/${rewriteId}/reviews`, { version: 1, scores: scores(5, 5, 3), decision: 'accept' })).status).toBe(403);
    const missing = await reviewer.post(`${p()}/writings/${rewriteId}/reviews`, { version: 1, scores: scores(4, 4, 2).slice(0, 2), decision: 'accept' });
    expect([missing.status, paths(missing)]).toEqual([400, ['body.scores']]);
    expect((missing.body as Err).error.message).toMatch(/missing a score for style/);
    const off = await reviewer.post(`${p()}/writings/${rewriteId}/reviews`, { version: 1, scores: scores(4, 4, 5), decision: 'accept' });
    expect([off.status, paths(off)]).toEqual([400, ['body.scores.2.value']]);
    const silent = await reviewer.post(`${p()}/writings/${rewriteId}/reviews`, { version: 1, scores: scores(2, 3, 2), decision: 'send_back', feedback: ' ' });
    expect([silent.status, paths(silent)]).toEqual([400, ['body.feedback']]);
    // Not revisable while it waits for review.
    expect((await trainerA.post(`${p()}/writings/${rewriteId}/revisions`, { text: 'Again.' })).status).toBe(409);
    // Nothing was stored by the refusals.
    expect((await reviewer.get<WritingDetail>(`${p()}/writings/${rewriteId}`)).body.reviewList).toEqual([]);
  });

  it("never shows a trainer another trainer's writings, whatever they ask, nor a project they are not in", async () => {
    // Asking for everyone's (mine=0), or filtering by status, still lists only their own.
    for (const q of ['', '?mine=0', '?mine=false', '?status=pending', '?limit=500']) {
      const r = await trainerB.get<{ items: WritingSummary[]; total: number }>(`${p()}/writings${q}`);
      expect([r.status, r.body.items.map((x) => x.judgmentId), r.body.total], q).toEqual([200, [scratchId], 1]);
    }
    // Another's writing, its revision and its feedback are not found; the reviewers' figures are refused.
    expect((await trainerB.get(`${p()}/writings/${rewriteId}`)).status).toBe(404);
    expect((await trainerB.get(`${p()}/judgments/${rewriteId}`)).status).toBe(404);
    expect((await trainerB.get(`${p()}/judgments/${rewriteId}/feedback`)).status).toBe(404);
    expect((await trainerB.get(`${p()}/writings/agreement`)).status).toBe(403);
    // Someone who is not a member of the project: nothing of it, not even its existence.
    const outsider = (await createFactory(await t.as('admin'), t.server.deps).user({ name: 'Writing outsider' })).client;
    for (const path of [`${p()}/writings`, `${p()}/writings/${rewriteId}`, `${p()}/writings/${scratchId}`, `${p()}/writings/agreement`]) expect((await outsider.get(path)).status, path).toBe(404);
    expect((await outsider.post(`${p()}/writings/${rewriteId}/revisions`, { text: 'Mine now.' })).status).toBe(404);
  });

  it('sends a writing back with feedback; it comes first in its trainer\'s list; they revise it; the versions and reviews are kept', async () => {
    const back = await reviewer.post<WritingDetail>(`${p()}/writings/${rewriteId}/reviews`, { version: 1, scores: scores(3, 4, 2), decision: 'send_back', feedback: 'Keep "please": it is a request to a client.' });
    expect(back.status, back.text).toBe(201);
    expect(back.body).toMatchObject({ status: 'sent_back', version: 1, reviews: 1 });
    expect((await lead.post(`${p()}/writings/${rewriteId}/reviews`, { version: 1, scores: scores(3, 4, 2), decision: 'accept' })).status).toBe(409);

    // The trainer's list: the sent-back writing first; the feedback is on the judgment for them too.
    const list = (await trainerA.get<{ items: WritingSummary[] }>(`${p()}/writings`)).body.items;
    expect(list[0]).toMatchObject({ judgmentId: rewriteId, status: 'sent_back' });
    const fb = (await trainerA.get<{ items: Feedback[] }>(`${p()}/judgments/${rewriteId}/feedback`)).body.items;
    expect(fb.map((f) => f.text)).toEqual(['Keep "please": it is a request to a client.']);
    const own = (await trainerA.get<WritingDetail>(`${p()}/writings/${rewriteId}`)).body;
    expect(own.reviewList.map((r) => [r.decision, r.feedback])).toEqual([['send_back', 'Keep "please": it is a request to a client.']]);
    // Trainers do not see model names unless the project shows them.
    expect(own.item.response).toEqual({ id: 'r1', content: ITEMS[0]!.responses![0]!.content });

    const bad = await trainerA.post(`${p()}/writings/${rewriteId}/revisions`, { text: 'x', base: 'r2' });
    expect([bad.status, paths(bad)]).toEqual([400, ['body.base']]);
    const revised = await trainerA.post<WritingDetail>(`${p()}/writings/${rewriteId}/revisions`, { text: 'Questions about my rate? Please let me know.', base: 'r1', timeSpentMs: 2000 });
    expect(revised.status, revised.text).toBe(201);
    expect(revised.body).toMatchObject({ status: 'pending', version: 2 });
    expect(revised.body.versions.map((v) => [v.version, v.text, v.diff?.inserted, v.diff?.deleted])).toEqual([
      [1, 'Questions about my rate? Let me know.', 3, 8],
      [2, 'Questions about my rate? Please let me know.', 3, 7],
    ]);
    // The judgment holds the current text.
    const j = (await lead.get<{ items: Judgment[] }>(`${p()}/judgments?userId=${w.trainers[0]!.id}`)).body.items[0]!;
    expect(j.payload.preference).toEqual({ kind: 'writing', text: 'Questions about my rate? Please let me know.', base: 'r1' });

    // A screen showing version 1 is stale now.
    expect((await lead.post(`${p()}/writings/${rewriteId}/reviews`, { version: 1, scores: scores(5, 5, 3), decision: 'accept' })).status).toBe(409);
    const acc = await lead.post<WritingDetail>(`${p()}/writings/${rewriteId}/reviews`, { version: 2, scores: scores(5, 5, 3), decision: 'accept' });
    expect(acc.status, acc.text).toBe(201);
    // A second reviewer scores the same version (for agreement); once is all.
    expect((await reviewer.post(`${p()}/writings/${rewriteId}/reviews`, { version: 2, scores: scores(4, 5, 3), decision: 'accept' })).status).toBe(201);
    expect((await reviewer.post(`${p()}/writings/${rewriteId}/reviews`, { version: 2, scores: scores(4, 5, 3), decision: 'accept' })).status).toBe(409);
    const done = (await reviewer.get<WritingDetail>(`${p()}/writings/${rewriteId}`)).body;
    expect(done).toMatchObject({ status: 'accepted', version: 2, reviews: 2 });
    expect(done.reviewList.map((r) => [r.version, r.reviewer.name, r.decision])).toEqual([
      [1, 'Reviewer', 'send_back'],
      [2, 'Lead', 'accept'],
      [2, 'Reviewer', 'accept'],
    ]);
    // An accepted writing is not revised.
    expect((await trainerA.post(`${p()}/writings/${rewriteId}/revisions`, { text: 'Later.' })).status).toBe(409);

    expect((await lead.post(`${p()}/writings/${scratchId}/reviews`, { version: 1, scores: scores(4, 5, 3), decision: 'accept' })).status).toBe(201);
    expect((await reviewer.post(`${p()}/writings/${scratchId}/reviews`, { version: 1, scores: scores(2, 5, 2), decision: 'accept' })).status).toBe(201);
  });

  it('imports writings (a rewrite of the item\'s response) checked like a submit', async () => {
    const job = await importFile(
      lead,
      w.id,
      jsonlOf([
        { externalId: 'w-3', annotator: w.trainers[1]!.email, judgment: { preference: { kind: 'writing', text: 'Recursion is when something is explained using a smaller copy of itself.', base: 'r1' }, scores: [], spans: [], flags: [], justification: '' } },
        { externalId: 'w-2', annotator: w.trainers[0]!.email, judgment: { preference: { kind: 'writing', text: 'Leaves.', base: 'r1' }, scores: [], spans: [], flags: [], justification: '' } },
      ]),
      { kind: 'judgments' },
    );
    expect(job).toMatchObject({ status: 'done', created: 1, rejected: 1 });
    expect(job.errors[0]!.reason).toMatch(/judgment\.preference\.base: must be absent/);
    const list = (await reviewer.get<{ items: WritingSummary[] }>(`${p()}/writings?status=pending`)).body.items;
    expect(list).toHaveLength(1);
    importedId = list[0]!.judgmentId;
    const d = (await reviewer.get<WritingDetail>(`${p()}/writings/${importedId}`)).body;
    expect(d.versions[0]!.diff).toMatchObject({ inserted: 7, deleted: 4 });
  });

  it("reports reviewers' agreement per dimension as @accord/metrics computes it on the stored scores, and the acceptance rate", async () => {
    const a = (await lead.get<WritingAgreement>(`${p()}/writings/agreement`)).body;
    expect(a).toMatchObject({ writings: 3, pending: 1, sentBack: 0, accepted: 2, reviews: 5, acceptanceRate: 4 / 5 });
    // Units: the rewrite's version 2 and the scratch writing's version 1, each scored by the lead and the reviewer.
    const units = { helpfulness: [[5, 4], [4, 2]], correctness: [[5, 5], [5, 5]], style: [[3, 3], [3, 2]] } as const;
    for (const d of a.dimensions) {
      const u = units[d.dimension as keyof typeof units].map((x) => [...x]);
      const cats = d.dimension === 'style' ? [1, 2, 3] : [1, 2, 3, 4, 5];
      expect(d.units).toBe(2);
      expect(d.alphaInterval).toBe(krippendorffAlpha(u, { level: 'interval', categories: cats }));
      expect(d.alphaOrdinal).toBe(krippendorffAlpha(u, { level: 'ordinal', categories: cats }));
    }
    expect(a.dimensions.find((d) => d.dimension === 'helpfulness')).toMatchObject({ scores: 5, distribution: [{ value: 2, count: 1 }, { value: 3, count: 1 }, { value: 4, count: 2 }, { value: 5, count: 1 }], mean: 18 / 5 });
    expect((await trainerA.get(`${p()}/writings/agreement`)).status).toBe(403);
    // The quality dashboard's per-item figures have no preference to compare in a writing project: it answers, with none.
    const q = await lead.get<{ taskKind: string; judgments: number }>(`${p()}/agreement`);
    expect([q.status, q.body.taskKind], q.text).toEqual([200, 'writing']);
    expect((await trainerA.get(`${p()}/me/stats`)).status).toBe(200);
  });

  it('exports accepted writings as SFT JSONL, one line each with provenance, line for line', async () => {
    const r = await lead.request('GET', `${p()}/exports/sft?format=jsonl`);
    expect(r.status, r.text).toBe(200);
    const details = await Promise.all([rewriteId, scratchId].map(async (id) => (await lead.get<WritingDetail>(`${p()}/writings/${id}`)).body));
    const acceptedAt = (d: WritingDetail) => d.reviewList.filter((x) => x.decision === 'accept' && x.version === d.version).at(-1)!.createdAt;
    const scoresOf = (d: WritingDetail) => d.reviewList.filter((x) => x.decision === 'accept' && x.version === d.version).at(-1)!.scores;
    const [rw, sc] = details as [WritingDetail, WritingDetail];
    const expected = [
      {
        messages: [
          { role: 'user', content: ITEMS[0]!.prompt },
          { role: 'assistant', content: 'Questions about my rate? Please let me know.' },
        ],
        metadata: {
          item: 'w-1',
          project: { id: w.id, name: 'Writing' },
          author: w.trainers[0]!.id,
          judgmentId: rewriteId,
          version: 2,
          baseResponseId: 'r1',
          baseModel: 'bloom-7b',
          rubricVersion: 1,
          reviewScores: scoresOf(rw),
          reviews: 2,
          acceptedAt: acceptedAt(rw),
        },
      },
      {
        messages: [
          { role: 'system', content: 'You are a poet.' },
          { role: 'user', content: 'Write a haiku about autumn.' },
          { role: 'assistant', content: 'Crisp leaves falling\nthe maple lets go of red\nsoft light, shorter days' },
        ],
        metadata: {
          item: 'w-2',
          project: { id: w.id, name: 'Writing' },
          author: w.trainers[1]!.id,
          judgmentId: scratchId,
          version: 1,
          baseResponseId: null,
          baseModel: null,
          rubricVersion: 1,
          reviewScores: scoresOf(sc),
          reviews: 2,
          acceptedAt: acceptedAt(sc),
        },
      },
    ];
    expect(scoresOf(rw)).toEqual(scores(4, 5, 3));
    expect(r.text.split('\n')).toEqual([...expected.map((e) => JSON.stringify(e)), '']);
    expect(r.headers.get('x-export-rows')).toBe('2');
    const count = (await lead.get<{ rows: number; columns: string[] }>(`${p()}/exports/sft/count`)).body;
    expect(count).toMatchObject({ rows: 2, columns: ['messages', 'metadata'] });
    const filtered = await lead.request('GET', `${p()}/exports/sft?minAgreement=0.5`);
    expect([filtered.status, paths(filtered)]).toEqual([400, ['query.minAgreement']]);
  });
});
