/**
 * Quality figures in SQL: reads of the contributions the `accord_quality_*` triggers keep (db
 * migrations "quality", "quality_speed", "quality_scale"), and quality flags. Dashboard reads sum
 * per-block rows or read a row per member; only the member evaluation (`takeQueue`, `windowStats`,
 * `recent`, `recentDimensionScores`, for the members it is given) reads judgments, each member's
 * newest few.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { TaskKind } from '@accord/core';
import type { Db } from '@accord/db';
import { retryingDeadlocks, rows, uuidArray, type RawRow } from '../../platform/sql.ts';

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
/** Median time and justification length are over a member's newest judgments, this many. */
export const MEDIAN_WINDOW = 500;

const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));

export interface UnitRow {
  scope: string;
  block: number;
  m: number;
  units: number;
  paSum: number;
}
export interface ModelPairRow {
  block: number;
  modelA: string;
  modelB: string;
  winsA: number;
  ties: number;
  winsB: number;
}
export interface AnnotatorAggregate {
  userId: string;
  judgments: number;
  goldN: number;
  goldOk: number;
  firstN: number;
  firstK: number;
  ties: number;
  threeWayN: number;
  longerN: number;
  longerK: number;
  consensusLongerK: number;
  medianSeconds: number | null;
  medianWords: number | null;
}
export interface ConfusionRow {
  userId: string;
  v: number;
  c: number;
  n: number;
}
export interface RecentJudgment {
  userId: string;
  itemId: string;
  at: Date;
  threeWay: number | null;
  consensus: number | null;
  goldMatch: boolean | null;
}
export interface DimensionScore {
  userId: string;
  itemId: string;
  judgmentId: string;
  at: Date;
  dimension: string;
  value: number;
  consensus: number;
}
export interface PairRow {
  userA: string;
  userB: string;
  va: number;
  vb: number;
  n: number;
}
export interface MemberRow {
  userId: string;
  name: string;
  kind: 'human' | 'model';
  role: 'lead' | 'reviewer' | 'trainer';
  active: boolean;
}
export interface FlagRow {
  id: string;
  userId: string;
  name: string;
  kind: 'kappaVsConsensus' | 'goldAccuracy';
  dimension: string;
  value: number;
  threshold: number;
  window: number;
  items: string[];
  status: 'open' | 'cleared';
  createdAt: Date;
  updatedAt: Date;
  clearedAt: Date | null;
  clearedBy: string | null;
  clearedByName: string | null;
  clearReason: string | null;
}

function flagOf(r: RawRow): FlagRow {
  return {
    id: String(r.id),
    userId: String(r.user_id),
    name: String(r.name ?? ''),
    kind: r.kind as FlagRow['kind'],
    dimension: String(r.dimension ?? ''),
    value: num(r.value),
    threshold: num(r.threshold),
    window: num(r.window),
    items: (typeof r.items === 'string' ? JSON.parse(r.items) : r.items) as string[],
    status: r.status as FlagRow['status'],
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    clearedAt: r.cleared_at ? date(r.cleared_at) : null,
    clearedBy: r.cleared_by ? String(r.cleared_by) : null,
    clearedByName: r.cleared_by_name ? String(r.cleared_by_name) : null,
    clearReason: r.clear_reason ? String(r.clear_reason) : null,
  };
}

export interface DriftPoint {
  judgments: number;
  at: string;
  value: number | null;
  n: number;
}

function aggregateOf(x: RawRow): AnnotatorAggregate {
  return {
    userId: String(x.user_id),
    judgments: num(x.judgments),
    goldN: num(x.gold_n),
    goldOk: num(x.gold_ok),
    firstN: num(x.first_n),
    firstK: num(x.first_k),
    ties: num(x.ties),
    threeWayN: num(x.three_n),
    longerN: num(x.longer_n),
    longerK: num(x.longer_k),
    consensusLongerK: num(x.consensus_longer_k),
    medianSeconds: numOrNull(x.median_seconds),
    medianWords: numOrNull(x.median_words),
  };
}

const FLAG_SELECT = sql`select f.*, u.name, cb.name as cleared_by_name
  from quality_flags f join users u on u.id = f.user_id left join users cb on cb.id = f.cleared_by`;

