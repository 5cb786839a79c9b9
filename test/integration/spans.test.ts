/**
 * The entity spans kind end to end through the API, on one server: items and judgments imported
 * from JSONL and from Label Studio (`labels` results), bad spans refused naming the field (import
 * lines and submits), span F1 on the Quality endpoint equal to @accord/metrics on the stored labels,
 * consensus by span voting (a dispute where a span splits the judgments, committed from its room), gold matched on the exact
 * set of spans, and the spans and BIO exports equal to their fixtures line for line. Also: the demo
 * workspace's spans project.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { items, judgments } from '@accord/db';
import { testDatabaseKinds } from '@accord/db/testing';
import { pairwiseSpanF1 } from '@accord/metrics';
import { addProposalEntity, proposalDigest, readDisputeProposal, removeProposalEntity } from '@accord/collab';
import type { AnnotatorStats, Judgment, ProjectAgreement, QueueNext, RubricDraft } from '@accord/core';
import type { ErrorBody } from '../utils/client.ts';
import { createFactory, type FactoryProject } from '../utils/factory.ts';
import { REPO_ROOT } from '../utils/process.ts';
import { createTestServer, waitFor, type TestServer } from '../utils/server.ts';
import { importFile, jsonlOf } from '../utils/work.ts';
import { connected, emitAck, openDoc, openSocket } from '../utils/collab.ts';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/exports');

const RUBRIC: RubricDraft = {
  dimensions: [],
  precedence: [],
  justification: { minWords: 0, maxWords: 100 },
  spanCategories: [],
  flags: [],
  taxonomy: {
    multiLabel: false,
    overlap: false,
    labels: [
      { id: 'PER', name: 'Person', parent: null, description: '' },
      { id: 'ORG', name: 'Organisation', parent: null, description: '' },
      { id: 'LOC', name: 'Location', parent: null, description: '' },
    ],
  },
};

// Three sentences on their prompt, one on its single response (the prompt is then only context).
const ITEMS = [
  { externalId: 'n1', prompt: 'Ada Lovelace met Charles Babbage in London.' },
  { externalId: 'n2', prompt: 'Acme Corp. opened an office in Paris.' },
  { externalId: 'n3', prompt: 'Grace Hopper worked for the U.S. Navy.' },
  { externalId: 'n4', prompt: 'Who founded it?', responses: [{ id: 'r1', model: 'm', content: 'Bill Gates founded Microsoft in Albuquerque.' }] },
  { externalId: 'n5', prompt: 'The summit met in Geneva.' },
  // Gold: the one correct set of spans.
  { externalId: 'g1', prompt: 'Alan Turing was born in London.', gold: { preference: { kind: 'spans', spans: [{ start: 0, end: 11, label: 'PER' }, { start: 24, end: 30, label: 'LOC' }] } } },
];

type S = [number, number, string];
const spans = (...xs: S[]) => ({ kind: 'spans', spans: xs.map(([start, end, label]) => ({ start, end, label })) });
const vote = (externalId: string, annotator: string, preference: unknown) => ({ externalId, annotator, judgment: { preference } });

// n1: all three agree on Ada and London; one adds Charles Babbage → kept out by 2 of 3, consensus met.
// n2: a2 types Acme Corp. as LOC and a3 leaves out the period → the ORG span is marked by 1 of 3 (exact), so … no span
//     has a majority of ORG readings; Paris is agreed. Every span is decided by 2 of 3: met, label = Paris only.
// n4 (response): a1 and a2 agree; a3 marks nothing.
// n5: four judgments, two mark Geneva and two do not → decided by 2 of 4, not more than half: a dispute.
// g1 (gold): a1 matches gold exactly, a2 misses London.
const VOTES = [
  vote('n1', 'a1', spans([0, 12, 'PER'], [36, 42, 'LOC'])),
  vote('n1', 'a2', spans([0, 12, 'PER'], [17, 32, 'PER'], [36, 42, 'LOC'])),
  vote('n1', 'a3', spans([0, 12, 'PER'], [36, 42, 'LOC'])),
  vote('n2', 'a1', spans([0, 10, 'ORG'], [31, 36, 'LOC'])),
  vote('n2', 'a2', spans([0, 10, 'LOC'], [31, 36, 'LOC'])),
  vote('n2', 'a3', spans([0, 9, 'ORG'], [31, 36, 'LOC'])),
  vote('n4', 'a1', spans([0, 10, 'PER'], [19, 28, 'ORG'], [32, 43, 'LOC'])),
  vote('n4', 'a2', spans([0, 10, 'PER'], [19, 28, 'ORG'], [32, 43, 'LOC'])),
  vote('n4', 'a3', spans()),
  vote('n5', 'a1', spans([18, 24, 'LOC'])),
  vote('n5', 'a2', spans([18, 24, 'LOC'])),
  vote('n5', 'a3', spans()),
  vote('n5', 'a4', spans()),
  vote('g1', 'a1', spans([0, 11, 'PER'], [24, 30, 'LOC'])),
  vote('g1', 'a2', spans([0, 11, 'PER'])),
  vote('g1', 'a3', spans([0, 11, 'PER'], [24, 30, 'LOC'])),
];

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const jsonl = (text: string) => lines(text).map((l) => JSON.parse(l) as Record<string, unknown>);

// One database per run to keep CI short: PostgreSQL where it runs (CI), else PGlite. Both pass (checked locally).
const kinds = await testDatabaseKinds();
const only = kinds.includes('postgres') ? (['postgres'] as const) : (['pglite'] as const);

describe.each(only)('entity spans (%s)', (kind) => {
  let t: TestServer;
  let p: FactoryProject;

  const download = async (path: string) => {
    const res = await fetch(`${t.url}/api/projects/${p.id}/exports/${path}`, { headers: { cookie: `accord_session=${p.lead.client.cookie}` } });
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    t = await createTestServer(kind);
    const factory = createFactory(await t.as('admin'), t.server.deps);
    p = await factory.project({ name: 'News entities', taskKind: 'spans', items: ITEMS, trainers: 1, rubric: RUBRIC, settings: { overlap: 3 } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('imports JSONL judgments checked against the text and the taxonomy, and Label Studio labels results as spans', async () => {
    const bad = [
      vote('n3', 'b1', spans([0, 12, 'PER'], [29, 99, 'ORG'])),
      vote('n3', 'b2', spans([0, 12, 'HERO'])),
      vote('n3', 'b3', spans([0, 12, 'PER'], [6, 12, 'PER'])),
      vote('n3', 'b4', { kind: 'spans', spans: [{ start: 0, end: 5, label: 'PER', text: 'Grace Hopper' }] }),
    ];
    const job = await importFile(p.lead.client, p.id, jsonlOf([...VOTES, ...bad]), { kind: 'judgments' });
    expect(job).toMatchObject({ created: VOTES.length, rejected: 4 });
    const reasons = job.errors.map((e) => `${e.line}: ${e.reason}`);
    expect(reasons[0]).toMatch(/^17: .*judgment\.preference\.spans\.1\.end: is outside the text \(38 characters\)/);
    expect(reasons[1]).toMatch(/^18: .*judgment\.preference\.spans\.0\.label: is not a span type of the taxonomy \(HERO; known: PER, ORG, LOC\)/);
    expect(reasons[2]).toMatch(/^19: .*judgment\.preference\.spans\.1\.start: overlaps spans\.0 .*may not nest or overlap/);
    expect(reasons[3]).toMatch(/^20: .*judgment\.preference\.spans\.0\.text: does not match the text at 0\.\.5 \(“Grace”\)/);

    // Label Studio: a task with data.text and two annotators' labels results (one typed by the label's name).
    const ls = JSON.stringify([
      {
        id: 71,
        data: { text: 'Tim Berners-Lee worked at CERN in Geneva.' },
        annotations: [
          {
            id: 1,
            completed_by: { id: 5, email: 'ls-ann@example.org' },
            result: [
              { from_name: 'label', to_name: 'text', type: 'labels', value: { start: 0, end: 15, text: 'Tim Berners-Lee', labels: ['Person'] } },
              { from_name: 'label', to_name: 'text', type: 'labels', value: { start: 26, end: 30, text: 'CERN', labels: ['ORG'] } },
            ],
          },
          { id: 2, completed_by: 6, result: [{ from_name: 'label', to_name: 'text', type: 'labels', value: { start: 34, end: 40, text: 'Genève', labels: ['LOC'] } }] },
        ],
      },
    ]);
    const lj = await importFile(p.lead.client, p.id, ls, { format: 'label-studio' });
    expect(lj).toMatchObject({ created: 1, rejected: 1 });
    // The second annotation's text is not the text at 34..40: reported, not imported.
    expect(lj.errors.map((e) => e.reason).join(' ')).toMatch(/spans\.0\.text: does not match the text at 34\.\.40 \(“Geneva”\)/);
    const [item] = await t.db.db.select({ id: items.id }).from(items).where(and(eq(items.projectId, p.id), eq(items.externalId, '71')));
    const stored = await t.db.db.select({ payload: judgments.payload }).from(judgments).where(eq(judgments.itemId, item!.id));
    expect(stored.map((j) => (j.payload as { preference: unknown }).preference)).toEqual([
      { kind: 'spans', spans: [{ start: 0, end: 15, label: 'PER', text: 'Tim Berners-Lee' }, { start: 26, end: 30, label: 'ORG', text: 'CERN' }] },
    ]);
  });

  it('refuses bad spans on submit with 400 naming the field, and stores good ones in text order with their text', async () => {
    const c = p.trainer.client;
    const next = await c.post<QueueNext>(`/api/projects/${p.id}/queue/next`);
    const task = next.body.task!;
    expect(task.taskKind).toBe('spans');
    const text = task.item.responses.length === 1 ? task.item.responses[0]!.content : task.item.prompt;
    const submit = (preference: unknown) => c.post<{ judgment: Judgment } & ErrorBody>(`/api/projects/${p.id}/assignments/${task.assignmentId}/submit`, { payload: { preference } });
    const refusals: [unknown, string][] = [
      [spans([0, 3, 'PER'], [1, 2, 'PER'], [2, text.length + 1, 'LOC']), 'body.payload.preference.spans.2.end'],
      [spans([4, 4, 'PER']), 'body.payload.preference.spans.0.end'],
      [spans([0, 3, 'DATE']), 'body.payload.preference.spans.0.label'],
      [spans([0, 5, 'PER'], [3, 8, 'ORG']), 'body.payload.preference.spans.1.start'],
      [{ kind: 'classification', labels: ['PER'] }, 'body.payload.preference.kind'],
    ];
    for (const [preference, field] of refusals) {
      const r = await submit(preference);
      expect(r.status, field).toBe(400);
      expect(r.body.error.details?.map((d) => d.path)).toContain(field);
    }
    const words = [...text.matchAll(/\p{L}+/gu)];
    const [w1, w2] = [words[1]!, words[0]!];
    const ok = await submit(spans([w1.index, w1.index + w1[0].length, 'LOC'], [w2.index, w2.index + w2[0].length, 'PER']));
    expect(ok.status).toBe(200);
    expect(ok.body.judgment.payload.preference).toEqual({
      kind: 'spans',
      spans: [
        { start: w2.index, end: w2.index + w2[0].length, label: 'PER', text: w2[0] },
        { start: w1.index, end: w1.index + w1[0].length, label: 'LOC', text: w1[0] },
      ],
    });
  });

  it("span F1 on the Quality endpoint equals @accord/metrics on the stored labels; gold accuracy counts the exact set", async () => {
    const r = await p.lead.client.get<ProjectAgreement>(`/api/projects/${p.id}/agreement?samples=0`);
    expect(r.status).toBe(200);
    const stored = await t.db.db.select({ itemId: judgments.itemId, userId: judgments.userId, payload: judgments.payload }).from(judgments).where(and(eq(judgments.projectId, p.id), eq(judgments.status, 'submitted')));
    const want = pairwiseSpanF1(
      stored.map((j) => ({
        unit: j.itemId,
        annotator: j.userId,
        spans: (j.payload as { preference: { spans: { start: number; end: number; label: string }[] } }).preference.spans.map((s) => ({ start: s.start, end: s.end, category: s.label })),
      })),
    );
    const s = r.body.spans!;
    expect(s).toMatchObject({ judgments: stored.length, items: want.units, pairs: want.pairs, truncated: false });
    expect(s.overall.exactF1).toBeCloseTo(want.overall.exactF1!, 12);
    expect(s.overall.overlapF1).toBeCloseTo(want.overall.overlapF1!, 12);
    expect(s.byType.map((x) => x.label)).toEqual(['LOC', 'ORG', 'PER']);
    for (const x of s.byType) expect(x.exactF1).toBeCloseTo(want.perCategory.find((c) => c.category === x.label)!.exactF1!, 12);
    // Five items judged by a1, a2, a3 (and n5 by a4 too): six pairs; the overlap reading agrees more than the exact one.
    expect(want.pairs).toBe(6);
    expect(s.overall.overlapF1!).toBeGreaterThan(s.overall.exactF1!);

    const trainers = await p.lead.client.get<{ annotators: AnnotatorStats[] }>(`/api/projects/${p.id}/agreement/trainers`);
    const gold = Object.fromEntries(trainers.body.annotators.map((a) => [a.name, a.goldAccuracy]));
    expect(gold['Annotator a1']).toMatchObject({ value: 1, n: 1 });
    expect(gold['Annotator a2']).toMatchObject({ value: 0, n: 1 });
  });

  it('consensus by span voting: a label of the spans most judgments mark, a dispute where a span splits them', async () => {
    const labels = jsonl((await download('consensus')).text);
    expect(labels.map((l) => [l.externalId, l.preference, l.method, l.judgments])).toEqual([
      ['n1', { kind: 'spans', spans: [{ start: 0, end: 12, label: 'PER', text: 'Ada Lovelace' }, { start: 36, end: 42, label: 'LOC', text: 'London' }] }, 'majority', 3],
      ['n2', { kind: 'spans', spans: [{ start: 31, end: 36, label: 'LOC', text: 'Paris' }] }, 'majority', 3],
      ['n4', { kind: 'spans', spans: [{ start: 0, end: 10, label: 'PER', text: 'Bill Gates' }, { start: 19, end: 28, label: 'ORG', text: 'Microsoft' }, { start: 32, end: 43, label: 'LOC', text: 'Albuquerque' }] }, 'majority', 3],
    ]);
    expect(labels[0]!.agreement).toBeCloseTo(2 / 3, 6);
    // n5 splits on Geneva: a dispute naming the span. g1 is gold and more than half of its judgments match gold: none.
    const disputes = await p.lead.client.get<{ items: { reason: string; detail: string; agreement: number | null; itemExternalId: string | null }[] }>(`/api/projects/${p.id}/disputes`);
    expect(disputes.body.items.map((d) => [d.itemExternalId, d.reason, d.detail, d.agreement])).toEqual([
      ['n5', 'disagreement', 'the LOC span “Geneva” (18..24) is marked by 2 of 4 judgments; the rule needs more than 0.50 to agree on every span', 0.5],
    ]);
  });

  it('exports the spans as offsets with the text and as BIO tokens, equal to the fixtures line for line', async () => {
    const norm = (text: string) => lines(text).map((l) => JSON.stringify({ ...(JSON.parse(l) as object), committedAt: '<committedAt>' }));
    for (const k of ['spans', 'bio'] as const) {
      const r = await download(k);
      expect(r.status).toBe(200);
      expect(norm(r.text)).toEqual(lines(readFileSync(join(FIXTURES, `${k}.jsonl`), 'utf8')));
    }
  });

  it("adjudication: the room holds the span vote; the lead edits the spans, a commit is checked as a submit (400 naming the field) and makes them the label export and the Items tab read; others are refused", async () => {
    const d = (await p.lead.client.get<{ items: { id: string; itemExternalId: string | null; itemId: string; doc: string }[] }>(`/api/projects/${p.id}/disputes`)).body.items.find((x) => x.itemExternalId === 'n5')!;
    const s = await connected(openSocket({ url: t.url, cookie: p.lead.client.cookie }));
    const room = openDoc(s, d.doc);
    try {
      // Geneva was marked by 2 of 4, not more than half: the seeded proposal has no span.
      await waitFor(() => room.provider.synced && readDisputeProposal(room.doc).preference !== null, { message: 'the seeded room' });
      expect(readDisputeProposal(room.doc).preference).toEqual({ kind: 'spans', spans: [] });
      const commit = (key: string, as = p.lead.client) => as.post<ErrorBody & { label: { id: string; label: { preference: unknown }; method: string; agreement: number | null } }>(`/api/projects/${p.id}/disputes/${d.id}/commit`, undefined, { headers: { 'idempotency-key': key } });
      const refused = async (span: { start: number; end: number; label: string; text?: string }, path: string, words: string, also?: { start: number; end: number; label: string }) => {
        addProposalEntity(room.doc, span);
        if (also) addProposalEntity(room.doc, also);
        const want = readDisputeProposal(room.doc);
        // The server reads the room from its own copy: wait until it holds the edit (its digest shows in the detail).
        await waitFor(async () => (await p.lead.client.get<{ proposalDigest: string | null }>(`/api/projects/${p.id}/disputes/${d.id}`)).body.proposalDigest === proposalDigest(want), { message: 'the server holds the edit' });
        const r = await commit(`bad-${path}`);
        expect(r.status, path).toBe(400);
        expect(r.body.error.details?.map((x) => x.path)).toContain(path);
        expect(r.body.error.message).toContain(words);
        removeProposalEntity(room.doc, span);
        if (also) removeProposalEntity(room.doc, also);
      };
      // The text is 'The summit met in Geneva.' (25 characters); PER, ORG and LOC are the types; no overlap.
      await refused({ start: 18, end: 40, label: 'LOC' }, 'doc.proposal.preference.spans.0.end', 'outside the text (25 characters)');
      await refused({ start: 18, end: 24, label: 'CITY' }, 'doc.proposal.preference.spans.0.label', 'not a span type of the taxonomy');
      await refused({ start: 18, end: 24, label: 'LOC', text: 'Genf' }, 'doc.proposal.preference.spans.0.text', 'does not match the text');
      await refused({ start: 4, end: 20, label: 'ORG' }, 'doc.proposal.preference.spans.1.start', 'may not nest or overlap', { start: 18, end: 24, label: 'LOC' });

      // Only those who adjudicate commit: a trainer and a reviewer (reviewers do not adjudicate here) are refused, and a trainer cannot join the room.
      expect((await commit('trainer', p.trainer.client)).status).toBe(403);
      expect((await commit('reviewer', p.reviewer.client)).status).toBe(403);
      const ts = await connected(openSocket({ url: t.url, cookie: p.trainer.client.cookie }));
      expect(await emitAck(ts, 'doc:join', d.doc)).toMatchObject({ ok: false, error: { code: 'not_found' } });
      ts.close();

      // The lead marks Geneva as a location and commits: the label, the Items tab and the export read it.
      addProposalEntity(room.doc, { start: 18, end: 24, label: 'LOC' });
      const want = readDisputeProposal(room.doc);
      await waitFor(async () => (await p.lead.client.get<{ proposalDigest: string | null }>(`/api/projects/${p.id}/disputes/${d.id}`)).body.proposalDigest === proposalDigest(want), { message: 'the server holds the edit' });
      const r = await commit('spans-n5');
      expect(r.status).toBe(201);
      const committed = { kind: 'spans', spans: [{ start: 18, end: 24, label: 'LOC', text: 'Geneva' }] };
      expect(r.body.label).toMatchObject({ label: { preference: committed }, method: 'adjudicated', agreement: 0.5 });
      const listed = await p.lead.client.get<{ items: { externalId: string | null; consensus: { labelId: string; method: string } | null }[] }>(`/api/projects/${p.id}/items?limit=50`);
      expect(listed.body.items.find((i) => i.externalId === 'n5')?.consensus).toEqual({ labelId: r.body.label.id, method: 'adjudicated' });
      expect((await p.lead.client.get<{ label: { preference: unknown } }>(`/api/projects/${p.id}/consensus/${r.body.label.id}`)).body.label.preference).toEqual(committed);
      const exported = jsonl((await download('spans')).text).find((l) => l.externalId === 'n5');
      expect(exported).toMatchObject({ text: 'The summit met in Geneva.', spans: [{ start: 18, end: 24, label: 'LOC', text: 'Geneva' }], method: 'adjudicated' });
      expect(jsonl((await download('bio')).text).find((l) => l.externalId === 'n5')).toMatchObject({ tags: ['O', 'O', 'O', 'O', 'B-LOC', 'O'] });
    } finally {
      room.close();
      s.close();
    }
  });

  it('the demo workspace seeds a spans project of 30 news sentences with 3 gold items and its span types published', async () => {
    const lead = await t.as('lead');
    const list = await lead.get<{ items: { id: string; taskKind: string; counts: { items: number } }[] }>('/api/projects');
    const demo = list.body.items.find((x) => x.taskKind === 'spans')!;
    expect(demo.counts.items).toBe(30);
    const gold = await t.db.db.select({ id: items.id }).from(items).where(and(eq(items.projectId, demo.id), eq(items.isGold, true)));
    expect(gold).toHaveLength(3);
    const rubric = await lead.get<{ content: { taxonomy: { overlap: boolean; labels: { id: string }[] } } }>(`/api/projects/${demo.id}/rubric/versions/1`);
    expect(rubric.body.content.taxonomy.labels.map((l) => l.id)).toEqual(['PERSON', 'ORG', 'LOCATION', 'DATE', 'PRODUCT']);
  });
});
