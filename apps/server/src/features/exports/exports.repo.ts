/**
 * Exports read current consensus labels (with their items) and submitted judgments in batches:
 * keyset pages in item external-id order (unique per project, indexed by `items_project_external_uq`),
 * never a whole project at once, and never a transaction held open across a slow download.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '@accord/db';
import { rows, type RawRow } from '../../platform/sql.ts';

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/** The label filters, already resolved (methods expanded, dates as bounds). */
export interface LabelFilter {
  methods: string[] | null;
  minAgreement: number | null;
  rubricVersion: number | null;
  from: Date | null;
  /** Exclusive upper bound. */
  toExclusive: Date | null;
}

export const hasFilter = (f: LabelFilter) => f.methods !== null || f.minAgreement !== null || f.rubricVersion !== null || f.from !== null || f.toExclusive !== null;

export interface Turn {
  role: string;
  content: string;
}
export interface StoredResponse {
  id: string;
  model: string;
  kind: string;
  content: string;
}

/** The label's provenance, as every item row of an export carries it. */
export interface Provenance {
  method: string;
  agreement: number | null;
  rubricVersion: number | null;
  judgments: number;
  committedAt: Date;
}

export interface LabelRow extends Provenance {
  labelId: string;
  itemId: string;
  externalId: string;
  prompt: string;
  context: Turn[];
  responses: StoredResponse[];
  label: { preference?: unknown; scores?: unknown; spans?: unknown };
  judgmentIds: string[];
  rationale: string;
  tag: string | null;
}

export interface JudgmentRow {
  judgmentId: string;
  itemId: string;
  externalId: string;
  annotatorId: string;
  annotatorName: string;
  annotatorKind: string;
  source: string;
  rubricVersion: number | null;
  payload: Record<string, unknown>;
  responseOrder: string[] | null;
  timeSpentMs: number | null;
  createdAt: Date;
  submittedAt: Date | null;
  /** The item's current label, when it has one. */
  label: Provenance | null;
}

/** float4 carries about 7 significant digits: drop the binary noise of the widening (0.6666666865… → 0.6666667). */
const real = (v: unknown): number | null => (v === null || v === undefined ? null : Number(num(v).toPrecision(7)));

function labelWhere(f: LabelFilter): SQL {
  const parts: SQL[] = [sql`l.superseded_at is null`];
  if (f.methods) parts.push(sql`l.method in (${sql.join(f.methods.map((m) => sql`${m}`), sql`, `)})`);
  if (f.minAgreement !== null) parts.push(sql`l.agreement >= ${f.minAgreement}`);
  if (f.rubricVersion !== null) parts.push(sql`l.rubric_version = ${f.rubricVersion}`);
  if (f.from) parts.push(sql`l.committed_at >= ${f.from.toISOString()}`);
  if (f.toExclusive) parts.push(sql`l.committed_at < ${f.toExclusive.toISOString()}`);
  return sql.join(parts, sql` and `);
}

const provenanceOf = (r: RawRow): Provenance => ({
  method: String(r.method),
  agreement: real(r.agreement),
  rubricVersion: numOrNull(r.rubric_version),
  judgments: num(r.judgments),
  committedAt: date(r.committed_at),
});

