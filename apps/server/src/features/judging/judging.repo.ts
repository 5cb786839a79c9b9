/**
 * Assignments and judgments in SQL: the only code of the judging feature that speaks to the
 * database. Nothing here counts a project's items: each item keeps its occupied slots and an `open`
 * flag (occupied < k), each project its open and gold items, each member their submitted,
 * reserved and seen items — kept by triggers (migration 0004) in the same transaction as every
 * change, imports and COPY included. The k limit holds under concurrency because an item's row is
 * locked (FOR NO KEY UPDATE SKIP LOCKED) while a reservation is added and the trigger re-derives
 * `open` under that lock; a request that finds only locked items waits for them and re-checks. Not
 * FOR UPDATE: that would also wait for, and be waited on by, the foreign-key checks (FOR KEY SHARE)
 * of judgments and assignments being stored, and a submit and a reservation deadlocked (migration 0037).
 *
 * Lock order, everywhere: item row, then assignment rows, then member counter rows (the triggers
 * lock those in user-id order in one statement). A transaction that still loses a deadlock is
 * retried.
 */
import { and, asc, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import { type Judgment, type JudgmentListQuery, type ProjectSettings } from '@accord/core';
import { assignments, items, judgments, projects, users, type Db, type StoredResponse, type StoredTurn } from '@accord/db';
import { audit } from '../../platform/audit.ts';
import { intArray, pgPool, prepared, retryingDeadlocks, rows, type RawRow } from '../../platform/sql.ts';

export type AssignmentRow = typeof assignments.$inferSelect;
export type JudgmentRow = typeof judgments.$inferSelect;

/** An assignment with what its task shows: the item, the member's draft, the latest rubric version. */
export interface TaskRow {
  assignment: AssignmentRow;
  item: { prompt: string; context: StoredTurn[]; responses: StoredResponse[]; reference: string | null };
  draft: { payload: unknown; timeSpentMs: number | null } | null;
  rubricVersion: number | null;
}

/** An assignment with what submitting it needs. */
export interface SubmitRow {
  assignment: AssignmentRow;
  item: { responses: StoredResponse[]; prompt: string; externalId: string };
  rubricVersion: number | null;
  /** The near-copy candidates' signatures for the keys asked (null: none asked). */
  candidates: number[][] | null;
}

/** A submitted judgment's justification checks as stored with it (computed by the justifications feature). */
export interface CheckRow {
  findings: { kind: string }[];
  signature: number[] | null;
  bandKeys: number[];
  typedChars: number | null;
  pastedChars: number | null;
}

export interface QueueCounters {
  openItems: number;
  goldItems: number;
  done: number;
  reserved: number;
  seenOpen: number;
  seenGold: number;
}

export function toJudgment(j: JudgmentRow, item: { externalId: string | null; prompt: string }, user: { name: string; email: string }): Judgment {
  return {
    id: j.id,
    projectId: j.projectId,
    itemId: j.itemId,
    userId: j.userId,
    assignmentId: j.assignmentId,
    status: j.status,
    source: j.source,
    rubricVersion: j.rubricVersion,
    payload: j.payload,
    responseOrder: j.responseOrder,
    timeSpentMs: j.timeSpentMs,
    createdAt: j.createdAt.toISOString(),
    submittedAt: j.submittedAt ? j.submittedAt.toISOString() : null,
    item,
    user,
  };
}

const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const int = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

function assignmentOf(r: RawRow): AssignmentRow {
  return {
    id: r.id as string,
    projectId: r.project_id as string,
    itemId: r.item_id as string,
    userId: r.user_id as string,
    status: r.status as AssignmentRow['status'],
    isGold: r.is_gold as boolean,
    responseOrder: json<string[]>(r.response_order),
    reservedAt: date(r.reserved_at),
    expiresAt: date(r.expires_at),
    submittedAt: r.submitted_at ? date(r.submitted_at) : null,
  };
}

function judgmentOf(r: RawRow): JudgmentRow {
  return {
    id: r.id as string,
    projectId: r.project_id as string,
    itemId: r.item_id as string,
    userId: r.user_id as string,
    assignmentId: (r.assignment_id as string | null) ?? null,
    status: r.status as JudgmentRow['status'],
    source: r.source as JudgmentRow['source'],
    rubricVersion: r.rubric_version === null || r.rubric_version === undefined ? null : Number(r.rubric_version),
    payload: json<Record<string, unknown>>(r.payload),
    responseOrder: r.response_order === null ? null : json<string[]>(r.response_order),
    timeSpentMs: r.time_spent_ms === null || r.time_spent_ms === undefined ? null : Number(r.time_spent_ms),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    submittedAt: r.submitted_at ? date(r.submitted_at) : null,
  };
}


/** The columns of a submitted judgment as the judging service hands them to `storeSubmission`. */
export type SubmissionValues = Omit<typeof judgments.$inferInsert, 'id'> & { submittedAt: Date };
interface Submission {
  assignmentId: string;
  v: SubmissionValues;
  check: CheckRow;
}

const kindsOf = (c: CheckRow) => `{${c.findings.map((f) => f.kind).join(',')}}`;

/** One submission (PGlite, and a batch that failed, one at a time): the batch statement with one row. */
async function storeOne(db: Db, s: Submission): Promise<JudgmentRow | null> {
  const [j] = await storeMany(db, [s]);
  return j ? judgmentOf(j) : null;
}

/** Several submissions (distinct assignments) in one statement and one transaction: the stored ones' rows. */
async function storeMany(db: Db, batch: Submission[]): Promise<RawRow[]> {
  const sorted = [...batch].sort((x, y) => (x.assignmentId < y.assignmentId ? -1 : 1));
  const col = <T>(f: (s: Submission) => T) => sorted.map(f);
  return retryingDeadlocks(() =>
    prepared(
      db,
      'accord_store_submissions',
      // The statement is a function (migration 0048) whose plan the connection keeps, whatever the batch's size.
      `select * from accord_store_submissions($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int[], $6::text[], $7::text[], $8::bigint[],
                                              $9::timestamptz[], $10::text[], $11::text[], $12::text[], $13::int[], $14::int[], $15::text[])`,
      [
        col((s) => s.assignmentId),
        col((s) => s.v.projectId),
        col((s) => s.v.itemId),
        col((s) => s.v.userId),
        col((s) => s.v.rubricVersion ?? null),
        col((s) => JSON.stringify(s.v.payload)),
        col((s) => JSON.stringify(s.v.responseOrder ?? null)),
        col((s) => s.v.timeSpentMs ?? null),
        col((s) => s.v.submittedAt.toISOString()),
        col((s) => kindsOf(s.check)),
        col((s) => JSON.stringify(s.check.findings)),
        col((s) => (s.check.signature ? intArray(s.check.signature) : null)),
        col((s) => s.check.typedChars),
        col((s) => s.check.pastedChars),
        col((s) => intArray(s.check.bandKeys)),
      ],
    ),
  );
}

/** Submissions stored at once, at most (one statement's worth). */
const MAX_BATCH = 64;
/**
 * Statements storing submissions at the same time (per node); what arrives meanwhile waits and goes in
 * the next batch. Two: while one batch waits for its WAL flush, the next runs. From 3 to 5 Dec 2026 it
 * was one, because two batches at once locked the same per-project quality sums in their statement
 * triggers and the refresh ran twice as often; since the refresh left the submit's statement
 * (migration 0038), the batches share no row but a member's or an item's, taken in one order.
 * `bench:load -- --trainers 32`, paced at half the ceiling, alternated on one machine (with the larger
 * quality drains): next+submit p99 94.5 and 77.4 ms with two, 114 and 211 ms with one (docs/performance-log.md).
 */
const MAX_IN_FLIGHT = 2;

/**
 * Group commit for submissions on PostgreSQL. A submission goes out at once when fewer than
 * MAX_IN_FLIGHT statements are storing; otherwise it waits for one to finish and goes with everything
 * else that waited, in one statement (so an idle server adds no delay, and a busy one commits many
 * judgments per WAL flush and runs the judgments' statement triggers once per batch). A submission
 * is answered only after the statement that stored it has committed. A failed batch (one bad row
 * fails the statement, and with it the transaction, so nothing of it was stored) is stored again one
 * submission at a time: each request gets its own answer or error. Two submissions of one assignment
 * never share a batch (the second waits for the next one, and then finds the judgment stored).
 */
function createSubmitBatcher(db: Db) {
  type Waiting = Submission & { resolve(row: JudgmentRow | null): void; reject(e: unknown): void };
  let queue: Waiting[] = [];
  let inFlight = 0;

  async function run(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      const w = batch[0]!;
      await storeOne(db, w).then(w.resolve, w.reject);
      return;
    }
    let stored: RawRow[];
    try {
      stored = await storeMany(db, batch);
    } catch {
      await Promise.all(batch.map((w) => storeOne(db, w).then(w.resolve, w.reject)));
      return;
    }
    const byAssignment = new Map(stored.map((r) => [r.assignment_id as string, r]));
    for (const w of batch) {
      const r = byAssignment.get(w.assignmentId);
      w.resolve(r ? judgmentOf(r) : null);
    }
  }

  function pump(): void {
    while (inFlight < MAX_IN_FLIGHT && queue.length > 0) {
      const batch: Waiting[] = [];
      const rest: Waiting[] = [];
      const ids = new Set<string>();
      for (const w of queue) {
        if (batch.length < MAX_BATCH && !ids.has(w.assignmentId)) {
          ids.add(w.assignmentId);
          batch.push(w);
        } else rest.push(w);
      }
      queue = rest;
      inFlight++;
      void run(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return {
    store(s: Submission): Promise<JudgmentRow | null> {
      return new Promise((resolve, reject) => {
        queue.push({ ...s, resolve, reject });
        pump();
      });
    },
  };
}

/**
 * The near-copy lookup of the justifications feature as a column of `forSubmit`'s statement (wired in
 * deps.ts): `column` gives its SQL for the statement's parameters of band keys and project, `read` the
 * candidates' signatures from its value.
 */
export interface NearCopyColumn {
  column(keys: string, project: string): string;
  read(v: unknown): number[][];
}

export function createJudgingRepo(db: Db, nearCopy: NearCopyColumn) {
  const batcher = pgPool(db) ? createSubmitBatcher(db) : null;
  /** Ends one reservation (expired or released) with its draft: item lock first, as everywhere. */
  async function endReservation(assignmentId: string, itemId: string, userId: string, status: 'expired' | 'released', onlyIfExpired: boolean, skipLocked: boolean): Promise<boolean> {
    return retryingDeadlocks(() =>
      db.transaction(async (tx) => {
        const locked = await rows(tx, sql`select 1 from items where id = ${itemId} for no key update ${skipLocked ? sql`skip locked` : sql``}`);
        if (locked.length === 0) return false;
        const ended = await rows(
          tx,
          sql`update assignments set status = ${status} where id = ${assignmentId} and status = 'reserved' ${onlyIfExpired ? sql`and expires_at <= now()` : sql``} returning id`,
        );
        if (ended.length === 0) return false;
        await tx.execute(sql`delete from judgments where item_id = ${itemId} and user_id = ${userId} and status = 'draft'`);
        return true;
      }),
    );
  }

  return {
    async saveSettings(actorId: string, projectId: string, settings: ProjectSettings, details: Record<string, unknown>) {
      await db.update(projects).set({ settings, updatedAt: new Date() }).where(eq(projects.id, projectId));
      await audit(db, { actorId, action: 'project.settings_changed', projectId, details });
    },

    /** The queue counters of a project and member: two primary-key reads, whatever the project's size. */
    async counters(projectId: string, userId: string): Promise<QueueCounters> {
      const [r] = await rows(
        db,
        sql`select q.open_items, q.gold_items, m.done, m.reserved, m.seen_open, m.seen_gold
            from (select 1) one
            left join queue_projects q on q.project_id = ${projectId}
            left join queue_members m on m.project_id = ${projectId} and m.user_id = ${userId}`,
      );
      return { openItems: int(r?.open_items), goldItems: int(r?.gold_items), done: int(r?.done), reserved: int(r?.reserved), seenOpen: int(r?.seen_open), seenGold: int(r?.seen_gold) };
    },

    /**
     * `queue/next` (and the queue progress) in one call of `accord_queue_next` (migration 0008): up to
     * `reclaim` expired reservations of others are reclaimed, the member's own expired ones end, their
     * live reservation is found or (with `reserve`) one item reserved, and the counters are read after
     * all of that — one round trip and one transaction, committed without waiting for the WAL flush
     * (see the migration for why that never loses a judgment). Retried when it lost a deadlock.
     */
    async queueNext(
      projectId: string,
      userId: string,
      o: { reclaim: number; reserve: boolean; minutes: number; goldFirst: boolean; gold: boolean },
    ): Promise<{ row: TaskRow | null; counters: QueueCounters }> {
      const [r] = await retryingDeadlocks(() =>
        prepared(db, 'accord_queue_next', 'select * from accord_queue_next($1::uuid, $2::uuid, $3::int, $4::boolean, $5::int, $6::boolean, $7::boolean)', [
          projectId,
          userId,
          o.reclaim,
          o.reserve,
          o.minutes,
          o.goldFirst,
          o.gold,
        ]),
      );
      const counters: QueueCounters = {
        openItems: int(r?.q_open_items),
        goldItems: int(r?.q_gold_items),
        done: int(r?.m_done),
        reserved: int(r?.m_reserved),
        seenOpen: int(r?.m_seen_open),
        seenGold: int(r?.m_seen_gold),
      };
      if (!r?.a_id) return { row: null, counters };
      const row: TaskRow = {
        assignment: {
          id: r.a_id as string,
          projectId,
          itemId: r.a_item_id as string,
          userId,
          status: r.a_status as AssignmentRow['status'],
          isGold: r.a_is_gold as boolean,
          responseOrder: json<string[]>(r.a_response_order),
          reservedAt: date(r.a_reserved_at),
          expiresAt: date(r.a_expires_at),
          submittedAt: null,
        },
        item: { prompt: r.i_prompt as string, context: json<StoredTurn[]>(r.i_context), responses: json<StoredResponse[]>(r.i_responses), reference: (r.i_reference as string | null) ?? null },
        draft: r.d_payload === null || r.d_payload === undefined ? null : { payload: json<unknown>(r.d_payload), timeSpentMs: r.d_time === null || r.d_time === undefined ? null : Number(r.d_time) },
        rubricVersion: r.latest_version === null || r.latest_version === undefined ? null : Number(r.latest_version),
      };
      return { row, counters };
    },

    /** The member's assignment with the item and the latest rubric version, for submitting. */
    /**
     * The assignment and item a submission is checked against, the latest rubric version, and, given
     * the band keys of its justification (`keys`; null: none), the near-copy candidates (`NearCopyColumn`):
     * one round trip for both.
     */
    async forSubmit(projectId: string, userId: string, assignmentId: string, keys: readonly number[] | null = null): Promise<SubmitRow | null> {
      const [r] = await prepared(
        db,
        'accord_for_submit',
        `select a.*, i.responses, i.prompt, i.external_id, (select max(version) from rubric_versions rv where rv.project_id = $1) as latest_version,
                ${nearCopy.column('$4', '$1')} as candidates
         from assignments a join items i on i.id = a.item_id
         where a.id = $3 and a.project_id = $1 and a.user_id = $2`,
        [projectId, userId, assignmentId, keys === null ? null : intArray(keys)],
      );
      if (!r) return null;
      return {
        assignment: assignmentOf(r),
        item: { responses: json<StoredResponse[]>(r.responses), prompt: r.prompt as string, externalId: r.external_id as string },
        rubricVersion: r.latest_version === null || r.latest_version === undefined ? null : Number(r.latest_version),
        candidates: keys === null ? null : nearCopy.read(r.candidates),
      };
    },

    /**
     * Stores a submission (the only commit of a submit, and so the only one that waits for the WAL
     * flush): locks the assignment and stores the judgment only while the reservation is live, closes
     * the assignment, and stores the judgment's justification checks and LSH bands (values from the
     * justifications feature) with it; a concurrent identical submission waits for the lock and then
     * finds the assignment submitted. Null: nothing stored (repeat, conflict, ended reservation).
     *
     * The statement leaves the judgments' quality refresh pending (`accord.defer_quality`, migration
     * 0038: the quality service drains it in batches, and settles it before any read of the figures).
     *
     * On PostgreSQL, submits that arrive while earlier ones are being stored are stored together, in
     * one statement and one commit (group commit, see `createSubmitBatcher`). A batch that fails is
     * stored again one submission at a time, so each request gets its own answer and error.
     */
    storeSubmission: (assignmentId: string, v: SubmissionValues, check: CheckRow): Promise<JudgmentRow | null> =>
      batcher ? batcher.store({ assignmentId, v, check }) : storeOne(db, { assignmentId, v, check }),

    /** The assignment's status now and the member's stored judgment of its item, after a submission stored nothing. */
    async submissionState(assignmentId: string): Promise<{ status: AssignmentRow['status']; expiresAt: Date; judgment: JudgmentRow | null }> {
      const [r] = await rows(
        db,
        sql`select a.status as a_status, a.expires_at as a_expires_at, j.*
            from assignments a left join judgments j on j.item_id = a.item_id and j.user_id = a.user_id
            where a.id = ${assignmentId}`,
      );
      return { status: r!.a_status as AssignmentRow['status'], expiresAt: date(r!.a_expires_at), judgment: r!.id ? judgmentOf(r!) : null };
    },

    async assignment(projectId: string, userId: string, assignmentId: string): Promise<AssignmentRow | null> {
      const [a] = await db.select().from(assignments).where(and(eq(assignments.id, assignmentId), eq(assignments.projectId, projectId), eq(assignments.userId, userId)));
      return a ?? null;
    },

    /** Writes the draft unless the judgment is already submitted. */
    async upsertDraft(values: typeof judgments.$inferInsert & { payload: unknown; timeSpentMs: number | null }, at: Date) {
      await db
        .insert(judgments)
        .values(values)
        .onConflictDoUpdate({
          target: [judgments.itemId, judgments.userId],
          set: { payload: values.payload, timeSpentMs: values.timeSpentMs, updatedAt: at },
          setWhere: sql`${judgments.status} = 'draft'`,
        });
    },

    /** The member's reservations in the project that are still reserved (live or expired, not yet ended). */
    async liveReservations(projectId: string, userId: string): Promise<AssignmentRow[]> {
      return db.select().from(assignments).where(and(eq(assignments.projectId, projectId), eq(assignments.userId, userId), eq(assignments.status, 'reserved')));
    },

    /** Gives a reservation back and deletes its draft. */
    release: (a: AssignmentRow) => endReservation(a.id, a.itemId, a.userId, 'released', false, false),

    /** One submitted judgment of the project with its item and its author; null when there is none. */
    async judgmentWithItem(projectId: string, judgmentId: string) {
      const [r] = await db
        .select({ j: judgments, item: { externalId: items.externalId, prompt: items.prompt, context: items.context, responses: items.responses, reference: items.reference }, name: users.name, email: users.email })
        .from(judgments)
        .innerJoin(items, eq(items.id, judgments.itemId))
        .innerJoin(users, eq(users.id, judgments.userId))
        .where(and(eq(judgments.projectId, projectId), eq(judgments.id, judgmentId), eq(judgments.status, 'submitted')));
      return r ?? null;
    },

    async page(projectId: string, q: JudgmentListQuery, onlyUserId: string | null, showExternalId: boolean): Promise<{ items: Judgment[]; total: number }> {
      const where: SQL[] = [eq(judgments.projectId, projectId), eq(judgments.status, q.status)];
      if (onlyUserId) where.push(eq(judgments.userId, onlyUserId));
      if (q.itemId) where.push(eq(judgments.itemId, q.itemId));
      if (q.source) where.push(eq(judgments.source, q.source));
      if (q.rubricVersion) where.push(eq(judgments.rubricVersion, q.rubricVersion));
      const cond = and(...where);
      const at = sql`coalesce(${judgments.submittedAt}, ${judgments.updatedAt})`;
      const order = q.order === 'asc' ? asc(at) : desc(at);
      const found = await db
        .select({ j: judgments, externalId: items.externalId, prompt: sql<string>`left(${items.prompt}, 300)`, name: users.name, email: users.email })
        .from(judgments)
        .innerJoin(items, eq(items.id, judgments.itemId))
        .innerJoin(users, eq(users.id, judgments.userId))
        .where(cond)
        .orderBy(order, asc(judgments.id))
        .limit(q.limit)
        .offset(q.offset);
      const [total] = await db.select({ n: count() }).from(judgments).where(cond);
      return {
        items: found.map((r) => toJudgment(r.j, { externalId: showExternalId ? r.externalId : null, prompt: r.prompt }, { name: r.name, email: r.email })),
        total: total?.n ?? 0,
      };
    },
  };
}

export type JudgingRepo = ReturnType<typeof createJudgingRepo>;
