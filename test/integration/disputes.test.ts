/**
 * Consensus and disputes through the API and live rooms:
 * - PandaLM's three annotators under a majority rule (overlap 3, more than half) give 999 consensus
 *   labels, 105 of them ties, each equal to @accord/metrics' majorityVote row for row (model judges
 *   never count), and a DPO export of the 894 non-tie labels whose `chosen` is the majority's response;
 * - the demo project starts with two open disputes; two reviewers in one room converge on a
 *   proposal, sign it off and commit it; a sign-off goes stale when the proposal changes;
 * - ten concurrent commits of one dispute make exactly one label (one 201, nine 200, one id);
 * - trainers cannot join a room or call any route here; a reader's (reviewers who do not
 *   adjudicate) updates are refused; reopening keeps the old label in history; gold promotion;
 * - bad input answers 400 naming the field.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { majorityVote } from '@accord/metrics';
import { encodeFrame, getRationaleText, readDispute, readDisputeProposal, readRubricProposals, setDisputeTag, setProposalPreference, setProposalScore, writeDisputeProposal } from '@accord/collab';
import type { CommitResult, ConsensusLabel, ConsensusLabelDetail, DisputeDetail, DisputeSummary, SignoffResult, Ack, DocJoined, Judgment, Feedback, QueueNext } from '@accord/core';
import type { ApiClient, ErrorBody } from '../utils/client.ts';
import { connected, emitAck, openDoc, openSocket, rawDoc, type LiveDoc } from '../utils/collab.ts';
import { createFactory, type FactoryUser } from '../utils/factory.ts';
import { createTestServer, waitFor, type TestServer } from '../utils/server.ts';
import { validJudgment } from '../utils/work.ts';
import { dataset, importFile } from '../utils/work.ts';

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
    .map((l) => JSON.parse(l) as unknown);

const threeWay = (v: number) => (v < 0 ? 'first' : v > 0 ? 'second' : 'tie');

describe('consensus and disputes (pglite)', () => {
  let t: TestServer;
  let lead: ApiClient;
  let reviewer: ApiClient;
  let trainer: ApiClient;
  let reviewer2: FactoryUser;
  let demo: string;
  const closers: Array<() => void> = [];

  beforeAll(async () => {
    t = await createTestServer('pglite');
    demo = t.demoProjectId;
    [lead, reviewer, trainer] = await Promise.all([t.as('lead'), t.as('reviewer'), t.as('trainer')]);
    const factory = createFactory(await t.as('admin'), t.server.deps);
    reviewer2 = await factory.user({ name: 'Second Reviewer' });
    await factory.addMember(demo, reviewer2, 'reviewer');
  }, 300_000);

  afterAll(async () => {
    for (const c of closers) c();
    await t?.close();
  });

  const url = (p: string) => `/api/projects/${demo}${p}`;

  async function room(client: ApiClient, name: string): Promise<LiveDoc> {
    const s = await connected(openSocket({ url: t.url, cookie: client.cookie }));
    const d = openDoc(s, name);
    closers.push(() => {
      d.close();
      s.close();
    });
    return d;
  }

  it('PandaLM, overlap 3, majority over 0.5: 999 labels, 105 ties, each the majorityVote of the three annotators; the DPO export has 894 rows, chosen the majority response', async () => {
    const p = (await lead.post<{ id: string }>('/api/projects', { name: 'PandaLM consensus' })).body.id;
    expect((await lead.patch(`/api/projects/${p}/settings`, { overlap: 3, consensus: { rule: 'majority', threshold: 0.5 } })).status).toBe(200);
    const timeout = 600_000;
    expect(await importFile(lead, p, dataset('pandalm', 'items'), { timeout })).toMatchObject({ created: 999, rejected: 0 });
    const started = Date.now();
    expect(await importFile(lead, p, dataset('pandalm', 'judgments'), { kind: 'judgments', timeout })).toMatchObject({ rejected: 0 });
    console.log(`[consensus] PandaLM judgments imported and 999 items computed in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const labels: ConsensusLabel[] = [];
    for (let offset = 0; ; offset += 500) {
      const r = await lead.get<{ items: ConsensusLabel[]; total: number }>(`/api/projects/${p}/consensus?limit=500&offset=${offset}`);
      expect(r.status).toBe(200);
      labels.push(...r.body.items);
      if (labels.length >= r.body.total) break;
    }
    expect(labels).toHaveLength(999);
    const ties = labels.filter((l) => l.label.preference.kind === 'pairwise' && l.label.preference.value === 0);
    expect(ties).toHaveLength(105);

    // Row for row: metrics' majorityVote over the three human annotators' 3-way labels.
    const raw = lines(dataset('pandalm', 'judgments')) as RawJudgment[];
    const human = raw.filter((j) => (j.annotatorKind ?? 'human') === 'human');
    const ids = [...new Set(human.map((j) => j.externalId))].sort();
    const raters = [...new Set(human.map((j) => j.annotator))].sort();
    expect(raters).toHaveLength(3);
    const cell = new Map(human.map((j) => [`${j.externalId}|${j.annotator}`, threeWay(j.judgment.preference.value)]));
    const votes = majorityVote(
      ids.map((id) => raters.map((r) => cell.get(`${id}|${r}`) ?? null)),
      { categories: ['first', 'tie', 'second'] },
    );
    const byItem = new Map(labels.map((l) => [l.itemExternalId, l]));
    ids.forEach((id, i) => {
      const l = byItem.get(id)!;
      expect(l, id).toBeDefined();
      const pref = l.label.preference;
      if (pref.kind !== 'pairwise') throw new Error('expected a pairwise label');
      expect(threeWay(pref.value), id).toBe(votes[i]!.winner);
      expect(l.method).toBe('majority');
      expect(l.judgments).toBe(3);
      expect(l.agreement!).toBeCloseTo(votes[i]!.topCount / 3, 5);
    });
    // Every item met the rule: no disputes.
    expect((await lead.get<{ total: number }>(`/api/projects/${p}/disputes?status=all`)).body.total).toBe(0);

    // The DPO export: one row per non-tie label (999 − 105 = 894), `chosen` the majority's response, row for row.
    const res = await fetch(`${t.url}/api/projects/${p}/exports/dpo?format=jsonl`, { headers: { cookie: `accord_session=${lead.cookie}` } });
    expect(res.status).toBe(200);
    const rows = (await res.text())
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { prompt: string; chosen: string; rejected: string; externalId: string; method: string; judgments: number });
    expect(rows).toHaveLength(894);
    const itemsById = new Map((lines(dataset('pandalm', 'items')) as { externalId: string; prompt: string; responses: { id: string; content: string }[] }[]).map((i) => [i.externalId, i]));
    const winnerOf = new Map(ids.map((id, i) => [id, votes[i]!.winner]));
    const exported = new Set<string>();
    for (const row of rows) {
      const item = itemsById.get(row.externalId)!;
      const winner = winnerOf.get(row.externalId);
      expect(winner, row.externalId).not.toBe('tie');
      const [first, second] = item.responses;
      expect(row.prompt).toBe(item.prompt);
      expect(row.chosen, row.externalId).toBe(winner === 'first' ? first!.content : second!.content);
      expect(row.rejected, row.externalId).toBe(winner === 'first' ? second!.content : first!.content);
      expect(row.method).toBe('majority');
      expect(row.judgments).toBe(3);
      exported.add(row.externalId);
    }
    expect(exported.size).toBe(894);
    // Filters and the single label with its history.
    const unanimous = await lead.get<{ total: number }>(`/api/projects/${p}/consensus?minAgreement=1&limit=1`);
    expect(unanimous.body.total).toBe(labels.filter((l) => l.agreement! > 0.99).length);
    const one = await lead.get<ConsensusLabelDetail>(`/api/projects/${p}/consensus/${labels[0]!.id}`);
    expect(one.status).toBe(200);
    expect(one.body.history.map((h) => h.id)).toEqual([labels[0]!.id]);
    const bad = await lead.get<ErrorBody>(`/api/projects/${p}/consensus?minAgreement=2`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details?.[0]?.path).toBe('query.minAgreement');
  }, 900_000);

  it('the demo project starts with two open disputes, sorted by reason (the serious flag first)', async () => {
    const q = (await waitFor(
      async () => {
        const r = await reviewer.get<{ items: DisputeSummary[]; total: number }>(url('/disputes'));
        return r.body.total >= 2 ? r.body : null;
      },
      { message: 'two demo disputes' },
    ))!;
    expect(q.items.map((d) => d.reason)).toEqual(['serious-flag', 'disagreement']);
    expect(q.items[0]!.detail).toMatch(/broken/);
    expect(q.items[1]!.detail).toMatch(/1 the first response better, 1 the second response better/);
    expect(q.items[1]).toMatchObject({ status: 'open', signOffs: 0, signOffsNeeded: 2, doc: `dispute:${q.items[1]!.id}`, labelId: null });
    const d = await reviewer.get<DisputeDetail>(url(`/disputes/${q.items[1]!.id}`));
    expect(d.status).toBe(200);
    expect(d.body.judgments).toHaveLength(2);
    expect(d.body.judgments.map((j) => j.annotator?.name).sort()).toEqual(['Lena Lead', 'Rafael Reviewer']);
    expect(d.body.item.externalId).toBe(q.items[1]!.itemExternalId);
    expect(d.body.rubricVersion).toBe(1);
    // Each judgment says in which order its annotator saw the responses (their "Response A"), as stored.
    const stored = (await t.db.db.execute(sql`select id, response_order from judgments where id = any(${`{${d.body.judgments.map((j) => j.id).join(',')}}`}::uuid[])`)) as unknown as {
      rows: { id: string; response_order: string[] | null }[];
    };
    const byId = new Map(stored.rows.map((r) => [r.id, r.response_order]));
    for (const j of d.body.judgments) expect(j.responseOrder).toEqual(byId.get(j.id!) ?? null);
  });

  it('trainers are refused everywhere: routes answer 403 and the room refuses the join as for an unknown id', async () => {
    const list = await reviewer.get<{ items: DisputeSummary[] }>(url('/disputes'));
    const id = list.body.items[0]!.id;
    for (const [m, p] of [
      ['GET', '/disputes'],
      ['GET', `/disputes/${id}`],
      ['GET', '/consensus'],
      ['POST', `/disputes/${id}/commit`],
      ['POST', `/disputes/${id}/signoff`],
    ] as const) {
      const r = await trainer.request(m, url(p), m === 'POST' ? {} : undefined);
      expect(r.status, `${m} ${p}`).toBe(403);
    }
    const s = await connected(openSocket({ url: t.url, cookie: trainer.cookie }));
    closers.push(() => s.close());
    // The refusal of an unknown id, word for word: a trainer cannot tell which dispute ids exist.
    const joined = await emitAck<Ack<DocJoined>>(s, 'doc:join', `dispute:${id}`);
    expect(joined).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await emitAck<Ack<DocJoined>>(s, 'doc:join', `dispute:${randomUUID()}`)).toEqual(joined);
  });

  it('two reviewers converge in one room, sign off and commit; a changed proposal makes sign-offs stale; retries answer the same label', async () => {
    const list = await reviewer.get<{ items: DisputeSummary[] }>(url('/disputes?reason=disagreement'));
    const dispute = list.body.items[0]!;
    const a = await room(reviewer, dispute.doc);
    const b = await room(reviewer2.client, dispute.doc);
    // The room is seeded with the rule's result when it loads; a split with no single most common
    // judgment has none (its first judgment would be an arbitrary one), and the room starts empty.
    const detail = (await reviewer.get<DisputeDetail>(url(`/disputes/${dispute.id}`))).body;
    if (detail.computed.label) await waitFor(() => a.provider.synced && b.provider.synced && readDisputeProposal(a.doc).preference !== null && readDisputeProposal(b.doc).preference !== null, { message: 'seeded rooms' });
    else {
      expect(detail.computed.reason).toMatch(/no single most common/);
      await waitFor(() => a.provider.synced && b.provider.synced, { message: 'synced rooms' });
      expect(readDispute(a.doc)).toMatchObject({ seededFrom: null, proposal: { preference: null } });
      // The reviewers start from a judgment instead ("Propose this").
      const [first] = detail.judgments;
      writeDisputeProposal(a.doc, { preference: first!.preference, scores: first!.scores, spans: first!.spans });
      // Both rooms hold it before they edit it (a concurrent edit of the same score may lose to it).
      await waitFor(() => readDisputeProposal(b.doc).preference !== null, { message: 'the started proposal reaches the other room' });
    }
    a.doc.transact(() => {
      setProposalPreference(a.doc, { kind: 'pairwise', a: 'r1', b: 'r2', value: 1 });
      setDisputeTag(a.doc, 'ambiguous-item');
    });
    getRationaleText(b.doc).insert(0, 'Both readings are defensible; the second response answers the literal request.');
    setProposalScore(b.doc, 'helpfulness', 'r2', 5);
    const state = (d: Y.Doc) => JSON.stringify(readDispute(d));
    await waitFor(() => state(a.doc) === state(b.doc) && readDispute(a.doc).rationale.length > 0 && readDispute(a.doc).tag === 'ambiguous-item' && readDisputeProposal(a.doc).scores.some((s) => s.dimension === 'helpfulness' && s.responseId === 'r2' && s.value === 5), {
      message: 'the two rooms converge',
    });

    // Reviewer 1 signs off; reviewer 2 changes the proposal: the first sign-off is stale.
    const s1 = await reviewer.post<SignoffResult>(url(`/disputes/${dispute.id}/signoff`));
    expect(s1.status).toBe(200);
    expect(s1.body).toMatchObject({ current: 1, needed: 2 });
    const early = await reviewer.post<ErrorBody>(url(`/disputes/${dispute.id}/commit`), undefined, { headers: { 'idempotency-key': 'early' } });
    expect(early.status).toBe(403);
    setProposalScore(b.doc, 'conciseness', 'r2', 1);
    await waitFor(async () => (await reviewer.get<DisputeDetail>(url(`/disputes/${dispute.id}`))).body.signoffs.every((x) => !x.current), { message: 'stale sign-off' });
    await waitFor(() => state(a.doc) === state(b.doc), { message: 'converged again' });
    expect((await reviewer.post<SignoffResult>(url(`/disputes/${dispute.id}/signoff`))).body.current).toBe(1);
    const s2 = await reviewer2.client.post<SignoffResult>(url(`/disputes/${dispute.id}/signoff`));
    expect(s2.body).toMatchObject({ current: 2, needed: 2 });
    // A sign-off counts while its signer may adjudicate: demoted, the second reviewer's no longer
    // does, and one reviewer cannot commit alone; given the role back, it counts again.
    expect((await lead.patch(url(`/members/${reviewer2.id}`), { role: 'trainer' })).status).toBe(200);
    const demoted = await reviewer.get<DisputeDetail>(url(`/disputes/${dispute.id}`));
    expect(demoted.body.signoffs.find((x) => x.userId === reviewer2.id)?.current).toBe(false);
    expect((await reviewer.post(url(`/disputes/${dispute.id}/commit`), undefined, { headers: { 'idempotency-key': 'alone' } })).status).toBe(403);
    expect((await lead.patch(url(`/members/${reviewer2.id}`), { role: 'reviewer' })).status).toBe(200);
    expect((await reviewer.get<DisputeDetail>(url(`/disputes/${dispute.id}`))).body.signoffs.filter((x) => x.current)).toHaveLength(2);

    const first = await reviewer.post<CommitResult>(url(`/disputes/${dispute.id}/commit`), undefined, { headers: { 'idempotency-key': 'commit-1' } });
    expect(first.status).toBe(201);
    expect(first.body.created).toBe(true);
    expect(first.body.label).toMatchObject({ method: 'adjudicated', disputeId: dispute.id, tag: 'ambiguous-item', rubricVersion: 1, judgments: 2 });
    expect(first.body.label.label.preference).toEqual({ kind: 'pairwise', a: 'r1', b: 'r2', value: 1 });
    expect(first.body.label.rationale).toMatch(/defensible/);
    const retry = await reviewer.post<CommitResult>(url(`/disputes/${dispute.id}/commit`), undefined, { headers: { 'idempotency-key': 'commit-1' } });
    expect(retry.status).toBe(200);
    expect(retry.body.label.id).toBe(first.body.label.id);
    // The room is frozen for both: a later edit is refused and never reaches the database's label.
    const s = await connected(openSocket({ url: t.url, cookie: reviewer2.client.cookie }));
    closers.push(() => s.close());
    expect(await emitAck<Ack<DocJoined>>(s, 'doc:join', dispute.doc)).toEqual({ ok: true, data: { access: 'read' } });
    const after = await reviewer.get<DisputeDetail>(url(`/disputes/${dispute.id}`));
    expect(after.body.dispute.status).toBe('committed');
    expect(after.body.label?.id).toBe(first.body.label.id);
    expect(after.body.you.canWrite).toBe(false);
  });

  it('ten concurrent commits of one dispute make exactly one label: one 201, nine 200 with the same id', async () => {
    const list = await lead.get<{ items: DisputeSummary[] }>(url('/disputes?reason=serious-flag'));
    const dispute = list.body.items[0]!;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => lead.post<CommitResult>(url(`/disputes/${dispute.id}/commit`), undefined, { headers: { 'idempotency-key': `concurrent-${i}` } })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.label.id)).size).toBe(1);
    const labels = await lead.get<{ items: ConsensusLabel[] }>(url(`/consensus?itemId=${dispute.itemId}&state=all`));
    expect(labels.body.items).toHaveLength(1);
  });

  it('reopening keeps the old label in history and opens a dispute; promoting an adjudicated item to gold', async () => {
    const committed = await lead.get<{ items: DisputeSummary[] }>(url('/disputes?status=committed&sort=age'));
    const d = committed.body.items[0]!;
    const gold = await lead.post<{ itemId: string; gold: unknown }>(url(`/disputes/${d.id}/gold`));
    expect(gold.status).toBe(200);
    expect(gold.body.itemId).toBe(d.itemId);
    expect((await reviewer.post(url(`/disputes/${d.id}/gold`))).status).toBe(403);
    const noteless = await lead.post<ErrorBody>(url(`/consensus/${d.labelId}/reopen`), { note: '  ' });
    expect(noteless.status).toBe(400);
    expect(noteless.body.error.details?.[0]?.path).toBe('body.note');
    const re = await lead.post<DisputeSummary>(url(`/consensus/${d.labelId}/reopen`), { note: 'New guidance on literal answers.' });
    expect(re.status).toBe(201);
    expect(re.body).toMatchObject({ reason: 'reopened', status: 'open', detail: 'New guidance on literal answers.' });
    // The item is gold now: its room shows the gold answer to leads only (reviewers do not see gold in the items list either).
    expect((await lead.get<DisputeDetail>(url(`/disputes/${re.body.id}`))).body.item.gold).not.toBeNull();
    expect((await reviewer.get<DisputeDetail>(url(`/disputes/${re.body.id}`))).body.item.gold).toBeNull();
    expect((await lead.post(url(`/consensus/${d.labelId}/reopen`), { note: 'again' })).status).toBe(409);
    const old = await lead.get<ConsensusLabelDetail>(url(`/consensus/${d.labelId}`));
    expect(old.body.supersededAt).not.toBeNull();
    expect(old.body.supersededBy?.name).toBe('Lena Lead');
    expect(old.body.history.map((h) => h.id)).toContain(d.labelId);
    const current = await lead.get<{ items: ConsensusLabel[] }>(url(`/consensus?itemId=${d.itemId}`));
    expect(current.body.items).toHaveLength(0);
    // Committing the reopened dispute makes a new current label; the old one stays in history. Tagged
    // a guideline gap, it adds a change proposal naming the dispute to the rubric draft.
    const r = await room(lead, re.body.doc);
    const reDetail = (await lead.get<DisputeDetail>(url(`/disputes/${re.body.id}`))).body;
    if (reDetail.computed.label) await waitFor(() => r.provider.synced && readDisputeProposal(r.doc).preference !== null, { message: 'the reopened room' });
    else {
      // No single most common judgment: no seed; the lead starts from a judgment.
      await waitFor(() => r.provider.synced, { message: 'the reopened room' });
      const [first] = reDetail.judgments;
      writeDisputeProposal(r.doc, { preference: first!.preference, scores: first!.scores, spans: first!.spans });
    }
    setDisputeTag(r.doc, 'guideline-gap');
    await waitFor(async () => (await t.server.deps.docs.read(re.body.doc, (doc) => readDispute(doc).tag)) === 'guideline-gap', { message: 'the tag reaches the server' });
    const c = await lead.post<CommitResult>(url(`/disputes/${re.body.id}/commit`), undefined, { headers: { 'idempotency-key': 'reopened-1' } });
    expect(c.status).toBe(201);
    expect(c.body.label.tag).toBe('guideline-gap');
    expect(c.body.rubricProposal).toBe(`dispute:${re.body.id}`);
    const proposals = await t.server.deps.docs.read(`rubric:${demo}`, (doc) => readRubricProposals(doc));
    expect(proposals.filter((x) => x.disputeId === re.body.id)).toHaveLength(1);
    const hist = await lead.get<ConsensusLabelDetail>(url(`/consensus/${c.body.label.id}`));
    expect(hist.body.history.map((h) => h.id)).toEqual([c.body.label.id, d.labelId]);
  });

  it("a reader's updates are refused, and readers cannot sign off or commit; bad input names the field", async () => {
    expect((await lead.patch(url('/settings'), { consensus: { reviewersAdjudicate: false } })).status).toBe(200);
    const items = await lead.get<{ items: { id: string }[] }>(url('/items?limit=1'));
    const itemId = items.body.items[0]!.id;
    // An open queue page (a reviewer following the project) hears that the disputes changed.
    const follower = await connected(openSocket({ url: t.url, cookie: reviewer.cookie }));
    closers.push(() => follower.close());
    const heard: { projectId: string; disputeId: string | null }[] = [];
    follower.on('disputes:changed', (e: { projectId: string; disputeId: string | null }) => heard.push(e));
    expect(await emitAck(follower, 'quality:join', demo)).toEqual({ ok: true, data: null });
    const empty = await reviewer.post<ErrorBody>(url(`/items/${itemId}/disputes`), { note: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details?.[0]?.path).toBe('body.note');
    const opened = await reviewer.post<DisputeSummary>(url(`/items/${itemId}/disputes`), { note: 'Looks mislabeled to me.' });
    expect(opened.status).toBe(201);
    expect(opened.body.reason).toBe('manual');
    await waitFor(() => heard.some((e) => e.projectId === demo && e.disputeId === opened.body.id), { message: 'disputes:changed' });
    expect((await reviewer.post(url(`/items/${itemId}/disputes`), { note: 'twice' })).status).toBe(409);

    const s = await connected(openSocket({ url: t.url, cookie: reviewer.cookie }));
    closers.push(() => s.close());
    const raw = rawDoc(s, opened.body.doc);
    expect(await raw.join()).toEqual({ ok: true, data: { access: 'read' } });
    const hostile = new Y.Doc();
    setProposalPreference(hostile, { kind: 'pairwise', a: 'r1', b: 'r2', value: 3 });
    raw.send(encodeFrame({ type: 'sync-update', update: Y.encodeStateAsUpdate(hostile) }));
    await waitFor(() => raw.errorsOf().includes('read_only'), { message: 'read_only refusal' });
    expect((await reviewer.post(url(`/disputes/${opened.body.id}/signoff`))).status).toBe(403);
    expect((await reviewer.post(url(`/disputes/${opened.body.id}/commit`), undefined, { headers: { 'idempotency-key': 'reader' } })).status).toBe(403);
    const badKey = await lead.post<ErrorBody>(url(`/disputes/${opened.body.id}/commit`), undefined, { headers: { 'idempotency-key': 'x'.repeat(201) } });
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.details?.[0]?.path).toBe('headers.idempotency-key');

    // The setting reaches a reviewer already in the room, without a rejoin: a writer, then a reader again.
    const inRoom = await room(reviewer, opened.body.doc);
    await waitFor(() => inRoom.provider.synced, { message: 'the reviewer in the room' });
    expect(inRoom.provider.access).toBe('read');
    expect((await lead.patch(url('/settings'), { consensus: { reviewersAdjudicate: true } })).status).toBe(200);
    await waitFor(() => inRoom.provider.access === 'write', { message: 'the reviewer becomes a writer' });
    expect((await lead.patch(url('/settings'), { consensus: { reviewersAdjudicate: false } })).status).toBe(200);
    await waitFor(() => inRoom.provider.access === 'read', { message: 'the reviewer becomes a reader again' });
    expect((await lead.patch(url('/settings'), { consensus: { reviewersAdjudicate: true } })).status).toBe(200);
    await waitFor(() => inRoom.provider.access === 'write', { message: 'and a writer' });
  });

  it('blind adjudication hides who judged: no names, and no judgment ids the judgments list would map to their authors', async () => {
    const id = (await reviewer.get<{ items: DisputeSummary[] }>(url('/disputes?reason=disagreement&status=all'))).body.items[0]!.id;
    expect((await lead.patch(url('/settings'), { consensus: { blind: true } })).status).toBe(200);
    try {
      const d = await reviewer.get<DisputeDetail>(url(`/disputes/${id}`));
      expect(d.body.judgments.length).toBeGreaterThan(0);
      expect(d.body.judgments.every((j) => j.id === null && j.annotator === null && /^Judgment \d+$/.test(j.label))).toBe(true);
      // Nor does the judgments list (same content) name the others: only the reviewer's own judgment keeps its author.
      const me = (await reviewer.get<{ user: { id: string } }>('/api/auth/me')).body.user.id;
      const listed = await reviewer.get<{ items: Judgment[] }>(url(`/judgments?itemId=${d.body.dispute.itemId}`));
      expect(listed.body.items.length).toBe(d.body.judgments.length);
      for (const j of listed.body.items) if (j.userId !== me) expect(j).toMatchObject({ userId: null, user: { email: '' } });
      expect(JSON.stringify(listed.body)).not.toContain('Lena Lead');
      expect((await reviewer.get(url(`/judgments?userId=${randomUUID()}`))).status).toBe(403);
      // Nor does feedback on those judgments (its judgment ids are the list's), nor its annotator filter.
      // A trainer's judgment in the project, and the lead's feedback on it.
      const task = (await trainer.post<QueueNext>(url('/queue/next'))).body.task!;
      const submitted = await trainer.post<{ judgment: Judgment }>(url(`/assignments/${task.assignmentId}/submit`), { payload: validJudgment(task), timeSpentMs: 1000 });
      expect(submitted.status).toBe(200);
      const other = submitted.body.judgment;
      const author = (await trainer.get<{ user: { id: string } }>('/api/auth/me')).body.user.id;
      expect((await lead.post(url(`/judgments/${other.id}/feedback`), { text: 'Read the rubric on honesty again.' })).status).toBe(201);
      const onIt = await reviewer.get<{ items: Feedback[] }>(url(`/judgments/${other.id}/feedback`));
      expect(onIt.body.items.length).toBeGreaterThan(0);
      expect(onIt.body.items.every((f) => f.userId === null)).toBe(true);
      expect(JSON.stringify(onIt.body)).not.toContain(author);
      const all = await reviewer.get<{ items: Feedback[] }>(url('/feedback'));
      expect(all.body.items.every((f) => f.userId === null || f.userId === me)).toBe(true);
      expect((await reviewer.get(url(`/feedback?userId=${author}`))).status).toBe(403);
      expect((await lead.get<{ items: Feedback[] }>(url(`/judgments/${other.id}/feedback`))).body.items.every((f) => f.userId === author)).toBe(true);
      // Leads see authors.
      expect((await lead.get<{ items: Judgment[] }>(url(`/judgments?itemId=${d.body.dispute.itemId}`))).body.items.every((j) => j.userId !== null)).toBe(true);
    } finally {
      expect((await lead.patch(url('/settings'), { consensus: { blind: false } })).status).toBe(200);
    }
    const open = await reviewer.get<DisputeDetail>(url(`/disputes/${id}`));
    expect(open.body.judgments.every((j) => typeof j.id === 'string' && j.annotator !== null)).toBe(true);
  });
});
