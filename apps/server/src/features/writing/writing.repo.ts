/**
 * SFT writings in SQL: the only code of the writing feature that speaks to the database. A writing is
 * a submitted judgment of a writing project; its versions and reviews live in `writing_versions` and
 * `writing_reviews`, and its status is derived from the latest review of its latest version.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { WritingStatus } from '@accord/core';
import { feedback, judgments, writingReviews, writingVersions, type Db } from '@accord/db';
import { audit } from '../../platform/audit.ts';
import { rows, type RawRow } from '../../platform/sql.ts';

const iso = (v: unknown): string => (v instanceof Date ? v : new Date(String(v))).toISOString();
const num = (v: unknown): number => Number(v);

export interface WritingRow {
  judgmentId: string;
  itemId: string;
  externalId: string;
  prompt: string;
  authorId: string;
  authorName: string;
  status: WritingStatus;
  version: number;
  words: number;
  rewrite: boolean;
  reviews: number;
  reviewedByMe: boolean;
  updatedAt: string;
  rubricVersion: number | null;
}

export interface VersionRow {
  version: number;
  text: string;
  base: string | null;
  diff: { parts: { op: 'eq' | 'ins' | 'del'; text: string }[]; inserted: number; deleted: number } | null;
  words: number;
  submittedAt: string;
}

export interface ReviewRow {
  id: string;
  version: number;
  reviewerId: string | null;
  reviewerName: string;
  scores: { dimension: string; value: number }[];
  decision: 'accept' | 'send_back';
  feedback: string;
  rubricVersion: number | null;
  createdAt: string;
}

/** A submitted writing judgment without its first version row (submitted or imported a moment ago). */
export interface UnversionedRow {
  judgmentId: string;
  projectId: string;
  payload: Record<string, unknown>;
  responses: { id: string; content: string }[];
  timeSpentMs: number | null;
  submittedAt: Date;
}

const STATUS = sql`case r.decision when 'accept' then 'accepted' when 'send_back' then 'sent_back' else 'pending' end`;

/** The latest version and its latest review, per submitted judgment of the project. */
function writingsQuery(projectId: string, viewerId: string, where: SQL): SQL {
  return sql`
    select j.id as judgment_id, j.item_id, j.user_id, j.rubric_version, u.name as author_name, i.external_id, left(i.prompt, 300) as prompt,
           v.version, v.words, v.base_response_id is not null as rewrite, greatest(v.submitted_at, r.created_at) as updated_at,
           ${STATUS} as status,
           (select count(*) from writing_reviews x where x.judgment_id = j.id and x.version = v.version) as reviews,
           exists (select 1 from writing_reviews x where x.judgment_id = j.id and x.version = v.version and x.reviewer_id = ${viewerId}) as reviewed_by_me
    from judgments j
    join items i on i.id = j.item_id
    join users u on u.id = j.user_id
    join lateral (select * from writing_versions v where v.judgment_id = j.id order by v.version desc limit 1) v on true
    left join lateral (select decision, created_at from writing_reviews r where r.judgment_id = j.id and r.version = v.version order by r.created_at desc, r.id desc limit 1) r on true
    where j.project_id = ${projectId} and j.status = 'submitted' and ${where}`;
}

function toWriting(r: RawRow): WritingRow {
  return {
    judgmentId: String(r.judgment_id),
    itemId: String(r.item_id),
    externalId: String(r.external_id),
    prompt: String(r.prompt),
    authorId: String(r.user_id),
    authorName: String(r.author_name),
    status: r.status as WritingStatus,
    version: num(r.version),
    words: num(r.words),
    rewrite: r.rewrite === true,
    reviews: num(r.reviews),
    reviewedByMe: r.reviewed_by_me === true,
    updatedAt: iso(r.updated_at),
    rubricVersion: r.rubric_version === null || r.rubric_version === undefined ? null : num(r.rubric_version),
  };
}

