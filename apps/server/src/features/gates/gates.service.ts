/**
 * Gates on a member's work. A lead pauses a member (no new work: the queue's eligibility reads the
 * pause with the membership on every request, and the member's live reservations are released at
 * once, their drafts with them) or enrols them in calibration (a list the calibration sessions read).
 *
 * Qualification: a project may require members to answer a set of its gold items before real work.
 * An attempt fixes its items when it starts; each answer is validated like a judgment and scored
 * against gold (share of response pairs ordered as gold orders them, core's `goldAgreement`). The
 * last answer closes the attempt: below the pass threshold it fails and a retry waits for the
 * project's delay; otherwise it passes — or, when the project has reviewers grade justifications,
 * awaits a grade against the checklist. Passing raises the member's tier to the granted one, adds
 * the granted domain tags and stamps `qualifiedAt`, in the transaction that closes the attempt.
 *
 * Blindness: a trainer learns the attempt's overall score once it is closed, never which answers
 * matched gold (only leads and reviewers read answers with their agreement); qualification items
 * count as seen for the member's real work from the attempt's start, so a gold item met here never
 * comes back as work. Qualification and real work share the project's gold pool (each member meets
 * each gold item once, in one or the other): answers are kept apart from judgments and never count
 * in quality figures, and a gold item a member already judged as work may still be in their attempt.
 */
import { randomInt } from 'node:crypto';
import { createHash } from 'node:crypto';
import {
  AppError,
  PreferenceSchema,
  canonicalPayload,
  goldAgreement,
  judgmentIssues,
  type Member,
  type PutQualificationBody,
  type Qualification,
  type QualificationAnswerBody,
  type QualificationAttempt,
  type QualificationAttemptDetail,
  type QualificationAttemptListQuery,
  type QualificationGradeBody,
  type QualificationNext,
  type QualificationTask,
  type Standing,
} from '@accord/core';
import type { Bus } from '../../platform/bus.ts';
import type { Clock } from '../../platform/clock.ts';
import type { ProjectAccess } from '../../platform/http/context.ts';
import { stableJson } from '../../platform/stable-json.ts';
import type { JudgingService } from '../judging/judging.service.ts';
import { toMember } from '../projects/projects.mappers.ts';
import type { AnswerRow, AttemptRow, AttemptWithUser, GatesRepo, GoldItemRow, QualificationRow } from './gates.repo.ts';

