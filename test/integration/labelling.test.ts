/**
 * Rating and classification projects beyond judging (issue 15), against one real server (PGlite):
 * - multi-label agreement: per-label α (each label chosen or not) and MASI α over the label sets
 *   through the API equal @accord/metrics on the stored labels;
 * - adjudication: a disputed rating and a disputed classification get a proposal written in the live
 *   room (a level; labels, picked in any order) that the commit validates against the published scale
 *   and taxonomy (400 naming the field) and stores as judgments store it;
 * - calibration: a rating session and a multi-label classification session reveal the distribution of
 *   answers (every level, every label) and the round's agreement, and report it before/after equal to
 *   @accord/metrics on the stored judgments.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDisputeProposal, setProposalPreference } from '@accord/collab';
import type { CalibrationReport, CalibrationRoundResult, CalibrationSession, CommitResult, DisputeSummary, ProjectAgreement, RubricDraft } from '@accord/core';
import { createRandom, krippendorffAlpha, labelAlphas, setAlpha } from '@accord/metrics';
import type { ErrorBody } from '../utils/client.ts';
import { connected, openDoc, openSocket } from '../utils/collab.ts';
import { createFactory, type Factory, type FactoryProject } from '../utils/factory.ts';
import { createTestServer, waitFor, type TestServer } from '../utils/server.ts';
import { importFile, jsonlOf } from '../utils/work.ts';

const BASE: RubricDraft = { dimensions: [], precedence: [], justification: { minWords: 0, maxWords: 100 }, spanCategories: [], flags: [], rating: null, taxonomy: null };
const SCALE: RubricDraft = { ...BASE, rating: { levels: [1, 2, 3, 4, 5].map((value) => ({ value, label: `Level ${value}`, anchor: '' })) } };
const TAXONOMY = {
  multiLabel: true,
  labels: [
    { id: 'toxic', name: 'Toxic', parent: null, description: '' },
    { id: 'insult', name: 'Insult', parent: 'toxic', description: '' },
    { id: 'threat', name: 'Threat', parent: 'toxic', description: '' },
    { id: 'spam', name: 'Spam', parent: null, description: '' },
  ],
};
const TAX: RubricDraft = { ...BASE, taxonomy: TAXONOMY };
const IDS = TAXONOMY.labels.map((l) => l.id);

const promptItems = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ externalId: `${tag}-${i}`, prompt: `Text ${i} to label (${tag}).` }));
const payload = (preference: unknown) => ({ preference, scores: [], spans: [], flags: [], justification: '' });

/** `waitFor` for a value: what `f` gives once it is not null. */
async function until<T>(f: () => Promise<T | null>, message: string): Promise<T> {
  const v = await waitFor(f, { message });
  if (v === null) throw new Error(message);
  return v;
}

let t: TestServer;
let factory: Factory;
const closers: Array<() => void> = [];
/** One project per kind, shared by the tests (each on its own items): sign-ins cost a password hash each. */
let rateP: FactoryProject;
let clsP: FactoryProject;

beforeAll(async () => {
  t = await createTestServer('pglite');
  factory = createFactory(await t.as('admin'), t.server.deps);
  // Two judgments per item, a label only when they agree: a split opens a dispute.
  const settings = { overlap: 2, consensus: { rule: 'unanimous' } };
  [rateP, clsP] = await Promise.all([
    factory.project({ taskKind: 'rating', items: [...promptItems(1, 'dr'), ...promptItems(2, 'cr')], rubric: SCALE, trainers: 3, settings }),
    factory.project({ taskKind: 'classification', items: [...promptItems(30, 'ml'), ...promptItems(1, 'dc'), ...promptItems(2, 'cc')], rubric: TAX, trainers: 3, settings }),
  ]);
}, 300_000);

afterAll(async () => {
  for (const c of closers) c();
  await t?.close();
});