export function createWritingRepo(db: Db) {
  return {
    /** Whether the project is a writing project (only those have writings to fill in). */
    async isWritingProject(projectId: string): Promise<boolean> {
      const [r] = await rows(db, sql`select task_kind from projects where id = ${projectId}`);
      return r?.task_kind === 'writing';
    },

    /** Submitted writing judgments of the project that have no version yet (at most `limit`). */
    async unversioned(projectId: string, limit = 500): Promise<UnversionedRow[]> {
      const rs = await rows(
        db,
        sql`select j.id, j.project_id, j.payload, j.time_spent_ms, coalesce(j.submitted_at, j.updated_at) as submitted_at, i.responses
            from judgments j join items i on i.id = j.item_id
            where j.project_id = ${projectId} and j.status = 'submitted' and j.payload->'preference'->>'kind' = 'writing'
              and not exists (select 1 from writing_versions v where v.judgment_id = j.id)
            limit ${limit}`,
      );
      return rs.map((r) => ({
        judgmentId: String(r.id),
        projectId: String(r.project_id),
        payload: r.payload as Record<string, unknown>,
        responses: (r.responses as { id: string; content: string }[]) ?? [],
        timeSpentMs: r.time_spent_ms === null ? null : num(r.time_spent_ms),
        submittedAt: new Date(String(r.submitted_at instanceof Date ? r.submitted_at.toISOString() : r.submitted_at)),
      }));
    },

    /** Stores first versions (a row already there wins: two requests filling in at once store one). */
    async insertFirstVersions(vs: { judgmentId: string; projectId: string; text: string; base: string | null; diff: VersionRow['diff']; words: number; timeSpentMs: number | null; at: Date }[]): Promise<void> {
      if (!vs.length) return;
      await db
        .insert(writingVersions)
        .values(vs.map((v) => ({ judgmentId: v.judgmentId, version: 1, projectId: v.projectId, text: v.text, baseResponseId: v.base, diff: v.diff, words: v.words, timeSpentMs: v.timeSpentMs, submittedAt: v.at })))
        .onConflictDoNothing();
    },

    /** A page of writings; `order` puts the statuses the caller acts on first. */
    async page(projectId: string, viewerId: string, q: { userId?: string | undefined; status?: WritingStatus | undefined; limit: number; offset: number; first: WritingStatus[] }): Promise<{ items: WritingRow[]; total: number }> {
      const conds: SQL[] = [sql`true`];
      if (q.userId) conds.push(sql`j.user_id = ${q.userId}`);
      const rank = sql.join(q.first.map((s, i) => sql`when ${s} then ${i}`), sql` `);
      const rs = await rows(
        db,
        sql`select w.*, count(*) over () as total from (${writingsQuery(projectId, viewerId, sql.join(conds, sql` and `))}) w
            where ${q.status ? sql`w.status = ${q.status}` : sql`true`}
            order by case w.status ${rank} else 9 end, w.updated_at asc, w.judgment_id
            limit ${q.limit} offset ${q.offset}`,
      );
      let total = rs.length ? num(rs[0]!.total) : 0;
      if (!rs.length && q.offset > 0) {
        const [c] = await rows(db, sql`select count(*) as n from (${writingsQuery(projectId, viewerId, sql.join(conds, sql` and `))}) w where ${q.status ? sql`w.status = ${q.status}` : sql`true`}`);
        total = num(c?.n ?? 0);
      }
      return { items: rs.map(toWriting), total };
    },

    async one(projectId: string, viewerId: string, judgmentId: string): Promise<(WritingRow & { context: unknown; fullPrompt: string; responses: { id: string; model: string; content: string }[] }) | null> {
      const [r] = await rows(
        db,
        sql`select w.*, i.prompt as full_prompt, i.context, i.responses from (${writingsQuery(projectId, viewerId, sql`j.id = ${judgmentId}`)}) w join items i on i.id = w.item_id`,
      );
      if (!r) return null;
      return { ...toWriting(r), fullPrompt: String(r.full_prompt), context: r.context, responses: (r.responses as { id: string; model: string; content: string }[]) ?? [] };
    },

    async versions(judgmentId: string): Promise<VersionRow[]> {
      const rs = await db.select().from(writingVersions).where(sql`${writingVersions.judgmentId} = ${judgmentId}`).orderBy(writingVersions.version);
      return rs.map((v) => ({ version: v.version, text: v.text, base: v.baseResponseId, diff: v.diff as VersionRow['diff'], words: v.words, submittedAt: v.submittedAt.toISOString() }));
    },

    async reviews(judgmentId: string): Promise<ReviewRow[]> {
      const rs = await rows(
        db,
        sql`select r.*, u.name as reviewer_name from writing_reviews r left join users u on u.id = r.reviewer_id where r.judgment_id = ${judgmentId} order by r.version, r.created_at, r.id`,
      );
      return rs.map((r) => ({
        id: String(r.id),
        version: num(r.version),
        reviewerId: r.reviewer_id ? String(r.reviewer_id) : null,
        reviewerName: r.reviewer_name ? String(r.reviewer_name) : 'Former user',
        scores: r.scores as ReviewRow['scores'],
        decision: r.decision as ReviewRow['decision'],
        feedback: String(r.feedback),
        rubricVersion: r.rubric_version === null ? null : num(r.rubric_version),
        createdAt: iso(r.created_at),
      }));
    },

    /**
     * Stores a review of `version` if it is still the latest and the writing is not waiting for its
     * trainer; a send-back also leaves its feedback on the judgment (the feedback feature's table, so the
     * trainer's feedback list shows it). One transaction; false when the writing moved on meanwhile.
     */
    async review(v: { projectId: string; judgmentId: string; trainerId: string; version: number; reviewerId: string; scores: { dimension: string; value: number }[]; decision: 'accept' | 'send_back'; feedback: string; rubricVersion: number | null; at: Date }): Promise<'ok' | 'stale' | 'waiting' | 'twice'> {
      return db.transaction(async (tx) => {
        // The judgment row is the writing's lock: reviews and revisions of one writing take turns.
        await tx.execute(sql`select id from ${judgments} where id = ${v.judgmentId} for update`);
        const [state] = await rows(
          tx,
          sql`select v.version, (select decision from writing_reviews r where r.judgment_id = v.judgment_id and r.version = v.version order by r.created_at desc, r.id desc limit 1) as decision,
                     exists (select 1 from writing_reviews r where r.judgment_id = v.judgment_id and r.version = v.version and r.reviewer_id = ${v.reviewerId}) as mine
              from writing_versions v where v.judgment_id = ${v.judgmentId} order by v.version desc limit 1`,
        );
        if (!state || num(state.version) !== v.version) return 'stale';
        if (state.decision === 'send_back') return 'waiting';
        if (state.mine === true) return 'twice';
        await tx.insert(writingReviews).values({
          projectId: v.projectId,
          judgmentId: v.judgmentId,
          version: v.version,
          reviewerId: v.reviewerId,
          scores: v.scores,
          decision: v.decision,
          feedback: v.feedback,
          rubricVersion: v.rubricVersion,
          createdAt: v.at,
        });
        if (v.feedback) await tx.insert(feedback).values({ projectId: v.projectId, judgmentId: v.judgmentId, userId: v.trainerId, authorId: v.reviewerId, text: v.feedback, rating: null, createdAt: v.at });
        await audit(tx, { actorId: v.reviewerId, action: v.decision === 'accept' ? 'writing.accepted' : 'writing.sent_back', projectId: v.projectId, target: v.judgmentId, details: { version: v.version, scores: v.scores } });
        return 'ok';
      });
    },

    /** The next version of a writing that was sent back: stored with the judgment's new text, in one transaction. */
    async revise(v: { projectId: string; judgmentId: string; userId: string; text: string; base: string | null; diff: VersionRow['diff']; words: number; timeSpentMs: number | null; payload: Record<string, unknown>; at: Date }): Promise<'ok' | 'not_sent_back'> {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select id from ${judgments} where id = ${v.judgmentId} for update`);
        const [state] = await rows(
          tx,
          sql`select v.version, (select decision from writing_reviews r where r.judgment_id = v.judgment_id and r.version = v.version order by r.created_at desc, r.id desc limit 1) as decision
              from writing_versions v where v.judgment_id = ${v.judgmentId} order by v.version desc limit 1`,
        );
        if (!state || state.decision !== 'send_back') return 'not_sent_back';
        const next = num(state.version) + 1;
        await tx.insert(writingVersions).values({ judgmentId: v.judgmentId, version: next, projectId: v.projectId, text: v.text, baseResponseId: v.base, diff: v.diff, words: v.words, timeSpentMs: v.timeSpentMs, submittedAt: v.at });
        // The judgment holds the current text, so raw-judgment exports and the trainer's history read it.
        await tx.update(judgments).set({ payload: v.payload, updatedAt: v.at }).where(sql`${judgments.id} = ${v.judgmentId}`);
        await audit(tx, { actorId: v.userId, action: 'writing.revised', projectId: v.projectId, target: v.judgmentId, details: { version: next } });
        return 'ok';
      });
    },

    /** Every review of the project's latest versions... and of earlier ones: agreement reads them all. */
    async projectReviews(projectId: string): Promise<{ judgmentId: string; version: number; reviewerId: string | null; scores: { dimension: string; value: number }[]; decision: string }[]> {
      const rs = await rows(db, sql`select judgment_id, version, reviewer_id, scores, decision from writing_reviews where project_id = ${projectId}`);
      return rs.map((r) => ({ judgmentId: String(r.judgment_id), version: num(r.version), reviewerId: r.reviewer_id ? String(r.reviewer_id) : null, scores: r.scores as { dimension: string; value: number }[], decision: String(r.decision) }));
    },

    async statusCounts(projectId: string): Promise<Record<WritingStatus, number>> {
      const rs = await rows(db, sql`select w.status, count(*) as n from (${writingsQuery(projectId, '00000000-0000-0000-0000-000000000000', sql`true`)}) w group by w.status`);
      const out: Record<WritingStatus, number> = { pending: 0, sent_back: 0, accepted: 0 };
      for (const r of rs) out[r.status as WritingStatus] = num(r.n);
      return out;
    },

    /**
     * Accepted writings for the SFT export, by item external id then judgment: the accepted version's
     * text, the item, the base response's model, and the accepting review (the latest accept of it).
     */
    async accepted(projectId: string, after: { externalId: string; judgmentId: string } | null, limit: number): Promise<RawRow[]> {
      return rows(
        db,
        sql`select w.judgment_id, w.external_id, w.user_id, i.prompt, i.context, i.responses, p.id as project_id, p.name as project_name,
                   v.text, v.base_response_id, v.version, r.scores, r.rubric_version, r.created_at as accepted_at, r.reviewer_count
            from (${writingsQuery(projectId, '00000000-0000-0000-0000-000000000000', sql`true`)}) w
            join items i on i.id = w.item_id
            join projects p on p.id = ${projectId}
            join writing_versions v on v.judgment_id = w.judgment_id and v.version = w.version
            join lateral (select scores, rubric_version, created_at, (select count(*) from writing_reviews y where y.judgment_id = w.judgment_id and y.version = w.version) as reviewer_count
                          from writing_reviews x where x.judgment_id = w.judgment_id and x.version = w.version and x.decision = 'accept'
                          order by x.created_at desc, x.id desc limit 1) r on true
            where w.status = 'accepted'
              and ${after ? sql`(w.external_id, w.judgment_id) > (${after.externalId}, ${after.judgmentId}::uuid)` : sql`true`}
            order by w.external_id, w.judgment_id
            limit ${limit}`,
      );
    },

    async acceptedCount(projectId: string): Promise<number> {
      return (await this.statusCounts(projectId)).accepted;
    },
  };
}

export type WritingRepo = ReturnType<typeof createWritingRepo>;
