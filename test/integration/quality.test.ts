/**
 * Quality figures on real data, through the API: LLMFAO's crowd votes give the α, percent agreement
 * and leaderboard that @accord/metrics computes on the raw file and the published Bradley–Terry
 * scores; PandaLM's three annotators give the published pairwise κ (0.85 / 0.88 / 0.86) and its two
 * model judges appear as model annotators. Access (trainers 403), bad parameters (400 naming the
 * field), the item list's figures, flags, a trainer's own statistics and the live "figures changed"
 * event.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type SQL } from 'drizzle-orm';
import { io as ioClient } from 'socket.io-client';
import msgpackParser from 'socket.io-msgpack-parser';
import type { AnnotatorStats, Item, Leaderboard, MyStats, ProjectAgreement, QualityFlag, RubricDraft, Task, TaskKind } from '@accord/core';
import { bradleyTerry, cohenKappa, krippendorffAlpha, labelAlphas, pairwiseCounts, percentAgreement, setAlpha, type Comparison } from '@accord/metrics';
import { testDatabaseKinds } from '@accord/db/testing';
import type { ApiClient, ErrorBody } from '../utils/client.ts';
import { createFactory } from '../utils/factory.ts';
import { REPO_ROOT } from '../utils/process.ts';
import { countRows, createTestServer, waitFor, type TestServer } from '../utils/server.ts';
import { dataset, importFile, judgeQueue, jsonlOf, pairItem, storedCountsDiff, validJudgment } from '../utils/work.ts';

interface RawJudgment {
  externalId: string;
  annotator: string;
  annotatorKind?: string;
  judgment: { preference: { a: string; b: string; value: number } };
}
const lines = (b: Buffer) =>
  b
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Units × annotators of 3-way values (first better −1, tie 0, second better 1). */
function ratingsOf(judgments: RawJudgment[], filter: (j: RawJudgment) => boolean = () => true) {
  const units = new Map<string, Map<string, number>>();
  for (const j of judgments.filter(filter)) {
    const v = Math.sign(j.judgment.preference.value);
    const u = units.get(j.externalId) ?? new Map<string, number>();
    u.set(j.annotator, v);
    units.set(j.externalId, u);
  }
  const raters = [...new Set(judgments.filter(filter).map((j) => j.annotator))].sort();
  const ids = [...units.keys()].sort();
  return { ids, raters, rows: ids.map((id) => raters.map((r) => units.get(id)!.get(r) ?? null)), units };
}

/** LLMFAO's published crowd leaderboard (leaderboard.ipynb, cell 5). */
function published(): Map<string, { score: number; pairs: number }> {
  const text = readFileSync(join(REPO_ROOT, 'test/fixtures/datasets/llmfao-published-leaderboard-scores.txt'), 'utf8');
  const out = new Map<string, { score: number; pairs: number }>();
  let inCrowd = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('####')) {
      inCrowd = line.includes('df_crowd = aggregate("crowd-comparisons.csv")');
      continue;
    }
    const m = inCrowd ? /^(.+?)\s+(\d\.\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line) : null;
    if (m) out.set(m[1]!.trim(), { score: Number(m[2]), pairs: Number(m[3]) });
  }
  return out;
}

const kinds = await testDatabaseKinds();

