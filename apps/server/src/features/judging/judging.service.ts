/**
 * Assignment and judging. Each item goes to k eligible members (overlap); a member never gets the
 * same item twice; a reservation expires and the item returns to the pool; gold items are mixed in
 * at the project's rate and look like any other item. The locking that keeps k under concurrency
 * lives in the repository; the rules (eligibility, expiry, idempotent submission) live here.
 */
import { randomInt } from 'node:crypto';
import {
  AppError,
  ProjectSettingsSchema,
  RubricSchema,
  describeIssues,
  type DraftPayload,
  type Judgment,
  type JudgmentListQuery,
  type ProjectRole,
  type ProjectSettings,
  type QueueNext,
  type QueueProgress,
  type Rubric,
  type SaveDraftBody,
  type SubmitJudgmentBody,
  type Task,
  type TaskKind,
  type UpdateProjectSettingsBody,
  canonicalPayload,
  judgmentIssues,
} from '@accord/core';
import type { ProjectAccess } from '../../platform/http/context.ts';
import { stableJson } from '../../platform/stable-json.ts';
import type { AssignmentRow, JudgingRepo } from './judging.repo.ts';

export interface JudgingServiceDeps {
  repo: JudgingRepo;
  /** From the projects feature: a member's role, tier and domain tags. */
  members: { member(projectId: string, userId: string): Promise<{ role: ProjectRole; tier: number; tags: string[] } | null> };
  /** From the rubrics feature: the newest published version as stored. */
  rubrics: { latestContent(projectId: string): Promise<{ version: number; content: Record<string, unknown> } | null> };
}

export function readSettings(raw: unknown): ProjectSettings {
  const r = ProjectSettingsSchema.safeParse(raw ?? {});
  return r.success ? r.data : ProjectSettingsSchema.parse({});
}

function shuffle<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Time spent as reported by the client, bounded by the wall time since the reservation. */
function clampTime(ms: number | undefined, reservedAt: Date): number | null {
  if (ms === undefined) return null;
  return Math.min(ms, Date.now() - reservedAt.getTime() + 60_000);
}

