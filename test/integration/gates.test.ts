/**
 * Gates on a member's work, through the API (in-process, PGlite and PostgreSQL): a lead's pause
 * stops new work and releases what the trainer holds, resume restores it; calibration enrolment is
 * a member list; a required qualification on gold items blocks real work until passed, a failure
 * blocks a retry until the delay has passed (the server's clock is moved, nothing waits), a pass
 * grants the tier and domain tag that premium work needs; reviewers grade justifications against a
 * checklist; feedback on judgments is read by its trainer and nobody else; trainers are refused the
 * leads' actions. Trainers never learn which qualification answers matched gold.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Feedback, JudgmentPayload, Member, Project, QualificationAttempt, QualificationAttemptDetail, QualificationNext, QueueNext, Standing, Task } from '@accord/core';
import { testDatabaseKinds } from '@accord/db/testing';
import { createTestApp, type TestApp } from '../utils/app.ts';
import type { ApiClient, ErrorBody } from '../utils/client.ts';
import type { FactoryProject, FactoryUser } from '../utils/factory.ts';
import { judgeQueue, pairItem, validJudgment } from '../utils/work.ts';

const GOLD = { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -2 } }; // r1 is better
const goldItem = (id: string) => pairItem(id, { gold: GOLD });

/** A valid answer that agrees with GOLD (`right`) or contradicts it, in canonical terms. */
function answer(task: Pick<Task, 'item' | 'taskKind' | 'rubric'>, right: boolean): JudgmentPayload {
  return { ...validJudgment(task as Task), preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: right ? -2 : 2 } };
}

const paths = (r: { body: unknown }) => ((r.body as ErrorBody).error.details ?? []).map((d) => d.path);

const kinds = await testDatabaseKinds();

