/**
 * Consensus labels, disputes and sign-offs in SQL. The queue of items to compute
 * (`consensus_pending`, filled by a judgments trigger) is claimed with `FOR UPDATE SKIP LOCKED` in a
 * statement of its own, so several processes share it; a batch is computed and written in one
 * transaction, which removes the rows still carrying its claim. A process that dies mid-batch leaves
 * its rows queued, taken again by the sweep once the claim has expired.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gte, isNull, sql, type SQL } from 'drizzle-orm';
import { consensusLabels, disputeSignoffs, disputes, items, projectMembers, projects, users, type Db, type Tx } from '@accord/db';
import { recordControlEvent } from '../../platform/bus.ts';
import { audit } from '../../platform/audit.ts';
import { prepared, retryingDeadlocks, rows, uuidArray } from '../../platform/sql.ts';

/** How long a claim on queued items holds before another process may take them (its process died). */
const CLAIM_MINUTES = 2;
/** The first key of the advisory locks that serialise consensus computations per item. */
const CONSENSUS_LOCK_CLASS = 7301;
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));

export type LabelRow = typeof consensusLabels.$inferSelect & { itemExternalId: string | null; committedByName: string | null; supersededByName: string | null };
export type DisputeRow = typeof disputes.$inferSelect & { itemExternalId: string | null; openedByName: string | null; committedByName: string | null; signOffs: number };
export type NewLabel = typeof consensusLabels.$inferInsert;
type ProjectRow = typeof projects.$inferSelect;
export type NewDispute = typeof disputes.$inferInsert;

export interface ItemRow {
  id: string;
  projectId: string;
  externalId: string;
  prompt: string;
  context: { role: 'system' | 'user' | 'assistant'; content: string }[];
  responses: { id: string; model: string; kind: 'markdown' | 'code' | 'image'; content: string }[];
  reference: string | null;
  gold: { preference?: unknown } | null;
  isGold: boolean;
}

export interface JudgmentRow {
  id: string;
  itemId: string;
  userId: string;
  name: string;
  kind: 'human' | 'model';
  source: 'accord' | 'import' | 'calibration';
  rubricVersion: number | null;
  payload: Record<string, unknown>;
  submittedAt: Date | null;
  timeSpentMs: number | null;
  /** Response ids in the order the annotator saw them (null: not recorded, e.g. imported). */
  responseOrder: string[] | null;
}

const labelSelect = (db: Db | Tx) =>
  db
    .select({
      label: consensusLabels,
      itemExternalId: items.externalId,
      committedByName: sql<string | null>`(select name from users where id = ${consensusLabels.committedBy})`,
      supersededByName: sql<string | null>`(select name from users where id = ${consensusLabels.supersededBy})`,
    })
    .from(consensusLabels)
    .innerJoin(items, eq(items.id, consensusLabels.itemId));

const toLabel = (r: { label: typeof consensusLabels.$inferSelect; itemExternalId: string | null; committedByName: string | null; supersededByName: string | null }): LabelRow => ({
  ...r.label,
  itemExternalId: r.itemExternalId,
  committedByName: r.committedByName,
  supersededByName: r.supersededByName,
});

const disputeSelect = (db: Db | Tx) =>
  db
    .select({
      d: disputes,
      itemExternalId: items.externalId,
      openedByName: sql<string | null>`(select name from users where id = ${disputes.openedBy})`,
      committedByName: sql<string | null>`(select name from users where id = ${disputes.committedBy})`,
      signOffs: sql<number>`(select count(*)::int from dispute_signoffs s where s.dispute_id = ${disputes.id})`,
    })
    .from(disputes)
    .innerJoin(items, eq(items.id, disputes.itemId));

const toDispute = (r: { d: typeof disputes.$inferSelect; itemExternalId: string | null; openedByName: string | null; committedByName: string | null; signOffs: number }): DisputeRow => ({
  ...r.d,
  itemExternalId: r.itemExternalId,
  openedByName: r.openedByName,
  committedByName: r.committedByName,
  signOffs: Number(r.signOffs),
});

/** Reason order of the queue: the most urgent first. */
const REASON_ORDER = sql`case ${disputes.reason} when 'serious-flag' then 0 when 'gold-missed' then 1 when 'reopened' then 2 when 'disagreement' then 3 else 4 end`;