export function createJudgingService({ repo, members, rubrics }: JudgingServiceDeps) {
  async function latestRubric(projectId: string): Promise<{ version: number; content: Record<string, unknown>; view: Rubric } | null> {
    const row = await rubrics.latestContent(projectId);
    if (!row) return null;
    const view = RubricSchema.safeParse(row.content);
    if (!view.success) throw new AppError('internal', `Rubric version ${row.version} cannot be read for judging.`);
    return { version: row.version, content: row.content, view: view.data };
  }

  async function eligibility(projectId: string, userId: string, s: ProjectSettings): Promise<{ eligible: boolean; reason: string | null }> {
    const m = await members.member(projectId, userId);
    if (!m) return { eligible: false, reason: 'Only project members receive work.' };
    if (!s.eligibility.roles.includes(m.role)) return { eligible: false, reason: `In this project only ${s.eligibility.roles.join(' and ')}s receive work.` };
    if (m.tier < s.eligibility.minTier) return { eligible: false, reason: `This project needs tier ${s.eligibility.minTier} or higher (you are tier ${m.tier}).` };
    // Member tags are stored lowercase; settings tags may have been typed in any case.
    if (s.eligibility.tags.length && !s.eligibility.tags.some((t) => m.tags.includes(t.toLowerCase())))
      return { eligible: false, reason: `This project needs one of the domains ${s.eligibility.tags.join(', ')}.` };
    return { eligible: true, reason: null };
  }

  async function progress(projectId: string, userId: string, s: ProjectSettings): Promise<QueueProgress> {
    const el = await eligibility(projectId, userId, s);
    const done = await repo.countSubmitted(projectId, userId);
    const reserved = await repo.countReserved(projectId, userId);
    const available = el.eligible ? await repo.countAvailable(projectId, userId, s.overlap) : 0;
    return { done, reserved, available, ...el };
  }

  async function toTask(a: AssignmentRow, taskKind: TaskKind): Promise<Task> {
    const item = await repo.item(a.itemId);
    const j = await repo.judgmentOf(a.itemId, a.userId);
    const rubric = await latestRubric(a.projectId);
    const byId = new Map(item.responses.map((r) => [r.id, r]));
    return {
      assignmentId: a.id,
      taskKind,
      item: {
        id: item.id,
        prompt: item.prompt,
        context: item.context,
        responses: a.responseOrder.map((id) => byId.get(id)!).filter(Boolean),
        reference: item.reference,
      },
      responseOrder: a.responseOrder,
      canonicalOrder: item.responses.map((r) => r.id),
      reservedAt: a.reservedAt.toISOString(),
      expiresAt: a.expiresAt.toISOString(),
      rubric: rubric ? { version: rubric.version, content: rubric.content } : null,
      draft: j && j.status === 'draft' ? (j.payload as DraftPayload) : null,
      timeSpentMs: j?.timeSpentMs ?? 0,
    };
  }

  /** The member's open reservation, revived if it expired and its slot is still free. */
  async function resume(projectId: string, userId: string, s: ProjectSettings): Promise<AssignmentRow | null> {
    for (const a of await repo.openReservations(projectId, userId)) {
      if (a.expiresAt > new Date()) return a;
      const revived = await repo.withTx(async (tx) => {
        await tx.lockItem(a.itemId);
        const n = await tx.activeCount(a.itemId, a.id);
        if (!a.isGold && n >= s.overlap) {
          await tx.expire(a.id);
          return null;
        }
        return tx.extend(a.id, new Date(Date.now() + s.reservationMinutes * 60_000));
      });
      if (revived) return revived;
    }
    return null;
  }

  async function ownAssignment(projectId: string, userId: string, assignmentId: string) {
    const a = await repo.assignment(projectId, userId, assignmentId);
    // Someone else's assignment is "not found": its existence is not revealed.
    if (!a) throw new AppError('not_found', 'No such assignment of yours in this project.');
    return a;
  }

  return {
    latestRubric,

    settings: (project: { settings: unknown }) => readSettings(project.settings),

    async updateSettings(actorId: string, a: ProjectAccess, body: UpdateProjectSettingsBody): Promise<ProjectSettings> {
      const cur = readSettings(a.project.settings);
      const next = ProjectSettingsSchema.parse({ ...cur, ...body, eligibility: { ...cur.eligibility, ...(body.eligibility ?? {}) } });
      await repo.saveSettings(actorId, a.project.id, next, body);
      return next;
    },

    async progress(a: ProjectAccess, userId: string) {
      return progress(a.project.id, userId, readSettings(a.project.settings));
    },

    /** The member's current task (their open reservation, or a new one), and their progress. */
    async next(a: ProjectAccess, userId: string): Promise<QueueNext> {
      const s = readSettings(a.project.settings);
      const projectId = a.project.id;
      const el = await eligibility(projectId, userId, s);
      if (!el.eligible) return { task: null, progress: await progress(projectId, userId, s) };
      let row = await resume(projectId, userId, s);
      if (!row && s.goldRate > 0 && Math.random() < s.goldRate) row = await repo.reserve(projectId, userId, s, true, shuffle);
      row ??= await repo.reserve(projectId, userId, s, false, shuffle);
      return { task: row ? await toTask(row, a.project.taskKind) : null, progress: await progress(projectId, userId, s) };
    },

    async saveDraft(a: ProjectAccess, userId: string, assignmentId: string, body: SaveDraftBody): Promise<{ savedAt: string }> {
      const asg = await ownAssignment(a.project.id, userId, assignmentId);
      if (asg.status !== 'reserved') throw new AppError('conflict', asg.status === 'submitted' ? 'This judgment is already submitted.' : 'This reservation is no longer yours.');
      const time = clampTime(body.timeSpentMs, asg.reservedAt);
      const now = new Date();
      await repo.upsertDraft(
        { projectId: a.project.id, itemId: asg.itemId, userId, assignmentId, status: 'draft', payload: body.payload, responseOrder: asg.responseOrder, timeSpentMs: time },
        now,
      );
      return { savedAt: now.toISOString() };
    },

    /**
     * Validates against the latest published rubric and stores the judgment once: a repeated
     * submission of the same judgment (double click, retry) returns the stored one.
     */
    async submit(a: ProjectAccess, userId: string, assignmentId: string, body: SubmitJudgmentBody): Promise<{ judgment: Judgment; repeated: boolean }> {
      const projectId = a.project.id;
      const s = readSettings(a.project.settings);
      const asg = await ownAssignment(projectId, userId, assignmentId);
      const item = await repo.item(asg.itemId);
      const rubric = await latestRubric(projectId);
      const issues = judgmentIssues(body.payload, item, a.project.taskKind, rubric?.view ?? null);
      const payload = canonicalPayload(body.payload, item);
      const time = clampTime(body.timeSpentMs, asg.reservedAt);
      const result = await repo.withTx(async (tx) => {
        const cur = await tx.lockAssignment(asg.id);
        const existing = await tx.judgmentOf(asg.itemId, userId);
        if (existing?.status === 'submitted') {
          if (stableJson(existing.payload) === stableJson(payload)) return { row: existing, repeated: true };
          throw new AppError('conflict', 'You already submitted a different judgment for this item; judgments cannot be changed after submission.');
        }
        if (issues.length) throw new AppError('validation_failed', describeIssues(issues), issues);
        if (cur.status === 'released' || cur.status === 'expired') throw new AppError('conflict', 'This reservation has ended; ask for the next item.');
        if (cur.expiresAt <= new Date() && !cur.isGold) {
          await tx.lockItem(asg.itemId);
          if ((await tx.activeCount(asg.itemId, asg.id)) >= s.overlap) {
            await tx.expire(asg.id);
            throw new AppError('conflict', 'Your reservation expired and the item went to someone else; your draft was not submitted.');
          }
        }
        const now = new Date();
        const row = await tx.upsertSubmitted({
          projectId,
          itemId: asg.itemId,
          userId,
          assignmentId: asg.id,
          status: 'submitted' as const,
          source: 'accord' as const,
          rubricVersion: rubric?.version ?? null,
          payload,
          responseOrder: asg.responseOrder,
          timeSpentMs: time,
          updatedAt: now,
          submittedAt: now,
        });
        await tx.markSubmitted(asg.id, now);
        return { row, repeated: false };
      });
      return { judgment: await repo.view(result.row, a.role !== 'trainer'), repeated: result.repeated };
    },

    /** Gives a reserved item back to the pool (skip); the member will not get it again. */
    async release(a: ProjectAccess, userId: string, assignmentId: string) {
      const asg = await ownAssignment(a.project.id, userId, assignmentId);
      if (asg.status === 'submitted') throw new AppError('conflict', 'This judgment is already submitted.');
      await repo.release(asg.id, asg.itemId, userId);
    },

    /** Trainers see only their own judgments; leads and reviewers see everyone's. */
    async list(a: ProjectAccess, userId: string, q: JudgmentListQuery) {
      const own = a.role === 'trainer' || q.mine === true;
      const page = await repo.page(a.project.id, q, own ? userId : (q.userId ?? null), a.role !== 'trainer');
      return { ...page, limit: q.limit, offset: q.offset };
    },
  };
}

export type JudgingService = ReturnType<typeof createJudgingService>;