/**
 * Pending judgments one drain call refreshes at most (one transaction; its items locked for its length).
 * A call costs about 13 ms of PostgreSQL time whatever its size, and 0.55 ms more per judgment
 * (`bench:load`, pg_stat_statements): 32 a call spent 1.4 ms per judgment at 160 submits/s, 256 (with the
 * drain half a second after a submit) 0.6–0.8 ms.
 */
export const DRAIN_BATCH = 256;

export function createQualityRepo(db: Db) {
  return {
    /**
     * Refreshes the quality figures of the project's submitted judgments still pending (migration
     * 0038), waiting for those another drain is refreshing: afterwards every figure counts every
     * judgment stored before the call. Any read of a project's figures calls it first (cheap when
     * nothing is pending: one index probe). Each call of `accord_quality_drain` is its own transaction.
     */
    async settle(projectId: string): Promise<void> {
      for (;;) {
        const [r] = await retryingDeadlocks(() => rows(db, sql`select accord_quality_drain(${projectId}::uuid, ${DRAIN_BATCH}, true) as n`));
        if (Number(r?.n ?? 0) < DRAIN_BATCH) return;
      }
    },

    /** Refreshes up to DRAIN_BATCH pending judgments of any project, skipping those another drain holds; how many. */
    async drainSome(): Promise<number> {
      const [r] = await retryingDeadlocks(() => rows(db, sql`select accord_quality_drain(null, ${DRAIN_BATCH}, false) as n`));
      return Number(r?.n ?? 0);
    },

    /**
     * The project's coincidence cells per scope, as flat `block, v1, v2, o` numbers: one text per
     * scope (a tenth of the client's work of one row object per cell; float8 text is exact).
     */
    async coincidences(projectId: string): Promise<{ scope: string; cells: number[] }[]> {
      const r = await rows(
        db,
        // In key order (the primary key's index): the text is also the scope's digest for the service's memo.
        sql`select scope, string_agg(block || ',' || v1 || ',' || v2 || ',' || o, ',') as cells
            from (select * from quality_coincidences where project_id = ${projectId} and o <> 0 order by scope, block, v1, v2) c group by scope`,
      );
      return r.map((x) => ({ scope: String(x.scope), cells: String(x.cells).split(',').map(Number) }));
    },

    /** When the project last calibrated: the end of its newest ended calibration session (null: none ended). */
    async lastCalibration(projectId: string): Promise<Date | null> {
      const [r] = await rows(db, sql`select max(ended_at) as at from calibration_sessions where project_id = ${projectId}`);
      return r?.at ? date(r.at) : null;
    },

    /**
     * The graded preference's contributions among the judgments submitted since `since` (agreement
     * among the judgments of the same item within the period), per block as the stored ones are:
     * coincidence cells (`c`: block, v1, v2, o) and units by size (`u`: block, m, units, pa sum).
     */
    async prefSince(projectId: string, since: Date): Promise<{ cells: { block: number; v1: number; v2: number; o: number }[]; units: UnitRow[] }> {
      const r = await rows(
        db,
        sql`with j as (
              select q.item_id, q.graded::double precision as v from quality_judgments q
              where q.project_id = ${projectId} and q.submitted_at >= ${since} and q.graded is not null
            ),
            c as (select item_id, v, count(*)::double precision as n from j group by 1, 2),
            m as (select item_id, sum(n) as m from c group by 1),
            b as (select qi.item_id, qi.block from quality_items qi join m on m.item_id = qi.item_id),
            cat as (select item_id, sign(v) as k, sum(n) as n from c group by 1, 2),
            per as (select item_id, sum(n) as m, sum(n * (n - 1)) as agree from cat group by 1)
            select 'c' as kind, b.block, x.v as a1, y.v as a2, sum(x.n * (y.n - case when x.v = y.v then 1 else 0 end) / (m.m - 1)) as a3
            from c x join c y on y.item_id = x.item_id join m on m.item_id = x.item_id join b on b.item_id = x.item_id
            where m.m >= 2 group by b.block, x.v, y.v
            union all
            select 'u', b.block, per.m, count(*), sum(case when per.m >= 2 then per.agree / (per.m * (per.m - 1)) else 0 end)
            from per join b on b.item_id = per.item_id group by b.block, per.m`,
      );
      const cells: { block: number; v1: number; v2: number; o: number }[] = [];
      const units: UnitRow[] = [];
      for (const x of r) {
        if (x.kind === 'c') {
          if (num(x.a3) !== 0) cells.push({ block: num(x.block), v1: num(x.a1), v2: num(x.a2), o: num(x.a3) });
        } else units.push({ scope: 'pref', block: num(x.block), m: num(x.a1), units: num(x.a2), paSum: num(x.a3) });
      }
      return { cells, units };
    },

    /** Units by size per scope and block: the sum of the block's shards (migration 0029). */
    async units(projectId: string): Promise<UnitRow[]> {
      const r = await rows(
        db,
        sql`select scope, block, m, sum(units) as units, sum(pa_sum) as pa_sum from quality_units
            where project_id = ${projectId} and scope not in ('items', 'kendall')
            group by scope, block, m having sum(units) <> 0 order by scope, block, m`,
      );
      return r.map((x) => ({ scope: String(x.scope), block: num(x.block), m: num(x.m), units: num(x.units), paSum: num(x.pa_sum) }));
    },

    /** Kendall's W of the project's ranked items, summed per block (scope `kendall`, kept by a trigger on quality_items). */
    async kendallW(projectId: string): Promise<{ block: number; sum: number; n: number }[]> {
      const r = await rows(
        db,
        sql`select block, sum(pa_sum) as pa_sum, sum(units) as units from quality_units
            where project_id = ${projectId} and scope = 'kendall' group by block having sum(units) <> 0 order by block`,
      );
      return r.map((x) => ({ block: num(x.block), sum: num(x.pa_sum), n: num(x.units) }));
    },

    /** A classification project's label sets by their value in scope `cls` (a hash of the sorted labels). */
    async labelSetNames(projectId: string): Promise<Map<number, string[]>> {
      const r = await rows(db, sql`select value, labels from quality_label_sets where project_id = ${projectId}`);
      return new Map(r.map((x) => [num(x.value), (Array.isArray(x.labels) ? x.labels : []).map(String)]));
    },

    /**
     * Submitted spans judgments (their spans), item by item, at most `limit` + 1 rows: the caller
     * drops the item the limit cut through. Span F1 is computed from these, not kept per item.
     */
    async spanJudgments(projectId: string, limit: number): Promise<{ itemId: string; userId: string; spans: unknown }[]> {
      const r = await rows(
        db,
        sql`select item_id, user_id, payload->'preference'->'spans' as spans from judgments
            where project_id = ${projectId} and status = 'submitted' and payload->'preference'->>'kind' = 'spans'
            order by item_id, user_id limit ${limit + 1}`,
      );
      return r.map((x) => ({ itemId: String(x.item_id), userId: String(x.user_id), spans: typeof x.spans === 'string' ? (JSON.parse(x.spans) as unknown) : x.spans }));
    },

    /** Items with a submitted judgment (scope `items`, kept per block by a trigger), and annotators with one. */
    async counts(projectId: string): Promise<{ items: number; annotators: number; judgments: number }> {
      const [r] = await rows(
        db,
        sql`select (select coalesce(sum(units), 0) from quality_units where project_id = ${projectId} and scope = 'items') as items,
                   (select count(*) from quality_annotators a join project_members pm on pm.project_id = a.project_id and pm.user_id = a.user_id
                      where a.project_id = ${projectId} and a.judgments > 0) as annotators,
                   (select coalesce(sum(judgments), 0) from quality_annotators where project_id = ${projectId}) as judgments`,
      );
      return { items: num(r!.items), annotators: num(r!.annotators), judgments: num(r!.judgments) };
    },

    async modelPairs(projectId: string, source: 'judgments' | 'consensus'): Promise<ModelPairRow[]> {
      const r = await rows(
        db,
        sql`select block, model_a, model_b, sum(wins_a) as wins_a, sum(ties) as ties, sum(wins_b) as wins_b from quality_model_pairs
            where project_id = ${projectId} and source = ${source} group by block, model_a, model_b
            having sum(wins_a) <> 0 or sum(ties) <> 0 or sum(wins_b) <> 0 order by block, model_a, model_b`,
      );
      return r.map((x) => ({ block: num(x.block), modelA: String(x.model_a), modelB: String(x.model_b), winsA: num(x.wins_a), ties: num(x.ties), winsB: num(x.wins_b) }));
    },

    async members(projectId: string): Promise<MemberRow[]> {
      const r = await rows(
        db,
        sql`select pm.user_id, u.name, pm.kind, pm.role, u.active from project_members pm join users u on u.id = pm.user_id
            where pm.project_id = ${projectId} order by u.name, pm.user_id`,
      );
      return r.map((x) => ({ userId: String(x.user_id), name: String(x.name), kind: x.kind as MemberRow['kind'], role: x.role as MemberRow['role'], active: Boolean(x.active) }));
    },

    /**
     * Per annotator (one user, or every one): the tallies the trigger keeps in `quality_annotators`,
     * and the median time and justification length their last evaluation stored (`quality_members`),
     * or, with `live`, computed now over their newest MEDIAN_WINDOW judgments.
     */
    async aggregates(projectId: string, userId?: string, live = false, userIds?: string[]): Promise<AnnotatorAggregate[]> {
      const who = userId ? sql`and a.user_id = ${userId}` : userIds ? sql`and a.user_id = any(${uuidArray(userIds)}::uuid[])` : sql``;
      const r = await rows(
        db,
        live
          ? sql`select a.*, m.median_seconds, m.median_words from quality_annotators a
                left join lateral (
                  select percentile_cont(0.5) within group (order by r.seconds) as median_seconds,
                         percentile_cont(0.5) within group (order by nullif(r.words, 0)) as median_words
                  from (select q.seconds, q.words from quality_judgments q where q.project_id = a.project_id and q.user_id = a.user_id
                        order by q.submitted_at desc, q.judgment_id desc limit ${MEDIAN_WINDOW}) r
                ) m on true
                where a.project_id = ${projectId} and a.judgments > 0 ${who}`
          : sql`select a.*, m.median_seconds, m.median_words from quality_annotators a
                left join quality_members m on m.project_id = a.project_id and m.user_id = a.user_id
                where a.project_id = ${projectId} and a.judgments > 0 ${who}`,
      );
      return r.map(aggregateOf);
    },

    /** Members' drift points as their last evaluation stored them. */
    async drift(projectId: string): Promise<Map<string, DriftPoint[]>> {
      const r = await rows(db, sql`select user_id, drift from quality_members where project_id = ${projectId}`);
      return new Map(r.map((x) => [String(x.user_id), (typeof x.drift === 'string' ? JSON.parse(x.drift) : x.drift) as DriftPoint[]]));
    },

    /**
     * Takes the project's queued members off the queue (the triggers append one row per member per
     * item refresh), each once; `all` empties the queue (a full evaluation follows).
     */
    async takeQueue(projectId: string): Promise<string[]> {
      const r = await rows(db, sql`delete from quality_member_queue where project_id = ${projectId} returning user_id`);
      return [...new Set(r.map((x) => String(x.user_id)))];
    },

    /** Puts members back on the queue (an evaluation that failed). */
    async requeue(projectId: string, userIds: string[]): Promise<void> {
      if (userIds.length === 0) return;
      await db.execute(sql`insert into quality_member_queue (project_id, user_id) select ${projectId}, unnest(${uuidArray(userIds)}::uuid[])`);
    },

    /** The settings key the project's members were all last evaluated with (null: never). */
    async evaluatedKey(projectId: string): Promise<string | null> {
      const [r] = await rows(db, sql`select settings_key from quality_evaluations where project_id = ${projectId}`);
      return r ? String(r.settings_key) : null;
    },

    async setEvaluatedKey(projectId: string, key: string): Promise<void> {
      await db.execute(
        sql`insert into quality_evaluations (project_id, settings_key) values (${projectId}, ${key})
            on conflict (project_id) do update set settings_key = excluded.settings_key, evaluated_at = now()`,
      );
    },

    /** The members with a judgment in the project (the subjects of a full evaluation). */
    async judgingMembers(projectId: string): Promise<string[]> {
      const r = await rows(db, sql`select user_id from quality_annotators where project_id = ${projectId} and judgments > 0`);
      return r.map((x) => String(x.user_id));
    },

    /** The project's settings and task kind (for an evaluation started by a change, not a request). */
    async project(projectId: string): Promise<{ id: string; taskKind: TaskKind; settings: unknown } | null> {
      const [r] = await rows(db, sql`select id, task_kind, settings from projects where id = ${projectId}`);
      return r ? { id: String(r.id), taskKind: r.task_kind as TaskKind, settings: r.settings } : null;
    },

    /** Stores members' window figures (one statement). */
    async saveMembers(projectId: string, members: { userId: string; medianSeconds: number | null; medianWords: number | null; drift: DriftPoint[] }[]): Promise<void> {
      if (members.length === 0) return;
      await db.execute(
        sql`insert into quality_members (project_id, user_id, median_seconds, median_words, drift)
            select ${projectId}, x.user_id, x.median_seconds, x.median_words, x.drift
            from jsonb_to_recordset(${JSON.stringify(
              members.map((m) => ({ user_id: m.userId, median_seconds: m.medianSeconds, median_words: m.medianWords, drift: m.drift })),
            )}::jsonb) as x(user_id uuid, median_seconds double precision, median_words double precision, drift jsonb)
            where exists (select 1 from users u where u.id = x.user_id)
            order by x.user_id
            on conflict (project_id, user_id) do update set median_seconds = excluded.median_seconds, median_words = excluded.median_words,
              drift = excluded.drift, updated_at = now()`,
      );
    },

    /** Each annotator's 3-way values against the others' consensus (kept by the trigger). */
    async confusion(projectId: string, userId?: string): Promise<ConfusionRow[]> {
      const r = await rows(
        db,
        sql`select user_id, v, c, n from quality_confusion
            where project_id = ${projectId} and n <> 0 ${userId ? sql`and user_id = ${userId}` : sql``}`,
      );
      return r.map((x) => ({ userId: String(x.user_id), v: num(x.v), c: num(x.c), n: num(x.n) }));
    },

    /**
     * Each member's (or the given members') last `limit` judgments (newest first), through the
     * (project, user, time) index; each with the others' majority on its item, from the item's copy
     * of its rows (migration 0030).
     */
    /** A trainer's frozen own figures (migration 0050), with the judgments they count; null: none yet. */
    async myStatsSnapshot(projectId: string, userId: string): Promise<{ counted: number; figures: unknown } | null> {
      const [r] = await rows(db, sql`select counted, figures from quality_my_stats where project_id = ${projectId} and user_id = ${userId}`);
      return r ? { counted: Number(r.counted), figures: typeof r.figures === 'string' ? (JSON.parse(r.figures) as unknown) : r.figures } : null;
    },

    async saveMyStats(projectId: string, userId: string, counted: number, figures: unknown): Promise<void> {
      await rows(
        db,
        sql`insert into quality_my_stats (project_id, user_id, counted, figures, updated_at) values (${projectId}, ${userId}, ${counted}, ${JSON.stringify(figures)}::jsonb, now())
            on conflict (project_id, user_id) do update set counted = excluded.counted, figures = excluded.figures, updated_at = now()`,
      );
    },

    async recent(projectId: string, limit: number, userIds?: string | string[]): Promise<RecentJudgment[]> {
      const users =
        typeof userIds === 'string'
          ? sql`select ${userIds}::uuid as user_id`
          : userIds
            ? sql`select unnest(${uuidArray(userIds)}::uuid[]) as user_id`
            : sql`select pm.user_id from project_members pm where pm.project_id = ${projectId}`;
      // Each item's copy is read and unnested once, however many of the members judged it.
      const r = await rows(
        db,
        sql`with q as materialized (
              select q.user_id, q.item_id, q.judgment_id, q.submitted_at, q.three_way, q.gold_match
              from (${users}) u cross join lateral (
                select * from quality_judgments q where q.project_id = ${projectId} and q.user_id = u.user_id
                order by q.submitted_at desc, q.judgment_id desc limit ${limit}
              ) q
            ), cons as (
              select (j).judgment_id as judgment_id, (j).consensus as c
              from quality_item_counts s cross join lateral unnest(s.judges) j
              where s.item_id in (select item_id from q)
            )
            select q.user_id, q.item_id, q.submitted_at, q.three_way, cons.c as consensus, q.gold_match
            from q left join cons on cons.judgment_id = q.judgment_id
            order by q.user_id, q.submitted_at desc, q.judgment_id desc`,
      );
      return r.map((x) => ({
        userId: String(x.user_id),
        itemId: String(x.item_id),
        at: date(x.submitted_at),
        threeWay: numOrNull(x.three_way),
        consensus: numOrNull(x.consensus),
        goldMatch: x.gold_match === null || x.gold_match === undefined ? null : Boolean(x.gold_match),
      }));
    },

    async pairs(projectId: string): Promise<PairRow[]> {
      const r = await rows(db, sql`select user_a, user_b, va, vb, n from quality_pairs where project_id = ${projectId} and n <> 0`);
      return r.map((x) => ({ userA: String(x.user_a), userB: String(x.user_b), va: num(x.va), vb: num(x.vb), n: num(x.n) }));
    },

    /**
     * The newest change of the project's figures (polled when there is no NOTIFY, i.e. PGlite). It walks
     * the project's items: an index on `updated_at` would cost every submit a random page (PostgreSQL,
     * where NOTIFY makes this poll unnecessary, pays for it the same).
     */
    async lastChange(projectIds: string[]): Promise<Map<string, number>> {
      if (projectIds.length === 0) return new Map();
      const r = await rows(
        db,
        sql`select p.id, (select max(q.updated_at) from quality_items q where q.project_id = p.id) as at
            from projects p where p.id in (${sql.join(
              projectIds.map((id) => sql`${id}`),
              sql`, `,
            )})`,
      );
      return new Map(r.map((x) => [String(x.id), x.at ? date(x.at).getTime() : 0]));
    },

    // ---- flags

    async flags(projectId: string, q: { status: 'open' | 'cleared' | 'all'; userId?: string; kind?: string }): Promise<FlagRow[]> {
      const where: SQL[] = [sql`f.project_id = ${projectId}`];
      if (q.status !== 'all') where.push(sql`f.status = ${q.status}`);
      if (q.userId) where.push(sql`f.user_id = ${q.userId}`);
      if (q.kind) where.push(sql`f.kind = ${q.kind}`);
      const r = await rows(db, sql`${FLAG_SELECT} where ${sql.join(where, sql` and `)} order by f.created_at desc, f.id`);
      return r.map(flagOf);
    },

    async flag(projectId: string, flagId: string): Promise<FlagRow | null> {
      const [r] = await rows(db, sql`${FLAG_SELECT} where f.project_id = ${projectId} and f.id = ${flagId}`);
      return r ? flagOf(r) : null;
    },

    /** When each member's flags of this kind were last cleared (later judgments alone may raise it again). */
    async lastCleared(projectId: string, kind: string): Promise<Map<string, Date>> {
      const r = await rows(
        db,
        sql`select user_id, max(cleared_at) as at from quality_flags where project_id = ${projectId} and kind = ${kind} and status = 'cleared' group by user_id`,
      );
      return new Map(r.map((x) => [String(x.user_id), date(x.at)]));
    },

    /** When each member's flags of this kind were last cleared, per dimension: `${userId}|${dimension}` → time. */
    async lastClearedByDimension(projectId: string, kind: string): Promise<Map<string, Date>> {
      const r = await rows(
        db,
        sql`select user_id, dimension, max(cleared_at) as at from quality_flags
            where project_id = ${projectId} and kind = ${kind} and status = 'cleared' group by user_id, dimension`,
      );
      return new Map(r.map((x) => [`${String(x.user_id)}|${String(x.dimension)}`, date(x.at)]));
    },

    /**
     * The given members' rubric scores on their newest `limit` judgments, each beside the consensus
     * of the item's other judgments on the same dimension and unit (leave-one-out strict majority,
     * from the item's stored value counts, looked up by key); units without one are left out. Newest first.
     */
    async recentDimensionScores(projectId: string, limit: number, userIds: string[]): Promise<DimensionScore[]> {
      if (userIds.length === 0) return [];
      const r = await rows(
        db,
        sql`with r as materialized (
              select q.user_id, q.item_id, q.judgment_id, q.submitted_at
              from unnest(${uuidArray(userIds)}::uuid[]) u(user_id) cross join lateral (
                select q.* from quality_judgments q where q.project_id = ${projectId} and q.user_id = u.user_id
                order by q.submitted_at desc, q.judgment_id desc limit ${limit}
              ) q
            ),
            own as materialized (
              select r.user_id, r.item_id, r.judgment_id, r.submitted_at, 'dim:' || (s->>'dimension') as scope,
                     coalesce(s->>'responseId', '') as unit, (s->>'value')::double precision as v
              from r join judgments j on j.id = r.judgment_id
              cross join lateral jsonb_array_elements(case when jsonb_typeof(j.payload->'scores') = 'array' then j.payload->'scores' else '[]'::jsonb end) s
              where jsonb_typeof(s->'value') = 'number' and s->>'dimension' is not null
            )
            select o.user_id, string_agg(o.item_id || '|' || o.judgment_id || '|' || (extract(epoch from o.submitted_at) * 1000)::bigint || '|' || substr(o.scope, 5)
                                         || '|' || o.v || '|' || cons.c, E'\n' order by o.submitted_at desc, o.judgment_id desc) as s
            from own o cross join lateral (
              select max(x.value) as c from (
                select l.value, l.n, max(l.n) over () as mx from (
                  select c.value, c.n - case when c.value = o.v then 1 else 0 end as n
                  from quality_item_counts s cross join lateral unnest(s.counts) c
                  where s.item_id = o.item_id and c.scope = o.scope and c.unit = o.unit
                ) l where l.n > 0
              ) x where x.n = x.mx having count(*) = 1
            ) cons
            group by o.user_id`,
      );
      const out: DimensionScore[] = [];
      for (const x of r)
        for (const line of String(x.s).split('\n')) {
          const f = line.split('|');
          // The dimension id sits between the time and the two values (and may itself hold a bar).
          out.push({
            userId: String(x.user_id),
            itemId: f[0]!,
            judgmentId: f[1]!,
            at: new Date(Number(f[2])),
            dimension: f.slice(3, -2).join('|'),
            value: Number(f[f.length - 2]),
            consensus: Number(f[f.length - 1]),
          });
        }
      return out;
    },

    /**
     * Raises the flags, or updates the open ones of the same member, kind and dimension — in one
     * statement (a project's evaluation may flag every member on every dimension). An open flag
     * whose figures did not change is left as it is.
     */
    async raiseFlags(flags: { projectId: string; userId: string; kind: string; dimension: string; value: number; threshold: number; window: number; items: string[] }[]) {
      if (flags.length === 0) return;
      await db.execute(
        sql`insert into quality_flags (project_id, user_id, kind, dimension, value, threshold, "window", items)
            select x.project_id, x.user_id, x.kind, x.dimension, x.value, x.threshold, x."window", x.items
            from jsonb_to_recordset(${JSON.stringify(
              flags.map((f) => ({ project_id: f.projectId, user_id: f.userId, kind: f.kind, dimension: f.dimension, value: f.value, threshold: f.threshold, window: f.window, items: f.items })),
            )}::jsonb) as x(project_id uuid, user_id uuid, kind text, dimension text, value double precision, threshold double precision, "window" integer, items jsonb)
            order by x.user_id, x.kind, x.dimension
            on conflict (project_id, user_id, kind, dimension) where status = 'open'
            do update set value = excluded.value, threshold = excluded.threshold, "window" = excluded."window", items = excluded.items, updated_at = now()
            where quality_flags.value is distinct from excluded.value or quality_flags.threshold is distinct from excluded.threshold
               or quality_flags."window" is distinct from excluded."window" or quality_flags.items is distinct from excluded.items`,
      );
    },

    /** Clears an open flag; null when it is not open (any more). */
    async clearFlag(projectId: string, flagId: string, actorId: string, reason: string): Promise<boolean> {
      const r = await rows(
        db,
        sql`update quality_flags set status = 'cleared', cleared_at = now(), cleared_by = ${actorId}, clear_reason = ${reason}, updated_at = now()
            where project_id = ${projectId} and id = ${flagId} and status = 'open' returning id`,
      );
      return r.length > 0;
    },
  };
}

export type QualityRepo = ReturnType<typeof createQualityRepo>;
