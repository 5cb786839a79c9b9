/**
 * Assignment and judging. Each item goes to k eligible members (overlap); a member never gets the
 * same item twice; a reservation expires and the item returns to the pool; gold items are mixed in
 * at the project's rate and look like any other item. The locking that keeps k under concurrency
 * lives in the repository; the rules (eligibility, expiry, idempotent submission) live here.
 *
 * Trainers stay blind to gold: taking, submitting, skipping or losing a gold task changes their
 * counters exactly as an ordinary one does (gold they have not seen counts as work left while they have
 * ordinary work left), gold comes only mixed into ordinary work — never as the tail of a queue whose
 * ordinary items others have filled —, and every reservation — gold or not — ends when it expires
 * (reclaimed by the same sweep, never revived, a late submission refused).
 */
import {
  AppError,
  ProjectSettingsSchema,
  readProjectSettings,
  RubricSchema,
  judgmentIssueSentences,
  type DraftPayload,
  type FieldIssue,
  type Preference,
  type Judgment,
  type JustificationCheckBody,
  type JustificationCheckResult,
  type JudgmentListQuery,
  type JudgmentView,
  type ProjectSettings,
  type QueueNext,
  type QueueProgress,
  type Rubric,
  type SaveDraftBody,
  type SubmitJudgmentBody,
  type Task,
  type UpdateProjectSettingsBody,
  canonicalJustification,
  canonicalPayload,
  judgmentIssues,
} from '@accord/core';
import type { Bus } from '../../platform/bus.ts';
import type { ProjectAccess, UserRow } from '../../platform/http/context.ts';
import { stableJson } from '../../platform/stable-json.ts';
import type { JustificationService } from '../justifications/justifications.service.ts';
import { toJudgment, type AssignmentRow, type JudgingRepo, type JudgmentRow, type QueueCounters, type TaskRow } from './judging.repo.ts';

export interface JudgingServiceDeps {
  repo: JudgingRepo;
  /** Checks of a preference against other features' records (red teaming: a response from the model is its recorded call's). */
  preferenceChecks?: (projectId: string, userId: string, assignmentId: string, pref: Preference, path: string) => Promise<FieldIssue[]>;
  /** The control bus: a settings change that alters who may write documents is announced on it. */
  bus?: Pick<Bus, 'emit'>;
  /** From the rubrics feature: the newest published version as stored. */
  rubrics: {
    latestContent(projectId: string): Promise<{ version: number; content: Record<string, unknown> } | null>;
    /** One published version's stored content (null when there is no such version). */
    versionContent(projectId: string, version: number): Promise<{ version: number; content: Record<string, unknown> } | null>;
  };
  /** Justification quality checks, run on submit (and on demand while the trainer writes). */
  justifications: JustificationService;
}

/** Time spent as reported by the client, bounded by the wall time since the reservation. */
function clampTime(ms: number | undefined, reservedAt: Date): number | null {
  if (ms === undefined) return null;
  return Math.min(ms, Date.now() - reservedAt.getTime() + 60_000);
}

/** Expired reservations of the project reclaimed by each queue request (bounded work per request). */
const RECLAIM_PER_REQUEST = 4;
/** Parsed rubric versions kept in memory; versions never change once published. */
const RUBRIC_CACHE_SIZE = 500;

type ParsedRubric = { version: number; content: Record<string, unknown>; view: Rubric };

