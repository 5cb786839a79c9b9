/**
 * SFT writing: a trainer's written demonstration is a submitted judgment of a writing project. Its
 * versions keep the text and a word diff against the model response it rewrites (computed here, on
 * the server, and stored); reviewers score a version on each rubric dimension and accept it or send
 * it back with feedback; the trainer then revises it into the next version. Trainers see their own
 * writings only (someone else's is "not found"); leads and reviewers every writing of the project.
 * Accepted writings are the project's SFT export.
 */
import {
  AppError,
  RubricSchema,
  countWords,
  describeIssues,
  wordDiff,
  type FieldIssue,
  type Rubric,
  type WritingAgreement,
  type WritingDetail,
  type WritingListQuery,
  type WritingReviewBody,
  type WritingReviseBody,
  type WritingStatus,
  type WritingSummary,
} from '@accord/core';
import { krippendorffAlpha } from '@accord/metrics';
import type { Clock } from '../../platform/clock.ts';
import type { ProjectAccess } from '../../platform/http/context.ts';
import type { VersionRow, WritingRepo, WritingRow } from './writing.repo.ts';

export interface WritingServiceDeps {
  repo: WritingRepo;
  clock: Clock;
  rubrics: { latestContent(projectId: string): Promise<{ version: number; content: Record<string, unknown> } | null> };
  settings(project: { settings: unknown }): { showModelNames: boolean };
}

const notFound = () => new AppError('not_found', 'No such writing in this project.');

/** The stored diff of a text against the response it rewrites (null: written from scratch). */
export function diffAgainst(text: string, base: string | null, responses: readonly { id: string; content: string }[]): VersionRow['diff'] {
  if (base === null) return null;
  const original = responses.find((r) => r.id === base)?.content;
  return original === undefined ? null : wordDiff(original, text);
}

/** One SFT JSONL line's object (`messages` and `metadata`), as the export writes it. */
export type SftRow = {
  messages: { role: string; content: string }[];
  metadata: Record<string, unknown>;
};

