/**
 * Import, end to end over HTTP: good, bad, hostile, huge and repeated files in every format; the
 * real LLMFAO and PandaLM datasets with their crowd judgments; jobs a stopped server left running.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportJob, Item, Judgment, Member, Project, RubricDraft, TaskKind } from '@accord/core';
import { importJobs } from '@accord/db';
import { sql } from 'drizzle-orm';
import { testDatabaseKinds } from '@accord/db/testing';
import type { ApiClient, ErrorBody } from '../utils/client.ts';
import { createTestServer, type TestServer } from '../utils/server.ts';
import { dataset, importFile, jsonlOf, pairItem } from '../utils/work.ts';

interface Page<T> {
  items: T[];
  total: number;
}

const kinds = await testDatabaseKinds();

describe.each(kinds)('import (%s)', (kind) => {
  let t: TestServer;
  let lead: ApiClient;
  const newProject = async (name: string, taskKind: TaskKind = 'pairwise') =>
    (await lead.post<Project>('/api/projects', { name, taskKind })).body.id;

  beforeAll(async () => {
    t = await createTestServer(kind);
    lead = await t.as('lead');
  });
  afterAll(() => t?.close());

  it('imports rating and classification items and judgments (JSONL and Label Studio), checked against the published scale and taxonomy', async () => {
    const base: RubricDraft = { dimensions: [], precedence: [], justification: { minWords: 0, maxWords: 100 }, spanCategories: [], flags: [] };
    const publish = async (p: string, draft: RubricDraft) => {
      await t.server.deps.rubrics.writeDraft(p, draft);
      expect((await lead.post(`/api/projects/${p}/rubric/publish`, { note: '' })).status).toBe(201);
    };
    // Classification: a Label Studio export of a sentiment task (Choices), labels by name or id.
    const cp = await newProject('LS choices', 'classification');
    await publish(cp, { ...base, taxonomy: { multiLabel: false, labels: [{ id: 'pos', name: 'Positive', parent: null, description: '' }, { id: 'neg', name: 'Negative', parent: null, description: '' }] } });
    const ls = JSON.stringify([
      {
        id: 11,
        data: { text: 'The soup was cold and bland.' },
        annotations: [
          { id: 1, completed_by: { id: 7, email: 'ann1@example.com' }, result: [{ type: 'choices', from_name: 'sentiment', to_name: 'text', value: { choices: ['Negative'] } }] },
          { id: 2, completed_by: { id: 8, email: 'ann2@example.com' }, result: [{ type: 'choices', from_name: 'sentiment', to_name: 'text', value: { choices: ['Angry'] } }] },
          { id: 3, completed_by: { id: 9, email: 'ann3@example.com' }, result: [{ type: 'choices', value: { choices: ['neg', 'pos'] } }] },
        ],
      },
    ]);
    const cj = await importFile(lead, cp, ls, { format: 'label-studio' });
    expect(cj).toMatchObject({ status: 'done', created: 1, rejected: 2 });
    expect(cj.errors.map((e) => e.reason).sort()).toEqual([
      'judgment.preference.labels.0: is not a label of the taxonomy (Angry; known: pos, neg)',
      "judgment.preference.labels: must be a single label: this project's taxonomy is single-label (got 2)",
    ]);
    const stored = (await lead.get<Page<Judgment>>(`/api/projects/${cp}/judgments?source=import`)).body.items;
    expect(stored.map((j) => [j.user.email, j.payload.preference])).toEqual([['ann1@example.com', { kind: 'classification', labels: ['neg'] }]]);

    // Rating: JSONL items (prompt only, or one response) and judgments on a valence scale −2..2.
    const rp = await newProject('JSONL rating', 'rating');
    await publish(rp, { ...base, rating: { levels: [-2, -1, 0, 1, 2].map((value) => ({ value, label: `v${value}`, anchor: '' })) } });
    const items = await importFile(lead, rp, jsonlOf([
      { externalId: 'h1', prompt: 'Outcry at N Korea nuclear test', gold: { preference: { kind: 'rating', value: -2 } } },
      { externalId: 'h2', prompt: 'Rate the reply', responses: [{ model: 'm', content: 'Glad to help!' }], gold: { preference: { kind: 'rating', value: 7 } } },
    ]));
    expect(items).toMatchObject({ created: 1, rejected: 1 });
    expect(items.errors[0]).toEqual({ line: 2, reason: expect.stringMatching(/^gold\.preference\.value: is not a level of the rating scale/) });
    const js = await importFile(lead, rp, jsonlOf([
      { externalId: 'h1', annotator: 'rater1@example.com', judgment: { preference: { kind: 'rating', value: -1 } } },
      { externalId: 'h1', annotator: 'rater2@example.com', judgment: { preference: { kind: 'rating', value: 3 } } },
      { externalId: 'h1', annotator: 'rater3@example.com', judgment: { preference: { kind: 'classification', labels: ['x'] } } },
    ]), { kind: 'judgments' });
    expect(js).toMatchObject({ created: 1, rejected: 2 });
    expect(js.errors.map((e) => e.reason)).toEqual([
      expect.stringMatching(/^judgment\.preference\.value: is not a level of the rating scale \(allowed: -2 v-2, -1 v-1, 0 v0, 1 v1, 2 v2\)/),
      "judgment.preference.kind: must be 'rating' in this project",
    ]);
  });

  it('imports good lines, reports each bad one by line number and reason, and keeps the good ones', async () => {
    const p = await newProject('Mixed file');
    const file = jsonlOf([
      pairItem('a1'),
      '{"externalId": "broken", ',
      pairItem('a2', { responses: [{ model: 'only one', content: 'x' }] }),
      '',
      pairItem('a3', { gold: { preference: { kind: 'pairwise', a: 'r2', b: 'r1', value: 3 } }, reference: 'Rayleigh scattering.' }),
      pairItem('a4', { gold: { preference: { kind: 'pairwise', a: 'r1', b: 'zz', value: 1 } } }),
      pairItem('a1'),
      { ...pairItem('a5'), prompt: '' },
      pairItem('a6', { context: [{ role: 'user', content: 'Earlier turn' }, { role: 'assistant', content: 'Earlier answer' }], metadata: { domain: 'science' } }),
      pairItem('a7', { responses: [{ id: 'i', model: 'm', kind: 'image', content: 'javascript:alert(1)' }, { id: 'j', model: 'n', content: 'ok' }] }),
      pairItem('a8', { unknownField: 1 }),
    ]);
    const job = await importFile(lead, p, file, { fileName: 'mixed.jsonl' });
    expect(job).toMatchObject({ status: 'done', created: 3, rejected: 7, fileName: 'mixed.jsonl', linesRead: 10 });
    expect(job.bytesRead).toBe(job.bytesTotal);
    const byLine = Object.fromEntries(job.errors.map((e) => [e.line, e.reason]));
    expect(Object.keys(byLine).map(Number)).toEqual([2, 3, 6, 7, 8, 10, 11]);
    expect(byLine[2]).toMatch(/not valid JSON/);
    expect(byLine[3]).toMatch(/responses: needs at least 2 responses/);
    expect(byLine[6]).toMatch(/gold\.preference\.b: is not a response of this item/);
    expect(byLine[7]).toMatch(/repeats external id a1 \(first on line 1\)/);
    expect(byLine[8]).toMatch(/prompt: must not be empty/);
    expect(byLine[10]).toMatch(/image response must be an https URL/);
    expect(byLine[11]).toMatch(/unknownField/);

    const items = (await lead.get<Page<Item>>(`/api/projects/${p}/items?sort=externalId`)).body.items;
    expect(items.map((i) => i.externalId)).toEqual(['a1', 'a3', 'a6']);
    const a3 = items.find((i) => i.externalId === 'a3')!;
    // Gold is stored against the item's own response order: "r1 much worse than r2".
    expect(a3.gold).toEqual({ preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -3 } });
    expect(a3.reference).toBe('Rayleigh scattering.');
    expect(items.find((i) => i.externalId === 'a6')).toMatchObject({ context: [{ role: 'user' }, { role: 'assistant' }], metadata: { domain: 'science' } });
  });

  it('re-importing the same file changes nothing; a changed line updates its item', async () => {
    const p = await newProject('Idempotent');
    const rows = Array.from({ length: 1200 }, (_, i) => pairItem(`id-${i}`, { metadata: { n: i, nested: { b: 1, a: [1, 2] } } }));
    const first = await importFile(lead, p, jsonlOf(rows));
    expect(first).toMatchObject({ status: 'done', created: 1200, updated: 0, unchanged: 0, rejected: 0 });
    const again = await importFile(lead, p, jsonlOf(rows));
    expect(again).toMatchObject({ status: 'done', created: 0, updated: 0, unchanged: 1200, rejected: 0 });
    rows[7] = { ...rows[7]!, prompt: 'A corrected prompt' };
    const fixed = await importFile(lead, p, jsonlOf(rows));
    expect(fixed).toMatchObject({ created: 0, updated: 1, unchanged: 1199 });
    const proj = (await lead.get<Project>(`/api/projects/${p}`)).body;
    expect(proj.counts.items).toBe(1200);
    // Items keep the file's order.
    const firstPage = (await lead.get<Page<Item>>(`/api/projects/${p}/items?limit=3`)).body.items;
    expect(firstPage.map((i) => i.externalId)).toEqual(['id-0', 'id-1', 'id-2']);
  });

  it('imports CSV and Label Studio exports', async () => {
    const p = await newProject('Formats');
    const csv = [
      'external_id,prompt,response_1,model_1,response_2,model_2,gold,topic',
      'c1,"Write a haiku, please","Leaves fall\nquietly",m1,"A poem",m2,b,poetry',
      'c2,Second prompt,"say ""hi""",m1,hello,m2,,greeting',
      'c3,Only one response,lonely,m1,,,,x',
    ].join('\r\n');
    const j1 = await importFile(lead, p, csv, { format: 'csv' });
    expect(j1).toMatchObject({ status: 'done', created: 2, rejected: 1 });
    expect(j1.errors[0]).toMatchObject({ line: 5, reason: expect.stringMatching(/at least 2 responses/) });
    const ls = JSON.stringify([
      { id: 11, data: { instruction: 'Summarise', input: 'A long text', response_a: 'Short', model_a: 'A', response_b: 'Shorter', model_b: 'B', lang: 'en' } },
      { id: 12, data: { prompt: 'Rank these', responses: ['one', { model: 'M', content: 'two' }, { text: 'three' }] } },
      { id: 13, data: { text: 'No responses' } },
      'not a task',
    ], null, 2);
    const j2 = await importFile(lead, p, ls, { format: 'label-studio' });
    expect(j2).toMatchObject({ status: 'done', created: 1, rejected: 3 });
    // Task 12 has three responses: refused in a pairwise project, with its starting line.
    expect(j2.errors.map((e) => e.line)).toEqual([expect.any(Number), expect.any(Number), expect.any(Number)]);
    expect(j2.errors[0]!.reason).toMatch(/exactly 2 responses/);
    // A Label Studio export may hold every task on one line: each rejection names its task (and its id).
    expect(j2.errors[0]!.reason).toMatch(/^task \d+ \(id 12\): /);
    expect(j2.errors.at(-1)!.reason).toMatch(/^task \d+: /);
    const items = (await lead.get<Page<Item>>(`/api/projects/${p}/items?sort=externalId`)).body.items;
    expect(items.map((i) => i.externalId)).toEqual(['11', 'c1', 'c2']);
    expect(items[0]).toMatchObject({ prompt: 'Summarise\n\nA long text', responses: [{ id: 'a', model: 'A', content: 'Short' }, { id: 'b', model: 'B' }], metadata: { lang: 'en', labelStudioId: 11 } });
    expect(items[1]).toMatchObject({ prompt: 'Write a haiku, please', responses: [{ id: 'r1', content: 'Leaves fall\nquietly' }, { id: 'r2' }], metadata: { topic: 'poetry' } });
    expect(items[1]!.gold).toEqual({ preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 2 } });
    const rp = await newProject('Ranking formats', 'ranking');
    const j3 = await importFile(lead, rp, ls, { format: 'label-studio' });
    expect(j3).toMatchObject({ created: 2, rejected: 2 });
  });

  it('turns hostile lines into line-numbered rejections and stores nothing from them', async () => {
    const p = await newProject('Hostile');
    const deep = '{"externalId":"deep","prompt":"p","responses":[],"metadata":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) + '}';
    const lines = [
      JSON.stringify(pairItem('ok1')),
      '{"externalId":"proto","prompt":"p","responses":[{"content":"a"},{"content":"b"}],"metadata":{"__proto__":{"polluted":true}}}',
      JSON.stringify(pairItem('nul', { prompt: 'has a \u0000 NUL' })),
      JSON.stringify(pairItem('sur', { prompt: 'lone \ud800 surrogate' })),
      deep,
      'x'.repeat(3 * 1024 * 1024),
      JSON.stringify(pairItem('ok2')),
    ];
    const parts = lines.map((l) => Buffer.from(l + '\n'));
    const badUtf8 = Buffer.concat([Buffer.from('{"externalId":"utf","prompt":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","responses":[]}\n')]);
    const file = Buffer.concat([...parts.slice(0, 6), badUtf8, parts[6]!]);
    const job = await importFile(lead, p, file);
    expect(job).toMatchObject({ status: 'done', created: 2, rejected: 6 });
    const reasons = Object.fromEntries(job.errors.map((e) => [e.line, e.reason]));
    expect(reasons[2]).toMatch(/forbidden key "__proto__"/);
    expect(reasons[3]).toMatch(/NUL/);
    expect(reasons[4]).toMatch(/unpaired/);
    expect(reasons[5]).toMatch(/nests/);
    expect(reasons[6]).toMatch(/longer than the limit/);
    expect(reasons[7]).toMatch(/not valid UTF-8/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const csv = await importFile(lead, p, 'external_id,prompt,response_1,response_2\nq1,"unterminated,a,b\n', { format: 'csv' });
    expect(csv.status).toBe('done');
    expect(csv.rejected).toBeGreaterThan(0);
    const notArray = await importFile(lead, p, '{"id": 1}', { format: 'label-studio' });
    expect(notArray.errors[0]!.reason).toMatch(/not a JSON array/);
  });

  it('streams a large file (10,000 items, sent chunked) and refuses files over the size limit with a clear error', async () => {
    const p = await newProject('Large');
    const N = 10_000;
    async function* gen() {
      for (let i = 0; i < N; i += 500) yield Buffer.from(jsonlOf(Array.from({ length: 500 }, (_, k) => pairItem(`big-${i + k}`))));
    }
    const body = Readable.toWeb(Readable.from(gen())) as ReadableStream;
    const q = new URLSearchParams({ kind: 'items', format: 'jsonl', fileName: 'big.jsonl' });
    const res = await fetch(`${t.url}/api/projects/${p}/imports?${q}`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { origin: t.url, cookie: `accord_session=${lead.cookie}`, 'content-type': 'application/x-ndjson' },
    } as RequestInit);
    expect(res.status).toBe(202);
    const started = (await res.json()) as ImportJob;
    const seen: number[] = [];
    let job = started;
    while (job.status === 'running') {
      job = (await lead.get<ImportJob>(`/api/projects/${p}/imports/${started.id}`)).body;
      seen.push(job.linesRead);
    }
    expect(job).toMatchObject({ status: 'done', created: N, rejected: 0, linesRead: N });
    // The import analyzed the items before it reported done (no autovacuum here, or not yet): the
    // planner's row count of the table includes them (it was never analyzed before on PGlite).
    const stats = (await t.server.deps.db.db.execute(sql`select reltuples from pg_class where oid = 'items'::regclass`)) as unknown as { rows: { reltuples: number }[] };
    expect(Number(stats.rows[0]!.reltuples)).toBeGreaterThanOrEqual(N);
    expect(seen.every((n, i) => i === 0 || n >= seen[i - 1]!)).toBe(true);
    expect((await lead.get<{ items: ImportJob[] }>(`/api/projects/${p}/imports`)).body.items[0]!.id).toBe(started.id);

    const small = await t.sibling({ ACCORD_IMPORT_MAX_MB: '1' });
    const tooBig = await lead.request<ErrorBody>('POST', `/api/projects/${p}/imports`, undefined, { raw: Buffer.alloc(1024 * 1024 + 1, 0x20) });
    expect(tooBig.status).toBe(202); // the main server allows 1 GiB
    const big = await fetch(`${small.url}/api/projects/${p}/imports`, {
      method: 'POST',
      body: Buffer.alloc(2 * 1024 * 1024, 0x20),
      headers: { origin: small.url, cookie: `accord_session=${lead.cookie}` },
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as ErrorBody).error.message).toMatch(/larger than the import limit of 1048576 bytes/);
    await t.server.deps.imports.idle();
  });

  it('imports LLMFAO: 2,139 pairs and 8,931 crowd votes by 124 workers, who become placeholder members; again changes nothing', async () => {
    const p = await newProject('LLMFAO');
    const items = await importFile(lead, p, dataset('llmfao', 'items'));
    expect(items).toMatchObject({ status: 'done', created: 2139, rejected: 0 });
    const votes = await importFile(lead, p, dataset('llmfao', 'judgments'), { kind: 'judgments' });
    expect(votes).toMatchObject({ status: 'done', created: 8931, rejected: 0 });
    expect(votes.message).toMatch(/124 unknown annotators added as inactive placeholder members/);
    const members = (await lead.get<{ items: Member[] }>(`/api/projects/${p}/members`)).body.items;
    const placeholders = members.filter((m) => m.email.endsWith('@placeholder.invalid'));
    expect(placeholders).toHaveLength(124);
    expect(placeholders.every((m) => !m.active && m.role === 'trainer')).toBe(true);
    const page = (await lead.get<Page<Judgment>>(`/api/projects/${p}/judgments?source=import&limit=1`)).body;
    expect(page.total).toBe(8931);
    expect(page.items[0]).toMatchObject({ source: 'import', rubricVersion: null, payload: { preference: { kind: 'pairwise', a: 'x', b: 'y' } } });

    const again = await importFile(lead, p, dataset('llmfao', 'judgments'), { kind: 'judgments' });
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 8931, rejected: 0 });
    expect(again.message).toBeNull();
    expect((await importFile(lead, p, dataset('llmfao', 'items'))).unchanged).toBe(2139);
  }, 240_000); // thousands of rows through the import API, twice: minutes on a loaded 2-core machine

  it('imports the PandaLM test set with its three annotators and two model judges; judgments for unknown items are rejected', async () => {
    const p = await newProject('PandaLM');
    expect(await importFile(lead, p, dataset('pandalm', 'items'))).toMatchObject({ created: 999, rejected: 0 });
    const j = await importFile(lead, p, dataset('pandalm', 'judgments'), { kind: 'judgments' });
    expect(j).toMatchObject({ status: 'done', message: expect.stringMatching(/^5 unknown annotators/), created: 2997 + 974 + 999, rejected: 0 });
    expect(j.message).toMatch(/^5 unknown annotators/);
    // GPT-3.5 and PandaLM-7B are model annotators, counted apart from the people.
    const pm = (await lead.get<{ items: (Member & { kind: string })[] }>(`/api/projects/${p}/members`)).body.items;
    expect(pm.filter((m) => m.kind === 'model').map((m) => m.name).sort()).toEqual(['Model pandalm-judge-gpt-3.5-turbo', 'Model pandalm-judge-pandalm-7b']);
    expect((await lead.get<Project & { counts: { models: number } }>(`/api/projects/${p}`)).body.counts).toMatchObject({ members: 4, models: 2 });
    const trainer1 = t.logins.find((l) => l.email === 'trainer1@accord.local')!;
    // Judgments attach to members only (or to new placeholders): trainer1 joins the project first.
    expect((await lead.post(`/api/projects/${p}/members`, { email: trainer1.email, role: 'trainer' })).status).toBe(201);
    const bad = await importFile(
      lead,
      p,
      jsonlOf([
        { externalId: 'nope', annotator: 'x', judgment: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 1 } } },
        { externalId: 'pandalm-0', annotator: trainer1.email, judgment: { preference: { kind: 'pairwise', a: 'r2', b: 'r1', value: 2 } } },
        { externalId: 'pandalm-1', annotator: 'y', judgment: { preference: { kind: 'pairwise', a: 'r1', b: 'r9', value: 1 } } },
        { externalId: 'pandalm-2', annotator: 'z', judgment: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 9 } } },
      ]),
      { kind: 'judgments' },
    );
    expect(bad).toMatchObject({ created: 1, rejected: 3 });
    expect(bad.errors.map((e) => [e.line, e.reason.slice(0, 40)])).toEqual([
      [1, expect.stringMatching(/no item with external id nope/)],
      [3, expect.stringMatching(/judgment\.preference\.b: is not a respon/)],
      [4, expect.stringMatching(/judgment\.preference\.value/)],
    ]);
    // A member is matched by email (not a placeholder), and the preference is stored canonically.
    const mine = (await lead.get<Page<Judgment>>(`/api/projects/${p}/judgments?source=import&limit=500&order=desc`)).body.items.find((x) => x.user.email === trainer1.email);
    expect(mine?.payload.preference).toEqual({ kind: 'pairwise', a: 'r1', b: 'r2', value: -2 });
    expect((await lead.request('POST', `/api/projects/${p}/imports?kind=judgments&format=csv`, undefined, { raw: 'a,b' })).status).toBe(400);
  }, 240_000); // thousands of rows through the import API, twice: minutes on a loaded 2-core machine

  it('fails a job a stopped server left running at the next start-up, and leaves one a live server is running alone', async () => {
    const p = await newProject('Interrupted import');
    const ago = new Date(Date.now() - 10 * 60_000);
    const job = { projectId: p, kind: 'items', format: 'jsonl', bytesTotal: 9000, bytesRead: 4000, linesRead: 30, created: 30 } as const;
    // The first server stopped ten minutes ago mid-file; the second is another node, importing right now.
    const [stale] = await t.db.db.insert(importJobs).values({ ...job, fileName: 'stopped.jsonl', createdAt: ago, heartbeatAt: ago }).returning();
    const [live] = await t.db.db.insert(importJobs).values({ ...job, fileName: 'live.jsonl' }).returning();
    const read = async (id: string) => (await lead.get<ImportJob>(`/api/projects/${p}/imports/${id}`)).body;
    expect((await read(stale!.id)).status).toBe('running');

    await t.sibling();
    expect(await read(stale!.id)).toMatchObject({
      status: 'failed',
      message: 'interrupted by a server restart; re-upload the file (re-importing is idempotent)',
      created: 30,
      linesRead: 30,
      finishedAt: expect.any(String),
    });
    expect(await read(live!.id)).toMatchObject({ status: 'running', message: null, finishedAt: null });
    // As the message says: uploading the file again works.
    expect(await importFile(lead, p, jsonlOf([pairItem('after-restart')]))).toMatchObject({ status: 'done', created: 1 });
  });

  it('is for leads only, and a lead of another project sees nothing', async () => {
    const p = await newProject('Private import');
    const job = await importFile(lead, p, jsonlOf([pairItem('s1')]));
    const trainer = await t.as('trainer');
    expect((await trainer.request('POST', `/api/projects/${t.demoProjectId}/imports`, undefined, { raw: 'x' })).status).toBe(403);
    expect((await trainer.get(`/api/projects/${p}/imports/${job.id}`)).status).toBe(404);
    const reviewer = await t.as('reviewer');
    expect((await reviewer.get(`/api/projects/${t.demoProjectId}/imports`)).status).toBe(403);
    // The job id is not reachable through another project.
    const admin = await t.as('admin');
    expect((await admin.get(`/api/projects/${t.demoProjectId}/imports/${job.id}`)).status).toBe(404);
  });
});
