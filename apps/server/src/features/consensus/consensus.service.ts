/**
 * Consensus and disputes. Items are computed after the judgment that completes them has committed
 * (never inside a trainer's submit): the judgments trigger queues the item, `soon()` (after a
 * submit: within 100 ms, with the submits of that time) or `process(projectId)` (after an import)
 * computes the queue in batches, and a sweep every
 * few seconds picks up whatever a process that died left queued. Each batch is claimed and written in
 * one transaction, so computing is idempotent: an item with a current label or an open dispute is
 * left alone.
 *
 * The adjudication room (`dispute:<id>`) holds the proposal; the commit reads it from the live
 * document, validates it like a submitted judgment, and writes the label, audit record, dispute
 * status and the room's freeze (a control event) in one transaction (repo.commit).
 */
import {
  AppError,
  readProjectSettings,
  RubricSchema,
  judgmentIssues,
  canonicalPreference,
  docName,
  type ComputedConsensus,
  type ConsensusLabel,
  type ConsensusListQuery,
  type ConsensusPayload,
  type DisputeDetail,
  type DisputeListQuery,
  type DisputeSummary,
  type FieldIssue,
  type Preference,
  type ProjectSettings,
  type Rubric,
  type SignoffResult,
  type CommitResult,
  type TaskKind,
} from '@accord/core';
import { addRubricProposal, isProposalEmpty, proposalDigest, readDispute, writeDisputeProposal, type DisputeProposal } from '@accord/collab';
import type * as Y from 'yjs';
import type { Tx } from '@accord/db';
import type { Bus } from '../../platform/bus.ts';
import { backgroundJob } from '../../platform/background.ts';
import type { Logger } from '../../platform/logger.ts';
import type { ProjectAccess } from '../../platform/http/context.ts';
import type { DocRegistry } from '../../platform/realtime/registry.ts';
import { classOf, computeConsensus, fitReliability, goldMissed, type ConsensusResult, type EngineItem, type EngineJudgment, type ReliabilityModel } from './consensus.engine.ts';
import type { ConsensusRepo, DisputeRow, ItemRow, JudgmentRow, LabelRow, NewDispute, NewLabel } from './consensus.repo.ts';

export interface ConsensusServiceDeps {
  repo: ConsensusRepo;
  logger: Logger;
  docs: Pick<DocRegistry, 'read' | 'transact'>;
  bus: Pick<Bus, 'emit' | 'applyPending'>;
  /** The newest published rubric version of a project (null: none). */
  latestRubric(projectId: string): Promise<{ version: number; content: Record<string, unknown> } | null>;
  sweepMs?: number;
  /** Fault tests: hold a commit's transaction open this long before COMMIT (env ACCORD_FAULT_COMMIT_PAUSE_MS). */
  faultCommitPauseMs?: number;
}

const BATCH = 250;
/**
 * After a submit the queue is computed within this long, with every submit made meanwhile: one batch
 * (its claim, reads, writes, removal and `disputes:changed` event, which every node reads) instead of
 * one per submit when submits arrive one or two at a time.
 */
const SOON_MS = 100;
const DS_TTL_MS = 10_000;
const KEY_RE = /^[\x21-\x7e]{1,200}$/;

const engineJudgment = (j: JudgmentRow): EngineJudgment => ({ id: j.id, userId: j.userId, rubricVersion: j.rubricVersion, payload: j.payload as unknown as EngineJudgment['payload'] });
const engineItem = (i: ItemRow): EngineItem => ({ responses: i.responses.map((r) => ({ id: r.id, content: r.content })), prompt: i.prompt });

export function toLabel(l: LabelRow): ConsensusLabel {
  return {
    id: l.id,
    itemId: l.itemId,
    itemExternalId: l.itemExternalId,
    label: l.label as unknown as ConsensusPayload,
    method: l.method,
    agreement: l.agreement,
    rubricVersion: l.rubricVersion,
    judgmentIds: l.judgmentIds,
    judgments: l.judgments,
    disputeId: l.disputeId,
    rationale: l.rationale,
    tag: l.tag,
    committedBy: l.committedBy ? { userId: l.committedBy, name: l.committedByName ?? '' } : null,
    committedAt: l.committedAt.toISOString(),
    supersededAt: l.supersededAt ? l.supersededAt.toISOString() : null,
    supersededBy: l.supersededBy ? { userId: l.supersededBy, name: l.supersededByName ?? '' } : null,
  };
}