export function createConsensusRepo(db: Db) {
  async function judgmentsOf(dbx: Db | Tx, itemIds: string[]): Promise<JudgmentRow[]> {
    if (itemIds.length === 0) return [];
    const r = await prepared(
      dbx,
      'accord_consensus_judgments',
      `select j.id, j.item_id, j.user_id, u.name, coalesce(m.kind, 'human') as kind, j.source, j.rubric_version, j.payload, j.submitted_at, j.time_spent_ms, j.response_order
       from judgments j
       join users u on u.id = j.user_id
       left join project_members m on m.project_id = j.project_id and m.user_id = j.user_id
       where j.item_id = any($1::uuid[]) and j.status = 'submitted'
       order by j.submitted_at nulls first, j.created_at, j.id`,
      [uuidArray(itemIds)],
    );
    return r.map((x) => ({
      id: String(x.id),
      itemId: String(x.item_id),
      userId: String(x.user_id),
      name: String(x.name ?? ''),
      kind: x.kind === 'model' ? 'model' : 'human',
      source: x.source === 'import' || x.source === 'calibration' ? x.source : 'accord',
      rubricVersion: x.rubric_version === null || x.rubric_version === undefined ? null : Number(x.rubric_version),
      payload: json<Record<string, unknown>>(x.payload),
      submittedAt: x.submitted_at ? date(x.submitted_at) : null,
      timeSpentMs: x.time_spent_ms === null || x.time_spent_ms === undefined ? null : Number(x.time_spent_ms),
      responseOrder: x.response_order === null || x.response_order === undefined ? null : json<string[]>(x.response_order),
    }));
  }

  async function itemsOf(dbx: Db | Tx, itemIds: string[]): Promise<ItemRow[]> {
    if (itemIds.length === 0) return [];
    const r = await prepared(
      dbx,
      'accord_consensus_items',
      'select id, project_id, external_id, prompt, context, responses, reference, gold, is_gold from items where id = any($1::uuid[])',
      [uuidArray(itemIds)],
    );
    return r.map((x) => ({
      id: String(x.id),
      projectId: String(x.project_id),
      externalId: String(x.external_id),
      prompt: String(x.prompt),
      context: json<ItemRow['context']>(x.context),
      responses: json<ItemRow['responses']>(x.responses),
      reference: (x.reference as string | null) ?? null,
      gold: x.gold === null || x.gold === undefined ? null : json<NonNullable<ItemRow['gold']>>(x.gold),
      isGold: x.is_gold as boolean,
    }));
  }

  return {
    db,
    judgmentsOf: (itemIds: string[]) => judgmentsOf(db, itemIds),
    itemsOf: (itemIds: string[]) => itemsOf(db, itemIds),

    async item(projectId: string, itemId: string): Promise<ItemRow | null> {
      const [r] = await itemsOf(db, [itemId]);
      return r && r.projectId === projectId ? r : null;
    },

    async project(projectId: string, dbx: Db | Tx = db): Promise<Pick<ProjectRow, 'id' | 'settings' | 'taskKind' | 'archivedAt'> | null> {
      const [p] = await prepared(dbx, 'accord_consensus_project', 'select id, settings, task_kind, archived_at from projects where id = $1::uuid', [projectId]);
      if (!p) return null;
      return {
        id: String(p.id),
        settings: json<ProjectRow['settings']>(p.settings),
        taskKind: p.task_kind as ProjectRow['taskKind'],
        archivedAt: p.archived_at === null || p.archived_at === undefined ? null : date(p.archived_at),
      };
    },

    /** Every submitted human judgment's preference in a project (the Dawid–Skene fit). */
    async projectPreferences(projectId: string, dbx: Db | Tx = db): Promise<{ itemId: string; userId: string; preference: unknown }[]> {
      const r = await rows(
        dbx,
        sql`select j.item_id, j.user_id, j.payload->'preference' as preference
            from judgments j left join project_members m on m.project_id = j.project_id and m.user_id = j.user_id
            where j.project_id = ${projectId} and j.status = 'submitted' and coalesce(m.kind, 'human') = 'human'`,
      );
      return r.map((x) => ({ itemId: String(x.item_id), userId: String(x.user_id), preference: json(x.preference) }));
    },

    async pendingProjects(): Promise<string[]> {
      const r = await rows(db, sql`select distinct project_id from consensus_pending`);
      return r.map((x) => String(x.project_id));
    },

    /**
     * Claims up to `limit` queued items (of one project, or any) and runs `fn` on them in a transaction
     * that removes their rows at its end. The claim is a statement of its own: the computation holds no
     * lock that a submit needs (a submit of a claimed item clears the claim, and the item stays queued
     * for another computation with that judgment). A claim whose computation failed is released; one
     * whose process died is taken again after CLAIM_MINUTES.
     */
    async withClaim<T>(limit: number, projectId: string | null, fn: (tx: Tx, claimed: { itemId: string; projectId: string }[]) => Promise<T>): Promise<{ claimed: number; result: T | null }> {
      const token = randomUUID();
      // The claim, the lock and the removal run for every batch: named statements (planned once per connection).
      const claim = (scope: string) =>
        `update consensus_pending p set claim = $1::uuid, claimed_until = now() + make_interval(mins => $2::int)
         where p.item_id in (
           select item_id from consensus_pending
           where (claim is null or claimed_until < now()) ${scope}
           order by queued_at limit $3::int for update skip locked)
         returning p.item_id, p.project_id`;
      const r = projectId
        ? await prepared(db, 'accord_consensus_claim_project', claim('and project_id = $4::uuid'), [token, CLAIM_MINUTES, limit, projectId])
        : await prepared(db, 'accord_consensus_claim', claim(''), [token, CLAIM_MINUTES, limit]);
      const claimed = r.map((x) => ({ itemId: String(x.item_id), projectId: String(x.project_id) }));
      if (claimed.length === 0) return { claimed: 0, result: null };
      const ids = uuidArray(claimed.map((c) => c.itemId));
      try {
        // Retried when it lost a deadlock (a judgment's triggers touch the same items): it rolled back.
        const result = await retryingDeadlocks(() =>
          db.transaction(async (tx) => {
            // One computation per item at a time: an item queued again by a judgment stored during a
            // computation can be claimed by another one, which then waits here and sees the first's
            // label or dispute. Advisory locks (in item order) block no submit.
            await prepared(tx, 'accord_consensus_lock', 'select pg_advisory_xact_lock($1::int, hashtext(x::text)) from unnest($2::uuid[]) x order by x', [CONSENSUS_LOCK_CLASS, ids]);
            const out = await fn(tx, claimed);
            // Taken off the queue row by row in item order, as a submit's statement queues its items
            // (the judgments trigger, one row per judgment in item order). In any other order (a small
            // queue is read in the order its rows were written) the two could each hold a row the other
            // waits for: a deadlock, which PostgreSQL finds only after deadlock_timeout (1 s), with every
            // submit on the node queued behind it (bench:load, docs/performance-log.md).
            await prepared(
              tx,
              'accord_consensus_done',
              `delete from consensus_pending p using (
                 select item_id from consensus_pending where item_id = any($1::uuid[]) and claim = $2::uuid order by item_id for update
               ) x where p.item_id = x.item_id`,
              [ids, token],
            );
            return out;
          }),
        );
        return { claimed: claimed.length, result };
      } catch (e) {
        await db
          .execute(
            sql`update consensus_pending p set claim = null, claimed_until = null
                where p.item_id in (select item_id from consensus_pending where claim = ${token} order by item_id for update)`,
          )
          .catch(() => undefined);
        throw e;
      }
    },

    txItems: itemsOf,
    txJudgments: judgmentsOf,

    /** Items with a current label, and the disputes of the items (any status), in a transaction. */
    async stateOf(tx: Tx, itemIds: string[]): Promise<{ labelled: Set<string>; disputes: Map<string, { reason: string; status: string }[]> }> {
      // One statement: the items' current labels and their disputes.
      const r = await prepared(
        tx,
        'accord_consensus_state',
        `select 'label' as kind, item_id, null as reason, null as status from consensus_labels where item_id = any($1::uuid[]) and superseded_at is null
         union all
         select 'dispute', item_id, reason, status from disputes where item_id = any($1::uuid[])`,
        [uuidArray(itemIds)],
      );
      const labelled = new Set<string>();
      const ds = new Map<string, { reason: string; status: string }[]>();
      for (const x of r) {
        const itemId = String(x.item_id);
        if (x.kind === 'label') labelled.add(itemId);
        else {
          const list = ds.get(itemId) ?? [];
          list.push({ reason: String(x.reason), status: String(x.status) });
          ds.set(itemId, list);
        }
      }
      return { labelled, disputes: ds };
    },

    async insertLabels(tx: Tx, labels: NewLabel[]): Promise<number> {
      if (labels.length === 0) return 0;
      const r = await tx.insert(consensusLabels).values(labels).onConflictDoNothing().returning({ id: consensusLabels.id });
      return r.length;
    },

    async insertDisputes(tx: Tx, list: NewDispute[]): Promise<string[]> {
      if (list.length === 0) return [];
      const r = await tx.insert(disputes).values(list).onConflictDoNothing().returning({ id: disputes.id });
      return r.map((x) => x.id);
    },

    // ---- labels

    async labels(projectId: string, q: { method?: string; minAgreement?: number; rubricVersion?: number; itemId?: string; state: 'current' | 'all'; order: 'asc' | 'desc'; limit: number; offset: number }) {
      const where = and(
        eq(consensusLabels.projectId, projectId),
        q.state === 'current' ? isNull(consensusLabels.supersededAt) : undefined,
        q.method ? eq(consensusLabels.method, q.method as NewLabel['method']) : undefined,
        q.minAgreement !== undefined ? gte(consensusLabels.agreement, q.minAgreement - 1e-6) : undefined,
        q.rubricVersion !== undefined ? eq(consensusLabels.rubricVersion, q.rubricVersion) : undefined,
        q.itemId ? eq(consensusLabels.itemId, q.itemId) : undefined,
      );
      const [count] = await db.select({ n: sql<number>`count(*)::int` }).from(consensusLabels).where(where);
      const order = q.order === 'desc' ? [desc(consensusLabels.committedAt), desc(consensusLabels.id)] : [asc(consensusLabels.committedAt), asc(consensusLabels.id)];
      const r = await labelSelect(db)
        .where(where)
        .orderBy(...order)
        .limit(q.limit)
        .offset(q.offset);
      return { items: r.map(toLabel), total: Number(count?.n ?? 0) };
    },

    async label(projectId: string, labelId: string, dbx: Db | Tx = db): Promise<LabelRow | null> {
      const [r] = await labelSelect(dbx).where(and(eq(consensusLabels.projectId, projectId), eq(consensusLabels.id, labelId)));
      return r ? toLabel(r) : null;
    },

    async labelOfDispute(disputeId: string, dbx: Db | Tx = db): Promise<LabelRow | null> {
      const [r] = await labelSelect(dbx).where(eq(consensusLabels.disputeId, disputeId));
      return r ? toLabel(r) : null;
    },

    async history(itemId: string): Promise<LabelRow[]> {
      const r = await labelSelect(db)
        .where(eq(consensusLabels.itemId, itemId))
        .orderBy(desc(consensusLabels.committedAt), desc(consensusLabels.id));
      return r.map(toLabel);
    },

    /** Supersedes a current label and opens a `reopened` dispute, in one transaction; null when not current. */
    async reopen(projectId: string, labelId: string, actorId: string, note: string): Promise<{ disputeId: string } | 'not_current' | 'open_dispute'> {
      return db.transaction(async (tx) => {
        const [l] = await tx
          .select()
          .from(consensusLabels)
          .where(and(eq(consensusLabels.id, labelId), eq(consensusLabels.projectId, projectId)))
          .for('update');
        if (!l || l.supersededAt) return 'not_current';
        const [open] = await tx.select({ id: disputes.id }).from(disputes).where(and(eq(disputes.itemId, l.itemId), eq(disputes.status, 'open')));
        if (open) return 'open_dispute';
        await tx.update(consensusLabels).set({ supersededAt: new Date(), supersededBy: actorId }).where(eq(consensusLabels.id, labelId));
        const [d] = await tx
          .insert(disputes)
          .values({ projectId, itemId: l.itemId, reason: 'reopened', detail: note, agreement: l.agreement, openedBy: actorId })
          .returning({ id: disputes.id });
        await audit(tx, { actorId, action: 'consensus.reopen', projectId, target: labelId, details: { disputeId: d!.id, note } });
        return { disputeId: d!.id };
      });
    },

    /**
     * The items' judgments changed under their current labels (an import replaced or added some): a
     * computed label is superseded and the items queued, so the rule computes them again; an
     * adjudicated one (people decided on the judgments as they were) is superseded with a `reopened`
     * dispute, unless the item has an open dispute already. One transaction; the disputes opened.
     */
    async judgmentsChanged(projectId: string, itemIds: string[], actorId: string | null, note: string): Promise<{ superseded: number; disputeIds: string[] }> {
      if (itemIds.length === 0) return { superseded: 0, disputeIds: [] };
      return db.transaction(async (tx) => {
        const current = await tx
          .select()
          .from(consensusLabels)
          .where(and(eq(consensusLabels.projectId, projectId), isNull(consensusLabels.supersededAt), sql`${consensusLabels.itemId} = any(${uuidArray(itemIds)}::uuid[])`))
          .orderBy(asc(consensusLabels.itemId))
          .for('update');
        const disputeIds: string[] = [];
        const now = new Date();
        for (const l of current) {
          await tx.update(consensusLabels).set({ supersededAt: now, supersededBy: actorId }).where(eq(consensusLabels.id, l.id));
          if (l.method === 'adjudicated') {
            const [open] = await tx.select({ id: disputes.id }).from(disputes).where(and(eq(disputes.itemId, l.itemId), eq(disputes.status, 'open')));
            if (!open) {
              const [d] = await tx.insert(disputes).values({ projectId, itemId: l.itemId, reason: 'reopened', detail: note, agreement: l.agreement, openedBy: actorId }).returning({ id: disputes.id });
              disputeIds.push(d!.id);
            }
          } else {
            // Queued again as the judgments trigger does: a computation holding the item's claim may
            // have read the label as current, so its claim is cleared and the item computed once more.
            await tx.execute(
              sql`insert into consensus_pending as p (item_id, project_id) values (${l.itemId}, ${projectId})
                  on conflict (item_id) do update set claim = null, claimed_until = null where p.claim is not null`,
            );
          }
          await audit(tx, { actorId, action: 'consensus.superseded', projectId, target: l.id, details: { itemId: l.itemId, method: l.method, note } });
        }
        return { superseded: current.length, disputeIds };
      });
    },

    // ---- disputes

    async disputes(projectId: string, q: { status: string; reason?: string; sort: 'reason' | 'age' | 'agreement'; order: 'asc' | 'desc'; limit: number; offset: number }) {
      const where = and(eq(disputes.projectId, projectId), q.status === 'all' ? undefined : eq(disputes.status, q.status as 'open'), q.reason ? eq(disputes.reason, q.reason as 'manual') : undefined);
      const [count] = await db.select({ n: sql<number>`count(*)::int` }).from(disputes).where(where);
      const dir = (x: SQL) => (q.order === 'desc' ? sql`${x} desc` : sql`${x} asc`);
      const age = dir(sql`${disputes.openedAt}`);
      const order =
        q.sort === 'reason'
          ? [dir(REASON_ORDER), sql`${disputes.openedAt} asc`]
          : q.sort === 'agreement'
            ? [dir(sql`coalesce(${disputes.agreement}, -1)`), sql`${disputes.openedAt} asc`]
            : [age];
      const r = await disputeSelect(db)
        .where(where)
        .orderBy(...order, asc(disputes.id))
        .limit(q.limit)
        .offset(q.offset);
      return { items: r.map(toDispute), total: Number(count?.n ?? 0) };
    },

    async dispute(projectId: string, disputeId: string, dbx: Db | Tx = db): Promise<DisputeRow | null> {
      const [r] = await disputeSelect(dbx).where(and(eq(disputes.projectId, projectId), eq(disputes.id, disputeId)));
      return r ? toDispute(r) : null;
    },

    /** For the document kind: the dispute's project and status (null: no such dispute). */
    async disputeState(disputeId: string): Promise<{ projectId: string; status: string; itemId: string } | null> {
      const [r] = await db.select({ projectId: disputes.projectId, status: disputes.status, itemId: disputes.itemId }).from(disputes).where(eq(disputes.id, disputeId));
      return r ?? null;
    },

    async openDispute(d: NewDispute): Promise<string | null> {
      const [r] = await db.insert(disputes).values(d).onConflictDoNothing().returning({ id: disputes.id });
      return r?.id ?? null;
    },

    /** The sign-offs, each with its signer's standing now (active, admin, role in the dispute's project; null: no longer a member). */
    async signoffs(disputeId: string) {
      return db
        .select({
          userId: disputeSignoffs.userId,
          name: users.name,
          proposal: disputeSignoffs.proposal,
          signedAt: disputeSignoffs.signedAt,
          active: users.active,
          isAdmin: users.isAdmin,
          role: projectMembers.role,
        })
        .from(disputeSignoffs)
        .innerJoin(users, eq(users.id, disputeSignoffs.userId))
        .innerJoin(disputes, eq(disputes.id, disputeSignoffs.disputeId))
        .leftJoin(projectMembers, and(eq(projectMembers.projectId, disputes.projectId), eq(projectMembers.userId, disputeSignoffs.userId)))
        .where(eq(disputeSignoffs.disputeId, disputeId))
        .orderBy(asc(disputeSignoffs.signedAt));
    },

    async signoff(disputeId: string, userId: string, digest: string): Promise<void> {
      const now = new Date();
      await db
        .insert(disputeSignoffs)
        .values({ disputeId, userId, proposal: digest, signedAt: now })
        .onConflictDoUpdate({ target: [disputeSignoffs.disputeId, disputeSignoffs.userId], set: { proposal: digest, signedAt: now } });
    },

    async withdraw(disputeId: string, userId: string): Promise<void> {
      await db.delete(disputeSignoffs).where(and(eq(disputeSignoffs.disputeId, disputeId), eq(disputeSignoffs.userId, userId)));
    },

    /**
     * The commit: in ONE transaction the dispute is locked, and (if still open) the label is written,
     * any current label of the item superseded, the dispute closed, the audit record written and the
     * control event that freezes the room on every node recorded. A dispute already committed answers
     * its label (`created: false`): first commit wins.
     */
    async commit(
      projectId: string,
      disputeId: string,
      actorId: string,
      label: Omit<NewLabel, 'projectId' | 'itemId' | 'disputeId' | 'committedBy' | 'method'>,
      extra: { idempotencyKey: string | null; digest: string; signoffs: number },
      hooks: { beforeCommit?: () => Promise<void> } = {},
    ): Promise<{ labelId: string; created: boolean } | 'not_open'> {
      return db.transaction(async (tx) => {
        const [d] = await tx
          .select()
          .from(disputes)
          .where(and(eq(disputes.id, disputeId), eq(disputes.projectId, projectId)))
          .for('update');
        if (!d) return 'not_open';
        if (d.status === 'committed' && d.labelId) return { labelId: d.labelId, created: false };
        if (d.status !== 'open') return 'not_open';
        const now = new Date();
        await tx
          .update(consensusLabels)
          .set({ supersededAt: now, supersededBy: actorId })
          .where(and(eq(consensusLabels.itemId, d.itemId), isNull(consensusLabels.supersededAt)));
        const [l] = await tx
          .insert(consensusLabels)
          .values({ ...label, projectId, itemId: d.itemId, disputeId, method: 'adjudicated', committedBy: actorId, committedAt: now })
          .returning({ id: consensusLabels.id });
        await tx.update(disputes).set({ status: 'committed', labelId: l!.id, idempotencyKey: extra.idempotencyKey, committedBy: actorId, committedAt: now }).where(eq(disputes.id, disputeId));
        await audit(tx, {
          actorId,
          action: 'consensus.commit',
          projectId,
          target: disputeId,
          details: { labelId: l!.id, itemId: d.itemId, idempotencyKey: extra.idempotencyKey, proposal: extra.digest, signoffs: extra.signoffs, tag: label.tag ?? null },
        });
        await recordControlEvent(tx, 'doc:committed', { doc: `dispute:${disputeId}` });
        // Tests stop the process here, before the commit, to prove all-or-nothing.
        await hooks.beforeCommit?.();
        return { labelId: l!.id, created: true };
      });
    },

    async promoteGold(projectId: string, itemId: string, preference: unknown, actorId: string, disputeId: string): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.update(items).set({ gold: { preference }, isGold: true }).where(and(eq(items.id, itemId), eq(items.projectId, projectId)));
        await audit(tx, { actorId, action: 'consensus.gold', projectId, target: itemId, details: { disputeId } });
      });
    },
  };
}

export type ConsensusRepo = ReturnType<typeof createConsensusRepo>;