describe.each(kinds)('quality figures (%s)', (kind) => {
  let t: TestServer;
  let lead: ApiClient;
  let llmfao: string;
  let pandalm: string;
  const llmfaoItems = lines(dataset('llmfao', 'items')) as { externalId: string; responses: { id: string; model: string }[] }[];
  const llmfaoVotes = lines(dataset('llmfao', 'judgments')) as unknown as RawJudgment[];
  const pandalmVotes = lines(dataset('pandalm', 'judgments')) as unknown as RawJudgment[];

  beforeAll(async () => {
    t = await createTestServer(kind);
    lead = await t.as('lead');
    llmfao = (await lead.post<{ id: string }>('/api/projects', { name: 'LLMFAO quality' })).body.id;
    // Generous waits: the machine running the suite may be loaded.
    const timeout = 600_000;
    expect(await importFile(lead, llmfao, dataset('llmfao', 'items'), { timeout })).toMatchObject({ created: 2139, rejected: 0 });
    expect(await importFile(lead, llmfao, dataset('llmfao', 'judgments'), { kind: 'judgments', timeout })).toMatchObject({ created: 8931, rejected: 0 });
    pandalm = (await lead.post<{ id: string }>('/api/projects', { name: 'PandaLM quality' })).body.id;
    expect(await importFile(lead, pandalm, dataset('pandalm', 'items'), { timeout })).toMatchObject({ created: 999, rejected: 0 });
    expect(await importFile(lead, pandalm, dataset('pandalm', 'judgments'), { kind: 'judgments', timeout })).toMatchObject({ rejected: 0 });
  }, 1_500_000);

  afterAll(async () => {
    await t?.close();
  });

  it("LLMFAO: the project's α (nominal on the 3-way view, ordinal on the graded scale) and percent agreement equal @accord/metrics on the raw votes", async () => {
    const r = await lead.get<ProjectAgreement>(`/api/projects/${llmfao}/agreement?samples=50`);
    expect(r.status).toBe(200);
    const { rows } = ratingsOf(llmfaoVotes);
    const nominal = krippendorffAlpha(rows, { level: 'nominal' })!;
    const ordinal = krippendorffAlpha(rows, { level: 'ordinal' })!;
    const pa = percentAgreement(rows).meanPairwiseAvailable!;
    const o = r.body.overall;
    expect(o.alpha.nominal.value).toBeCloseTo(nominal, 9);
    expect(o.alpha.ordinal.value).toBeCloseTo(ordinal, 9);
    expect(o.percentAgreement.value).toBeCloseTo(pa, 9);
    expect(o.alpha.nominal.n).toBe(percentAgreement(rows).unitsWithTwoOrMore);
    // Items have different numbers of votes: Fleiss' κ is not defined; no rankings.
    expect(o.fleissKappa).toBeNull();
    expect(o.kendallW).toBeNull();
    const [lo, hi] = o.alpha.nominal.ci!;
    expect(lo).toBeLessThanOrEqual(nominal);
    expect(hi).toBeGreaterThanOrEqual(nominal);
    expect(r.body).toMatchObject({ taskKind: 'pairwise', judgments: 8931, items: 2139, annotators: 124 });
    const signs = { first: 0, tie: 0, second: 0 };
    for (const v of llmfaoVotes) signs[v.judgment.preference.value < 0 ? 'first' : v.judgment.preference.value > 0 ? 'second' : 'tie']++;
    expect(r.body.distribution.threeWay).toEqual(signs);
    // Imported without a rubric version: one byVersion entry (null), the same figures.
    expect(r.body.byVersion).toHaveLength(1);
    expect(r.body.byVersion[0]).toMatchObject({ rubricVersion: null, judgments: 8931 });
    expect(r.body.byVersion[0]!.alpha.nominal.value).toBeCloseTo(nominal, 9);
    expect(r.body.overTime.length).toBeGreaterThan(0);
    expect(r.body.overTime.reduce((s, w) => s + w.judgments, 0)).toBe(8931);
  });

  it('LLMFAO: the leaderboard from judgments equals the published Bradley–Terry scores (within 1e-4) and sums to 1', async () => {
    const r = await lead.get<Leaderboard>(`/api/projects/${llmfao}/leaderboard?from=judgments&samples=30`);
    expect(r.status).toBe(200);
    const pub = published();
    expect(pub.size).toBe(59);
    expect(r.body.models).toHaveLength(59);
    for (const m of r.body.models) {
      expect(Math.abs(m.strength - pub.get(m.model)!.score), m.model).toBeLessThan(1e-4);
      // The published `pairs` column counts the vote rows involving the model.
      expect(m.comparisons, m.model).toBe(pub.get(m.model)!.pairs);
    }
    expect(r.body.models.reduce((s, m) => s + m.strength, 0)).toBeCloseTo(1, 9);
    expect(r.body.models[0]!.model).toBe('GPT 4');
    // Wins, ties and losses are the raw votes'.
    const model = new Map(llmfaoItems.map((i) => [i.externalId, i.responses]));
    const gpt4 = { wins: 0, ties: 0, losses: 0 };
    for (const v of llmfaoVotes) {
      const [x, y] = model.get(v.externalId)!;
      const side = x!.model === 'GPT 4' ? -1 : y!.model === 'GPT 4' ? 1 : 0;
      if (side === 0) continue;
      const val = Math.sign(v.judgment.preference.value);
      if (val === 0) gpt4.ties++;
      else if (val === side) gpt4.wins++;
      else gpt4.losses++;
    }
    expect(r.body.models[0]).toMatchObject({ ...gpt4, comparisons: gpt4.wins + gpt4.ties + gpt4.losses });
    expect(r.body.comparisons).toBe(8931);
    for (const m of r.body.models) {
      expect(m.ci).not.toBeNull();
      expect(m.ci![0]).toBeLessThanOrEqual(m.ci![1]);
    }
  });

  it("LLMFAO: the leaderboard from consensus is Bradley–Terry over each item's majority", async () => {
    const r = await lead.get<Leaderboard>(`/api/projects/${llmfao}/leaderboard?from=consensus&samples=0`);
    expect(r.status).toBe(200);
    const { units } = ratingsOf(llmfaoVotes);
    const model = new Map(llmfaoItems.map((i) => [i.externalId, i.responses]));
    const comparisons: Comparison[] = [];
    for (const [id, votes] of units) {
      const c = new Map<number, number>();
      for (const v of votes.values()) c.set(v, (c.get(v) ?? 0) + 1);
      const max = Math.max(...c.values());
      const top = [...c.entries()].filter(([, n]) => n === max);
      if (top.length !== 1) continue;
      const [x, y] = model.get(id)!;
      comparisons.push([x!.model, y!.model, top[0]![0] < 0 ? 'first' : top[0]![0] > 0 ? 'second' : 'tie']);
    }
    const fit = bradleyTerry(pairwiseCounts(comparisons));
    expect(r.body.comparisons).toBe(comparisons.length);
    expect(r.body.models.every((m) => m.ci === null)).toBe(true);
    if (fit.mleExists) {
      const want = new Map(fit.items.map((m, i) => [m as string, fit.strengthsSumOne![i]!]));
      for (const m of r.body.models) expect(m.strength).toBeCloseTo(want.get(m.model)!, 6);
    }
    expect(r.body.models.reduce((s, m) => s + m.strength, 0)).toBeCloseTo(1, 9);
  });

  it('PandaLM: the peer κ of the three annotators is the published 0.85 / 0.88 / 0.86; the two model judges are model annotators', async () => {
    const r = await lead.get<{ annotators: AnnotatorStats[] }>(`/api/projects/${pandalm}/agreement/trainers`);
    expect(r.status).toBe(200);
    const byName = new Map(r.body.annotators.map((a) => [a.name, a]));
    const human = (n: number) => [...byName.values()].find((a) => a.name.endsWith(`pandalm-annotator${n}`))!;
    const [a1, a2, a3] = [human(1), human(2), human(3)];
    const peer = (x: AnnotatorStats, y: AnnotatorStats) => x.peers.find((p) => p.annotator === y.annotator)!;
    expect([peer(a1, a2).kappa, peer(a1, a3).kappa, peer(a2, a3).kappa].map((k) => Number(k!.toFixed(2)))).toEqual([0.85, 0.88, 0.86]);
    expect(peer(a1, a2).shared).toBe(999);
    // Symmetric, and equal to @accord/metrics' Cohen's κ on the raw labels.
    expect(peer(a2, a1).kappa).toBeCloseTo(peer(a1, a2).kappa!, 12);
    const { rows, raters } = ratingsOf(pandalmVotes, (j) => j.annotator.startsWith('pandalm-annotator'));
    const col = (i: number) => rows.map((row) => row[i] ?? null);
    expect(peer(a1, a2).kappa).toBeCloseTo(cohenKappa(col(raters.indexOf('pandalm-annotator1')), col(raters.indexOf('pandalm-annotator2')))!, 12);
    const models = r.body.annotators.filter((a) => a.kind === 'model');
    expect(models.map((m) => m.name).sort()).toEqual(['Model pandalm-judge-gpt-3.5-turbo', 'Model pandalm-judge-pandalm-7b']);
    const gpt = models.find((m) => m.name.includes('gpt'))!;
    expect(gpt.judgments).toBe(974);
    // Human–model agreement beside human–human.
    expect(peer(a1, gpt).shared).toBe(974);
    expect(peer(a1, gpt).kappa).toBeLessThan(peer(a1, a2).kappa!);
    for (const a of [a1, a2, a3]) {
      expect(a.kind).toBe('human');
      expect(a.judgments).toBe(999);
      expect(a.positionBias.n).toBeGreaterThan(0);
      expect(a.positionBias.p).not.toBeNull();
      expect(a.tieRate).toBeGreaterThanOrEqual(0);
      expect(a.kappaVsConsensus.value).toBeGreaterThan(0.5);
    }
    // Only model judges: the filter.
    const onlyModels = await lead.get<{ annotators: AnnotatorStats[] }>(`/api/projects/${pandalm}/agreement/trainers?kind=model`);
    expect(onlyModels.body.annotators.map((a) => a.kind)).toEqual(['model', 'model']);
  });

  it("the item list carries each item's judgments, agreement and spread, and sorts and filters by them", async () => {
    const r = await lead.get<{ items: Item[]; total: number }>(`/api/projects/${llmfao}/items?sort=agreement&order=asc&minJudgments=3&limit=5`);
    expect(r.status).toBe(200);
    const { units } = ratingsOf(llmfaoVotes);
    const atLeast3 = [...units.values()].filter((u) => u.size >= 3).length;
    expect(r.body.total).toBe(atLeast3);
    const agreements = r.body.items.map((i) => i.agreement!);
    expect([...agreements].sort((a, b) => a - b)).toEqual(agreements);
    for (const i of r.body.items) {
      const votes = [...units.get(i.externalId)!.values()];
      expect(i.judgments).toBe(votes.length);
      const c = new Map<number, number>();
      for (const v of votes) c.set(v, (c.get(v) ?? 0) + 1);
      const agree = [...c.values()].reduce((s, n) => s + n * (n - 1), 0) / (votes.length * (votes.length - 1));
      expect(i.agreement).toBeCloseTo(agree, 12);
      expect(i.spread).not.toBeNull();
    }
    const unanimous = await lead.get<{ items: Item[]; total: number }>(`/api/projects/${llmfao}/items?minAgreement=1&minJudgments=2&limit=500`);
    expect(unanimous.body.items.every((i) => i.agreement === 1 && i.spread === 0)).toBe(true);
    const bySpread = await lead.get<{ items: Item[] }>(`/api/projects/${llmfao}/items?sort=spread&order=desc&limit=3`);
    expect(bySpread.body.items[0]!.spread).toBeGreaterThanOrEqual(bySpread.body.items[2]!.spread!);

    // Every page, either way, is the slice of one order: the figure, ties in the file's order, items
    // without a figure last (in the file's order) — also the page that crosses from one to the other.
    const fileOrder = new Map(llmfaoItems.map((i, n) => [i.externalId, n]));
    for (const order of ['asc', 'desc'] as const) {
      const all: Item[] = [];
      for (let offset = 0; all.length < llmfaoItems.length; offset += 500)
        all.push(...(await lead.get<{ items: Item[] }>(`/api/projects/${llmfao}/items?sort=agreement&order=${order}&limit=500&offset=${offset}`)).body.items);
      expect(all).toHaveLength(llmfaoItems.length);
      for (let k = 1; k < all.length; k++) {
        const [a, b] = [all[k - 1]!, all[k]!];
        const byFile = fileOrder.get(a.externalId)! < fileOrder.get(b.externalId)!;
        if (a.agreement === null) expect([b.agreement, byFile]).toEqual([null, true]);
        else if (b.agreement !== null) expect(a.agreement === b.agreement ? byFile : order === 'asc' ? a.agreement < b.agreement : a.agreement > b.agreement).toBe(true);
      }
      const figured = all.filter((i) => i.agreement !== null).length;
      expect(figured).toBeLessThan(all.length);
      const crossing = (await lead.get<{ items: Item[]; total: number }>(`/api/projects/${llmfao}/items?sort=agreement&order=${order}&limit=7&offset=${figured - 3}`)).body;
      expect(crossing.items.map((i) => i.id)).toEqual(all.slice(figured - 3, figured + 4).map((i) => i.id));
      expect(crossing.total).toBe(llmfaoItems.length);
    }
  });

  it('refuses bad parameters with 400 naming the field, and project figures to trainers with 403', async () => {
    const bad: [string, string][] = [
      [`/api/projects/${llmfao}/leaderboard?from=votes`, 'query.from'],
      [`/api/projects/${llmfao}/agreement?samples=-1`, 'query.samples'],
      [`/api/projects/${llmfao}/agreement?bogus=1`, 'query'],
      [`/api/projects/${llmfao}/agreement/trainers?kind=robot`, 'query.kind'],
      [`/api/projects/${llmfao}/items?sort=mood`, 'query.sort'],
      [`/api/projects/${llmfao}/items?minAgreement=2`, 'query.minAgreement'],
      [`/api/projects/${llmfao}/items?colour=red`, 'query'],
      [`/api/projects/${llmfao}/flags?status=maybe`, 'query.status'],
    ];
    for (const [url, field] of bad) {
      const r = await lead.get<ErrorBody>(url);
      expect(r.status, url).toBe(400);
      expect(r.body.error.details!.map((d) => d.path).join(' '), url).toContain(field);
    }
    const trainer = await t.as('trainer1');
    await lead.post(`/api/projects/${llmfao}/members`, { email: 'trainer1@accord.local', role: 'trainer' });
    for (const path of ['agreement', 'agreement/trainers', 'leaderboard', 'flags'])
      expect((await trainer.get(`/api/projects/${llmfao}/${path}`)).status, path).toBe(403);
    expect((await trainer.get(`/api/projects/${llmfao}/items`)).status).toBe(403);
  });
});

