/**
 * Rubric co-authoring and versions: the draft is the live document, publishing validates it with
 * core's RubricSchema (errors name the draft field), versions are immutable and numbered without
 * gaps or duplicates, diffs are readable, trainers read published versions only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLevelAnchorText, moveDimension, setField, setJustification } from '@accord/collab';
import type { RubricDiff, RubricState, RubricVersion, RubricVersionSummary } from '@accord/core';
import { testDatabaseKinds } from '@accord/db/testing';
import type { ApiClient, ErrorBody } from '../utils/client.ts';
import { connected, openDoc, openSocket, type LiveDoc } from '../utils/collab.ts';
import { createTestServer, waitFor, type TestServer } from '../utils/server.ts';

const kinds = await testDatabaseKinds();

describe.each(kinds)('rubric versions (%s)', (kind) => {
  let t: TestServer;
  let lead: ApiClient;
  let reviewer: ApiClient;
  let trainer: ApiClient;
  let draft: LiveDoc;
  let base: string;
  const state = async () => (await lead.get<RubricState>(`${base}/rubric`)).body;

  beforeAll(async () => {
    t = await createTestServer(kind);
    lead = await t.as('lead');
    reviewer = await t.as('reviewer');
    trainer = await t.as('trainer');
    base = `/api/projects/${t.demoProjectId}`;
    const socket = await connected(openSocket({ url: t.url, cookie: reviewer.cookie }));
    draft = openDoc(socket, `rubric:${t.demoProjectId}`);
    await waitFor(() => draft.provider.synced);
  });
  afterAll(async () => {
    draft?.close();
    await t?.close();
  });

  it('the demo project starts with version 1 published by the lead, and its draft', async () => {
    const s = await state();
    expect(s.doc).toBe(`rubric:${t.demoProjectId}`);
    expect(s.canPublish).toBe(true);
    expect(s.latest).toMatchObject({ version: 1, publishedBy: { name: 'Lena Lead' }, dimensions: 4 });
    expect(s.draft.precedence[0]).toMatchObject({ higher: 'harmlessness', lower: 'helpfulness' });
    expect((await reviewer.get<RubricState>(`${base}/rubric`)).body.canPublish).toBe(false);
  });

  it('publishing an invalid draft is refused with the path of every offending field', async () => {
    const anchor = getLevelAnchorText(draft.doc, 'helpfulness', 1)!;
    anchor.delete(0, anchor.length);
    setField(draft.doc, 'honesty', 'name', '   ');
    setJustification(draft.doc, { minWords: 400, maxWords: 300 });
    await waitFor(async () => (await state()).draft.justification.minWords === 400 && (await state()).draft.dimensions[2]!.name === '   ');
    const r = await lead.post<ErrorBody>(`${base}/rubric/publish`, { note: 'broken' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    expect(r.body.error.details!.map((d) => d.path).sort()).toEqual(['dimensions.0.levels.0.anchor', 'dimensions.2.name', 'justification.minWords']);
    expect((await lead.get<{ items: RubricVersionSummary[] }>(`${base}/rubric/versions`)).body.items).toHaveLength(1);
  });

  it('a valid draft becomes version 2; versions are immutable and the diff reads as what changed', async () => {
    getLevelAnchorText(draft.doc, 'helpfulness', 1)!.insert(0, 'Useless: ignores the request.');
    setField(draft.doc, 'honesty', 'name', 'Truthfulness');
    setJustification(draft.doc, { minWords: 20 });
    moveDimension(draft.doc, 'honesty', 0);
    await waitFor(async () => (await state()).draft.dimensions[0]!.name === 'Truthfulness' && (await state()).draft.justification.minWords === 20);
    const r = await lead.post<RubricVersion>(`${base}/rubric/publish`, { note: 'Sharper anchors' });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ version: 2, note: 'Sharper anchors', publishedBy: { name: 'Lena Lead' } });
    expect(r.body.content.dimensions[0]!.name).toBe('Truthfulness');

    // Later draft edits do not touch the published version.
    setField(draft.doc, 'honesty', 'name', 'Honesty again');
    await waitFor(async () => (await state()).draft.dimensions[0]!.name === 'Honesty again');
    const v2 = await trainer.get<RubricVersion>(`${base}/rubric/versions/2`);
    expect(v2.status).toBe(200);
    expect(v2.body.content.dimensions[0]!.name).toBe('Truthfulness');
    expect(v2.body.content).toEqual(r.body.content);

    const diff = await reviewer.get<RubricDiff>(`${base}/rubric/diff?from=1&to=2`);
    expect(diff.status).toBe(200);
    const byPath = new Map(diff.body.changes.map((c) => [c.path, c]));
    expect(byPath.get('dimensions.honesty.name')).toMatchObject({ kind: 'changed', before: 'Honesty', after: 'Truthfulness' });
    expect(byPath.get('dimensions.helpfulness.levels.1.anchor')).toMatchObject({ kind: 'changed', after: 'Useless: ignores the request.' });
    expect(byPath.get('justification.minWords')).toMatchObject({ before: '10', after: '20' });
    expect(byPath.get('dimensions.honesty.position')).toMatchObject({ kind: 'moved', before: '3', after: '1' });
    const toDraft = await reviewer.get<RubricDiff>(`${base}/rubric/diff?from=2&to=draft`);
    expect(toDraft.body.changes.map((c) => c.path)).toEqual(['dimensions.honesty.name']);
    expect((await reviewer.get(`${base}/rubric/diff?from=9&to=draft`)).status).toBe(404);
    expect((await reviewer.get(`${base}/rubric/diff?from=latest`)).status).toBe(400);
  });

  it('concurrent publishes get consecutive numbers, never the same one', async () => {
    const results = await Promise.all([1, 2, 3].map((i) => lead.post<RubricVersion>(`${base}/rubric/publish`, { note: `race ${i}` })));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(results.map((r) => r.body.version).sort()).toEqual([3, 4, 5]);
    const list = (await trainer.get<{ items: RubricVersionSummary[] }>(`${base}/rubric/versions`)).body.items;
    expect(list.map((v) => v.version)).toEqual([5, 4, 3, 2, 1]);
  });

  it('trainers read published versions only: not the draft, not its diff, and they cannot publish', async () => {
    expect((await trainer.get(`${base}/rubric`)).status).toBe(403);
    expect((await trainer.get(`${base}/rubric/diff?from=1&to=draft`)).status).toBe(403);
    expect((await trainer.post(`${base}/rubric/publish`, {})).status).toBe(403);
    expect((await reviewer.post(`${base}/rubric/publish`, {})).status).toBe(403);
    expect((await trainer.get<RubricVersion>(`${base}/rubric/versions/1`)).body.content.dimensions).toHaveLength(4);
    expect((await trainer.get(`${base}/rubric/versions/99`)).status).toBe(404);
  });
});