export function createWritingService({ repo, clock, rubrics, settings }: WritingServiceDeps) {
  async function rubricOf(projectId: string): Promise<{ version: number; rubric: Rubric } | null> {
    const latest = await rubrics.latestContent(projectId);
    if (!latest) return null;
    const parsed = RubricSchema.safeParse(latest.content);
    return parsed.success ? { version: latest.version, rubric: parsed.data } : null;
  }

  /**
   * First versions of writings submitted or imported since the last call (idempotent, cheap when none).
   * Other kinds of project have none: their judgments are not read (`taskKind` when the caller knows it).
   */
  async function sync(projectId: string, taskKind?: string): Promise<void> {
    if ((taskKind ?? ((await repo.isWritingProject(projectId)) ? 'writing' : null)) !== 'writing') return;
    for (;;) {
      const missing = await repo.unversioned(projectId);
      if (!missing.length) return;
      await repo.insertFirstVersions(
        missing.map((m) => {
          const pref = (m.payload.preference ?? {}) as { text?: string; base?: string };
          const text = typeof pref.text === 'string' ? pref.text : '';
          const base = typeof pref.base === 'string' ? pref.base : null;
          return { judgmentId: m.judgmentId, projectId: m.projectId, text, base, diff: diffAgainst(text, base, m.responses), words: countWords(text), timeSpentMs: m.timeSpentMs, at: m.submittedAt };
        }),
      );
      if (missing.length < 500) return;
    }
  }

  const summary = (a: ProjectAccess, w: WritingRow): WritingSummary => ({
    judgmentId: w.judgmentId,
    itemId: w.itemId,
    externalId: a.role === 'trainer' ? null : w.externalId,
    prompt: w.prompt,
    author: { id: w.authorId, name: w.authorName },
    status: w.status,
    version: w.version,
    words: w.words,
    rewrite: w.rewrite,
    reviews: w.reviews,
    reviewedByMe: w.reviewedByMe,
    updatedAt: w.updatedAt,
  });

  async function detail(a: ProjectAccess, userId: string, judgmentId: string): Promise<WritingDetail> {
    // Only a writing project has writings (its other judgments are not searched).
    if (a.project.taskKind !== 'writing') throw notFound();
    await sync(a.project.id, a.project.taskKind);
    const w = await repo.one(a.project.id, userId, judgmentId);
    // Someone else's writing is "not found" to a trainer: its existence is not revealed.
    if (!w || (a.role === 'trainer' && w.authorId !== userId)) throw notFound();
    const [versions, reviews] = await Promise.all([repo.versions(judgmentId), repo.reviews(judgmentId)]);
    const first = w.responses[0];
    const showModel = a.role !== 'trainer' || settings(a.project).showModelNames;
    return {
      ...summary(a, w),
      item: {
        prompt: w.fullPrompt,
        context: Array.isArray(w.context) ? (w.context as WritingDetail['item']['context']) : [],
        response: first ? { id: first.id, ...(showModel ? { model: first.model } : {}), content: first.content } : null,
      },
      rubricVersion: w.rubricVersion,
      versions,
      reviewList: reviews.map((r) => ({
        id: r.id,
        version: r.version,
        reviewer: { id: r.reviewerId, name: r.reviewerName },
        scores: r.scores.map((x) => ({ dimension: x.dimension, value: x.value })),
        decision: r.decision,
        feedback: r.feedback,
        rubricVersion: r.rubricVersion,
        createdAt: r.createdAt,
      })),
    };
  }

  return {
    sync,

    async list(a: ProjectAccess, userId: string, q: WritingListQuery) {
      if (a.project.taskKind !== 'writing') return { items: [], total: 0, limit: q.limit, offset: q.offset };
      await sync(a.project.id, a.project.taskKind);
      const trainer = a.role === 'trainer';
      // A trainer acts on what was sent back; a reviewer on what waits for review.
      const first: WritingStatus[] = trainer ? ['sent_back', 'pending', 'accepted'] : ['pending', 'sent_back', 'accepted'];
      const page = await repo.page(a.project.id, userId, { userId: trainer || q.mine ? userId : undefined, status: q.status, limit: q.limit, offset: q.offset, first });
      return { items: page.items.map((w) => summary(a, w)), total: page.total, limit: q.limit, offset: q.offset };
    },

    get(a: ProjectAccess, userId: string, judgmentId: string): Promise<WritingDetail> {
      return detail(a, userId, judgmentId);
    },

    async review(a: ProjectAccess, reviewerId: string, judgmentId: string, body: WritingReviewBody): Promise<WritingDetail> {
      const cur = await detail(a, reviewerId, judgmentId);
      if (cur.author.id === reviewerId) throw new AppError('forbidden', 'You cannot review your own writing.');
      const r = await rubricOf(a.project.id);
      const issues: FieldIssue[] = [];
      if (!r) issues.push({ path: 'body.scores', message: 'cannot be taken yet: the project has no published rubric to score on' });
      else {
        const dims = new Map(r.rubric.dimensions.map((d) => [d.id, d]));
        const seen = new Set<string>();
        body.scores.forEach((s, i) => {
          const d = dims.get(s.dimension);
          if (!d) return void issues.push({ path: `body.scores.${i}.dimension`, message: `is not a dimension of rubric version ${r.version} (known: ${[...dims.keys()].join(', ')})` });
          if (seen.has(d.id)) return void issues.push({ path: `body.scores.${i}`, message: `scores ${d.id} twice` });
          seen.add(d.id);
          const allowed = d.levels.map((l) => l.value);
          if (!allowed.includes(s.value)) issues.push({ path: `body.scores.${i}.value`, message: `is out of scale for ${d.id} (allowed: ${allowed.join(', ')})` });
        });
        const missing = r.rubric.dimensions.filter((d) => !seen.has(d.id)).map((d) => d.id);
        if (missing.length) issues.push({ path: 'body.scores', message: `missing a score for ${missing.join(', ')}` });
      }
      if (issues.length) throw new AppError('validation_failed', `The review cannot be taken: ${describeIssues(issues)}`, issues);
      const outcome = await repo.review({
        projectId: a.project.id,
        judgmentId,
        trainerId: cur.author.id,
        version: body.version,
        reviewerId,
        scores: body.scores,
        decision: body.decision,
        feedback: body.feedback,
        rubricVersion: r?.version ?? null,
        at: clock(),
      });
      if (outcome === 'stale') throw new AppError('conflict', `Version ${body.version} is not the latest version of this writing (${cur.version}); reload it.`);
      if (outcome === 'waiting') throw new AppError('conflict', 'This writing was sent back and waits for its trainer to revise it.');
      if (outcome === 'twice') throw new AppError('conflict', 'You have reviewed this version already.');
      return detail(a, reviewerId, judgmentId);
    },

    async revise(a: ProjectAccess, userId: string, judgmentId: string, body: WritingReviseBody): Promise<WritingDetail> {
      const cur = await detail(a, userId, judgmentId);
      // Only its trainer revises a writing; to anyone else it is not theirs to find.
      if (cur.author.id !== userId) throw notFound();
      const responses = cur.item.response ? [{ id: cur.item.response.id, content: cur.item.response.content }] : [];
      if (body.base !== undefined && !responses.some((x) => x.id === body.base))
        throw new AppError('validation_failed', 'The revision cannot be taken: body.base must be the item\'s model response or absent.', [
          { path: 'body.base', message: responses.length ? `must be this item's model response (${responses.map((x) => x.id).join(', ')}) or absent (written from scratch)` : 'must be absent: this item has no model response to rewrite' },
        ]);
      const text = body.text.replace(/\r\n?/g, '\n');
      const base = body.base ?? null;
      const outcome = await repo.revise({
        projectId: a.project.id,
        judgmentId,
        userId,
        text,
        base,
        diff: diffAgainst(text, base, responses),
        words: countWords(text),
        timeSpentMs: body.timeSpentMs ?? null,
        payload: { preference: { kind: 'writing', text, ...(base ? { base } : {}) }, scores: [], spans: [], flags: [], justification: '' },
        at: clock(),
      });
      if (outcome === 'not_sent_back') throw new AppError('conflict', cur.status === 'accepted' ? 'This writing was accepted; it cannot be revised.' : 'This writing waits for review; it can be revised once a reviewer sends it back.');
      return detail(a, userId, judgmentId);
    },

    /**
     * Reviewers' agreement: per dimension, Krippendorff's α (interval and ordinal) over the versions
     * two or more reviewers scored, with the score distribution; and the acceptance rate of reviews.
     */
    async agreement(a: ProjectAccess): Promise<WritingAgreement> {
      if (a.project.taskKind !== 'writing') return { writings: 0, pending: 0, sentBack: 0, accepted: 0, reviews: 0, acceptanceRate: null, dimensions: [] };
      await sync(a.project.id, a.project.taskKind);
      const [reviews, counts, r] = await Promise.all([repo.projectReviews(a.project.id), repo.statusCounts(a.project.id), rubricOf(a.project.id)]);
      const dimIds = [...new Set([...(r?.rubric.dimensions.map((d) => d.id) ?? []), ...reviews.flatMap((x) => x.scores.map((s) => s.dimension))])];
      const dimensions = dimIds.map((id) => {
        const dim = r?.rubric.dimensions.find((d) => d.id === id);
        const units = new Map<string, Map<string, number>>();
        const dist = new Map<number, number>();
        let sum = 0;
        let n = 0;
        for (const rev of reviews) {
          const s = rev.scores.find((x) => x.dimension === id);
          if (!s) continue;
          dist.set(s.value, (dist.get(s.value) ?? 0) + 1);
          sum += s.value;
          n++;
          const key = `${rev.judgmentId}:${rev.version}`;
          const u = units.get(key) ?? new Map<string, number>();
          u.set(rev.reviewerId ?? `former:${rev.judgmentId}:${rev.version}:${n}`, s.value);
          units.set(key, u);
        }
        const paired = [...units.values()].filter((u) => u.size >= 2);
        const raters = [...new Set(paired.flatMap((u) => [...u.keys()]))];
        const ratings = paired.map((u) => raters.map((rid) => u.get(rid) ?? null));
        const categories = dim ? dim.levels.map((l) => l.value) : [...dist.keys()].sort((x, y) => x - y);
        const alpha = (level: 'interval' | 'ordinal') => (paired.length ? krippendorffAlpha(ratings, { level, categories: [...new Set([...categories, ...dist.keys()])].sort((x, y) => x - y) }) : null);
        return {
          dimension: id,
          name: dim?.name ?? id,
          scores: n,
          distribution: [...dist.entries()].sort((x, y) => x[0] - y[0]).map(([value, count]) => ({ value, count })),
          mean: n ? sum / n : null,
          alphaInterval: alpha('interval'),
          alphaOrdinal: alpha('ordinal'),
          units: paired.length,
        };
      });
      const accepts = reviews.filter((x) => x.decision === 'accept').length;
      return {
        writings: counts.pending + counts.sent_back + counts.accepted,
        pending: counts.pending,
        sentBack: counts.sent_back,
        accepted: counts.accepted,
        reviews: reviews.length,
        acceptanceRate: reviews.length ? accepts / reviews.length : null,
        dimensions,
      };
    },

    async sftCount(projectId: string): Promise<number> {
      await sync(projectId, 'writing');
      return repo.acceptedCount(projectId);
    },

    /**
     * Accepted writings as SFT rows, page by page: the conversation (system and earlier turns of the
     * item's context, the prompt) ending with the writing, and its provenance.
     */
    async *sftRows(projectId: string, pageSize = 500): AsyncGenerator<SftRow[]> {
      await sync(projectId, 'writing');
      let after: { externalId: string; judgmentId: string } | null = null;
      for (;;) {
        const page = await repo.accepted(projectId, after, pageSize);
        if (!page.length) return;
        const last = page[page.length - 1]!;
        after = { externalId: String(last.external_id), judgmentId: String(last.judgment_id) };
        yield page.map((w) => {
          const context = (Array.isArray(w.context) ? w.context : []) as { role: string; content: string }[];
          const responses = (w.responses as { id: string; model: string }[]) ?? [];
          const base = w.base_response_id === null ? null : String(w.base_response_id);
          return {
            messages: [...context.map((t) => ({ role: t.role, content: t.content })), { role: 'user', content: String(w.prompt) }, { role: 'assistant', content: String(w.text) }],
            metadata: {
              item: String(w.external_id),
              project: { id: String(w.project_id), name: String(w.project_name) },
              author: String(w.user_id),
              judgmentId: String(w.judgment_id),
              version: Number(w.version),
              baseResponseId: base,
              baseModel: base === null ? null : (responses.find((x) => x.id === base)?.model ?? null),
              rubricVersion: w.rubric_version === null ? null : Number(w.rubric_version),
              // In the rubric's terms and key order (jsonb keeps its own order).
              reviewScores: ((w.scores as { dimension: string; value: number }[]) ?? []).map((x) => ({ dimension: x.dimension, value: x.value })),
              reviews: Number(w.reviewer_count),
              acceptedAt: (w.accepted_at instanceof Date ? w.accepted_at : new Date(String(w.accepted_at))).toISOString(),
            },
          };
        });
        if (page.length < pageSize) return;
      }
    },
  };
}

export type WritingService = ReturnType<typeof createWritingService>;
