/**
 * Exports through the API on small known projects whose consensus labels are written straight into
 * `consensus_labels` (as the consensus feature commits them): the DPO file equals its fixture line for
 * line (plain and conversational prompts), rankings give every pair from different groups, ties give
 * none, filters select labels, CSV cells cannot run as formulas, Parquet reads back as the JSONL
 * rows, the counts match the files, bad parameters are 400 naming the field, only leads download,
 * and each download is audited.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseCsv } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import { and, eq, sql } from 'drizzle-orm';
import { auditLog, consensusLabels, items } from '@accord/db';
import { testDatabaseKinds } from '@accord/db/testing';
import type { ExportCount, Leaderboard, ProjectAgreement } from '@accord/core';
import type { ApiClient, ErrorBody } from '../utils/client.ts';
import { createFactory, type FactoryProject } from '../utils/factory.ts';
import { REPO_ROOT } from '../utils/process.ts';
import { createTestServer, type TestServer } from '../utils/server.ts';
import { importFile, jsonlOf } from '../utils/work.ts';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/exports');

const pair = (externalId: string, extra: Record<string, unknown> = {}) => ({
  externalId,
  prompt: `Question ${externalId}: why is the sky blue?`,
  responses: [
    { id: 'r1', model: 'model-a', content: `Rayleigh scattering (${externalId}).` },
    { id: 'r2', model: 'model-b', content: `It reflects the sea (${externalId}).` },
  ],
  ...extra,
});

const PLAIN_ITEMS = [
  pair('ex-01'),
  pair('ex-02'),
  pair('ex-03'),
  pair('ex-04', { responses: [{ id: 'r1', model: 'model-a', content: '=cmd|\' /C calc\'!A0' }, { id: 'r2', model: 'model-b', content: '+SUM(1,2), "quoted"\nsecond line' }] }),
  pair('ex-05'),
  pair('ex-06'),
];
const CONTEXT = [
  { role: 'system', content: 'You are a careful physics tutor.' },
  { role: 'user', content: 'I have a question about light.' },
  { role: 'assistant', content: 'Go ahead.' },
];
const CONV_ITEMS = [pair('cv-01'), pair('cv-02', { context: CONTEXT })];
const RANK_ITEMS = ['rk-01', 'rk-02'].map((externalId) => ({
  externalId,
  prompt: `Rank the answers (${externalId}).`,
  responses: ['a', 'b', 'c', 'd'].map((id) => ({ id, model: `model-${id}`, content: `Answer ${id} (${externalId}).` })),
}));

interface LabelSpec {
  externalId: string;
  preference: Record<string, unknown>;
  method: 'unanimous' | 'majority' | 'dawid-skene' | 'bradley-terry' | 'adjudicated';
  agreement: number | null;
  rubricVersion: number | null;
  judgments: number;
  committedAt: string;
  scores?: unknown[];
  superseded?: boolean;
}

const pw = (value: number) => ({ kind: 'pairwise', a: 'r1', b: 'r2', value });

const PLAIN_LABELS: LabelSpec[] = [
  // b better: r2 chosen.
  { externalId: 'ex-01', preference: pw(2), method: 'unanimous', agreement: 1, rubricVersion: 1, judgments: 3, committedAt: '2026-01-05T10:00:00.000Z', scores: [{ dimension: 'helpfulness', responseId: 'r1', value: 1 }, { dimension: 'helpfulness', responseId: 'r2', value: 3 }, { dimension: 'overall', value: 1 }] },
  // A tie: no DPO pair, no SFT row.
  { externalId: 'ex-02', preference: pw(0), method: 'majority', agreement: 0.6666667, rubricVersion: 1, judgments: 3, committedAt: '2026-01-06T10:00:00.000Z' },
  // a better.
  { externalId: 'ex-03', preference: pw(-1), method: 'dawid-skene', agreement: 0.91, rubricVersion: 1, judgments: 3, committedAt: '2026-01-07T10:00:00.000Z' },
  { externalId: 'ex-04', preference: pw(-3), method: 'adjudicated', agreement: null, rubricVersion: 2, judgments: 3, committedAt: '2026-02-01T09:30:00.000Z' },
  { externalId: 'ex-05', preference: pw(1), method: 'majority', agreement: 0.6666667, rubricVersion: 1, judgments: 3, committedAt: '2026-02-02T09:30:00.000Z' },
  // Reopened: the old label is history, not exported (ex-06 has no current label).
  { externalId: 'ex-06', preference: pw(3), method: 'majority', agreement: 0.6666667, rubricVersion: 1, judgments: 3, committedAt: '2026-01-08T10:00:00.000Z', superseded: true },
];
const CONV_LABELS: LabelSpec[] = [
  { externalId: 'cv-01', preference: pw(-2), method: 'majority', agreement: 0.75, rubricVersion: 1, judgments: 4, committedAt: '2026-03-01T12:00:00.000Z' },
  { externalId: 'cv-02', preference: pw(1), method: 'bradley-terry', agreement: 0.8, rubricVersion: 1, judgments: 4, committedAt: '2026-03-02T12:00:00.000Z' },
];
const RANK_LABELS: LabelSpec[] = [
  { externalId: 'rk-01', preference: { kind: 'ranking', groups: [['c'], ['a', 'd'], ['b']] }, method: 'bradley-terry', agreement: 0.7, rubricVersion: 1, judgments: 3, committedAt: '2026-04-01T00:00:00.000Z' },
  { externalId: 'rk-02', preference: { kind: 'ranking', groups: [['a', 'b', 'c', 'd']] }, method: 'majority', agreement: 0.5, rubricVersion: 1, judgments: 3, committedAt: '2026-04-02T00:00:00.000Z' },
];

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const jsonl = (text: string) => lines(text).map((l) => JSON.parse(l) as Record<string, unknown>);

const kinds = await testDatabaseKinds();

describe.each(kinds)('exports (%s)', (kind) => {
  let t: TestServer;
  let plain: FactoryProject;
  let conv: FactoryProject;
  let rank: FactoryProject;
  let lead: ApiClient;

  async function insertLabels(projectId: string, specs: LabelSpec[]) {
    const db = t.db.db;
    for (const s of specs) {
      const [item] = await db.select({ id: items.id }).from(items).where(and(eq(items.projectId, projectId), eq(items.externalId, s.externalId)));
      await db.insert(consensusLabels).values({
        projectId,
        itemId: item!.id,
        label: { preference: s.preference, scores: s.scores ?? [], spans: [] },
        method: s.method,
        agreement: s.agreement,
        rubricVersion: s.rubricVersion,
        judgments: s.judgments,
        judgmentIds: [],
        committedAt: new Date(s.committedAt),
        supersededAt: s.superseded ? new Date('2026-01-09T00:00:00Z') : null,
      });
    }
  }

  /** A download with the lead's session, as bytes (Parquet is binary). */
  async function download(projectId: string, path: string, as?: ApiClient) {
    const client = as ?? [plain, conv, rank].find((x) => x.id === projectId)!.lead.client;
    const res = await fetch(`${t.url}/api/projects/${projectId}/exports/${path}`, { headers: client.cookie ? { cookie: `accord_session=${client.cookie}` } : {} });
    const bytes = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, bytes, text: bytes.toString('utf8') };
  }

  beforeAll(async () => {
    t = await createTestServer(kind);
    const factory = createFactory(await t.as('admin'), t.server.deps);
    plain = await factory.project({ name: 'Évaluation «plain» / v1', items: PLAIN_ITEMS });
    conv = await factory.project({ name: 'Conversational', items: CONV_ITEMS });
    rank = await factory.project({ name: 'Ranking', taskKind: 'ranking', items: RANK_ITEMS });
    lead = plain.lead.client;
    // Raw judgments of two items by three annotators (one of them a model judge), imported first: an
    // import under a current label supersedes it (labels follow their judgments).
    const judgments = ['ex-01', 'ex-02'].flatMap((externalId) =>
      ['ann-1', 'ann-2', 'judge-gpt'].map((annotator, i) => ({ externalId, annotator, annotatorKind: annotator.startsWith('judge') ? 'model' : 'human', judgment: { preference: pw(i === 2 ? -1 : 2) } })),
    );
    expect(await importFile(lead, plain.id, jsonlOf(judgments), { kind: 'judgments' })).toMatchObject({ status: 'done', rejected: 0 });
    // The fixture's labels stand in for the consensus: whatever the rule computed from the import goes.
    await t.db.db.delete(consensusLabels).where(eq(consensusLabels.projectId, plain.id));
    await insertLabels(plain.id, PLAIN_LABELS);
    await insertLabels(conv.id, CONV_LABELS);
    await insertLabels(rank.id, RANK_LABELS);
  });
  afterAll(() => t?.close());

  it('the DPO file of a known plain project equals its fixture line for line, with a safe Content-Disposition and its row count', async () => {
    const r = await download(plain.id, 'dpo');
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const cd = r.headers.get('content-disposition')!;
    expect(cd).toMatch(/^attachment; filename="_valuation _plain_ _ v1-dpo-\d{4}-\d{2}-\d{2}\.jsonl"; filename\*=UTF-8''%C3%89valuation%20%C2%ABplain%C2%BB%20_%20v1-dpo-\d{4}-\d{2}-\d{2}\.jsonl$/);
    expect(lines(r.text)).toEqual(lines(readFileSync(join(FIXTURES, 'dpo-plain.jsonl'), 'utf8')));
    // Ties (ex-02) and the superseded label (ex-06) give no row; every row is TRL's standard preference shape.
    const rows = jsonl(r.text);
    expect(rows.map((x) => x.externalId)).toEqual(['ex-01', 'ex-03', 'ex-04', 'ex-05']);
    expect(r.headers.get('x-export-rows')).toBe('4');
    for (const x of rows) for (const k of ['prompt', 'chosen', 'rejected']) expect(typeof x[k]).toBe('string');
  });

  it('a project with a conversational item exports every prompt as messages, equal to its fixture', async () => {
    const r = await download(conv.id, 'dpo');
    expect(r.status).toBe(200);
    expect(lines(r.text)).toEqual(lines(readFileSync(join(FIXTURES, 'dpo-conversational.jsonl'), 'utf8')));
    const [first, second] = jsonl(r.text);
    expect(first!.prompt).toEqual([{ role: 'user', content: 'Question cv-01: why is the sky blue?' }]);
    expect(second!.prompt).toEqual([...CONTEXT, { role: 'user', content: 'Question cv-02: why is the sky blue?' }]);
    expect(second!.chosen).toEqual([{ role: 'assistant', content: 'It reflects the sea (cv-02).' }]);
    expect(second!.rejected).toEqual([{ role: 'assistant', content: 'Rayleigh scattering (cv-02).' }]);
  });

  it('a ranking gives every pair from different groups (tied responses never paired); an all-tied ranking gives none', async () => {
    const r = await download(rank.id, 'dpo');
    const rows = jsonl(r.text);
    expect(rows.map((x) => `${x.chosenId}>${x.rejectedId}`)).toEqual(['c>a', 'c>d', 'c>b', 'a>b', 'd>b']);
    expect(rows.every((x) => x.externalId === 'rk-01')).toBe(true);
    const rm = jsonl((await download(rank.id, 'rm')).text);
    expect(rm).toHaveLength(1);
    expect((rm[0]!.responses as { id: string; rank: number; group: number }[]).map((x) => [x.id, x.rank, x.group])).toEqual([
      ['c', 1, 1],
      ['a', 2, 2],
      ['d', 2, 2],
      ['b', 4, 3],
    ]);
    const sft = jsonl((await download(rank.id, 'sft')).text);
    expect(sft.map((x) => [x.externalId, x.responseId])).toEqual([['rk-01', 'c']]);
    expect(sft[0]!.messages).toEqual([
      { role: 'user', content: 'Rank the answers (rk-01).' },
      { role: 'assistant', content: 'Answer c (rk-01).' },
    ]);
  });

  it('every kind: the count route and the X-Export-Rows header equal the rows of the file, and rows carry provenance', async () => {
    for (const k of ['dpo', 'rm', 'sft', 'scores', 'judgments', 'consensus', 'leaderboard', 'agreement'] as const) {
      const c = await lead.get<ExportCount>(`/api/projects/${plain.id}/exports/${k}/count`);
      expect(c.status, c.text).toBe(200);
      const r = await download(plain.id, k);
      expect(r.status, `${k}: ${r.text}`).toBe(200);
      const rows = jsonl(r.text);
      expect(rows.length, k).toBe(c.body.rows);
      expect(r.headers.get('x-export-rows'), k).toBe(String(c.body.rows));
      for (const row of rows) expect(Object.keys(row), k).toEqual(c.body.columns);
      if (k !== 'leaderboard' && k !== 'agreement') {
        expect(c.body.labels, k).toBe(5);
        for (const row of rows) for (const p of ['externalId', 'method', 'agreement', 'rubricVersion', 'judgments', 'committedAt']) expect(row, `${k} ${p}`).toHaveProperty(p);
      }
    }
    const consensus = jsonl((await download(plain.id, 'consensus')).text);
    expect(consensus.map((x) => [x.externalId, x.method, x.agreement, x.rubricVersion, x.judgments, x.committedAt])).toEqual(
      PLAIN_LABELS.filter((l) => !l.superseded).map((l) => [l.externalId, l.method, l.agreement, l.rubricVersion, l.judgments, l.committedAt]),
    );
    const scores = jsonl((await download(plain.id, 'scores')).text);
    expect(scores.map((x) => [x.externalId, x.dimension, x.responseId, x.model, x.value])).toEqual([
      ['ex-01', 'helpfulness', 'r1', 'model-a', 1],
      ['ex-01', 'helpfulness', 'r2', 'model-b', 3],
      ['ex-01', 'overall', null, null, 1],
    ]);
    const sft = jsonl((await download(plain.id, 'sft')).text);
    expect(sft.map((x) => [x.externalId, x.responseId])).toEqual([
      ['ex-01', 'r2'],
      ['ex-03', 'r1'],
      ['ex-04', 'r1'],
      ['ex-05', 'r2'],
    ]);
  });

  it('judgments: raw submitted judgments with the annotator (name, human or model) and the item label provenance', async () => {
    const rows = jsonl((await download(plain.id, 'judgments')).text);
    expect(rows).toHaveLength(6);
    expect(rows.map((x) => [x.externalId, x.annotatorName, x.annotatorKind, (x.payload as { preference: { value: number } }).preference.value, x.method])).toEqual(
      expect.arrayContaining([
        ['ex-01', 'Annotator ann-1', 'human', 2, 'unanimous'],
        ['ex-01', 'Model judge-gpt', 'model', -1, 'unanimous'],
        ['ex-02', 'Annotator ann-2', 'human', 2, 'majority'],
      ]),
    );
    // A filter selects labels: only judgments of items whose label it selects.
    const unanimous = jsonl((await download(plain.id, 'judgments?method=unanimous')).text);
    expect(new Set(unanimous.map((x) => x.externalId))).toEqual(new Set(['ex-01']));
  });

  it('rating and classification: consensus (majority level, majority label set; none on a three-way split or under k judgments) exported as JSONL and CSV with provenance', async () => {
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const base = { dimensions: [], precedence: [], justification: { minWords: 0, maxWords: 100 }, spanCategories: [], flags: [] };
    const texts = ['c1', 'c2', 'c3'].map((externalId) => ({ externalId, prompt: `Headline ${externalId}` }));
    const vote = (externalId: string, annotator: string, preference: unknown) => ({ externalId, annotator, judgment: { preference } });
    const cls = await factory.project({
      name: 'Labels',
      taskKind: 'classification',
      items: texts,
      rubric: { ...base, taxonomy: { multiLabel: true, labels: ['pos', 'neg', 'sarcasm'].map((id) => ({ id, name: id, parent: null, description: '' })) } },
    });
    const c = (labels: string[]) => ({ kind: 'classification', labels });
    const cj = [vote('c1', 'a1', c(['neg'])), vote('c1', 'a2', c(['neg'])), vote('c1', 'a3', c(['pos'])), vote('c2', 'a1', c(['sarcasm', 'neg'])), vote('c2', 'a2', c(['neg', 'sarcasm'])), vote('c2', 'a3', c(['sarcasm', 'neg'])), vote('c3', 'a1', c(['pos'])), vote('c3', 'a2', c(['neg']))];
    expect(await importFile(cls.lead.client, cls.id, jsonlOf(cj), { kind: 'judgments' })).toMatchObject({ created: 8, rejected: 0 });
    const rows = jsonl((await download(cls.id, 'consensus', cls.lead.client)).text);
    expect(rows.map((r) => [r.externalId, r.preference, r.method, r.judgments])).toEqual([
      ['c1', c(['neg']), 'majority', 3],
      ['c2', c(['neg', 'sarcasm']), 'majority', 3],
    ]);
    const csv = parseCsv((await download(cls.id, 'consensus?format=csv', cls.lead.client)).text, { columns: true }) as Record<string, string>[];
    expect(csv.map((r) => [r.externalId, JSON.parse(r.preference!) as unknown, r.method])).toEqual([
      ['c1', c(['neg']), 'majority'],
      ['c2', c(['neg', 'sarcasm']), 'majority'],
    ]);

    const rated = await factory.project({ name: 'Levels', taskKind: 'rating', items: texts, rubric: { ...base, rating: { levels: [1, 2, 3, 4, 5].map((value) => ({ value, label: `L${value}`, anchor: '' })) } } });
    const r = (value: number) => ({ kind: 'rating', value });
    const rj = [vote('c1', 'a1', r(4)), vote('c1', 'a2', r(4)), vote('c1', 'a3', r(2)), vote('c2', 'a1', r(1)), vote('c2', 'a2', r(5)), vote('c2', 'a3', r(3))];
    expect(await importFile(rated.lead.client, rated.id, jsonlOf(rj), { kind: 'judgments' })).toMatchObject({ created: 6, rejected: 0 });
    const levels = jsonl((await download(rated.id, 'consensus', rated.lead.client)).text);
    expect(levels.map((x) => [x.externalId, x.preference, x.method])).toEqual([['c1', r(4), 'majority']]);
    const judged = jsonl((await download(rated.id, 'judgments', rated.lead.client)).text);
    expect(judged).toHaveLength(6);
    expect(judged.find((x) => x.externalId === 'c1' && x.annotatorName === 'Annotator a3')).toMatchObject({ payload: { preference: r(2) }, method: 'majority' });
  });

  it('the leaderboard and agreement exports are the quality figures', async () => {
    const lb = jsonl((await download(plain.id, 'leaderboard')).text);
    const api = await lead.get<Leaderboard>(`/api/projects/${plain.id}/leaderboard?samples=200&seed=1`);
    expect(lb.map((x) => [x.model, x.strength, x.ciLow, x.ciHigh, x.wins, x.ties, x.losses])).toEqual(api.body.models.map((m) => [m.model, m.strength, m.ci?.[0] ?? null, m.ci?.[1] ?? null, m.wins, m.ties, m.losses]));
    const ag = jsonl((await download(plain.id, 'agreement')).text);
    const a = await lead.get<ProjectAgreement>(`/api/projects/${plain.id}/agreement?samples=200&seed=1`);
    const overall = ag.find((x) => x.section === 'overall')!;
    expect(overall).toMatchObject({ judgments: a.body.judgments, items: a.body.items, alphaNominal: a.body.overall.alpha.nominal.value, percentAgreement: a.body.overall.percentAgreement.value });
  });

  it('filters: method (statistical, repeated, comma list), minimum agreement, rubric version and commit dates', async () => {
    const ids = async (q: string) => jsonl((await download(plain.id, `consensus?${q}`)).text).map((x) => x.externalId);
    expect(await ids('method=majority')).toEqual(['ex-02', 'ex-05']);
    expect(await ids('method=statistical')).toEqual(['ex-03']);
    expect(await ids('method=adjudicated&method=unanimous')).toEqual(['ex-01', 'ex-04']);
    expect(await ids('method=adjudicated,statistical')).toEqual(['ex-03', 'ex-04']);
    // Labels without an agreement figure fail a minimum.
    expect(await ids('minAgreement=0.9')).toEqual(['ex-01', 'ex-03']);
    expect(await ids('rubricVersion=2')).toEqual(['ex-04']);
    expect(await ids('from=2026-01-06&to=2026-01-07')).toEqual(['ex-02', 'ex-03']);
    expect(await ids('from=2026-02-01T09:30:00Z')).toEqual(['ex-04', 'ex-05']);
    expect(await ids('to=2026-02-01T09:29:59Z')).toEqual(['ex-01', 'ex-02', 'ex-03']);
    const c = await lead.get<ExportCount>(`/api/projects/${plain.id}/exports/dpo/count?method=majority&method=statistical`);
    expect(c.body).toMatchObject({ rows: 2, labels: 3 });
    expect(jsonl((await download(plain.id, 'dpo?method=majority&method=statistical')).text).map((x) => x.externalId)).toEqual(['ex-03', 'ex-05']);
  });

  it('bad parameters are refused with 400 naming the field', async () => {
    const cases: [string, string][] = [
      ['dpo?format=xlsx', 'query.format'],
      ['dpo?method=bogus', 'query.method'],
      ['dpo?method=majority,bogus', 'query.method'],
      ['dpo?minAgreement=2', 'query.minAgreement'],
      ['dpo?minAgreement=high', 'query.minAgreement'],
      ['dpo?rubricVersion=1.5', 'query.rubricVersion'],
      ['dpo?from=yesterday', 'query.from'],
      ['dpo?from=2026-02-01&to=2026-01-01', 'query.to'],
      ['dpo?limit=5', 'query'],
      ['excel', 'params.kind'],
      ['leaderboard?method=majority', 'query.method'],
      ['agreement?minAgreement=0.5', 'query.minAgreement'],
      ['dpo/count?format=csv', 'query'],
    ];
    for (const [path, field] of cases) {
      const r = await download(plain.id, path);
      expect(r.status, path).toBe(400);
      const body = JSON.parse(r.text) as ErrorBody;
      expect(body.error.code, path).toBe('validation_failed');
      expect(body.error.details!.map((d) => d.path), path).toContain(field);
    }
  });

  it('CSV: RFC 4180 with a header row; formula-looking cells are prefixed with a quote; nested values are JSON text', async () => {
    const r = await download(plain.id, 'dpo?format=csv');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(r.headers.get('content-disposition')).toMatch(/filename="[^"]+-dpo-\d{4}-\d{2}-\d{2}\.csv"/);
    const records = parseCsv(r.text, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(4);
    const ex04 = records.find((x) => x.externalId === 'ex-04')!;
    expect(ex04.chosen).toBe("'=cmd|' /C calc'!A0");
    expect(ex04.rejected).toBe("'+SUM(1,2), \"quoted\"\nsecond line");
    expect(ex04.agreement).toBe('');
    // No cell of the file starts a formula.
    for (const rec of records) for (const v of Object.values(rec)) expect(v, v).not.toMatch(/^[=+@\t\r]|^-[^0-9]/);
    const conv2 = parseCsv((await download(conv.id, 'dpo?format=csv')).text, { columns: true }) as Record<string, string>[];
    expect(JSON.parse(conv2[1]!.prompt!)).toEqual([...CONTEXT, { role: 'user', content: 'Question cv-02: why is the sky blue?' }]);
  });

  it('Parquet reads back (hyparquet) as the JSONL rows, for plain and conversational prompts and every item kind', async () => {
    for (const [p, k] of [
      [plain, 'dpo'],
      [conv, 'dpo'],
      [rank, 'rm'],
      [plain, 'judgments'],
      [plain, 'consensus'],
      [plain, 'agreement'],
    ] as const) {
      const j = jsonl((await download(p.id, `${k}?format=jsonl`)).text);
      const r = await download(p.id, `${k}?format=parquet`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/vnd.apache.parquet');
      const file = r.bytes.buffer.slice(r.bytes.byteOffset, r.bytes.byteOffset + r.bytes.byteLength);
      const back = (await parquetReadObjects({ file })).map((row) => Object.fromEntries(Object.entries(row).map(([key, v]) => [key, v instanceof Date ? v.toISOString() : v])));
      if (k === 'agreement') {
        // Recomputed per download (computedAt differs); the figures do not.
        const strip = (rows: Record<string, unknown>[]) => rows.map(({ computedAt: _c, ...rest }) => rest);
        expect(strip(back)).toEqual(strip(j));
      } else expect(back, `${k}`).toEqual(j);
    }
  });

  it('a project larger than a page: every label once, in external-id order, across page boundaries, for every format', async () => {
    const big = await createFactory(await t.as('admin'), t.server.deps).project({ name: 'Paged', items: [] });
    const n = 1234;
    await t.db.db.execute(sql`insert into items (project_id, external_id, prompt, responses, position)
      select ${big.id}::uuid, 'p-' || lpad(g::text, 5, '0'), 'Prompt ' || g,
        jsonb_build_array(jsonb_build_object('id', 'r1', 'model', 'm1', 'kind', 'markdown', 'content', 'one ' || g), jsonb_build_object('id', 'r2', 'model', 'm2', 'kind', 'markdown', 'content', 'two ' || g)), g
      from generate_series(1, ${n}) g`);
    await t.db.db.execute(sql`insert into consensus_labels (project_id, item_id, label, method, agreement, rubric_version, judgments)
      select i.project_id, i.id, jsonb_build_object('preference', jsonb_build_object('kind', 'pairwise', 'a', 'r1', 'b', 'r2', 'value', (i.position % 3) - 1), 'scores', '[]'::jsonb, 'spans', '[]'::jsonb),
        'majority', 0.75, 1, 3
      from items i where i.project_id = ${big.id}::uuid`);
    const dl = (q: string) => download(big.id, q, big.lead.client);
    const ids = jsonl((await dl('consensus')).text).map((x) => x.externalId as string);
    expect(ids).toHaveLength(n);
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => `p-${String(i + 1).padStart(5, '0')}`));
    // Value (position % 3) − 1: one in three is a tie.
    const ties = Array.from({ length: n }, (_, i) => (i + 1) % 3 === 1).filter(Boolean).length;
    const dpo = await dl('dpo');
    expect(dpo.headers.get('x-export-rows')).toBe(String(n - ties));
    expect(lines(dpo.text)).toHaveLength(n - ties);
    const csv = parseCsv((await dl('dpo?format=csv')).text, { columns: true }) as unknown[];
    expect(csv).toHaveLength(n - ties);
    const pq = await dl('dpo?format=parquet');
    const back = await parquetReadObjects({ file: pq.bytes.buffer.slice(pq.bytes.byteOffset, pq.bytes.byteOffset + pq.bytes.byteLength) });
    expect(back.map((r) => r.externalId)).toEqual(jsonl(dpo.text).map((r) => r.externalId));
  });

  it('only the lead downloads (reviewers and trainers 403), and each download is audited', async () => {
    expect((await download(plain.id, 'dpo', plain.reviewer.client)).status).toBe(403);
    expect((await download(plain.id, 'dpo', plain.trainer.client)).status).toBe(403);
    expect((await plain.trainer.client.get(`/api/projects/${plain.id}/exports/dpo/count`)).status).toBe(403);
    const before = await t.db.db.select({ n: sql<number>`count(*)::int` }).from(auditLog).where(and(eq(auditLog.projectId, plain.id), eq(auditLog.action, 'export.download')));
    await download(plain.id, 'sft?format=csv&method=majority');
    const after = await t.db.db.select().from(auditLog).where(and(eq(auditLog.projectId, plain.id), eq(auditLog.action, 'export.download')));
    expect(after.length).toBe(before[0]!.n + 1);
    const last = after.sort((a, b) => +a.createdAt - +b.createdAt).at(-1)!;
    expect(last).toMatchObject({ actorId: plain.lead.id, target: 'sft', details: { kind: 'sft', format: 'csv', rows: 1, filters: { method: ['majority'] } } });
  });
});