function toSummary(d: DisputeRow, settings: ProjectSettings): DisputeSummary {
  return {
    id: d.id,
    itemId: d.itemId,
    itemExternalId: d.itemExternalId,
    reason: d.reason,
    detail: d.detail,
    status: d.status,
    agreement: d.agreement,
    openedAt: d.openedAt.toISOString(),
    ageSeconds: Math.max(0, Math.floor((Date.now() - d.openedAt.getTime()) / 1000)),
    openedBy: d.openedBy ? { userId: d.openedBy, name: d.openedByName ?? '' } : null,
    signOffs: d.signOffs,
    signOffsNeeded: settings.consensus.signOffs,
    doc: docName('dispute', d.id),
    labelId: d.labelId,
    committedAt: d.committedAt ? d.committedAt.toISOString() : null,
    committedBy: d.committedBy ? { userId: d.committedBy, name: d.committedByName ?? '' } : null,
  };
}

/** A class of a stored (canonical) preference, without the item: pairwise `a` is the first response. */
function storedClass(pref: unknown): string | null {
  const p = pref as Preference | null;
  if (!p || typeof p !== 'object') return null;
  if (p.kind === 'pairwise') return typeof p.value === 'number' ? (p.value < 0 ? 'first' : p.value > 0 ? 'second' : 'tie') : null;
  if (p.kind === 'ranking' && Array.isArray(p.groups)) return JSON.stringify(p.groups.map((g) => [...g].sort()));
  return null;
}