describe.each(kinds)('live quality: submits, flags, own statistics, the changed event (%s)', (kind) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await createTestServer(kind);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });
  const count = (table: string, where: SQL) => countRows(t.db, table, where);

  it("Snow et al. 2008: a rating project's α (ordinal and interval on the valence levels) and a classification project's α (nominal, RTE; per label; MASI) equal @accord/metrics on the stored labels", async () => {
    const lead = await t.as('lead');
    const base: RubricDraft = { dimensions: [], precedence: [], justification: { minWords: 0, maxWords: 100 }, spanCategories: [], flags: [] };
    const load = async (taskKind: TaskKind, name: 'snow2008-valence' | 'snow2008-rte', draft: RubricDraft) => {
      const p = (await lead.post<{ id: string }>('/api/projects', { name, taskKind })).body.id;
      await t.server.deps.rubrics.writeDraft(p, draft);
      expect((await lead.post(`/api/projects/${p}/rubric/publish`, { note: '' })).status).toBe(201);
      expect(await importFile(lead, p, dataset(name, 'items'))).toMatchObject({ rejected: 0 });
      const votes = lines(dataset(name, 'judgments')) as unknown as { externalId: string; annotator: string; judgment: { preference: { value?: number; labels?: string[] } } }[];
      expect(await importFile(lead, p, dataset(name, 'judgments'), { kind: 'judgments', timeout: 300_000 })).toMatchObject({ created: votes.length, rejected: 0 });
      const r = await lead.get<ProjectAgreement>(`/api/projects/${p}/agreement?samples=20`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ taskKind, judgments: votes.length });
      return { body: r.body, votes };
    };
    const matrix = <T,>(votes: { externalId: string; annotator: string }[], value: (i: number) => T) => {
      const units = new Map<string, Map<string, T>>();
      votes.forEach((v, i) => units.set(v.externalId, (units.get(v.externalId) ?? new Map<string, T>()).set(v.annotator, value(i))));
      const raters = [...new Set(votes.map((v) => v.annotator))].sort();
      return [...units.values()].map((u) => raters.map((r) => u.get(r) ?? null));
    };

    const levels = [-2, -1, 0, 1, 2].map((value) => ({ value, label: `valence ${value}`, anchor: '' }));
    const valence = await load('rating', 'snow2008-valence', { ...base, rating: { levels } });
    const vrows = matrix(valence.votes, (i) => valence.votes[i]!.judgment.preference.value!);
    expect(valence.body.overall.alpha.ordinal.value).toBeCloseTo(krippendorffAlpha(vrows, { level: 'ordinal' })!, 9);
    expect(valence.body.overall.alpha.nominal.value).toBeCloseTo(krippendorffAlpha(vrows, { level: 'nominal' })!, 9);
    expect(valence.body.overall.percentAgreement.value).toBeCloseTo(percentAgreement(vrows).meanPairwiseAvailable!, 9);
    // α interval on the levels' values (the issue: "α ordinal or interval").
    expect(valence.body.overall.alpha.interval?.value).toBeCloseTo(krippendorffAlpha(vrows, { level: 'interval' })!, 9);
    expect(valence.body.overall.alpha.interval?.ci).toEqual([expect.any(Number), expect.any(Number)]);
    expect(valence.body.labels).toBeUndefined();
    expect(valence.body.byVersion).toEqual([expect.objectContaining({ rubricVersion: null, judgments: 1000 })]);

    const labels = [
      { id: 'entailment', name: 'Entailment', parent: null, description: '' },
      { id: 'not-entailment', name: 'No entailment', parent: null, description: '' },
    ];
    const rte = await load('classification', 'snow2008-rte', { ...base, taxonomy: { multiLabel: false, labels } });
    const rrows = matrix(rte.votes, (i) => rte.votes[i]!.judgment.preference.labels!.join('+'));
    const nominal = krippendorffAlpha(rrows, { level: 'nominal' })!;
    expect(rte.body.overall.alpha.nominal.value).toBeCloseTo(nominal, 9);
    // The figure reproduced from the raw release (test data PROVENANCE: rte α nominal 0.2415).
    expect(nominal).toBeCloseTo(0.2415, 4);
    expect(rte.body.overall.alpha.ordinal.value).toBeNull();
    expect(rte.body.overall.alpha.interval).toBeUndefined();
    // Per label (chosen or not) in taxonomy order, and MASI α, which on single labels is α nominal.
    const sets = matrix(rte.votes, (i) => rte.votes[i]!.judgment.preference.labels!);
    expect(rte.body.labels).toEqual(
      labelAlphas(sets, ['entailment', 'not-entailment']).map((l) => ({
        label: l.label,
        name: l.label === 'entailment' ? 'Entailment' : 'No entailment',
        picked: l.picked,
        alpha: { value: expect.closeTo(l.alpha!, 9) as number, n: 800, ci: [expect.any(Number), expect.any(Number)] },
      })),
    );
    expect(rte.body.masiAlpha?.value).toBeCloseTo(setAlpha(sets)!, 9);
    expect(rte.body.masiAlpha?.value).toBeCloseTo(nominal, 9);
  }, 300_000);

  it('a submit updates the figures and tells open dashboards; a disagreeing trainer is flagged; the lead clears it; trainers read only their own figures', async () => {
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const p = await factory.project({ name: 'Live quality', items: 8, trainers: 3, settings: { overlap: 3, goldRate: 0, quality: { minKappaVsConsensus: 0.5, window: 4 } } });
    const base = `/api/projects/${p.id}`;
    const lead = p.lead.client;

    // The lead follows the project's figures; a trainer may not.
    const socket = ioClient(t.url, { transports: ['websocket'], parser: msgpackParser, extraHeaders: { origin: t.url, cookie: `accord_session=${lead.cookie}` } });
    const events: string[] = [];
    socket.on('quality:changed', (e: { projectId: string }) => events.push(e.projectId));
    const joined = await new Promise<{ ok: boolean }>((res) => socket.emit('quality:join', p.id, res));
    expect(joined).toEqual({ ok: true, data: null });
    const tsock = ioClient(t.url, { transports: ['websocket'], parser: msgpackParser, extraHeaders: { origin: t.url, cookie: `accord_session=${p.trainer.client.cookie}` } });
    const refused = await new Promise<{ ok: boolean; error?: { code: string } }>((res) => tsock.emit('quality:join', p.id, res));
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });

    // Trainers 0 and 1 prefer the first response; trainer 2 always the second, and scores the
    // comparison dimension `overall` yes (1) where the others say no (0).
    const flagged: string[] = [];
    const submitAll = async (i: number, value: number) => {
      const c = p.trainers[i]!.client;
      for (;;) {
        const task = (await c.post<{ task: Task | null }>(`${base}/queue/next`)).body.task;
        if (!task) return;
        // In the item's own order: the value is how much better the second response is.
        const valid = validJudgment(task, value);
        const scores = valid.scores.map((x) => (i === 2 && x.dimension === 'overall' ? { ...x, value: 1 } : x));
        // Trainer 2 also flags the first four items they judge as broken (the item list counts them).
        const flags = i === 2 && flagged.length < 4 ? (flagged.push(task.item.id), ['broken']) : [];
        const payload = { ...valid, scores, flags, preference: { kind: 'pairwise' as const, a: task.canonicalOrder[0]!, b: task.canonicalOrder[1]!, value } };
        const r = await c.post(`${base}/assignments/${task.assignmentId}/submit`, { payload });
        expect(r.status).toBe(200);
      }
    };
    await submitAll(0, -2);
    await waitFor(() => events.includes(p.id), { message: 'quality:changed after a submit' });
    // A calibration session that ends between trainer 0's judgments and the others' (an enrolment
    // alone, or a session not ended yet, is not a calibration).
    expect((await lead.post(`${base}/members/${p.trainers[0]!.id}/calibration`, { note: 'week 1' })).status).toBe(200);
    const anItem = (await lead.get<{ items: Item[] }>(`${base}/items?limit=1`)).body.items[0]!.id;
    const session = await lead.post<{ id: string }>(`${base}/calibration`, { title: 'Week 1', participants: [p.trainers[0]!.id], items: [anItem] });
    expect(session.status).toBe(201);
    expect((await lead.get<ProjectAgreement>(`${base}/agreement?samples=0`)).body.overTime.some((x) => x.period === 'sinceCalibration')).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
    expect((await lead.post(`${base}/calibration/${session.body.id}/end`, { judgments: 'discarded' })).status).toBe(200);
    await submitAll(1, -1);
    await submitAll(2, 3);

    // The item list: judgments that flagged each item, as a column, a filter and a sort.
    const withFlags = (await lead.get<{ items: Item[]; total: number }>(`${base}/items?flagged=with&sort=flagged&order=desc`)).body;
    expect(withFlags.items.map((x) => x.id).sort()).toEqual([...flagged].sort());
    expect(withFlags.items.every((x) => x.flagged === 1)).toBe(true);
    const without = (await lead.get<{ items: Item[]; total: number }>(`${base}/items?flagged=without`)).body;
    expect(without.total).toBe(4);
    expect(without.items.every((x) => x.flagged === 0 && !flagged.includes(x.id))).toBe(true);
    expect((await lead.get<ErrorBody>(`${base}/items?flagged=maybe`)).status).toBe(400);

    const ag = (await lead.get<ProjectAgreement>(`${base}/agreement?samples=0`)).body;
    expect(ag.judgments).toBe(24);
    expect(ag.items).toBe(8);
    // Every item has 3 judgments: Fleiss' κ is defined (2 against 1 on every item).
    expect(ag.overall.fleissKappa).not.toBeNull();
    expect(ag.overall.percentAgreement.value).toBeCloseTo(1 / 3, 12);
    expect(ag.dimensions.map((d) => d.dimension)).toEqual(['helpfulness', 'overall']);
    expect(ag.byVersion.map((v) => v.rubricVersion)).toEqual([1]);
    // Since the calibration: trainers 1 and 2 only, who disagree on every item.
    const since = ag.overTime.find((x) => x.period === 'sinceCalibration')!;
    expect(since).toMatchObject({ judgments: 16, items: 8 });
    expect(since.percentAgreement).toMatchObject({ value: 0, n: 8 });
    expect(ag.overTime.filter((x) => x.period === 'week').reduce((n, w) => n + w.judgments, 0)).toBe(24);

    const flags = (await lead.get<{ items: QualityFlag[] }>(`${base}/flags`)).body.items;
    expect(flags).toHaveLength(2);
    // Per rubric dimension: trainer 2's `overall` scores against the others' majority (trainers 0
    // and 1 have none: the other two split).
    const dimFlag = flags.find((f) => f.dimension !== null)!;
    expect(dimFlag).toMatchObject({ userId: p.trainers[2]!.id, kind: 'kappaVsConsensus', dimension: 'overall', value: 0, window: 4 });
    expect(dimFlag.items).toHaveLength(4);
    expect(dimFlag.reason).toMatch(/on overall 0\.00 < 0\.50 over the last 4 items \(4 disagreeing/);
    const flag = flags.find((f) => f.dimension === null)!;
    expect(flag).toMatchObject({ userId: p.trainers[2]!.id, kind: 'kappaVsConsensus', status: 'open', threshold: 0.5, window: 4, dimension: null });
    expect(flag.items).toHaveLength(4);
    expect(flag.reason).toMatch(/κ vs consensus .* < 0\.50 over the last 4 items/);
    const stats = (await lead.get<{ annotators: AnnotatorStats[] }>(`${base}/agreement/trainers`)).body.annotators;
    expect(
      stats
        .find((a) => a.annotator === p.trainers[2]!.id)!
        .flags.map((f) => f.id)
        .sort(),
    ).toEqual([flag.id, dimFlag.id].sort());
    // The flag's items are found by id in the item list (the dashboard links them).
    const linked = await lead.get<{ items: Item[] }>(`${base}/items?q=${dimFlag.items[0]}`);
    expect(linked.body.items.map((i) => i.id)).toEqual([dimFlag.items[0]]);

    // Reviewers see flags; only the lead clears, with a reason; twice is a conflict.
    expect((await p.reviewer.client.post(`${base}/flags/${flag.id}/clear`, { reason: 'x' })).status).toBe(403);
    expect((await lead.post<ErrorBody>(`${base}/flags/${flag.id}/clear`, { reason: '' })).body.error.details![0]!.path).toBe('body.reason');
    const cleared = await lead.post<QualityFlag>(`${base}/flags/${flag.id}/clear`, { reason: 'Talked it through; they misread the rubric.' });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ status: 'cleared', clearReason: 'Talked it through; they misread the rubric.', clearedBy: { userId: p.lead.id } });
    expect((await lead.post(`${base}/flags/${flag.id}/clear`, { reason: 'again' })).status).toBe(409);
    // Cleared flags are not raised again by the same judgments; the dimension's flag is its own.
    expect((await lead.get<{ items: QualityFlag[] }>(`${base}/flags`)).body.items.map((f) => f.id)).toEqual([dimFlag.id]);
    expect((await lead.post(`${base}/flags/${dimFlag.id}/clear`, { reason: 'Rubric wording fixed.' })).status).toBe(200);
    expect((await lead.get<{ items: QualityFlag[] }>(`${base}/flags`)).body.items).toEqual([]);
    expect((await lead.get<{ items: QualityFlag[] }>(`${base}/flags?status=all`)).body.items).toHaveLength(2);

    // A trainer's own statistics, and nobody else's. Their gold and consensus figures count whole blocks
    // of 10 judgments: with 8, none yet (each submit would otherwise tell them the others' majority).
    const mine = await p.trainers[2]!.client.get<MyStats & Record<string, unknown>>(`${base}/me/stats`);
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ judgments: 8, countedJudgments: 0, block: 10, agreementWithConsensus: { value: null, n: 0 }, kappaVsConsensus: { n: 0 }, drift: [] });
    expect(JSON.stringify(mine.body)).not.toContain(p.trainers[0]!.id);
    expect(Object.keys(mine.body)).not.toContain('peers');
    // The same figures without blocks (a lead's or reviewer's own page): all 8 judgments counted.
    const project = { id: p.id, taskKind: 'pairwise' as const, settings: (await lead.get<{ settings: unknown }>(`${base}`)).body.settings };
    const unblocked = await t.server.deps.quality.myStats(project, p.trainers[2]!.id, false);
    expect(unblocked).toMatchObject({ judgments: 8, countedJudgments: 8, block: 1, agreementWithConsensus: { value: 0, n: 8 } });
    expect(unblocked.drift.length).toBeGreaterThan(0);
    // Trainer 0's consensus is trainers 1 and 2, who disagree: no majority, so nothing to compare with.
    const mine0 = (await p.trainers[0]!.client.get<MyStats>(`${base}/me/stats`)).body;
    expect(mine0.agreementWithConsensus).toMatchObject({ value: null, n: 0 });
    expect(mine0.positionBias.n).toBe(8);

    socket.disconnect();
    tsock.disconnect();
  });

  it("a trainer's drift, saved by the background evaluation after a submit, is announced to open dashboards too", async () => {
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const p = await factory.project({ name: 'Drift pushed', items: 3, trainers: 1, settings: { overlap: 1, goldRate: 0 } });
    const base = `/api/projects/${p.id}`;
    const socket = ioClient(t.url, { transports: ['websocket'], parser: msgpackParser, extraHeaders: { origin: t.url, cookie: `accord_session=${p.lead.client.cookie}` } });
    try {
      const events: string[] = [];
      socket.on('quality:changed', (e: { projectId: string }) => events.push(e.projectId));
      expect(await new Promise<{ ok: boolean }>((res) => socket.emit('quality:join', p.id, res))).toMatchObject({ ok: true });
      const c = p.trainer.client;
      const task = (await c.post<{ task: Task | null }>(`${base}/queue/next`)).body.task!;
      expect((await c.post(`${base}/assignments/${task.assignmentId}/submit`, { payload: validJudgment(task, 1) })).status).toBe(200);
      // One announcement for the submit's figures, one more when the member's drift is saved; nothing
      // here reads the annotators (which would evaluate on the request instead).
      await waitFor(() => events.filter((e) => e === p.id).length >= 2, { message: 'a second quality:changed, for the saved drift' });
      const stats = (await p.lead.client.get<{ annotators: AnnotatorStats[] }>(`${base}/agreement/trainers`)).body.annotators;
      const mine = stats.find((a) => a.annotator === p.trainer.id)!;
      expect(mine.drift.at(-1)?.judgments).toBe(1);
    } finally {
      socket.disconnect();
    }
  });

  it('members are evaluated soon only where a dashboard is open: an unwatched project keeps them queued, and a read evaluates them first', async () => {
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const queued = (projectId: string) => count('quality_member_queue', sql`project_id = ${projectId}`);
    const unwatched = await factory.project({ name: 'Nobody watching', items: 3, trainers: 1, settings: { overlap: 1, goldRate: 0 } });
    const watched = await factory.project({ name: 'Watched', items: 3, trainers: 1, settings: { overlap: 1, goldRate: 0 } });
    const socket = ioClient(t.url, { transports: ['websocket'], parser: msgpackParser, extraHeaders: { origin: t.url, cookie: `accord_session=${watched.lead.client.cookie}` } });
    try {
      expect(await new Promise<{ ok: boolean }>((res) => socket.emit('quality:join', watched.id, res))).toMatchObject({ ok: true });
      const submit = async (p: typeof watched) => {
        const task = (await p.trainer.client.post<{ task: Task | null }>(`/api/projects/${p.id}/queue/next`)).body.task!;
        expect((await p.trainer.client.post(`/api/projects/${p.id}/assignments/${task.assignmentId}/submit`, { payload: validJudgment(task, 1) })).status).toBe(200);
      };
      // The unwatched project's change is heard first; the watched one's evaluation, with no read, drains its queue.
      await submit(unwatched);
      await submit(watched);
      // The submits' refresh (left pending by the submit, drained right after it) queues their members.
      await waitFor(async () => (await queued(unwatched.id)) > 0, { message: "the unwatched project's submit refreshed and its member queued" });
      await waitFor(async () => (await queued(watched.id)) === 0, { message: "the watched project's members evaluated in the background" });
      expect(await queued(unwatched.id), 'the unwatched project keeps its members queued').toBeGreaterThan(0);
      // A read evaluates what is queued before it answers: the trainer's drift counts the submit.
      const stats = (await unwatched.lead.client.get<{ annotators: AnnotatorStats[] }>(`/api/projects/${unwatched.id}/agreement/trainers`)).body.annotators;
      expect(stats.find((a) => a.annotator === unwatched.trainer.id)!.drift.at(-1)?.judgments).toBe(1);
      expect(await queued(unwatched.id)).toBe(0);
    } finally {
      socket.disconnect();
    }
  });

  it("the leaderboard from consensus of a ranking project: each response pair's strict majority, ties half", async () => {
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const rows = ['rk-1', 'rk-2', 'rk-3'].map((id) => ({
      ...pairItem(id),
      responses: ['A', 'B', 'C'].map((m, i) => ({ id: `r${i + 1}`, model: `model-${m}`, content: `Answer ${m} to ${id}.` })),
    }));
    const p = await factory.project({ name: 'Ranking consensus', taskKind: 'ranking', items: rows, trainers: 3, settings: { overlap: 3, goldRate: 0 } });
    const base = `/api/projects/${p.id}`;
    // Trainers 0 and 1: A > B = C; trainer 2: B > C > A. Per item: A beats B (2 of 3), A beats C
    // (2 of 3), B ties C (2 of 3).
    const rankings = [[['r1'], ['r2', 'r3']], [['r1'], ['r2', 'r3']], [['r2'], ['r3'], ['r1']]];
    for (const [i, groups] of rankings.entries()) await judgeQueue(p.trainers[i]!.client, p.id, (task) => ({ ...validJudgment(task), preference: { kind: 'ranking' as const, groups } }));
    const lb = (await p.lead.client.get<Leaderboard>(`${base}/leaderboard?from=consensus&samples=0`)).body;
    expect(lb.comparisons).toBe(9);
    const by = new Map(lb.models.map((m) => [m.model, m]));
    expect(by.get('model-A')).toMatchObject({ wins: 6, ties: 0, losses: 0, comparisons: 6 });
    expect(by.get('model-B')).toMatchObject({ wins: 0, ties: 3, losses: 3, comparisons: 6 });
    expect(by.get('model-C')).toMatchObject({ wins: 0, ties: 3, losses: 3, comparisons: 6 });
    expect(lb.models[0]!.model).toBe('model-A');
    expect(lb.models.reduce((x, m) => x + m.strength, 0)).toBeCloseTo(1, 9);
    // From judgments: every judgment's three pairs.
    expect((await p.lead.client.get<Leaderboard>(`${base}/leaderboard?from=judgments&samples=0`)).body.comparisons).toBe(27);
    // Each item's agreement comes from its rankings (no preference to give one): per response pair the
    // three orders agree in one pair of the three (r1–r2 and r1–r3: −, −, +; r2–r3: tie, tie, −), 6/18.
    const listed = (await p.lead.client.get<{ items: Item[] }>(`${base}/items?limit=10`)).body.items;
    expect(listed).toHaveLength(3);
    for (const i of listed) {
      expect(i.agreement).toBeCloseTo(1 / 3, 12);
      expect(i.spread).not.toBeNull();
    }
  });

  it("gold set on items already judged (a re-import) counts in each trainer's gold accuracy at once, and taken away again; rewritten responses move the leaderboard", async () => {
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const rows = ['gl-1', 'gl-2', 'gl-3'].map((id) => pairItem(id));
    const p = await factory.project({ name: 'Gold later', items: rows, trainers: 2, settings: { overlap: 2, goldRate: 0 } });
    const base = `/api/projects/${p.id}`;
    // Trainer 0 prefers r1 on every item, trainer 1 r2.
    for (const [i, value] of [-2, 2].entries()) await judgeQueue(p.trainers[i]!.client, p.id, (task) => ({ ...validJudgment(task, value), preference: { kind: 'pairwise' as const, a: 'r1', b: 'r2', value } }));
    const gold = async () => {
      const r = await p.lead.client.get<{ annotators: AnnotatorStats[] }>(`${base}/agreement/trainers`);
      expect(r.status).toBe(200);
      return p.trainers.map((u) => r.body.annotators.find((a) => a.annotator === u.id)!.goldAccuracy);
    };
    expect((await gold()).map((g) => g.n)).toEqual([0, 0]);
    // Gold arrives later, for two of the items: r1 is better.
    const withGold = rows.map((r, i) => (i < 2 ? { ...r, gold: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -1 } } } : r));
    const job = await importFile(p.lead.client, p.id, jsonlOf(withGold));
    expect(job).toMatchObject({ status: 'done', rejected: 0 });
    const [g0, g1] = await gold();
    expect(g0).toMatchObject({ value: 1, n: 2 });
    expect(g1).toMatchObject({ value: 0, n: 2 });
    // Trainer 1's own page counts whole blocks of 10 judgments only: with fewer, gold shows nowhere there.
    expect((await p.trainers[1]!.client.get<MyStats>(`${base}/me/stats`)).body).toMatchObject({ judgments: 3, countedJudgments: 0, goldAccuracy: { value: null, n: 0 } });
    // The gold removed again (the file without it): no gold items left to count.
    expect(await importFile(p.lead.client, p.id, jsonlOf(rows))).toMatchObject({ status: 'done', rejected: 0 });
    expect((await gold()).map((g) => g.n)).toEqual([0, 0]);
    // A judged item's responses rewritten in the database (a re-import refuses it): its two judgments
    // compare the new model at once.
    const first = (await p.lead.client.get<{ items: Item[] }>(`${base}/items?limit=1`)).body.items[0]!;
    await t.db.db.execute(sql`update items set responses = jsonb_set(responses, '{0,model}', '"model-renamed"') where id = ${first.id}`);
    const lb = (await p.lead.client.get<Leaderboard>(`${base}/leaderboard?from=judgments&samples=0`)).body;
    expect(lb.models.find((m) => m.model === 'model-renamed')).toMatchObject({ comparisons: 2 });
  });

  it("a submit's refresh is left pending and drained once: a read counts it, and an edit or delete of the item's judgments before the drain counts nothing twice", async () => {
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const p = await factory.project({ name: 'Pending refresh', items: ['pr-1', 'pr-2', 'pr-3'].map((id) => pairItem(id)), trainers: 3, settings: { overlap: 3, goldRate: 0 } });
    const base = `/api/projects/${p.id}`;
    const pair = (value: number) => ({ preference: { kind: 'pairwise' as const, a: 'r1', b: 'r2', value }, justification: 'written in the database' });
    await judgeQueue(p.trainers[0]!.client, p.id, (task) => ({ ...validJudgment(task, -2), preference: { kind: 'pairwise' as const, a: 'r1', b: 'r2', value: -2 } }));
    const itemIds = (await t.db.db.execute(sql`select id, external_id from items where project_id = ${p.id} order by external_id`)) as unknown as { rows: { id: string }[] };
    const [x, y, z] = itemIds.rows.map((r) => r.id);
    const judgments = async () =>
      new Map((await p.lead.client.get<{ items: Item[] }>(`${base}/items?limit=10`)).body.items.map((i) => [i.externalId, i.judgments]));
    expect(await judgments()).toEqual(new Map([['pr-1', 1], ['pr-2', 1], ['pr-3', 1]]));
    const insert = (tx: Parameters<Parameters<typeof t.db.db.transaction>[0]>[0], item: string, user: string, value: number) =>
      tx.execute(sql`insert into judgments (project_id, item_id, user_id, status, source, rubric_version, payload, submitted_at, updated_at)
                     values (${p.id}, ${item}, ${user}, 'submitted', 'accord', 1, ${JSON.stringify(pair(value))}::jsonb, now(), now()) returning id`) as unknown as Promise<{ rows: { id: string }[] }>;
    const inTx = async (tx: Parameters<Parameters<typeof t.db.db.transaction>[0]>[0], q: ReturnType<typeof sql>) =>
      Number(((await tx.execute(q)) as unknown as { rows: { n: number }[] }).rows[0]!.n);
    await t.db.db.transaction(async (tx) => {
      // As the submit statement does: the judgments it stores wait in quality_pending, the figures do not move.
      await tx.execute(sql`select set_config('accord.defer_quality', 'on', true)`);
      const [j1] = (await insert(tx, x!, p.trainers[1]!.id, 2)).rows;
      expect(await inTx(tx, sql`select count(*)::int as n from quality_pending where judgment_id = ${j1!.id}`)).toBe(1);
      expect(await inTx(tx, sql`select judgments as n from quality_items where item_id = ${x}`)).toBe(1);
      // Before it is drained, another judgment of the item is edited: that refresh counts the item again, the pending one included.
      await tx.execute(sql`select set_config('accord.defer_quality', 'off', true)`);
      await tx.execute(sql`update judgments set payload = ${JSON.stringify(pair(-1))}::jsonb where item_id = ${x} and user_id = ${p.trainers[0]!.id}`);
      expect(await inTx(tx, sql`select judgments as n from quality_items where item_id = ${x}`)).toBe(2);
      // A pending judgment deleted before it is drained: its item is counted without it.
      await tx.execute(sql`select set_config('accord.defer_quality', 'on', true)`);
      const [j2] = (await insert(tx, y!, p.trainers[1]!.id, 1)).rows;
      await tx.execute(sql`delete from judgments where id = ${j2!.id}`);
      // And one left as a submit leaves it.
      await insert(tx, z!, p.trainers[2]!.id, 3);
    });
    // A read settles what is pending first (whether or not a background drain took it meanwhile).
    expect(await judgments()).toEqual(new Map([['pr-1', 2], ['pr-2', 1], ['pr-3', 2]]));
    expect(await count('quality_pending', sql`project_id = ${p.id}`)).toBe(0);
    // Nothing counted twice or left out: each item's stored counts are a recount of its judgments now.
    expect(await storedCountsDiff(t.db, p.id)).toBe(0);
    expect(await count('quality_judgments', sql`project_id = ${p.id}`)).toBe(5);
    const ag = (await p.lead.client.get<ProjectAgreement>(`${base}/agreement?samples=0`)).body;
    expect(ag.judgments).toBe(5);
  });

  it('a user or a project deleted in the database takes its rows in the derived quality tables with it (they have no foreign keys)', async () => {
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const p = await factory.project({ name: 'Deleted later', items: ['dl-1', 'dl-2'].map((id) => pairItem(id)), trainers: 2, settings: { overlap: 2, goldRate: 0 } });
    for (const [i, value] of [-2, 2].entries()) await judgeQueue(p.trainers[i]!.client, p.id, (task) => ({ ...validJudgment(task, value), preference: { kind: 'pairwise' as const, a: 'r1', b: 'r2', value } }));
    await t.server.deps.quality.settle(p.id);
    const byProject = ['quality_coincidences', 'quality_units', 'quality_model_pairs', 'quality_pairs', 'quality_annotators', 'quality_confusion'];
    for (const table of byProject) expect(await count(table, sql`project_id = ${p.id}`), table).toBeGreaterThan(0);
    const gone = p.trainers[1]!.id;
    const ofUser = {
      quality_pairs: sql`user_a = ${gone} or user_b = ${gone}`,
      quality_annotators: sql`user_id = ${gone}`,
      quality_confusion: sql`user_id = ${gone}`,
    };
    expect(await count('quality_pairs', ofUser.quality_pairs)).toBeGreaterThan(0);
    await t.db.db.execute(sql`delete from users where id = ${gone}`);
    for (const [table, where] of Object.entries(ofUser)) expect(await count(table, where), table).toBe(0);
    expect(await count('quality_annotators', sql`user_id = ${p.trainers[0]!.id}`)).toBe(1);
    await t.db.db.execute(sql`delete from projects where id = ${p.id}`);
    for (const table of [...byProject, 'quality_member_queue', 'quality_pending']) expect(await count(table, sql`project_id = ${p.id}`), table).toBe(0);
  });
});