describe.each(kinds)('gates (%s)', (kind) => {
  let a: TestApp;
  /** The server's clock: tests move it instead of waiting. */
  let now = Date.now();

  beforeAll(async () => {
    a = await createTestApp(kind, {}, { clock: () => new Date(now) });
  });
  afterAll(() => a?.close());

  const url = (p: { id: string }, rest = '') => `/api/projects/${p.id}${rest}`;
  const next = (c: ApiClient, p: { id: string }) => c.post<QueueNext>(url(p, '/queue/next'));

  describe('pause and resume', () => {
    let p: FactoryProject;
    beforeAll(async () => {
      p = await a.factory.project({ items: 6, trainers: 2 });
    });

    it('a paused trainer gets no new work and the reason; what they held goes back to the pool; resume restores work', async () => {
      const t = p.trainer;
      const held = (await next(t.client, p)).body.task!;
      expect(held).not.toBeNull();
      await t.client.request('PUT', url(p, `/assignments/${held.assignmentId}/draft`), { payload: { justification: 'half way' } });

      const paused = await p.lead.client.post<Member>(url(p, `/members/${t.id}/pause`), { reason: 'agreement fell below the threshold' });
      expect(paused.status).toBe(200);
      expect(paused.body.paused).toMatchObject({ reason: 'agreement fell below the threshold' });

      const blocked = await next(t.client, p);
      expect(blocked.status).toBe(200);
      expect(blocked.body.task).toBeNull();
      expect(blocked.body.progress).toMatchObject({ eligible: false, reserved: 0 });
      expect(blocked.body.progress.reason).toContain('paused');
      expect(blocked.body.progress.reason).toContain('agreement fell below the threshold');
      // The held reservation was released: submitting it is refused, and the draft went with it.
      const late = await t.client.post<ErrorBody>(url(p, `/assignments/${held.assignmentId}/submit`), { payload: validJudgment(held) });
      expect(late.status).toBe(409);
      // The project list says why there is no work; the members list shows the pause.
      const list = await t.client.get<{ items: Project[] }>('/api/projects');
      expect(list.body.items.find((x) => x.id === p.id)?.work).toMatchObject({ eligible: false });
      expect(list.body.items.find((x) => x.id === p.id)?.work?.reason).toContain('paused');
      const pausedOnly = await p.lead.client.get<{ items: Member[] }>(url(p, '/members?paused=true'));
      expect(pausedOnly.body.items.map((m) => m.userId)).toEqual([t.id]);
      const standing = await t.client.get<Standing>(url(p, '/standing'));
      expect(standing.body).toMatchObject({ eligible: false, paused: { reason: 'agreement fell below the threshold' } });
      // The pause and its reason are the lead's word on this trainer's work: another trainer sees
      // neither, and cannot filter the members by it.
      const peer = p.trainers.find((x) => x.id !== t.id)!;
      const peers = await peer.client.get<{ items: Member[] }>(url(p, '/members'));
      // A trainer's member list holds themselves and the leads and reviewers: no other trainer (their emails, tiers, pauses).
      expect(peers.body.items.some((m) => m.userId === t.id)).toBe(false);
      expect(peers.body.items.filter((m) => m.role === 'trainer').map((m) => m.userId)).toEqual([peer.id]);
      expect(peers.body.items.some((m) => m.role === 'lead')).toBe(true);
      expect(JSON.stringify(peers.body)).not.toContain('agreement fell below the threshold');
      expect(JSON.stringify(peers.body)).not.toContain(t.email);
      const peerFilter = await peer.client.get<ErrorBody>(url(p, '/members?paused=true'));
      expect(peerFilter.status).toBe(403);
      expect(paths(peerFilter)).toEqual(['query.paused']);
      expect((await t.client.get<{ items: Member[] }>(url(p, '/members'))).body.items.find((m) => m.userId === t.id)?.paused).toMatchObject({ reason: 'agreement fell below the threshold' });
      // The other trainer works on.
      expect((await next(p.trainers[1]!.client, p)).body.task).not.toBeNull();

      const resumed = await p.lead.client.post<Member>(url(p, `/members/${t.id}/resume`));
      expect(resumed.status).toBe(200);
      expect(resumed.body.paused).toBeNull();
      const back = await next(t.client, p);
      expect(back.body.task).not.toBeNull();
      expect(back.body.progress).toMatchObject({ eligible: true, reason: null });
      // Resuming a member at work changes nothing.
      expect((await p.lead.client.post<Member>(url(p, `/members/${t.id}/resume`))).body.paused).toBeNull();
    });

    it('refuses trainers and reviewers, and answers 404 for a non-member and 400 for a bad reason', async () => {
      for (const c of [p.trainer.client, p.reviewer.client]) {
        expect((await c.post(url(p, `/members/${p.trainers[1]!.id}/pause`), {})).status).toBe(403);
        expect((await c.post(url(p, `/members/${p.trainers[1]!.id}/resume`))).status).toBe(403);
        expect((await c.post(url(p, `/members/${p.trainers[1]!.id}/calibration`), {})).status).toBe(403);
        expect((await c.delete(url(p, `/members/${p.trainers[1]!.id}/calibration`))).status).toBe(403);
      }
      expect((await p.lead.client.post(url(p, `/members/${randomUUID()}/pause`), {})).status).toBe(404);
      const long = await p.lead.client.post(url(p, `/members/${p.trainer.id}/pause`), { reason: 'x'.repeat(501) });
      expect(long.status).toBe(400);
      expect(paths(long)).toEqual(['body.reason']);
      // Nothing changed.
      expect((await next(p.trainers[1]!.client, p)).body.progress.eligible).toBe(true);
    });

    it('enrols members in calibration as a list the calibration sessions read, and takes them off it', async () => {
      const [t1, t2] = p.trainers;
      const enrolled = await p.lead.client.post<Member>(url(p, `/members/${t1!.id}/calibration`), { note: 'position bias' });
      expect(enrolled.status).toBe(200);
      expect(enrolled.body.calibration).toMatchObject({ note: 'position bias' });
      await p.lead.client.post(url(p, `/members/${t2!.id}/calibration`), {});
      const list = await p.lead.client.get<{ items: Member[] }>(url(p, '/members?calibration=true'));
      expect(list.body.items.map((m) => m.userId).sort()).toEqual([t1!.id, t2!.id].sort());
      // The trainer sees it in the members list and in their standing; another trainer sees neither the
      // enrolment nor its note, nor may filter by it. Calibration does not stop work.
      const seen = await t1!.client.get<{ items: Member[] }>(url(p, '/members'));
      expect(seen.body.items.find((m) => m.userId === t1!.id)?.calibration).toMatchObject({ note: 'position bias' });
      const bySeen = await t2!.client.get<{ items: Member[] }>(url(p, '/members'));
      expect(bySeen.body.items.some((m) => m.userId === t1!.id)).toBe(false);
      expect(JSON.stringify(bySeen.body)).not.toContain('position bias');
      expect((await t2!.client.get(url(p, '/members?calibration=true'))).status).toBe(403);
      expect((await t1!.client.get<Standing>(url(p, '/standing'))).body.calibration).toMatchObject({ note: 'position bias' });
      expect((await next(t1!.client, p)).body.progress.eligible).toBe(true);

      const off = await p.lead.client.delete<Member>(url(p, `/members/${t2!.id}/calibration`));
      expect(off.body.calibration).toBeNull();
      const after = await p.lead.client.get<{ items: Member[] }>(url(p, '/members?calibration=true'));
      expect(after.body.items.map((m) => m.userId)).toEqual([t1!.id]);
    });
  });

  it('a member who no longer receives work cannot submit the item they hold: a raised tier or a new role refuses it (409, draft kept)', async () => {
    const p = await a.factory.project({ items: 4, trainers: 1 });
    const held = (await next(p.trainer.client, p)).body.task!;
    expect((await p.lead.client.patch(url(p, '/settings'), { eligibility: { minTier: 3 } })).status).toBe(200);
    const refused = await p.trainer.client.post<ErrorBody>(url(p, `/assignments/${held.assignmentId}/submit`), { payload: validJudgment(held) });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/tier 3 .*not submitted; your draft is kept/);
    expect((await p.lead.client.patch(url(p, '/settings'), { eligibility: { minTier: 1 } })).status).toBe(200);
    expect((await p.lead.client.patch(url(p, `/members/${p.trainer.id}`), { role: 'reviewer' })).status).toBe(200);
    expect((await p.trainer.client.post(url(p, `/assignments/${held.assignmentId}/submit`), { payload: validJudgment(held) })).status).toBe(409);
    expect((await p.lead.client.patch(url(p, `/members/${p.trainer.id}`), { role: 'trainer' })).status).toBe(200);
    const ok = await p.trainer.client.post(url(p, `/assignments/${held.assignmentId}/submit`), { payload: validJudgment(held) });
    expect(ok.status, ok.text).toBe(200);
    // A repeat of the stored submission is answered as before, whatever the member's standing now.
    expect((await p.lead.client.patch(url(p, '/settings'), { eligibility: { minTier: 3 } })).status).toBe(200);
    expect((await p.trainer.client.post(url(p, `/assignments/${held.assignmentId}/submit`), { payload: validJudgment(held) })).status).toBe(200);
  });

  describe('qualification, tiers and tags', () => {
    let p: FactoryProject;
    let gold: string[];
    let plain: string;

    beforeAll(async () => {
      // Premium work: tier 2 and the "medical" domain; the qualification grants both.
      p = await a.factory.project({
        items: [...Array.from({ length: 4 }, (_, i) => pairItem(`work-${i}`)), goldItem('gold-1'), goldItem('gold-2'), goldItem('gold-3')],
        trainers: 3,
        settings: { eligibility: { minTier: 2, tags: ['medical'] } },
      });
      const items = (await p.lead.client.get<{ items: { id: string; externalId: string }[] }>(url(p, '/items?limit=50'))).body.items;
      gold = ['gold-1', 'gold-2'].map((e) => items.find((i) => i.externalId === e)!.id);
      plain = items.find((i) => i.externalId === 'work-0')!.id;
    });

    it('takes only gold items of the project, naming the item at fault; only the lead sets it, trainers do not read it', async () => {
      const bad = await p.lead.client.request<ErrorBody>('PUT', url(p, '/qualification'), { itemIds: [gold[0], plain, randomUUID()] });
      expect(bad.status).toBe(400);
      expect(paths(bad)).toEqual(['body.itemIds.1', 'body.itemIds.2']);
      expect(bad.body.error.message).toContain('gold');
      const range = await p.lead.client.request('PUT', url(p, '/qualification'), { itemIds: gold, passThreshold: 1.5, grants: { tier: 11 } });
      expect(paths(range).sort()).toEqual(['body.grants.tier', 'body.passThreshold']);
      expect((await p.trainer.client.request('PUT', url(p, '/qualification'), { itemIds: gold })).status).toBe(403);
      expect((await p.reviewer.client.request('PUT', url(p, '/qualification'), { itemIds: gold })).status).toBe(403);
      expect((await p.lead.client.get(url(p, '/qualification'))).status).toBe(404);

      const put = await p.lead.client.request('PUT', url(p, '/qualification'), { itemIds: gold, passThreshold: 1, retryDelayMinutes: 60, grants: { tier: 2, tags: ['Medical'] } });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ required: true, itemIds: gold, passThreshold: 1, retryDelayMinutes: 60, grants: { tier: 2, tags: ['medical'] }, review: null });
      expect((await p.reviewer.client.get(url(p, '/qualification'))).status).toBe(200);
      expect((await p.trainer.client.get(url(p, '/qualification'))).status).toBe(403);
    });

    it('blocks real work until passed; a failure blocks a retry until the delay; a pass grants the tier and tag and opens premium work', async () => {
      const t = p.trainer;
      const standing0 = (await t.client.get<Standing>(url(p, '/standing'))).body;
      expect(standing0).toMatchObject({ tier: 1, tags: [], eligible: false, requires: { minTier: 2, tags: ['medical'], qualification: true } });
      expect(standing0.reason).toContain('qualification');
      expect(standing0.qualification).toMatchObject({ required: true, items: 2, passThreshold: 1, grants: { tier: 2, tags: ['medical'] }, passedAt: null, canAttempt: true, latest: null });
      const none = await next(t.client, p);
      expect(none.body.task).toBeNull();
      expect(none.body.progress.reason).toContain('qualification');
      expect((await t.client.get<{ items: Project[] }>('/api/projects')).body.items.find((x) => x.id === p.id)?.work?.reason).toContain('qualification');

      // First attempt: one right, one wrong → 0.5 < 1: failed.
      const first = await t.client.post<QualificationNext>(url(p, '/qualification/next'));
      expect(first.status).toBe(200);
      const task1 = first.body.task!;
      // Each attempt serves the gold items in an order of its own.
      expect(task1).toMatchObject({ index: 1, total: 2 });
      expect(gold).toContain(task1.item.id);
      // Looks like any task: no gold, no model names.
      const text = JSON.stringify(first.body);
      expect(text).not.toContain('"gold"');
      expect(text).not.toContain('model-a');
      expect(new Set(task1.responseOrder)).toEqual(new Set(['r1', 'r2']));
      // Asking again goes on with the same attempt and item.
      expect((await t.client.post<QualificationNext>(url(p, '/qualification/next'))).body.task).toMatchObject({ attemptId: task1.attemptId, item: { id: task1.item.id } });

      const a1 = await t.client.post<QualificationNext>(url(p, `/qualification/attempts/${task1.attemptId}/items/${task1.item.id}`), { payload: answer(task1, true) });
      expect(a1.status).toBe(200);
      // No score item by item.
      expect(a1.body.attempt).toMatchObject({ status: 'in_progress', answered: 1, score: null });
      const task2 = a1.body.task!;
      expect(task2).toMatchObject({ index: 2, item: { id: gold.find((g) => g !== task1.item.id) } });
      const invalid = await t.client.post(url(p, `/qualification/attempts/${task2.attemptId}/items/${task2.item.id}`), { payload: { ...answer(task2, false), justification: 'too short' } });
      expect(invalid.status).toBe(400);
      expect(paths(invalid)).toEqual(['body.payload.justification']);
      const a2 = await t.client.post<QualificationNext>(url(p, `/qualification/attempts/${task2.attemptId}/items/${task2.item.id}`), { payload: answer(task2, false) });
      expect(a2.status).toBe(200);
      expect(a2.body.task).toBeNull();
      // Failed: the member does not read the share (over retries it would tell which answers were right); leads and reviewers do.
      expect(a2.body.attempt).toMatchObject({ status: 'failed', answered: 2, score: null });
      expect(Date.parse(a2.body.attempt.retryAt!)).toBe(now + 60 * 60_000);
      // The same answer again is the same (idempotent); a different one is refused.
      expect((await t.client.post(url(p, `/qualification/attempts/${task2.attemptId}/items/${task2.item.id}`), { payload: answer(task2, false) })).status).toBe(200);
      expect((await t.client.post(url(p, `/qualification/attempts/${task2.attemptId}/items/${task2.item.id}`), { payload: answer(task2, true) })).status).toBe(409);

      // Blocked until the delay has passed; the standing says from when.
      const early = await t.client.post<ErrorBody>(url(p, '/qualification/next'));
      expect(early.status).toBe(409);
      expect(early.body.error.message).toContain(new Date(now + 60 * 60_000).toISOString());
      const waiting = (await t.client.get<Standing>(url(p, '/standing'))).body.qualification!;
      expect(waiting).toMatchObject({ canAttempt: false, retryAt: new Date(now + 60 * 60_000).toISOString(), latest: { status: 'failed', score: null } });
      now += 59 * 60_000;
      expect((await t.client.post(url(p, '/qualification/next'))).status).toBe(409);
      expect((await next(t.client, p)).body.task).toBeNull();

      // The delay has passed: a new attempt, both right → passed, tier 2 and the tag granted.
      now += 2 * 60_000;
      const second = await t.client.post<QualificationNext>(url(p, '/qualification/next'));
      expect(second.status).toBe(200);
      expect(second.body.task!.attemptId).not.toBe(task1.attemptId);
      let step = second.body;
      while (step.task) step = (await t.client.post<QualificationNext>(url(p, `/qualification/attempts/${step.task.attemptId}/items/${step.task.item.id}`), { payload: answer(step.task, true) })).body;
      expect(step.attempt).toMatchObject({ status: 'passed', score: 1, retryAt: null });

      const member = (await p.lead.client.get<{ items: Member[] }>(url(p, '/members'))).body.items.find((m) => m.userId === t.id)!;
      expect(member).toMatchObject({ tier: 2, tags: ['medical'] });
      expect(member.qualifiedAt).not.toBeNull();
      const standing = (await t.client.get<Standing>(url(p, '/standing'))).body;
      expect(standing).toMatchObject({ tier: 2, tags: ['medical'], eligible: true, reason: null, qualification: { canAttempt: false } });
      expect((await t.client.post<ErrorBody>(url(p, '/qualification/next'))).body.error.message).toContain('passed');

      // Premium work opens for the qualified trainer, never with a qualification item, and stays closed to the others.
      const work = await next(t.client, p);
      expect(work.body.task).not.toBeNull();
      expect(gold).not.toContain(work.body.task!.item.id);
      const other = await next(p.trainers[1]!.client, p);
      expect(other.body.task).toBeNull();
      expect(other.body.progress.reason).toContain('qualification');
    });

    it('shows attempts to leads and reviewers with each answer’s agreement, and trainers only their own without it', async () => {
      const mine = await p.trainer.client.get<{ items: QualificationAttempt[]; total: number }>(url(p, '/qualification/attempts'));
      expect(mine.body.total).toBe(2);
      expect(mine.body.items.map((x) => x.status)).toEqual(['passed', 'failed']);
      expect(JSON.stringify(mine.body)).not.toContain('agreement');
      expect((await p.trainer.client.get(url(p, `/qualification/attempts?userId=${p.trainers[1]!.id}`))).status).toBe(403);
      expect((await p.trainer.client.get(url(p, `/qualification/attempts/${mine.body.items[1]!.id}`))).status).toBe(403);
      // Another trainer's list does not include them.
      expect((await p.trainers[1]!.client.get<{ total: number }>(url(p, '/qualification/attempts'))).body.total).toBe(0);

      const detail = await p.reviewer.client.get<QualificationAttemptDetail>(url(p, `/qualification/attempts/${mine.body.items[1]!.id}`));
      expect(detail.status).toBe(200);
      // Leads and reviewers read the failed attempt's share and each answer's agreement (one right, one wrong; the order is the attempt's own).
      expect(detail.body.score).toBe(0.5);
      expect(detail.body.answers.map((x) => x.agreement).sort()).toEqual([0, 1]);
      expect(new Set(detail.body.answers.map((x) => x.itemId))).toEqual(new Set(gold));
      // The trainer's own list shows the passed attempt's share, not the failed one's.
      expect(mine.body.items.map((x) => x.score)).toEqual([1, null]);
    });

    it('with reviewed justifications: awaits a grade, the reviewer grades against the checklist, the grade decides', async () => {
      const put = await p.lead.client.request('PUT', url(p, '/qualification'), {
        itemIds: gold,
        passThreshold: 0.5,
        retryDelayMinutes: 30,
        grants: { tier: 3, tags: ['medical', 'law'] },
        review: { checklist: ['Names the better response', 'Cites a fact from it'], minShare: 0.75 },
      });
      expect(put.status).toBe(200);
      const gradeAs = async (c: ApiClient, id: string, body: unknown) => c.post<QualificationAttempt & ErrorBody>(url(p, `/qualification/attempts/${id}/grade`), body);

      for (const [who, met, want] of [
        [p.trainers[1]!, [[0], [0, 1]], 'passed'],
        [p.trainers[2]!, [[0], []], 'failed'],
      ] as const) {
        let step = (await who.client.post<QualificationNext>(url(p, '/qualification/next'))).body;
        while (step.task) step = (await who.client.post<QualificationNext>(url(p, `/qualification/attempts/${step.task.attemptId}/items/${step.task.item.id}`), { payload: answer(step.task, true) })).body;
        expect(step.attempt).toMatchObject({ status: 'awaiting_review', score: null });
        const id = step.attempt.id;
        expect((await who.client.post<ErrorBody>(url(p, '/qualification/next'))).body.error.message).toContain('review');
        expect((await gradeAs(who.client, id, { answers: [{ itemId: gold[0], met: [0] }] })).status).toBe(403);
        // Every answer needs a grade, and only checklist points count.
        const missing = await gradeAs(p.reviewer.client, id, { answers: [{ itemId: gold[0], met: [0] }] });
        expect(missing.status).toBe(400);
        expect(paths(missing)).toEqual(['body.answers']);
        const outside = await gradeAs(p.reviewer.client, id, { answers: [{ itemId: gold[0], met: [2] }, { itemId: gold[1], met: [] }] });
        expect(paths(outside)).toEqual(['body.answers.0.met.0']);

        const graded = await gradeAs(p.reviewer.client, id, { answers: [{ itemId: gold[0], met: met[0] }, { itemId: gold[1], met: met[1] }], comment: 'Thanks' });
        expect(graded.status).toBe(200);
        expect(graded.body).toMatchObject({ status: want, reviewComment: 'Thanks' });
        expect((await gradeAs(p.lead.client, id, { answers: [{ itemId: gold[0], met: [0] }, { itemId: gold[1], met: [0] }] })).status).toBe(409);
      }
      const members = (await p.lead.client.get<{ items: Member[] }>(url(p, '/members'))).body.items;
      expect(members.find((m) => m.userId === p.trainers[1]!.id)).toMatchObject({ tier: 3, tags: ['medical', 'law'] });
      expect(members.find((m) => m.userId === p.trainers[2]!.id)).toMatchObject({ tier: 1, tags: [], qualifiedAt: null });
      const failed = (await p.trainers[2]!.client.get<Standing>(url(p, '/standing'))).body.qualification!;
      expect(failed).toMatchObject({ canAttempt: false, retryAt: new Date(now + 30 * 60_000).toISOString(), latest: { status: 'failed', reviewShare: 0.25 } });
    });

    it('a lead removing the qualification opens work to members who meet tier and tags, and keeps what passing granted', async () => {
      const off = await p.lead.client.delete(url(p, '/qualification'));
      expect(off.status).toBe(200);
      expect((await p.lead.client.delete(url(p, '/qualification'))).status).toBe(404);
      expect((await p.trainers[2]!.client.get<Standing>(url(p, '/standing'))).body).toMatchObject({ qualification: null, requires: { qualification: false }, eligible: false });
      expect((await p.trainers[2]!.client.get<Standing>(url(p, '/standing'))).body.reason).toContain('tier 2');
      expect((await next(p.trainers[1]!.client, p)).body.task).not.toBeNull();
    });
  });

  describe('qualification items and real work', () => {
    it('the queue never serves a member the items of their attempt (shown or not yet), and other gold still comes as checks', async () => {
      // Not required: the member works while their attempt is open; every item is gold so the
      // queue would hand out gold items first if it could.
      const p = await a.factory.project({ items: [goldItem('q-1'), goldItem('q-2'), goldItem('q-3'), pairItem('w-1')], trainers: 1, settings: { goldRate: 1 } });
      const items = (await p.lead.client.get<{ items: { id: string; externalId: string }[] }>(url(p, '/items?limit=50'))).body.items;
      const id = (e: string) => items.find((i) => i.externalId === e)!.id;
      const qualification = [id('q-1'), id('q-2')];
      expect((await p.lead.client.request('PUT', url(p, '/qualification'), { itemIds: qualification, required: false, passThreshold: 0.5 })).status).toBe(200);
      const started = await p.trainer.client.post<QualificationNext>(url(p, '/qualification/next'));
      expect(started.body.task).toMatchObject({ index: 1 });
      expect(qualification).toContain(started.body.task!.item.id);
      const served = (await judgeQueue(p.trainer.client, p.id)).map((task) => task.item.id);
      expect(served.sort()).toEqual([id('q-3'), id('w-1')].sort());
      // The attempt goes on with its second item, which the member never judged as work.
      let step = started.body;
      step = (await p.trainer.client.post<QualificationNext>(url(p, `/qualification/attempts/${step.task!.attemptId}/items/${step.task!.item.id}`), { payload: answer(step.task!, true) })).body;
      expect(step.task).toMatchObject({ index: 2, item: { id: qualification.find((q) => q !== started.body.task!.item.id) } });
      // Answers are not judgments: the project counts the two real judgments only.
      expect((await p.lead.client.get<{ total: number }>(url(p, '/judgments'))).body.total).toBe(2);
    });
  });

  describe('feedback on judgments', () => {
    let p: FactoryProject;
    let j1: string;
    let j2: string;
    let t1: FactoryUser;
    let t2: FactoryUser;

    beforeAll(async () => {
      p = await a.factory.project({ items: 3, trainers: 2 });
      [t1, t2] = p.trainers as [FactoryUser, FactoryUser];
      const submit = async (u: FactoryUser) => {
        const task = (await next(u.client, p)).body.task!;
        return (await u.client.post<{ judgment: { id: string } }>(url(p, `/assignments/${task.assignmentId}/submit`), { payload: validJudgment(task) })).body.judgment.id;
      };
      j1 = await submit(t1);
      j2 = await submit(t2);
    });

    it('reviewers and leads leave feedback; each trainer reads the feedback on their own judgments and nobody else’s', async () => {
      const f1 = await p.reviewer.client.post<Feedback>(url(p, `/judgments/${j1}/feedback`), { text: 'Good catch on the hallucination.', rating: 4 });
      expect(f1.status).toBe(201);
      expect(f1.body).toMatchObject({ judgmentId: j1, userId: t1.id, rating: 4, author: { id: p.reviewer.id, name: p.reviewer.name } });
      const f2 = await p.lead.client.post<Feedback>(url(p, `/judgments/${j2}/feedback`), { text: 'Check the second response again.' });
      expect(f2.status).toBe(201);
      expect(f2.body.rating).toBeNull();

      const own = await t1.client.get<{ items: Feedback[]; total: number }>(url(p, '/feedback'));
      expect(own.body.items.map((f) => f.text)).toEqual(['Good catch on the hallucination.']);
      expect((await t1.client.get<{ items: Feedback[] }>(url(p, `/judgments/${j1}/feedback`))).body.items).toHaveLength(1);
      // Someone else's: not found (its existence is not revealed), and no filter reaches it.
      expect((await t1.client.get(url(p, `/judgments/${j2}/feedback`))).status).toBe(404);
      expect((await t1.client.get(url(p, `/feedback?userId=${t2.id}`))).status).toBe(403);
      expect((await t1.client.get<{ items: Feedback[] }>(url(p, `/feedback?judgmentId=${j2}`))).body.items).toEqual([]);
      // Reviewers and leads read everyone's, by member.
      const ofT2 = await p.reviewer.client.get<{ items: Feedback[] }>(url(p, `/feedback?userId=${t2.id}`));
      expect(ofT2.body.items.map((f) => f.judgmentId)).toEqual([j2]);
      expect((await p.lead.client.get<{ total: number }>(url(p, '/feedback'))).body.total).toBe(2);
    });

    it('refuses trainers writing feedback, bad input naming the field, and unknown judgments', async () => {
      expect((await t1.client.post(url(p, `/judgments/${j1}/feedback`), { text: 'Self praise' })).status).toBe(403);
      expect((await t1.client.post(url(p, `/judgments/${j2}/feedback`), { text: 'Peer review' })).status).toBe(403);
      const empty = await p.reviewer.client.post(url(p, `/judgments/${j1}/feedback`), { text: '   ' });
      expect(empty.status).toBe(400);
      expect(paths(empty)).toEqual(['body.text']);
      const rating = await p.reviewer.client.post(url(p, `/judgments/${j1}/feedback`), { text: 'ok', rating: 6 });
      expect(paths(rating)).toEqual(['body.rating']);
      expect((await p.reviewer.client.post(url(p, `/judgments/${randomUUID()}/feedback`), { text: 'Lost' })).status).toBe(404);
      expect((await p.lead.client.get<{ total: number }>(url(p, '/feedback'))).body.total).toBe(2);
    });
  });
});