export function createConsensusService({ repo, logger, docs, bus, latestRubric, sweepMs = 5_000, faultCommitPauseMs = 0 }: ConsensusServiceDeps) {
  const dsCache = new Map<string, { at: number; model: ReliabilityModel | null }>();
  const rubricCache = new Map<string, { version: number; view: Rubric }>();
  let timer: NodeJS.Timeout | null = null;

  /** `tx`: inside a transaction (PGlite has one connection: a query outside it would wait forever). */
  async function reliability(projectId: string, taskKind: TaskKind, tx?: Tx): Promise<ReliabilityModel | null> {
    const hit = dsCache.get(projectId);
    if (hit && Date.now() - hit.at < DS_TTL_MS) return hit.model;
    const prefs = await repo.projectPreferences(projectId, tx);
    const rows = prefs.map((p) => ({ itemId: p.itemId, userId: p.userId, cls: storedClass(p.preference) })).filter((r): r is { itemId: string; userId: string; cls: string } => r.cls !== null);
    const model = fitReliability(rows, taskKind === 'pairwise' ? ['first', 'tie', 'second'] : undefined);
    dsCache.set(projectId, { at: Date.now(), model });
    return model;
  }

  /** The newest published rubric version, parsed (null: none published, or unreadable). */
  async function rubricView(projectId: string): Promise<{ version: number; view: Rubric } | null> {
    const latest = await latestRubric(projectId);
    if (!latest) return null;
    const key = `${projectId}:${latest.version}`;
    let hit = rubricCache.get(key);
    if (!hit) {
      const r = RubricSchema.safeParse(latest.content);
      if (!r.success) return null;
      rubricCache.set(key, (hit = { version: latest.version, view: r.data }));
    }
    return hit;
  }

  async function changed(projectId: string, disputeId: string | null) {
    await bus.emit('disputes:changed', { projectId, disputeId });
  }

  // ---------------------------------------------------------------- computing the queue

  /** One claimed batch: compute each item and write labels and disputes in the claim's transaction. */
  async function handleBatch(tx: Tx, claimed: { itemId: string; projectId: string }[]): Promise<Set<string>> {
    const touched = new Set<string>();
    const ids = claimed.map((c) => c.itemId);
    // Every read goes through the claim's transaction, one at a time.
    const itemRows = await repo.txItems(tx, ids);
    const judgmentRows = await repo.txJudgments(tx, ids);
    const state = await repo.stateOf(tx, ids);
    const byItem = new Map<string, JudgmentRow[]>();
    for (const j of judgmentRows) if (j.kind === 'human') byItem.set(j.itemId, [...(byItem.get(j.itemId) ?? []), j]);
    const projectsById = new Map<string, { settings: ProjectSettings; taskKind: TaskKind } | null>();
    const labels: NewLabel[] = [];
    const newDisputes: NewDispute[] = [];
    for (const item of itemRows) {
      let p = projectsById.get(item.projectId);
      if (p === undefined) {
        const row = await repo.project(item.projectId, tx);
        p = row ? { settings: readProjectSettings(row.settings), taskKind: row.taskKind } : null;
        projectsById.set(item.projectId, p);
      }
      // A writing has no consensus: its reviewers accept it or send it back (features/writing).
      if (!p || p.taskKind === 'writing') continue;
      const s = p.settings;
      const js = byItem.get(item.id) ?? [];
      const ds = state.disputes.get(item.id) ?? [];
      if (ds.some((d) => d.status === 'open')) continue;
      const labelled = state.labelled.has(item.id);
      const open = (reason: NewDispute['reason'], detail: string, agreement: number | null) => {
        newDisputes.push({ projectId: item.projectId, itemId: item.id, reason, detail, agreement });
        touched.add(item.projectId);
      };
      // A serious flag opens a dispute at once (once per item, unless it is settled already).
      const flagged = js.filter((j) => ((j.payload.flags as string[] | undefined) ?? []).some((f) => s.consensus.seriousFlags.includes(f)));
      if (flagged.length && !labelled && !ds.some((d) => d.reason === 'serious-flag')) {
        const flags = [...new Set(flagged.flatMap((j) => ((j.payload.flags as string[]) ?? []).filter((f) => s.consensus.seriousFlags.includes(f))))];
        open('serious-flag', `${flagged.length} judgment${flagged.length === 1 ? '' : 's'} raised ${flags.join(', ')}`, null);
        continue;
      }
      if (js.length < s.overlap) continue;
      const ei = engineItem(item);
      const ej = js.map(engineJudgment);
      if (item.isGold) {
        const gold = (item.gold as { preference?: Preference } | null)?.preference;
        if (!gold || ds.some((d) => d.reason === 'gold-missed')) continue;
        const g = goldMissed(gold, ei, ej);
        if (g.missed) open('gold-missed', `${g.wrong} of ${g.total} judgments differ from gold`, (g.total - g.wrong) / g.total);
        continue;
      }
      if (labelled) continue;
      // Spans vote span by span: no reliability model.
      const model = s.consensus.rule === 'dawid-skene' && p.taskKind !== 'spans' ? await reliability(item.projectId, p.taskKind, tx) : null;
      const r = computeConsensus(ei, ej, s.consensus, model);
      if (r.met && r.label) {
        labels.push({
          projectId: item.projectId,
          itemId: item.id,
          label: r.label as unknown as Record<string, unknown>,
          method: s.consensus.rule,
          agreement: r.agreement,
          rubricVersion: r.rubricVersion,
          judgmentIds: js.map((j) => j.id),
          judgments: js.length,
        });
        touched.add(item.projectId);
      } else if (!ds.some((d) => d.reason === 'disagreement' && d.status !== 'committed')) open('disagreement', r.reason, r.agreement);
    }
    await repo.insertLabels(tx, labels);
    await repo.insertDisputes(tx, newDisputes);
    return touched;
  }

  /** Computes the queue (one project's, or all) until it is empty. */
  async function drain(projectId: string | null): Promise<number> {
    const started = Date.now();
    let total = 0;
    const touched = new Set<string>();
    for (;;) {
      const { claimed, result } = await repo.withClaim(BATCH, projectId, (tx, c) => handleBatch(tx, c));
      for (const p of result ?? []) touched.add(p);
      total += claimed;
      if (claimed < BATCH) break;
    }
    for (const p of touched) await changed(p, null);
    if (total >= BATCH) logger.info('consensus computed', { items: total, ms: Date.now() - started });
    return total;
  }

  /**
   * `drain(null)` in the background: after a submit within SOON_MS (`soon()`, one batch for all the
   * submits of that time), and on the sweep; one run at a time, once more when asked meanwhile.
   */
  const job = backgroundJob(() => drain(null).then(() => undefined), {
    soonMs: SOON_MS,
    onError: (e) => logger.error('consensus computation failed', { message: (e as Error).message }),
  });

  // ---------------------------------------------------------------- the room

  /** The rule's result on an item now (human judgments only). */
  async function computedFor(projectId: string, item: ItemRow, js: JudgmentRow[], s: ProjectSettings, taskKind: TaskKind): Promise<ComputedConsensus & { result: ConsensusResult }> {
    const human = js.filter((j) => j.kind === 'human');
    const model = s.consensus.rule === 'dawid-skene' ? await reliability(projectId, taskKind) : null;
    const r = computeConsensus(engineItem(item), human.map(engineJudgment), s.consensus, model);
    return { rule: r.rule, label: r.label, agreement: r.agreement, met: r.met, reason: r.reason, result: r };
  }

  function seedDoc(doc: Y.Doc, label: ConsensusPayload | null, rule: string): void {
    if (!label || !isProposalEmpty(doc)) return;
    writeDisputeProposal(doc, { preference: label.preference, scores: label.scores, spans: label.spans }, rule);
  }

  /** The seed for a dispute's room: the rule's result on its item (null when no label can be formed). */
  async function seedFor(disputeId: string): Promise<{ label: ConsensusPayload | null; rule: string } | null> {
    const st = await repo.disputeState(disputeId);
    if (!st || st.status !== 'open') return null;
    const project = await repo.project(st.projectId);
    const item = await repo.item(st.projectId, st.itemId);
    if (!project || !item) return null;
    const s = readProjectSettings(project.settings);
    const c = await computedFor(st.projectId, item, await repo.judgmentsOf([item.id]), s, project.taskKind);
    return { label: c.label, rule: c.rule };
  }

  /** Reads the room (seeding an empty one first, through the room); null when there is no proposal. */
  async function liveRoom(d: DisputeRow) {
    const name = docName('dispute', d.id);
    if (d.status === 'open') {
      const empty = await docs.read(name, (doc) => isProposalEmpty(doc));
      if (empty) {
        const seed = await seedFor(d.id);
        if (seed?.label) await docs.transact(name, (doc) => seedDoc(doc, seed.label, seed.rule)).catch(() => undefined);
      }
    }
    return docs.read(name, (doc) => readDispute(doc));
  }

  const canAdjudicate = (a: ProjectAccess, s: ProjectSettings) => a.role === 'lead' || (a.role === 'reviewer' && s.consensus.reviewersAdjudicate);

  async function getDispute(a: ProjectAccess, disputeId: string): Promise<DisputeRow> {
    const d = await repo.dispute(a.project.id, disputeId);
    if (!d) throw new AppError('not_found', 'No such dispute in this project.');
    return d;
  }

  /**
   * The sign-offs; `current` when one is of the proposal now in the room AND its signer may
   * adjudicate now (active, and an admin, a lead, or a reviewer while reviewers adjudicate): a
   * sign-off of someone since demoted, removed or deactivated no longer counts toward the rule.
   */
  async function signoffsOf(disputeId: string, digest: string | null, s: ProjectSettings) {
    const mayAdjudicate = (x: { active: boolean; isAdmin: boolean; role: string | null }) =>
      x.active && (x.isAdmin || x.role === 'lead' || (x.role === 'reviewer' && s.consensus.reviewersAdjudicate));
    return (await repo.signoffs(disputeId)).map((x) => ({
      userId: x.userId,
      name: x.name,
      signedAt: x.signedAt.toISOString(),
      proposal: x.proposal,
      current: digest !== null && x.proposal === digest && mayAdjudicate(x),
    }));
  }

  /** The proposal as the commit validates it: 400 naming `doc.proposal…` for each problem. */
  function proposalIssues(p: DisputeProposal, item: ItemRow, taskKind: TaskKind, rubric: Rubric | null): FieldIssue[] {
    if (!p.preference) return [{ path: 'doc.proposal.preference', message: 'must be set: the room has no proposed preference or ranking' }];
    const issues = judgmentIssues(
      { preference: p.preference, scores: p.scores, spans: p.spans, flags: [], justification: '' },
      { responses: item.responses.map((r) => ({ id: r.id, content: r.content })), prompt: item.prompt },
      taskKind,
      rubric,
      'doc.proposal',
    );
    // A label has no justification of its own: the rationale is the room's, and free.
    return issues.filter((i) => !i.path.startsWith('doc.proposal.justification'));
  }

  async function ensureRubricProposal(projectId: string, d: DisputeRow, by: string, rationale: string): Promise<string> {
    const id = `dispute:${d.id}`;
    await docs.transact(docName('rubric', projectId), (doc) =>
      addRubricProposal(doc, {
        id,
        disputeId: d.id,
        itemId: d.itemId,
        note: `Guideline gap found adjudicating item ${d.itemExternalId ?? d.itemId}${rationale ? `: ${rationale.slice(0, 2000)}` : ''}`,
        by,
        at: new Date().toISOString(),
      }),
    );
    return id;
  }

  return {
    soon: job.soon,
    /** Computes a project's queue now (after an import); resolves when done. */
    async process(projectId: string): Promise<number> {
      return drain(projectId);
    },
    /**
     * Labels follow their judgments: items whose judgments an import replaced or added lose their
     * current label (computed ones are queued, and computed again by the next `process`; adjudicated
     * ones reopen as disputes).
     */
    async judgmentsChanged(projectId: string, itemIds: string[], actorId: string | null, note: string): Promise<void> {
      const r = await repo.judgmentsChanged(projectId, itemIds, actorId, note);
      for (const id of r.disputeIds) await changed(projectId, id);
    },
    /** Starts the sweep that computes whatever is queued (work of processes that died included). */
    start() {
      timer ??= setInterval(() => void job.run(), sweepMs);
      timer.unref();
      void job.run();
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = null;
      // What a pending `soon()` would have computed stays queued (the sweep of any node takes it).
      await job.close();
    },
    seedFor,
    seedDoc,
    state: (disputeId: string) => repo.disputeState(disputeId),

    // ---- labels

    async list(a: ProjectAccess, q: ConsensusListQuery) {
      const page = await repo.labels(a.project.id, q);
      return { items: page.items.map(toLabel), total: page.total, limit: q.limit, offset: q.offset };
    },

    async get(a: ProjectAccess, labelId: string) {
      const l = await repo.label(a.project.id, labelId);
      if (!l) throw new AppError('not_found', 'No such consensus label in this project.');
      return { ...toLabel(l), history: (await repo.history(l.itemId)).map(toLabel) };
    },

    async reopen(a: ProjectAccess, actorId: string, labelId: string, note: string): Promise<DisputeSummary> {
      const r = await repo.reopen(a.project.id, labelId, actorId, note);
      if (r === 'not_current') {
        if (!(await repo.label(a.project.id, labelId))) throw new AppError('not_found', 'No such consensus label in this project.');
        throw new AppError('conflict', 'This label is not the current one of its item (it was reopened already).');
      }
      if (r === 'open_dispute') throw new AppError('conflict', 'The item already has an open dispute; settle that one.');
      await changed(a.project.id, r.disputeId);
      return toSummary((await repo.dispute(a.project.id, r.disputeId))!, readProjectSettings(a.project.settings));
    },

    // ---- disputes

    async listDisputes(a: ProjectAccess, q: DisputeListQuery) {
      const s = readProjectSettings(a.project.settings);
      const page = await repo.disputes(a.project.id, q);
      return { items: page.items.map((d) => toSummary(d, s)), total: page.total, limit: q.limit, offset: q.offset };
    },

    async detail(a: ProjectAccess, disputeId: string): Promise<DisputeDetail> {
      const d = await getDispute(a, disputeId);
      const s = readProjectSettings(a.project.settings);
      const item = await repo.item(a.project.id, d.itemId);
      if (!item) throw new AppError('not_found', 'The disputed item no longer exists.');
      const js = await repo.judgmentsOf([item.id]);
      const computed = await computedFor(a.project.id, item, js, s, a.project.taskKind);
      const room = await liveRoom(d);
      const hasProposal = room.proposal.preference !== null;
      const digest = hasProposal ? proposalDigest(room.proposal) : null;
      const signoffs = await signoffsOf(d.id, digest, s);
      const rubric = await rubricView(a.project.id);
      const current = signoffs.filter((x) => x.current).length;
      const adjudicates = canAdjudicate(a, s);
      const label = d.labelId ? await repo.labelOfDispute(d.id) : null;
      const { result: _r, ...computedOut } = computed;
      return {
        dispute: toSummary(d, s),
        taskKind: a.project.taskKind,
        item: {
          id: item.id,
          externalId: item.externalId,
          prompt: item.prompt,
          context: item.context,
          responses: item.responses,
          reference: item.reference,
          // Gold answers are for leads, as in the items list: a reviewer could open a dispute on any item to read them.
          gold: a.role === 'lead' ? (((item.gold as { preference?: Preference } | null)?.preference ?? null) as Preference | null) : null,
        },
        judgments: js.map((j, i) => {
          const p = j.payload as { preference: Preference; scores?: []; spans?: []; flags?: string[]; justification?: string };
          return {
            // Blind: no id either, which the judgments list would map to its author.
            id: s.consensus.blind ? null : j.id,
            annotator: s.consensus.blind ? null : { userId: j.userId, name: j.name },
            label: `Judgment ${i + 1}`,
            kind: j.kind,
            source: j.source,
            rubricVersion: j.rubricVersion,
            preference: p.preference,
            scores: p.scores ?? [],
            spans: p.spans ?? [],
            flags: p.flags ?? [],
            justification: p.justification ?? '',
            submittedAt: j.submittedAt ? j.submittedAt.toISOString() : null,
            timeSpentMs: j.timeSpentMs,
            responseOrder: j.responseOrder,
          };
        }),
        computed: computedOut,
        rubricVersion: rubric?.version ?? null,
        proposal: hasProposal ? { preference: room.proposal.preference!, scores: room.proposal.scores, spans: room.proposal.spans } : null,
        proposalDigest: digest,
        signoffs,
        you: {
          canWrite: adjudicates && d.status === 'open',
          canSignOff: adjudicates && d.status === 'open' && hasProposal,
          canCommit: d.status === 'open' && hasProposal && (a.role === 'lead' || (adjudicates && current >= s.consensus.signOffs)),
        },
        label: label ? toLabel(label) : null,
      };
    },

    async open(a: ProjectAccess, actorId: string, itemId: string, note: string): Promise<DisputeSummary> {
      const item = await repo.item(a.project.id, itemId);
      if (!item) throw new AppError('not_found', 'No such item in this project.');
      const s = readProjectSettings(a.project.settings);
      const c = await computedFor(a.project.id, item, await repo.judgmentsOf([item.id]), s, a.project.taskKind);
      const id = await repo.openDispute({ projectId: a.project.id, itemId, reason: 'manual', detail: note, agreement: c.agreement, openedBy: actorId });
      if (!id) throw new AppError('conflict', 'This item already has an open dispute.');
      await changed(a.project.id, id);
      return toSummary((await repo.dispute(a.project.id, id))!, s);
    },

    async signoff(a: ProjectAccess, userId: string, disputeId: string, withdraw: boolean): Promise<SignoffResult> {
      const s = readProjectSettings(a.project.settings);
      if (!canAdjudicate(a, s)) throw new AppError('forbidden', 'Reviewers only read adjudication rooms in this project.');
      const d = await getDispute(a, disputeId);
      if (d.status !== 'open') throw new AppError('conflict', 'This dispute is not open.');
      const room = await liveRoom(d);
      const digest = room.proposal.preference ? proposalDigest(room.proposal) : null;
      if (withdraw) await repo.withdraw(d.id, userId);
      else {
        if (!digest) throw new AppError('conflict', 'The room has no proposal to sign off yet.');
        await repo.signoff(d.id, userId, digest);
      }
      await changed(a.project.id, d.id);
      const signoffs = await signoffsOf(d.id, digest, s);
      return { signoffs, current: signoffs.filter((x) => x.current).length, needed: s.consensus.signOffs };
    },

    /**
     * First commit wins: the dispute row is locked in the commit's transaction; a commit that finds
     * it committed answers the label written by the first (`created: false`, 200).
     */
    async commit(a: ProjectAccess, actor: { id: string; name: string }, disputeId: string, idempotencyKey: string | null): Promise<CommitResult> {
      const hooks = faultCommitPauseMs
        ? {
            beforeCommit: async () => {
              logger.error('fault injection: dispute commit holding its transaction before COMMIT', { disputeId, ms: faultCommitPauseMs });
              await new Promise((r) => setTimeout(r, faultCommitPauseMs));
            },
          }
        : {};
      if (idempotencyKey !== null && !KEY_RE.test(idempotencyKey))
        throw new AppError('validation_failed', 'headers.idempotency-key: must be 1–200 visible ASCII characters', [{ path: 'headers.idempotency-key', message: 'must be 1–200 visible ASCII characters' }]);
      const s = readProjectSettings(a.project.settings);
      if (!canAdjudicate(a, s)) throw new AppError('forbidden', 'Reviewers only read adjudication rooms in this project.');
      const d = await getDispute(a, disputeId);
      const answer = async (labelId: string, created: boolean): Promise<CommitResult> => {
        const l = (await repo.label(a.project.id, labelId))!;
        const fresh = (await repo.dispute(a.project.id, disputeId))!;
        const rubricProposal = l.tag === 'guideline-gap' ? await ensureRubricProposal(a.project.id, fresh, actor.name, l.rationale).catch(() => null) : null;
        return { label: toLabel(l), dispute: toSummary(fresh, s), created, rubricProposal };
      };
      if (d.status === 'committed' && d.labelId) return answer(d.labelId, false);
      if (d.status !== 'open') throw new AppError('conflict', 'This dispute is not open.');
      const item = await repo.item(a.project.id, d.itemId);
      if (!item) throw new AppError('not_found', 'The disputed item no longer exists.');
      const room = await liveRoom(d);
      const rubric = await rubricView(a.project.id);
      const issues = proposalIssues(room.proposal, item, a.project.taskKind, rubric?.view ?? null);
      if (issues.length) {
        // A concurrent commit may have won while this one read the room.
        const again = await repo.dispute(a.project.id, disputeId);
        if (again?.status === 'committed' && again.labelId) return answer(again.labelId, false);
        throw new AppError('validation_failed', `The proposal cannot be committed: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
      }
      const digest = proposalDigest(room.proposal);
      const signoffs = await signoffsOf(d.id, digest, s);
      const current = signoffs.filter((x) => x.current).length;
      if (a.role !== 'lead' && current < s.consensus.signOffs) {
        const again = await repo.dispute(a.project.id, disputeId);
        if (again?.status === 'committed' && again.labelId) return answer(again.labelId, false);
        throw new AppError('forbidden', `A reviewer commits once the proposal has ${s.consensus.signOffs} sign-off${s.consensus.signOffs === 1 ? '' : 's'} (it has ${current}); a lead may commit at any time.`);
      }
      const js = (await repo.judgmentsOf([item.id])).filter((j) => j.kind === 'human');
      const want = classOf(room.proposal.preference!, engineItem(item));
      const agreeing = js.filter((j) => classOf((j.payload as { preference: Preference }).preference, engineItem(item)) === want).length;
      // A label set or a span set is stored as judgments store it (sorted, no repeats, spans with their
      // text), whatever order the room built it in.
      const proposed = room.proposal.preference!;
      const preference = proposed.kind === 'classification' || proposed.kind === 'spans' ? canonicalPreference(proposed, item) : proposed;
      const label: ConsensusPayload = { preference, scores: room.proposal.scores, spans: room.proposal.spans };
      const r = await repo.commit(
        a.project.id,
        disputeId,
        actor.id,
        {
          label: label as unknown as Record<string, unknown>,
          agreement: js.length ? agreeing / js.length : null,
          rubricVersion: rubric ? rubric.version : null,
          judgmentIds: js.map((j) => j.id),
          judgments: js.length,
          rationale: room.rationale.slice(0, 20_000),
          tag: room.tag,
        },
        { idempotencyKey, digest, signoffs: current },
        hooks,
      );
      if (r === 'not_open') throw new AppError('conflict', 'This dispute is not open.');
      if (r.created) {
        // The control event was written in the commit's transaction; apply it here now (other nodes hear it).
        await bus.applyPending().catch((e: unknown) => logger.error('applying the commit event failed', { message: (e as Error).message }));
        await changed(a.project.id, disputeId);
      }
      return answer(r.labelId, r.created);
    },

    async promoteGold(a: ProjectAccess, actorId: string, disputeId: string) {
      const d = await getDispute(a, disputeId);
      if (d.status !== 'committed' || !d.labelId) throw new AppError('conflict', 'Only an adjudicated (committed) dispute can be promoted to gold.');
      const l = await repo.label(a.project.id, d.labelId);
      if (!l) throw new AppError('conflict', 'The dispute has no label.');
      const preference = (l.label as { preference: Preference }).preference;
      await repo.promoteGold(a.project.id, d.itemId, preference, actorId, d.id);
      await changed(a.project.id, d.id);
      return { itemId: d.itemId, gold: preference, labelId: l.id };
    },
  };
}

export type ConsensusService = ReturnType<typeof createConsensusService>;