export function createJudgingService({ repo, rubrics, justifications, bus, preferenceChecks }: JudgingServiceDeps) {
  const rubricCache = new Map<string, ParsedRubric>();

  function parseRubric(projectId: string, row: { version: number; content: Record<string, unknown> }): ParsedRubric {
    const key = `${projectId}:${row.version}`;
    const hit = rubricCache.get(key);
    if (hit) return hit;
    const view = RubricSchema.safeParse(row.content);
    if (!view.success) throw new AppError('internal', `Rubric version ${row.version} cannot be read for judging.`);
    const parsed = { version: row.version, content: row.content, view: view.data };
    if (rubricCache.size >= RUBRIC_CACHE_SIZE) rubricCache.delete(rubricCache.keys().next().value!);
    rubricCache.set(key, parsed);
    return parsed;
  }

  async function latestRubric(projectId: string): Promise<ParsedRubric | null> {
    const row = await rubrics.latestContent(projectId);
    return row ? parseRubric(projectId, row) : null;
  }

  /** The rubric a request runs under: `version` is the latest one its query saw (null: none published). */
  async function rubricAt(projectId: string, version: number | null): Promise<ParsedRubric | null> {
    if (version === null) return null;
    return rubricCache.get(`${projectId}:${version}`) ?? latestRubric(projectId);
  }

  function eligibility(a: ProjectAccess, s: ProjectSettings): { eligible: boolean; reason: string | null } {
    const m = a.membership;
    if (!a.member || !m) return { eligible: false, reason: 'Only project members receive work.' };
    if (!s.eligibility.roles.includes(a.role)) return { eligible: false, reason: `In this project only ${s.eligibility.roles.join(' and ')}s receive work.` };
    // Gates (features/gates): a lead's pause, then the project's qualification; read with the membership.
    if (m.paused) return { eligible: false, reason: `Your work in this project is paused by a lead${m.paused.reason ? `: ${m.paused.reason}` : '.'}` };
    if (a.project.qualificationRequired && !m.qualifiedAt) return { eligible: false, reason: 'This project needs its qualification first: take it from the Your work tab of the project.' };
    if (m.tier < s.eligibility.minTier) return { eligible: false, reason: `This project needs tier ${s.eligibility.minTier} or higher (you are tier ${m.tier}).` };
    // Member tags are stored lowercase; settings tags may have been typed in any case.
    if (s.eligibility.tags.length && !s.eligibility.tags.some((t) => m.tags.includes(t.toLowerCase())))
      return { eligible: false, reason: `This project needs one of the domains ${s.eligibility.tags.join(', ')}.` };
    return { eligible: true, reason: null };
  }

  /**
   * Read from counters, never counted. Gold the member has not seen counts as work left while the
   * project hands out gold and the member has ordinary work left (the queue hands out gold only then,
   * migration 0051), so a gold task lowers `available` by one exactly like an ordinary one, and the
   * counter never settles on the member's unseen gold, which would say that all their work left is gold.
   * `known`: counters this request already read (and kept up to date with its own change).
   */
  async function progress(a: ProjectAccess, userId: string, s: ProjectSettings, known: QueueCounters | null = null): Promise<QueueProgress> {
    const el = eligibility(a, s);
    const c = known ?? (await repo.counters(a.project.id, userId));
    const ordinary = Math.max(0, c.openItems - c.seenOpen);
    const available = el.eligible ? ordinary + (s.goldRate > 0 && ordinary > 0 ? Math.max(0, c.goldItems - c.seenGold) : 0) : 0;
    return { done: c.done, reserved: c.reserved, available, left: c.reserved + available, ...el };
  }

  async function toTask(r: TaskRow, a: ProjectAccess, s: ProjectSettings): Promise<Task> {
    const rubric = await rubricAt(a.project.id, r.rubricVersion);
    const byId = new Map(r.item.responses.map((x) => [x.id, x]));
    const asg = r.assignment;
    return {
      assignmentId: asg.id,
      taskKind: a.project.taskKind,
      item: {
        id: asg.itemId,
        prompt: r.item.prompt,
        context: r.item.context,
        // Model names only when the lead shows them: they can bias a judgment.
        responses: asg.responseOrder
          .map((id) => byId.get(id))
          .filter((x) => x !== undefined)
          .map(({ id, model, kind, content }) => (s.showModelNames ? { id, model, kind, content } : { id, kind, content })),
        reference: r.item.reference,
      },
      responseOrder: asg.responseOrder,
      canonicalOrder: r.item.responses.map((x) => x.id),
      reservedAt: asg.reservedAt.toISOString(),
      expiresAt: asg.expiresAt.toISOString(),
      rubric: rubric ? { version: rubric.version, content: rubric.content } : null,
      draft: r.draft ? (r.draft.payload as DraftPayload) : null,
      timeSpentMs: r.draft?.timeSpentMs ?? 0,
    };
  }

  async function ownAssignment(projectId: string, userId: string, assignmentId: string) {
    const a = await repo.assignment(projectId, userId, assignmentId);
    // Someone else's assignment is "not found": its existence is not revealed.
    if (!a) throw new AppError('not_found', 'No such assignment of yours in this project.');
    return a;
  }

  const ended = (a: AssignmentRow) => a.status === 'reserved' && a.expiresAt <= new Date();


  /**
   * Blind adjudication (`consensus.blind`) hides who judged from reviewers everywhere, not only in
   * the room: the judgments list would otherwise map a room's judgments (same ids, same content) to
   * their authors. Leads and admins see authors; a reviewer still sees their own.
   */
  const blindFor = (a: ProjectAccess): boolean => a.role === 'reviewer' && readProjectSettings(a.project.settings).consensus.blind;
  const hideAuthor = (j: Judgment, viewerId: string): Judgment => (j.userId === viewerId ? j : { ...j, userId: null, user: { name: 'Hidden (blind adjudication)', email: '' } });

  return {
    latestRubric,

    settings: (project: { settings: unknown }) => readProjectSettings(project.settings),

    async updateSettings(actorId: string, a: ProjectAccess, body: UpdateProjectSettingsBody): Promise<ProjectSettings> {
      const cur = readProjectSettings(a.project.settings);
      const next = ProjectSettingsSchema.parse({
        ...cur,
        ...body,
        eligibility: { ...cur.eligibility, ...(body.eligibility ?? {}) },
        justificationChecks: { ...cur.justificationChecks, ...(body.justificationChecks ?? {}) },
        quality: { ...cur.quality, ...(body.quality ?? {}) },
        consensus: { ...cur.consensus, ...(body.consensus ?? {}) },
      });
      await repo.saveSettings(actorId, a.project.id, next, body);
      // Reviewers already in a dispute room gain or lose the right to edit it now, not on their next join.
      if (cur.consensus.reviewersAdjudicate !== next.consensus.reviewersAdjudicate) await bus?.emit('project:access-changed', { projectId: a.project.id });
      return next;
    },

    async progress(a: ProjectAccess, userId: string) {
      const s = readProjectSettings(a.project.settings);
      // Expired reservations end here as on `queue/next`, so the counters show what is left now.
      const { counters } = await repo.queueNext(a.project.id, userId, { reclaim: RECLAIM_PER_REQUEST, reserve: false, minutes: s.reservationMinutes, goldFirst: false, gold: false });
      return progress(a, userId, s, counters);
    },

    /**
     * The member's current task (their open reservation, or a new one), and their progress: one
     * database call after the credential's (see `repo.queueNext`). Gold at the project's rate while the
     * member has unseen gold and ordinary work left; once the ordinary work is used up, none (the
     * counters then say "done" too).
     */
    async next(a: ProjectAccess, userId: string): Promise<QueueNext> {
      const s = readProjectSettings(a.project.settings);
      const el = eligibility(a, s);
      if (!el.eligible) return { task: null, progress: await progress(a, userId, s) };
      const gold = s.goldRate > 0;
      const { row, counters } = await repo.queueNext(a.project.id, userId, {
        reclaim: RECLAIM_PER_REQUEST,
        reserve: true,
        minutes: s.reservationMinutes,
        goldFirst: gold && Math.random() < s.goldRate,
        gold,
      });
      return { task: row ? await toTask(row, a, s) : null, progress: await progress(a, userId, s, counters) };
    },

    async saveDraft(a: ProjectAccess, userId: string, assignmentId: string, body: SaveDraftBody): Promise<{ savedAt: string }> {
      const asg = await ownAssignment(a.project.id, userId, assignmentId);
      if (asg.status === 'submitted') throw new AppError('conflict', 'This judgment is already submitted.');
      if (asg.status !== 'reserved' || ended(asg)) throw new AppError('conflict', 'This reservation has ended; ask for the next item.');
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
     * submission of the same judgment (double click, retry) returns the stored one. A reservation
     * past its expiry is over, gold or not: the submission is refused.
     */
    async submit(a: ProjectAccess, user: Pick<UserRow, 'id' | 'name' | 'email'>, assignmentId: string, body: SubmitJudgmentBody): Promise<{ judgment: Judgment; repeated: boolean }> {
      const projectId = a.project.id;
      // The near-copy lookup of the justification as it will be stored rides on the read of the
      // assignment: one round trip for both.
      const near = justifications.nearCopyLookup(canonicalJustification(body.payload.justification));
      const r = await repo.forSubmit(projectId, user.id, assignmentId, near?.bandKeys ?? null);
      // Someone else's assignment is "not found": its existence is not revealed.
      if (!r) throw new AppError('not_found', 'No such assignment of yours in this project.');
      const asg = r.assignment;
      const ps = readProjectSettings(a.project.settings);
      // Rights as they are now: a member who no longer receives work here (a new role, a raised tier
      // or domain requirement, a required qualification) cannot submit the item they still hold.
      // A repeat of a stored submission is answered as before.
      if (asg.status === 'reserved') {
        const el = eligibility(a, ps);
        if (!el.eligible) throw new AppError('conflict', `${el.reason ?? 'You no longer receive work here.'} Your judgment was not submitted; your draft is kept.`);
      }
      const rubric = await rubricAt(projectId, r.rubricVersion);
      const issues = judgmentIssues(body.payload, r.item, a.project.taskKind, rubric?.view ?? null);
      if (!issues.length && preferenceChecks) issues.push(...(await preferenceChecks(projectId, user.id, asg.id, body.payload.preference, 'body.payload.preference')));
      const payload = canonicalPayload(body.payload, r.item);
      const time = clampTime(body.timeSpentMs, asg.reservedAt);
      // Justification checks (one LSH lookup): on a live reservation, blocking findings refuse the
      // submit before anything is stored, so the draft stays; the others are stored with the judgment.
      const settings = ps.justificationChecks;
      const input = { justification: payload.justification, preference: payload.preference, scores: payload.scores, displayOrder: asg.responseOrder, rubric: rubric?.view ?? null, typing: body.typing };
      const checked = issues.length ? null : await justifications.checkAfterRead(projectId, settings, input, near, r.candidates);
      const refusal = checked && asg.status === 'reserved' && !ended(asg) ? justifications.refusal(checked) : null;
      if (refusal) throw refusal;
      const now = new Date();
      // The common case in one statement; anything else (repeat, conflict, ended) is decided from the state after it.
      const stored = !checked
        ? null
        : await repo.storeSubmission(asg.id, {
            projectId,
            itemId: asg.itemId,
            userId: user.id,
            assignmentId: asg.id,
            status: 'submitted' as const,
            source: 'accord' as const,
            rubricVersion: rubric?.version ?? null,
            payload,
            responseOrder: asg.responseOrder,
            timeSpentMs: time,
            updatedAt: now,
            submittedAt: now,
          }, justifications.row(checked, body.typing));
      let result: { row: JudgmentRow; repeated: boolean };
      if (stored) result = { row: stored, repeated: false };
      else {
        const cur = await repo.submissionState(asg.id);
        if (cur.judgment?.status === 'submitted') {
          if (stableJson(cur.judgment.payload) !== stableJson(payload))
            throw new AppError('conflict', 'You already submitted a different judgment for this item; judgments cannot be changed after submission.');
          result = { row: cur.judgment, repeated: true };
        } else {
          // The message in words ("Justification: 305 words; …"); the details keep the field paths.
          if (issues.length) throw new AppError('validation_failed', judgmentIssueSentences(issues, body.payload, { dimension: (id) => rubric?.view.dimensions.find((d) => d.id === id)?.name ?? id }), issues);
          if (cur.status === 'released') throw new AppError('conflict', 'This reservation has ended; ask for the next item.');
          throw new AppError('conflict', 'Your reservation expired; your judgment was not submitted. Ask for the next item.');
        }
      }
      const { row, repeated } = result;
      const judgment = toJudgment(row, { externalId: a.role !== 'trainer' ? r.item.externalId : null, prompt: r.item.prompt.slice(0, 300) }, { name: user.name, email: user.email });
      return { judgment, repeated };
    },

    /**
     * The justification findings of a judgment being written (the near-copy check included), for
     * the trainer's form as they type; nothing is stored.
     */
    async checkJustification(a: ProjectAccess, userId: string, assignmentId: string, body: JustificationCheckBody): Promise<JustificationCheckResult> {
      // As on submit: the text as it would be stored, its near-copy lookup riding on the read of the
      // assignment (this runs as the trainer types).
      const justification = canonicalJustification(body.payload.justification ?? '');
      const near = justifications.nearCopyLookup(justification);
      const r = await repo.forSubmit(a.project.id, userId, assignmentId, near?.bandKeys ?? null);
      if (!r) throw new AppError('not_found', 'No such assignment of yours in this project.');
      const settings = readProjectSettings(a.project.settings).justificationChecks;
      const rubric = await rubricAt(a.project.id, r.rubricVersion);
      const input = {
        justification,
        preference: body.payload.preference ?? null,
        scores: body.payload.scores ?? [],
        displayOrder: r.assignment.responseOrder,
        rubric: rubric?.view ?? null,
        typing: body.typing,
      };
      const { findings } = await justifications.checkAfterRead(a.project.id, settings, input, near, r.candidates);
      return { findings, block: settings.block };
    },

    /** Whether the member receives work here, and why not (paused, qualification, role, tier, tags). */
    eligibility: (a: ProjectAccess) => eligibility(a, readProjectSettings(a.project.settings)),

    /** Ends every live reservation of the member (a lead paused them): the items go back to the pool, their drafts with them. */
    async releaseAll(projectId: string, userId: string): Promise<number> {
      let n = 0;
      for (const asg of await repo.liveReservations(projectId, userId)) if (await repo.release(asg)) n++;
      return n;
    },

    /** Gives a reserved item back to the pool (skip); the member will not get it again. */
    async release(a: ProjectAccess, userId: string, assignmentId: string) {
      const asg = await ownAssignment(a.project.id, userId, assignmentId);
      if (asg.status === 'submitted') throw new AppError('conflict', 'This judgment is already submitted.');
      await repo.release(asg);
    },

    /**
     * One submitted judgment to read in the judging form: the item in its trainer's order and the
     * rubric version it was judged under. Trainers see only their own (others' are "not found").
     */
    async view(a: ProjectAccess, userId: string, judgmentId: string): Promise<JudgmentView> {
      const r = await repo.judgmentWithItem(a.project.id, judgmentId);
      if (!r || (a.role === 'trainer' && r.j.userId !== userId)) throw new AppError('not_found', 'No such judgment of yours in this project.');
      const s = readProjectSettings(a.project.settings);
      const canonicalOrder = r.item.responses.map((x) => x.id);
      const byId = new Map(r.item.responses.map((x) => [x.id, x]));
      const seen = r.j.responseOrder?.filter((id) => byId.has(id)) ?? [];
      const responseOrder = seen.length === canonicalOrder.length ? seen : canonicalOrder;
      const showModels = a.role !== 'trainer' || s.showModelNames;
      const rubric = r.j.rubricVersion === null ? null : await rubrics.versionContent(a.project.id, r.j.rubricVersion);
      const judgment = toJudgment(r.j, { externalId: a.role !== 'trainer' ? r.item.externalId : null, prompt: r.item.prompt.slice(0, 300) }, { name: r.name, email: r.email });
      return {
        judgment: blindFor(a) ? hideAuthor(judgment, userId) : judgment,
        taskKind: a.project.taskKind,
        item: {
          id: r.j.itemId,
          prompt: r.item.prompt,
          context: r.item.context,
          responses: responseOrder.map((id) => byId.get(id)!).map(({ id, model, kind, content }) => (showModels ? { id, model, kind, content } : { id, kind, content })),
          reference: r.item.reference,
        },
        responseOrder,
        canonicalOrder,
        rubric,
      };
    },

    /** Trainers see only their own judgments; leads and reviewers see everyone's. */
    async list(a: ProjectAccess, userId: string, q: JudgmentListQuery) {
      const own = a.role === 'trainer' || q.mine === true;
      const blind = blindFor(a);
      if (blind && q.userId && q.userId !== userId) throw new AppError('forbidden', 'Adjudication is blind in this project: reviewers do not filter judgments by annotator.');
      const page = await repo.page(a.project.id, q, own ? userId : (q.userId ?? null), a.role !== 'trainer');
      return { ...page, items: blind ? page.items.map((j) => hideAuthor(j, userId)) : page.items, limit: q.limit, offset: q.offset };
    },
  };
}

export type JudgingService = ReturnType<typeof createJudgingService>;