export function createExportsRepo(db: Db) {
  return {
    /** Does any item of the project have context turns (then every prompt is exported as messages)? */
    async conversational(projectId: string): Promise<boolean> {
      const r = await rows(db, sql`select exists (select 1 from items where project_id = ${projectId} and jsonb_array_length(context) > 0) as c`);
      return r[0]?.c === true;
    },

    /** One page of current labels with their items, after `afterExternalId`, in external-id order. */
    async labels(projectId: string, f: LabelFilter, afterExternalId: string | null, limit: number): Promise<LabelRow[]> {
      const after = afterExternalId === null ? sql`true` : sql`i.external_id > ${afterExternalId}`;
      const r = await rows(
        db,
        sql`select l.id, l.item_id, l.label, l.method, l.agreement, l.rubric_version, l.judgments, l.judgment_ids, l.committed_at, l.rationale, l.tag,
              i.external_id, i.prompt, i.context, i.responses
            from items i join consensus_labels l on l.item_id = i.id
            where i.project_id = ${projectId} and l.project_id = ${projectId} and ${labelWhere(f)} and ${after}
            order by i.external_id
            limit ${limit}`,
      );
      return r.map((x) => ({
        ...provenanceOf(x),
        labelId: String(x.id),
        itemId: String(x.item_id),
        externalId: String(x.external_id),
        prompt: String(x.prompt),
        context: json<Turn[]>(x.context) ?? [],
        responses: json<StoredResponse[]>(x.responses) ?? [],
        label: json<LabelRow['label']>(x.label) ?? {},
        judgmentIds: json<string[]>(x.judgment_ids) ?? [],
        rationale: String(x.rationale ?? ''),
        tag: x.tag === null || x.tag === undefined ? null : String(x.tag),
      }));
    },

    /**
     * One page of items with submitted judgments (only items whose current label passes the filter,
     * when there is one), then those items' judgments: annotator, payload and the label's provenance.
     */
    async judgments(projectId: string, f: LabelFilter | null, afterExternalId: string | null, limit: number): Promise<{ last: string | null; rows: JudgmentRow[] }> {
      const after = afterExternalId === null ? sql`true` : sql`i.external_id > ${afterExternalId}`;
      const labelled = f ? sql`exists (select 1 from consensus_labels l where l.item_id = i.id and ${labelWhere(f)})` : sql`true`;
      const page = await rows(
        db,
        sql`select i.id, i.external_id from items i
            where i.project_id = ${projectId} and ${after} and ${labelled}
              and exists (select 1 from judgments j where j.item_id = i.id and j.status = 'submitted')
            order by i.external_id
            limit ${limit}`,
      );
      if (page.length === 0) return { last: null, rows: [] };
      const ids = page.map((p) => String(p.id));
      const r = await rows(
        db,
        sql`select j.id, j.item_id, i.external_id, j.user_id, u.name, coalesce(m.kind, 'human') as annotator_kind, j.source, j.rubric_version, j.payload,
              j.response_order, j.time_spent_ms, j.created_at, j.submitted_at,
              l.method, l.agreement, l.rubric_version as label_rubric_version, l.judgments, l.committed_at
            from judgments j
            join items i on i.id = j.item_id
            join users u on u.id = j.user_id
            left join project_members m on m.project_id = j.project_id and m.user_id = j.user_id
            left join consensus_labels l on l.item_id = j.item_id and l.superseded_at is null
            where j.project_id = ${projectId} and j.status = 'submitted'
              and j.item_id in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})
            order by i.external_id, j.submitted_at nulls last, j.id`,
      );
      return {
        last: String(page[page.length - 1]!.external_id),
        rows: r.map((x) => ({
          judgmentId: String(x.id),
          itemId: String(x.item_id),
          externalId: String(x.external_id),
          annotatorId: String(x.user_id),
          annotatorName: String(x.name ?? ''),
          annotatorKind: String(x.annotator_kind),
          source: String(x.source),
          rubricVersion: numOrNull(x.rubric_version),
          payload: json<Record<string, unknown>>(x.payload) ?? {},
          responseOrder: json<string[] | null>(x.response_order) ?? null,
          timeSpentMs: numOrNull(x.time_spent_ms),
          createdAt: date(x.created_at),
          submittedAt: x.submitted_at ? date(x.submitted_at) : null,
          label: x.method ? provenanceOf({ ...x, rubric_version: x.label_rubric_version }) : null,
        })),
      };
    },

    /**
     * Row counts of each item kind for the selected labels, in one pass in SQL (the same rules as
     * the row builders: pairs the consensus orders, rankings not all tied, a single best response).
     */
    async counts(projectId: string, f: LabelFilter): Promise<{ labels: number; dpo: number; rm: number; sft: number; scores: number; spans: number }> {
      const r = await rows(
        db,
        sql`with p as (
              select l.label->'preference' as pref, l.label->'scores' as scores
              from items i join consensus_labels l on l.item_id = i.id
              where i.project_id = ${projectId} and l.project_id = ${projectId} and ${labelWhere(f)}
            ), g as (
              select pref, scores,
                case when pref->>'kind' = 'ranking' then (
                  select coalesce(sum(jsonb_array_length(x)), 0) from jsonb_array_elements(pref->'groups') x) end as n,
                case when pref->>'kind' = 'ranking' then (
                  select coalesce(sum(jsonb_array_length(x) * jsonb_array_length(x)), 0) from jsonb_array_elements(pref->'groups') x) end as sq,
                case when pref->>'kind' = 'ranking' then jsonb_array_length(pref->'groups') end as groups,
                case when pref->>'kind' = 'ranking' then jsonb_array_length(pref->'groups'->0) end as first
              from p
            )
            select count(*) as labels,
              coalesce(sum(case when pref->>'kind' = 'pairwise' then (case when (pref->>'value')::int <> 0 then 1 else 0 end)
                                when pref->>'kind' = 'ranking' then (n * n - sq) / 2 else 0 end), 0) as dpo,
              coalesce(sum(case when pref->>'kind' = 'pairwise' then (case when (pref->>'value')::int <> 0 then 1 else 0 end)
                                when pref->>'kind' = 'ranking' then (case when groups > 1 then 1 else 0 end) else 0 end), 0) as rm,
              coalesce(sum(case when pref->>'kind' = 'pairwise' then (case when (pref->>'value')::int <> 0 then 1 else 0 end)
                                when pref->>'kind' = 'ranking' then (case when groups > 1 and first = 1 then 1 else 0 end) else 0 end), 0) as sft,
              coalesce(sum(case when jsonb_typeof(scores) = 'array' then jsonb_array_length(scores) else 0 end), 0) as scores,
              coalesce(sum(case when pref->>'kind' = 'spans' then 1 else 0 end), 0) as spans
            from g`,
      );
      const x = r[0] ?? {};
      return { labels: num(x.labels ?? 0), dpo: num(x.dpo ?? 0), rm: num(x.rm ?? 0), sft: num(x.sft ?? 0), scores: num(x.scores ?? 0), spans: num(x.spans ?? 0) };
    },

    /** Submitted judgments the judgments export holds. */
    async judgmentCount(projectId: string, f: LabelFilter | null): Promise<number> {
      const labelled = f ? sql`exists (select 1 from consensus_labels l where l.item_id = j.item_id and ${labelWhere(f)})` : sql`true`;
      const r = await rows(db, sql`select count(*) as n from judgments j where j.project_id = ${projectId} and j.status = 'submitted' and ${labelled}`);
      return num(r[0]?.n ?? 0);
    },
  };
}

export type ExportsRepo = ReturnType<typeof createExportsRepo>;