describe('rating and classification: agreement, adjudication, calibration', () => {
  it('multi-label: per-label α and MASI α equal @accord/metrics on the stored label sets', async () => {
    const p = clsP;
    const mlItems = p.items.filter((e) => e.startsWith('ml-'));
    // Four annotators: a noisy copy of a "true" set per item (seeded), sometimes a second label or a parent instead of its child.
    const rng = createRandom(15);
    const raters = ['ann-a', 'ann-b', 'ann-c', 'ann-d'];
    const votes: { externalId: string; annotator: string; judgment: { preference: { kind: 'classification'; labels: string[] } } }[] = [];
    mlItems.forEach((externalId, i) => {
      const truth = [IDS[i % 4]!];
      raters.forEach((annotator, r) => {
        if ((i + r) % 7 === 0) return; // some items have three annotators
        let labels = [...truth];
        const x = rng.next();
        if (x < 0.25) labels.push(IDS[rng.int(4)]!);
        else if (x < 0.4) labels = [IDS[rng.int(4)]!];
        else if (x < 0.5 && truth[0] !== 'toxic' && truth[0] !== 'spam') labels = ['toxic'];
        votes.push({ externalId, annotator, judgment: { preference: { kind: 'classification', labels: [...new Set(labels)] } } });
      });
    });
    expect(await importFile(p.lead.client, p.id, jsonlOf(votes), { kind: 'judgments' })).toMatchObject({ created: votes.length, rejected: 0 });
    const r = await p.lead.client.get<ProjectAgreement>(`/api/projects/${p.id}/agreement?samples=50`);
    expect(r.status).toBe(200);

    const units = new Map<string, Map<string, string[]>>();
    for (const v of votes) units.set(v.externalId, (units.get(v.externalId) ?? new Map<string, string[]>()).set(v.annotator, v.judgment.preference.labels));
    const sets = [...units.values()].map((u) => raters.map((a) => u.get(a) ?? null));
    const masi = setAlpha(sets)!;
    expect(r.body.masiAlpha).toMatchObject({ value: expect.closeTo(masi, 9) as number, n: 30 });
    expect(r.body.masiAlpha!.ci).toEqual([expect.any(Number), expect.any(Number)]);
    // MASI gives partial credit to overlapping sets: above α nominal on the whole set here.
    expect(masi).toBeGreaterThan(r.body.overall.alpha.nominal.value!);
    expect(r.body.labels!.map((l) => [l.label, l.name, l.picked, l.alpha.value])).toEqual(
      labelAlphas(sets, IDS).map((l) => [l.label, TAXONOMY.labels.find((x) => x.id === l.label)!.name, l.picked, expect.closeTo(l.alpha!, 9)]),
    );
    // The agreement export carries them as rows: one per label, and the label sets' MASI α.
    const exp = await p.lead.client.request('GET', `/api/projects/${p.id}/exports/agreement?format=jsonl`);
    expect(exp.status).toBe(200);
    const rows = exp.text.trim().split('\n').map((l) => JSON.parse(l) as { section: string; key: string; alphaNominal: number | null; figures: { masiAlpha?: { value: number } } });
    expect(rows.filter((x) => x.section === 'label').map((x) => [x.key, x.alphaNominal])).toEqual(r.body.labels!.map((l) => [l.label, l.alpha.value]));
    expect(rows.find((x) => x.section === 'labelSets')?.figures.masiAlpha?.value).toBeCloseTo(masi, 9);
  });

  it('adjudication: a disputed rating and a disputed classification are proposed in the live room, checked against the rubric and committed', async () => {
    const [rate, cls] = [rateP, clsP];
    const split = async (p: FactoryProject, externalId: string, a: unknown, b: unknown) => {
      const rows = [a, b].map((preference, i) => ({ externalId, annotator: `split-${i}`, judgment: { preference } }));
      expect(await importFile(p.lead.client, p.id, jsonlOf(rows), { kind: 'judgments' })).toMatchObject({ created: 2, rejected: 0 });
      const list = await until(async () => (await p.lead.client.get<{ items: DisputeSummary[] }>(`/api/projects/${p.id}/disputes?limit=100`)).body.items.find((x) => x.itemExternalId === externalId) ?? null, 'the dispute opens');
      expect(list).toMatchObject({ reason: 'disagreement', status: 'open' });
      const s = await connected(openSocket({ url: t.url, cookie: p.reviewer.client.cookie }));
      const room = openDoc(s, list.doc);
      closers.push(() => {
        room.close();
        s.close();
      });
      await waitFor(() => room.provider.synced, { message: 'room synced' });
      return { dispute: list, room };
    };
    const commit = (p: FactoryProject, id: string, key: string) => p.lead.client.post<CommitResult & ErrorBody>(`/api/projects/${p.id}/disputes/${id}/commit`, undefined, { headers: { 'idempotency-key': key } });
    const proposeAndWait = async (room: Awaited<ReturnType<typeof split>>['room'], preference: Parameters<typeof setProposalPreference>[1]) => {
      setProposalPreference(room.doc, preference);
      const want = JSON.stringify(preference);
      await waitFor(() => JSON.stringify(readDisputeProposal(room.doc).preference) === want, { message: 'proposal written' });
    };

    // Rating: 1 against 5; the reviewer proposes 6 (off the scale: refused, naming the field), then 4.
    const r = await split(rate, 'dr-0', { kind: 'rating', value: 1 }, { kind: 'rating', value: 5 });
    await proposeAndWait(r.room, { kind: 'rating', value: 6 });
    const bad = await until(async () => {
      const x = await commit(rate, r.dispute.id, 'bad-rating');
      return x.status === 400 && x.body.error.details?.some((d) => d.path === 'doc.proposal.preference.value') ? x : null;
    }, 'the off-scale rating is refused');
    expect(bad.body.error.message).toMatch(/not a level of the rating scale/);
    await proposeAndWait(r.room, { kind: 'rating', value: 4 });
    const rated = await until(async () => {
      const x = await commit(rate, r.dispute.id, 'rating');
      return x.status === 201 ? x : null;
    }, 'the rating commits');
    expect(rated.body.label).toMatchObject({ method: 'adjudicated', judgments: 2, agreement: 0, label: { preference: { kind: 'rating', value: 4 } } });

    // Classification: {insult} against {spam}; an unknown label is refused; labels picked out of order are stored sorted.
    const c = await split(cls, 'dc-0', { kind: 'classification', labels: ['insult'] }, { kind: 'classification', labels: ['spam'] });
    await proposeAndWait(c.room, { kind: 'classification', labels: ['spam', 'nonsense'] });
    await until(async () => {
      const x = await commit(cls, c.dispute.id, 'bad-labels');
      return x.status === 400 && x.body.error.details?.some((d) => d.path === 'doc.proposal.preference.labels.1') ? x : null;
    }, 'the unknown label is refused');
    await proposeAndWait(c.room, { kind: 'classification', labels: ['spam', 'insult'] });
    const labelled = await until(async () => {
      const x = await commit(cls, c.dispute.id, 'labels');
      return x.status === 201 ? x : null;
    }, 'the labels commit');
    expect(labelled.body.label.label.preference).toEqual({ kind: 'classification', labels: ['insult', 'spam'] });
    // Each judgment named one of the two: neither picked the committed set.
    expect(labelled.body.label.agreement).toBe(0);
  });

  it('calibration: a rating session and a multi-label session reveal the distribution and report α (ordinal; MASI) equal to @accord/metrics', async () => {
    const run = async (p: FactoryProject, externalIds: string[], rounds: unknown[][]) => {
      const items = (await p.lead.client.get<{ items: { id: string; externalId: string }[] }>(`/api/projects/${p.id}/items?limit=100`)).body.items;
      const ids = externalIds.map((e) => items.find((i) => i.externalId === e)!.id);
      const base = `/api/projects/${p.id}/calibration`;
      const s = (await p.lead.client.post<CalibrationSession>(base, { title: `Calibrate ${randomUUID().slice(0, 4)}`, participants: p.trainers.map((u) => u.id), items: ids })).body;
      for (const u of p.trainers) expect((await u.client.post(`${base}/${s.id}/join`)).status).toBe(200);
      const results: CalibrationRoundResult[] = [];
      for (const [n, prefs] of rounds.entries()) {
        const opened = await p.lead.client.post<CalibrationSession>(`${base}/${s.id}/${n === 0 ? 'rounds' : 'next'}`);
        const roundId = opened.body.round!.id;
        for (const [i, u] of p.trainers.entries()) {
          const sub = await u.client.post(`${base}/${s.id}/submit`, { roundId, payload: payload(prefs[i]) });
          expect(sub.status, sub.text).toBe(200);
        }
        expect((await p.lead.client.post(`${base}/${s.id}/reveal`, {})).status).toBe(200);
        const res = await p.trainer.client.get<CalibrationRoundResult>(`${base}/${s.id}/rounds/${roundId}`);
        expect(res.status).toBe(200);
        results.push(res.body);
      }
      await p.lead.client.post(`${base}/${s.id}/end`, { judgments: 'discarded' });
      const report = (await p.lead.client.get<CalibrationReport>(`${base}/${s.id}/report`)).body;
      return { results, report };
    };

    // Ratings 1..5 by three participants on two items.
    const rp = rateP;
    const ratings = [
      [2, 2, 4],
      [5, 4, 5],
    ];
    const rr = await run(rp, ['cr-0', 'cr-1'], ratings.map((row) => row.map((value) => ({ kind: 'rating', value }))));
    expect(rr.results[0]!.distribution.ratings).toEqual([1, 2, 3, 4, 5].map((value) => ({ value, count: value === 2 ? 2 : value === 4 ? 1 : 0 })));
    expect(rr.results[0]!.agreement.preference).toMatchObject({ statistic: 'alpha-ordinal', value: null, reason: 'one-item', n: 3 });
    const ordinal = krippendorffAlpha(ratings, { level: 'ordinal', categories: [1, 2, 3, 4, 5] })!;
    expect(rr.report.overall.blind!.preference).toMatchObject({ statistic: 'alpha-ordinal', value: expect.closeTo(ordinal, 12) as number, n: 6 });

    // Labels (multi-label) by three participants on two items.
    const cp = clsP;
    const sets = [
      [['insult'], ['insult', 'threat'], ['spam']],
      [['spam'], ['spam'], ['spam', 'toxic']],
    ];
    const cr = await run(cp, ['cc-0', 'cc-1'], sets.map((row) => row.map((labels) => ({ kind: 'classification', labels }))));
    expect(cr.results[0]!.distribution.labels).toEqual([
      { label: 'toxic', count: 0 },
      { label: 'insult', count: 2 },
      { label: 'threat', count: 1 },
      { label: 'spam', count: 1 },
    ]);
    expect(cr.results[0]!.distribution.labelSets).toEqual([
      { labels: ['insult'], count: 1 },
      { labels: ['insult', 'threat'], count: 1 },
      { labels: ['spam'], count: 1 },
    ]);
    expect(cr.report.overall.blind!.preference).toMatchObject({ statistic: 'alpha-masi', value: expect.closeTo(setAlpha(sets)!, 12) as number, n: 6 });
    // Each participant's blind agreement: the mean of 1 − MASI distance to the others' sets (by hand: 5/12, 5/12, 1/6).
    expect(cr.report.participants.map((x) => x.blind!).sort()).toEqual([expect.closeTo(1 / 6, 12), expect.closeTo(5 / 12, 12), expect.closeTo(5 / 12, 12)]);
  });
});