export interface GatesServiceDeps {
  repo: GatesRepo;
  bus: Bus;
  clock: Clock;
  /** Eligibility, the latest rubric, settings, and releasing a paused member's reservations. */
  judging: Pick<JudgingService, 'eligibility' | 'releaseAll' | 'latestRubric' | 'settings'>;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const notMember = () => new AppError('not_found', 'This user is not a member of the project.');

function toQualification(r: QualificationRow, required: boolean): Qualification {
  return {
    projectId: r.projectId,
    required,
    itemIds: r.itemIds,
    passThreshold: r.passThreshold,
    retryDelayMinutes: r.retryDelayMinutes,
    grants: { tier: r.grantTier, tags: r.grantTags },
    review: r.review ?? null,
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** A copy in random order (Fisher–Yates). */
function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * `owner`: the attempt as the member taking it sees it. Their score shows once they passed; before
 * (failed, or awaiting review) it is null: read after each retry, the exact share would tell which
 * answers were right, item by item. Leads and reviewers always see it.
 */
function toAttempt(x: AttemptWithUser, owner = false): QualificationAttempt {
  const a = x.attempt;
  return {
    id: a.id,
    projectId: a.projectId,
    userId: a.userId,
    status: a.status,
    total: a.itemIds.length,
    answered: x.answered,
    startedAt: a.startedAt.toISOString(),
    finishedAt: iso(a.finishedAt),
    // The score exists once the attempt is closed; it is the attempt's, never an item's.
    score: a.status === 'in_progress' || (owner && a.status !== 'passed') ? null : a.score,
    passThreshold: a.passThreshold,
    reviewShare: a.reviewShare,
    reviewComment: a.reviewComment,
    retryAt: iso(a.retryAt),
    user: x.user,
  };
}

/** The gold preference stored with an item (imports validated it as `{ preference }`). */
function goldOf(item: GoldItemRow) {
  const p = PreferenceSchema.safeParse((item.gold as { preference?: unknown } | null)?.preference);
  return p.success ? p.data : null;
}

/** A stable per-attempt shuffle of the responses: the same order on every reload of the same item. */
function displayOrder(attemptId: string, item: GoldItemRow): string[] {
  const key = (id: string) => createHash('sha256').update(`${attemptId}:${item.id}:${id}`).digest('hex');
  return item.responses.map((r) => r.id).sort((x, y) => (key(x) < key(y) ? -1 : 1));
}

export function createGatesService({ repo, bus, clock, judging }: GatesServiceDeps) {
  async function memberView(projectId: string, userId: string): Promise<Member> {
    const m = await repo.member(projectId, userId);
    if (!m) throw notMember();
    return toMember({ ...m, createdAt: m.createdAt });
  }

  async function requireQualification(projectId: string) {
    const q = await repo.qualification(projectId);
    if (!q) throw new AppError('conflict', 'This project has no qualification.');
    return q;
  }

  /** The attempt as its owner sees it, and its next unanswered item (null when all are answered). */
  async function state(a: ProjectAccess, x: AttemptWithUser, answers: AnswerRow[] | null = null): Promise<QualificationNext> {
    const attempt = x.attempt;
    if (attempt.status !== 'in_progress') return { attempt: toAttempt(x, true), task: null };
    const done = new Set((answers ?? (await repo.answers(attempt.id))).map((r) => r.itemId));
    const nextId = attempt.itemIds.find((id) => !done.has(id));
    if (!nextId) return { attempt: toAttempt(x, true), task: null };
    const [item] = await repo.items(a.project.id, [nextId]);
    if (!item) throw new AppError('conflict', 'An item of this qualification no longer exists; ask a lead to update the qualification.');
    await repo.markSeen(a.project.id, attempt.userId, item, clock());
    const s = judging.settings(a.project);
    const rubric = await judging.latestRubric(a.project.id);
    const order = displayOrder(attempt.id, item);
    const byId = new Map(item.responses.map((r) => [r.id, r]));
    const task: QualificationTask = {
      attemptId: attempt.id,
      index: attempt.itemIds.indexOf(nextId) + 1,
      total: attempt.itemIds.length,
      taskKind: a.project.taskKind,
      item: {
        id: item.id,
        prompt: item.prompt,
        context: item.context,
        responses: order
          .map((id) => byId.get(id))
          .filter((r) => r !== undefined)
          .map(({ id, model, kind, content }) => (s.showModelNames ? { id, model, kind, content } : { id, kind, content })),
        reference: item.reference,
      },
      responseOrder: order,
      canonicalOrder: item.responses.map((r) => r.id),
      rubric: rubric ? { version: rubric.version, content: rubric.content } : null,
    };
    return { attempt: toAttempt(x, true), task };
  }

  /** Scores a fully answered attempt and closes it: failed (retry after the delay), awaiting review, or passed (granted). */
  async function finish(actorId: string, attempt: AttemptRow, answers: AnswerRow[]): Promise<void> {
    const q = await repo.qualification(attempt.projectId);
    const now = clock();
    const score = answers.reduce((s, r) => s + r.agreement, 0) / Math.max(1, answers.length);
    const delay = (q?.row.retryDelayMinutes ?? 0) * 60_000;
    if (score < attempt.passThreshold) {
      await repo.close(actorId, attempt, 'in_progress', { status: 'failed', score, finishedAt: now, retryAt: new Date(now.getTime() + delay) }, null);
    } else if (attempt.review) {
      await repo.close(actorId, attempt, 'in_progress', { status: 'awaiting_review', score, finishedAt: now }, null);
    } else {
      const grant = { tier: q?.row.grantTier ?? null, tags: q?.row.grantTags ?? [], at: now };
      await repo.close(actorId, attempt, 'in_progress', { status: 'passed', score, finishedAt: now }, grant);
    }
    await bus.applyPending();
  }

  /** Whether the member may start or go on with an attempt now, and otherwise from when. */
  function attemptRule(qualifiedAt: Date | null, latest: AttemptRow | null, now: Date): { can: boolean; retryAt: Date | null; why: string | null } {
    if (qualifiedAt) return { can: false, retryAt: null, why: 'You passed this project’s qualification already.' };
    if (latest?.status === 'awaiting_review') return { can: false, retryAt: null, why: 'Your answers await a reviewer’s grading.' };
    if (latest?.status === 'failed' && latest.retryAt && latest.retryAt > now)
      return { can: false, retryAt: latest.retryAt, why: `You did not pass; you may try again from ${latest.retryAt.toISOString()}.` };
    return { can: true, retryAt: null, why: null };
  }

  return {
    // ---------------------------------------------------------------- pause and calibration

    async pause(actorId: string, a: ProjectAccess, userId: string, reason: string): Promise<Member> {
      if (!(await repo.setPause(actorId, a.project.id, userId, { at: clock(), reason }))) throw notMember();
      await bus.applyPending();
      // No new work from now on (the queue reads the pause with the membership); what they hold goes back to the pool.
      await judging.releaseAll(a.project.id, userId);
      return memberView(a.project.id, userId);
    },

    async resume(actorId: string, a: ProjectAccess, userId: string): Promise<Member> {
      const m = await repo.member(a.project.id, userId);
      if (!m) throw notMember();
      if (m.pausedAt) {
        await repo.setPause(actorId, a.project.id, userId, null);
        await bus.applyPending();
      }
      return memberView(a.project.id, userId);
    },

    async enrolCalibration(actorId: string, a: ProjectAccess, userId: string, note: string): Promise<Member> {
      if (!(await repo.setCalibration(actorId, a.project.id, userId, { at: clock(), note }))) throw notMember();
      return memberView(a.project.id, userId);
    },

    async withdrawCalibration(actorId: string, a: ProjectAccess, userId: string): Promise<Member> {
      const m = await repo.member(a.project.id, userId);
      if (!m) throw notMember();
      if (m.calibrationAt) await repo.setCalibration(actorId, a.project.id, userId, null);
      return memberView(a.project.id, userId);
    },

    // ---------------------------------------------------------------- standing

    async standing(a: ProjectAccess, userId: string): Promise<Standing> {
      const s = judging.settings(a.project);
      const el = judging.eligibility(a);
      const m = a.member ? await repo.member(a.project.id, userId) : null;
      const q = await repo.qualification(a.project.id);
      let qualification: Standing['qualification'] = null;
      if (q) {
        const latest = m ? await repo.latestAttempt(a.project.id, userId) : null;
        const rule = attemptRule(m?.qualifiedAt ?? null, latest?.attempt ?? null, clock());
        qualification = {
          required: q.required,
          items: q.row.itemIds.length,
          passThreshold: q.row.passThreshold,
          retryDelayMinutes: q.row.retryDelayMinutes,
          grants: { tier: q.row.grantTier, tags: q.row.grantTags },
          review: q.row.review !== null,
          passedAt: iso(m?.qualifiedAt ?? null),
          latest: latest ? toAttempt(latest, true) : null,
          canAttempt: m !== null && rule.can,
          retryAt: iso(rule.retryAt),
        };
      }
      return {
        tier: m?.tier ?? 1,
        tags: m?.tags ?? [],
        paused: m?.pausedAt ? { at: m.pausedAt.toISOString(), reason: m.pauseReason, by: m.pausedBy } : null,
        calibration: m?.calibrationAt ? { at: m.calibrationAt.toISOString(), note: m.calibrationNote, by: m.calibrationBy } : null,
        requires: { minTier: s.eligibility.minTier, tags: s.eligibility.tags, qualification: a.project.qualificationRequired },
        eligible: el.eligible,
        reason: el.reason,
        qualification,
      };
    },

    // ---------------------------------------------------------------- the qualification (lead)

    async qualification(projectId: string): Promise<Qualification> {
      const q = await repo.qualification(projectId);
      if (!q) throw new AppError('not_found', 'This project has no qualification.');
      return toQualification(q.row, q.required);
    },

    async putQualification(actorId: string, a: ProjectAccess, body: PutQualificationBody): Promise<Qualification> {
      const found = new Map((await repo.items(a.project.id, body.itemIds)).map((i) => [i.id, i]));
      const issues = body.itemIds.flatMap((id, i) => {
        const item = found.get(id);
        if (!item) return [{ path: `body.itemIds.${i}`, message: 'is not an item of this project' }];
        if (!item.isGold || !goldOf(item)) return [{ path: `body.itemIds.${i}`, message: 'is not a gold item (qualification scores answers against gold)' }];
        return [];
      });
      if (issues.length) throw new AppError('validation_failed', `Qualification items must be gold items of the project: ${issues.map((x) => `${x.path} ${x.message}`).join('; ')}.`, issues);
      const row = await repo.putQualification(
        actorId,
        a.project.id,
        { itemIds: body.itemIds, passThreshold: body.passThreshold, retryDelayMinutes: body.retryDelayMinutes, grantTier: body.grants.tier, grantTags: body.grants.tags, review: body.review },
        body.required,
        clock(),
      );
      return toQualification(row, body.required);
    },

    async removeQualification(actorId: string, a: ProjectAccess): Promise<void> {
      if (!(await repo.removeQualification(actorId, a.project.id))) throw new AppError('not_found', 'This project has no qualification.');
    },

    // ---------------------------------------------------------------- taking it (any member)

    async next(a: ProjectAccess, userId: string): Promise<QualificationNext> {
      const q = await requireQualification(a.project.id);
      if (!a.member || !a.membership) throw new AppError('conflict', 'Only members of the project take its qualification.');
      if (a.membership.paused) throw new AppError('conflict', 'Your work in this project is paused by a lead.');
      const latest = await repo.latestAttempt(a.project.id, userId);
      if (latest?.attempt.status === 'in_progress') {
        const answers = await repo.answers(latest.attempt.id);
        // Every item answered but not closed (the request that stored the last answer stopped short): close it now.
        if (!latest.attempt.itemIds.every((id) => answers.some((r) => r.itemId === id))) return state(a, latest, answers);
        await finish(userId, latest.attempt, answers);
        return state(a, (await repo.attempt(a.project.id, latest.attempt.id))!);
      }
      const rule = attemptRule(a.membership.qualifiedAt, latest?.attempt ?? null, clock());
      if (!rule.can) throw new AppError('conflict', rule.why!, rule.retryAt ? [{ path: 'retryAt', message: rule.retryAt.toISOString() }] : undefined);
      // Each attempt serves the items in an order of its own: retries do not line up answer by answer.
      const started = await repo.startAttempt({ projectId: a.project.id, userId, itemIds: shuffled(q.row.itemIds), passThreshold: q.row.passThreshold, review: q.row.review ?? null, at: clock() });
      // Every item of the attempt counts as seen for real work from its start, not only once shown:
      // the queue never hands the member an item their attempt still holds (when the qualification
      // is not required they work meanwhile), so an answer here is never also a judgment there.
      for (const item of await repo.items(a.project.id, started.itemIds)) await repo.markSeen(a.project.id, userId, item, clock());
      return state(a, (await repo.attempt(a.project.id, started.id))!);
    },

    async answer(a: ProjectAccess, userId: string, attemptId: string, itemId: string, body: QualificationAnswerBody): Promise<QualificationNext> {
      const x = await repo.attempt(a.project.id, attemptId);
      // Someone else's attempt is "not found": its existence is not revealed.
      if (!x || x.attempt.userId !== userId) throw new AppError('not_found', 'No such qualification attempt of yours in this project.');
      const attempt = x.attempt;
      if (a.membership?.paused) throw new AppError('conflict', 'Your work in this project is paused by a lead.');
      if (!attempt.itemIds.includes(itemId)) throw new AppError('not_found', 'This item is not part of your attempt.');
      const [item] = await repo.items(a.project.id, [itemId]);
      const gold = item ? goldOf(item) : null;
      if (!item || !gold) throw new AppError('conflict', 'This item is no longer a gold item of the project; ask a lead to update the qualification.');
      const rubric = await judging.latestRubric(a.project.id);
      const issues = judgmentIssues(body.payload, item, a.project.taskKind, rubric?.view ?? null);
      if (issues.length) throw new AppError('validation_failed', issues.map((i) => `${i.path} ${i.message}`).join('; '), issues);
      const payload = canonicalPayload(body.payload, item);
      if (attempt.status !== 'in_progress') {
        const prior = (await repo.answers(attempt.id)).find((r) => r.itemId === itemId);
        if (prior && stableJson(prior.payload) === stableJson(payload)) return state(a, x);
        throw new AppError('conflict', 'This attempt is closed.');
      }
      const stored = await repo.storeAnswer({
        attemptId,
        itemId,
        payload,
        responseOrder: displayOrder(attempt.id, item),
        agreement: goldAgreement(payload.preference, gold, item.responses.map((r) => r.id)),
        timeSpentMs: body.timeSpentMs ?? null,
        answeredAt: clock(),
      });
      if (!stored.fresh && stableJson(stored.row.payload) !== stableJson(payload)) throw new AppError('conflict', 'You already answered this item differently; answers cannot be changed.');
      const answers = await repo.answers(attempt.id);
      if (attempt.itemIds.every((id) => answers.some((r) => r.itemId === id))) await finish(userId, attempt, answers);
      return state(a, (await repo.attempt(a.project.id, attemptId))!, answers);
    },

    async attempts(a: ProjectAccess, userId: string, q: QualificationAttemptListQuery) {
      const page = await repo.attempts(a.project.id, q, a.role === 'trainer' ? userId : null);
      // A member's own attempts read as their owner sees them (no share before passing), whatever their role.
      return { items: page.items.map((x) => toAttempt(x, x.attempt.userId === userId)), total: page.total, limit: q.limit, offset: q.offset };
    },

    async attempt(a: ProjectAccess, attemptId: string): Promise<QualificationAttemptDetail> {
      const x = await repo.attempt(a.project.id, attemptId);
      if (!x) throw new AppError('not_found', 'No such qualification attempt in this project.');
      const answers = await repo.answers(attemptId);
      const info = new Map((await repo.items(a.project.id, x.attempt.itemIds)).map((i) => [i.id, i]));
      const order = new Map(x.attempt.itemIds.map((id, i) => [id, i]));
      return {
        ...toAttempt(x),
        // Leads and reviewers see the score as it stands, even before the attempt closes.
        score: x.attempt.score,
        checklist: x.attempt.review?.checklist ?? null,
        answers: answers
          .sort((p, q) => (order.get(p.itemId) ?? 0) - (order.get(q.itemId) ?? 0))
          .map((r) => ({
            itemId: r.itemId,
            externalId: info.get(r.itemId)?.externalId ?? '',
            prompt: (info.get(r.itemId)?.prompt ?? '').slice(0, 300),
            payload: r.payload as QualificationAttemptDetail['answers'][number]['payload'],
            agreement: r.agreement,
            met: r.met ?? null,
            answeredAt: r.answeredAt.toISOString(),
          })),
      };
    },

    async grade(actorId: string, a: ProjectAccess, attemptId: string, body: QualificationGradeBody): Promise<QualificationAttempt> {
      const x = await repo.attempt(a.project.id, attemptId);
      if (!x) throw new AppError('not_found', 'No such qualification attempt in this project.');
      const attempt = x.attempt;
      if (attempt.userId === actorId) throw new AppError('conflict', 'You cannot grade your own attempt.');
      if (attempt.status !== 'awaiting_review' || !attempt.review) throw new AppError('conflict', `This attempt is not awaiting review (it is ${attempt.status.replace('_', ' ')}).`);
      const checklist = attempt.review.checklist;
      const answers = await repo.answers(attemptId);
      const answered = new Set(answers.map((r) => r.itemId));
      const issues: { path: string; message: string }[] = [];
      const graded = new Set<string>();
      body.answers.forEach((g, i) => {
        if (!answered.has(g.itemId)) issues.push({ path: `body.answers.${i}.itemId`, message: 'is not an answer of this attempt' });
        else if (graded.has(g.itemId)) issues.push({ path: `body.answers.${i}.itemId`, message: 'is graded twice' });
        graded.add(g.itemId);
        g.met.forEach((m, j) => {
          if (m >= checklist.length) issues.push({ path: `body.answers.${i}.met.${j}`, message: `is not a checklist point (0..${checklist.length - 1})` });
        });
      });
      for (const r of answers) if (!graded.has(r.itemId)) issues.push({ path: 'body.answers', message: `is missing a grade for item ${r.itemId}` });
      if (issues.length) throw new AppError('validation_failed', issues.map((x) => `${x.path} ${x.message}`).join('; '), issues);
      const met = body.answers.map((g) => ({ itemId: g.itemId, met: [...new Set(g.met)].sort((p, q) => p - q) }));
      const share = met.reduce((s, g) => s + g.met.length, 0) / (checklist.length * Math.max(1, answers.length));
      const now = clock();
      const passed = share >= attempt.review.minShare;
      const q = await repo.qualification(a.project.id);
      const set = { status: passed ? ('passed' as const) : ('failed' as const), reviewShare: share, reviewComment: body.comment || null, gradedBy: actorId };
      const closed = await repo.close(
        actorId,
        attempt,
        'awaiting_review',
        passed ? set : { ...set, retryAt: new Date(now.getTime() + (q?.row.retryDelayMinutes ?? 0) * 60_000) },
        passed ? { tier: q?.row.grantTier ?? null, tags: q?.row.grantTags ?? [], at: now } : null,
        met,
      );
      if (!closed) throw new AppError('conflict', 'Someone graded this attempt a moment ago.');
      await bus.applyPending();
      return toAttempt((await repo.attempt(a.project.id, attemptId))!);
    },
  };
}

export type GatesService = ReturnType<typeof createGatesService>;
