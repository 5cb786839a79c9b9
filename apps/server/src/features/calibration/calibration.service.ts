/**
 * Live calibration sessions (issue 12). A lead creates a session (participants, items, rubric
 * version); participants join and judge the current item blind in the same form as daily work; the
 * lead reveals, the team discusses in the session's notes (`calibration:<id>`, notes only) beside
 * the rubric draft, and judges again; the end reports agreement blind vs after discussion.
 *
 * Blindness, the rule everything here keeps: before a round is revealed its judgments leave the
 * server only to their own author. The session view and the live state say WHO has submitted, never
 * what; a round's results answer 403 until it is revealed, for the lead too; the report and the
 * audit log use revealed rounds only. A judgment stored after its round's reveal is kept with
 * `blind = false` and never counts in the round's agreement.
 *
 * The end keeps the session's judgments as training judgments or discards them: kept, each
 * participant's last blind judgment of each item becomes an ordinary judgment (`source =
 * 'calibration'`, repo.end), once.
 *
 * The phase lives in the database (a restarted or another node reads the same) and every change is
 * announced on the control bus (`calibration:changed`, and `doc:access-changed` / `doc:frozen` for
 * the notes document), which every node applies to its own sockets.
 */
import { createHash } from 'node:crypto';
import {
  AppError,
  RubricSchema,
  canonicalPayload,
  judgmentIssues,
  type AddCalibrationParticipantsBodySchema,
  type CalibrationAgreement,
  type CalibrationAudit,
  type CalibrationEndBody,
  type CalibrationParticipant,
  type CalibrationReport,
  type CalibrationRound,
  type CalibrationRoundResult,
  type CalibrationSession,
  type CalibrationState,
  type CalibrationSubject,
  type CalibrationSubmitBody,
  type CalibrationSummary,
  type FieldIssue,
  type Preference,
  type CalibrationTask,
  type CreateCalibrationBody,
  type JudgmentPayload,
  type Rubric,
  type TaskKind,
} from '@accord/core';
import type { z } from 'zod';
import type { Bus } from '../../platform/bus.ts';
import type { Clock } from '../../platform/clock.ts';
import type { ProjectAccess } from '../../platform/http/context.ts';
import { stableJson } from '../../platform/stable-json.ts';
import type { CalibrationRepo, CalJudgmentRow, ItemRow, ParticipantRow, RoundRow, SessionRow } from './calibration.repo.ts';
import { agreementOf, pairScore, PREFERENCE_VALUES, rankPositions, raterAgreement, type ScaleWidths, type StatLabelling, type StatUnit } from './calibration.stats.ts';

export interface CalibrationServiceDeps {
  repo: CalibrationRepo;
  bus: Pick<Bus, 'emit'>;
  clock: Clock;
  rubrics: {
    versionContent(projectId: string, version: number): Promise<{ version: number; content: Record<string, unknown> } | null>;
    latestContent(projectId: string): Promise<{ version: number; content: Record<string, unknown> } | null>;
    publish(actorId: string | null, projectId: string, note: string, taskKind?: TaskKind): Promise<{ version: number }>;
  };
  quality: {
    clearFlag(project: ProjectAccess['project'], flagId: string, actorId: string, reason: string): Promise<unknown>;
    /** Brings the project's item figures up to every judgment stored so far. */
    settle(projectId: string): Promise<void>;
  };
  projects: { access(user: { id: string; isAdmin: boolean }, projectId: string): Promise<ProjectAccess | null> };
  settings(project: { settings: unknown }): { showModelNames: boolean };
  /** Judgments kept as training judgments were written: compute their items' consensus. */
  onJudgments?(projectId: string): Promise<void>;
}

/** How many days of ordinary judging before the session and since its end the report compares. */
export const EFFECT_DAYS = 14;
const MAX_ROUNDS = 20;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const noSession = () => new AppError('not_found', 'No such calibration session in this project.');
/** A lead (who sees every session) is told they do not take part; anyone else gets the unknown id's refusal. */
const notParticipant = (a: { role: string }) => (a.role === 'lead' ? new AppError('forbidden', 'You are not a participant of this calibration session.') : noSession());
const docOf = (sessionId: string) => `calibration:${sessionId}`;

/** A stable shuffle per session, participant and item: the same order on every reload. */
function displayOrder(sessionId: string, userId: string, item: ItemRow): string[] {
  const key = (id: string) => createHash('sha256').update(`${sessionId}:${userId}:${item.id}:${id}`).digest('hex');
  return item.responses.map((r) => r.id).sort((x, y) => (key(x) < key(y) ? -1 : 1));
}

type ParsedRubric = { version: number; content: Record<string, unknown>; view: Rubric } | null;

/** The subject a session shows for an item, from the judgment it was copied from (null: not a writing or an attack). */
function subjectOf(payload: Record<string, unknown> | undefined): CalibrationSubject | null {
  const p = (payload as { preference?: Preference } | undefined)?.preference;
  if (p?.kind === 'writing') return { kind: 'writing', text: p.text, base: p.base ?? null };
  if (p?.kind === 'redteam') return { kind: 'redteam', turns: p.turns, response: p.response };
  return null;
}

/**
 * What a participant's judgment of a subject is made of: a scoring of the shown writing keeps only
 * its scores (the writing is the subject's), a label of the recorded attack only its category,
 * severity and success (the conversation is the subject's). The subject's own judgment is kept
 * server-side (`stored`), so a participant cannot change what everyone judges.
 */
function onSubject(payload: JudgmentPayload, stored: Record<string, unknown> | undefined): JudgmentPayload {
  const base = (stored as { preference?: Preference } | undefined)?.preference;
  const p = payload.preference;
  if (base?.kind === 'writing') return { ...payload, preference: base, spans: [] };
  if (base?.kind === 'redteam' && p.kind === 'redteam') return { ...payload, preference: { ...base, category: p.category, severity: p.severity, success: p.success }, scores: [], spans: [] };
  return payload;
}

/** A scoring of a shown writing: every dimension of the rubric once, on its scale, for the writing (no response id). */
function writingScoreIssues(payload: JudgmentPayload, rubric: Rubric | null, path = 'body.payload'): FieldIssue[] {
  if (payload.preference.kind !== 'writing') return [{ path: `${path}.preference.kind`, message: "must be 'writing': this round scores the shown writing" }];
  const dims = new Map((rubric?.dimensions ?? []).map((d) => [d.id, d]));
  if (!dims.size) return [{ path: `${path}.scores`, message: 'cannot be taken: the session’s rubric version has no dimensions to score a writing on' }];
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  payload.scores.forEach((sc, i) => {
    const at = `${path}.scores.${i}`;
    const d = dims.get(sc.dimension);
    if (!d) return void issues.push({ path: `${at}.dimension`, message: `is not a dimension of the rubric (known: ${[...dims.keys()].join(', ')})` });
    if (sc.responseId !== undefined) issues.push({ path: `${at}.responseId`, message: 'must be absent: the score is for the shown writing' });
    const allowed = d.levels.map((l) => l.value);
    if (!allowed.includes(sc.value)) issues.push({ path: `${at}.value`, message: `is out of scale for ${d.id} (allowed: ${allowed.join(', ')})` });
    if (seen.has(d.id)) issues.push({ path: at, message: `scores ${d.id} twice` });
    seen.add(d.id);
  });
  const missing = [...dims.keys()].filter((d) => !seen.has(d));
  if (missing.length) issues.push({ path: `${path}.scores`, message: `missing a score for ${missing.join(', ')}` });
  return issues;
}

/** Widths of the scales pair scores measure distances on (each dimension's, the severity scale's). */
function widthsOf(rubric: Rubric | null): ScaleWidths {
  const width = (vs: readonly number[]) => (vs.length ? Math.max(...vs) - Math.min(...vs) : 1);
  return {
    dimensions: Object.fromEntries((rubric?.dimensions ?? []).map((d) => [d.id, width(d.levels.map((l) => l.value))])),
    severity: width((rubric?.rating?.levels ?? []).map((l) => l.value)),
  };
}

export function createCalibrationService({ repo, bus, clock, rubrics, quality, projects, settings, onJudgments }: CalibrationServiceDeps) {
  const rubricCache = new Map<string, ParsedRubric>();
  async function rubricOf(projectId: string, version: number | null): Promise<ParsedRubric> {
    if (version === null) return null;
    const key = `${projectId}:${version}`;
    if (rubricCache.has(key)) return rubricCache.get(key)!;
    const row = await rubrics.versionContent(projectId, version);
    const view = row ? RubricSchema.safeParse(row.content) : null;
    const parsed = row && view?.success ? { version: row.version, content: row.content, view: view.data } : null;
    if (rubricCache.size > 200) rubricCache.clear();
    rubricCache.set(key, parsed);
    return parsed;
  }

  async function load(a: ProjectAccess, sessionId: string): Promise<SessionRow> {
    const s = await repo.session(a.project.id, sessionId);
    if (!s) throw noSession();
    return s;
  }

  /** Who the caller is to the session: a lead of the project, a participant, or neither (refused). */
  async function viewer(a: ProjectAccess, s: SessionRow, userId: string): Promise<{ lead: boolean; participant: boolean }> {
    const participant = await repo.isParticipant(s.id, userId);
    const lead = a.role === 'lead';
    // Not a participant and not a lead: the refusal of an unknown id, so that the sessions one was
    // left out of cannot be told from made-up ids (here, on the socket and on the notes document).
    if (!lead && !participant) throw noSession();
    return { lead, participant };
  }

  const requireLead = (a: ProjectAccess) => {
    if (a.role !== 'lead') throw new AppError('forbidden', 'Only a lead runs a calibration session.');
  };

  async function announce(s: { id: string; projectId: string }, docAccess: 'changed' | 'frozen' | null = null) {
    await bus.emit('calibration:changed', { sessionId: s.id, projectId: s.projectId });
    if (docAccess === 'changed') await bus.emit('doc:access-changed', { doc: docOf(s.id) });
    if (docAccess === 'frozen') await bus.emit('doc:frozen', { doc: docOf(s.id) });
  }

  function roundView(s: SessionRow, r: RoundRow): CalibrationRound {
    return {
      id: r.id,
      itemId: r.itemId,
      index: s.itemIds.indexOf(r.itemId) + 1,
      number: r.number,
      openedAt: r.openedAt.toISOString(),
      revealedAt: iso(r.revealedAt),
      missingAtReveal: r.missingAtReveal ? r.missingAtReveal.length : null,
    };
  }

  function summary(s: SessionRow, a: ProjectAccess, participantCount: number, isParticipant: boolean): CalibrationSummary {
    return {
      id: s.id,
      projectId: s.projectId,
      title: s.title,
      phase: s.phase,
      taskKind: a.project.taskKind,
      rubricVersion: s.rubricVersion,
      itemCount: s.itemIds.length,
      participantCount,
      isParticipant,
      createdAt: s.createdAt.toISOString(),
      endedAt: iso(s.endedAt),
    };
  }

  async function task(a: ProjectAccess, s: SessionRow, round: RoundRow, userId: string): Promise<CalibrationTask | null> {
    const [item] = await repo.items(a.project.id, [round.itemId]);
    if (!item) return null;
    const rubric = await rubricOf(a.project.id, s.rubricVersion);
    const order = displayOrder(s.id, userId, item);
    const byId = new Map(item.responses.map((r) => [r.id, r]));
    const showModels = settings(a.project).showModelNames;
    return {
      roundId: round.id,
      roundNumber: round.number,
      taskKind: a.project.taskKind,
      item: {
        id: item.id,
        prompt: item.prompt,
        context: item.context,
        responses: order
          .map((id) => byId.get(id))
          .filter((r) => r !== undefined)
          .map(({ id, model, kind, content }) => (showModels ? { id, model, kind, content } : { id, kind, content })),
        reference: item.reference,
      },
      responseOrder: order,
      canonicalOrder: item.responses.map((r) => r.id),
      rubric: rubric ? { version: rubric.version, content: rubric.content } : null,
      subject: subjectOf(s.subjects[item.id]),
    };
  }

  async function view(a: ProjectAccess, s: SessionRow, userId: string): Promise<CalibrationSession> {
    const who = await viewer(a, s, userId);
    const [people, rounds] = await Promise.all([repo.participants(s.id, a.project.id), repo.rounds(s.id)]);
    const current = rounds.find((r) => r.id === s.roundId) ?? null;
    const submitted = new Set(current ? await repo.submitters(current.id) : []);
    const mine = current && who.participant ? await repo.myJudgment(current.id, userId) : null;
    const live = current && (s.phase === 'judging' || s.phase === 'revealed');
    return {
      ...summary(s, a, people.length, who.participant),
      version: s.version,
      itemIndex: s.itemIndex,
      itemIds: s.itemIds,
      showNames: s.showNames,
      canLead: who.lead,
      round: current ? roundView(s, current) : null,
      rounds: rounds.map((r) => roundView(s, r)),
      participants: participantsFor(people, submitted, { lead: who.lead, userId }, s.showNames),
      task: live && current ? await task(a, s, current, userId) : null,
      mine: mine ? { payload: mine.payload as JudgmentPayload, blind: mine.blind, submittedAt: mine.submittedAt.toISOString() } : null,
      judgmentsUse: s.judgmentsUse,
      publishedVersion: s.publishedVersion,
      reference: who.lead && current ? ((s.referenceLabels[current.itemId]?.payload as JudgmentPayload | undefined) ?? null) : null,
    };
  }

  /**
   * The participants as a viewer sees them. A participant of a session whose names are hidden sees
   * their own position only, and the list in name order, so that "Participant n" in a revealed round
   * names nobody but themselves. Others' flag outcomes are for leads.
   */
  function participantsFor(people: ParticipantRow[], submitted: Set<string>, viewer: { lead: boolean; userId: string }, showNames: boolean): CalibrationParticipant[] {
    const hide = !viewer.lead && !showNames;
    const list = people.map((p) => ({
      userId: p.userId,
      name: p.name,
      role: p.role,
      position: hide && p.userId !== viewer.userId ? null : p.position,
      joined: p.joinedAt !== null,
      submitted: submitted.has(p.userId),
      flagOutcome: viewer.lead || p.userId === viewer.userId ? p.flagOutcome : null,
    }));
    return hide ? list.sort((x, y) => x.name.localeCompare(y.name) || x.userId.localeCompare(y.userId)) : list;
  }

  async function liveState(s: SessionRow): Promise<CalibrationState> {
    const [people, rounds] = await Promise.all([repo.participants(s.id, s.projectId), repo.rounds(s.id)]);
    const current = rounds.find((r) => r.id === s.roundId) ?? null;
    return {
      sessionId: s.id,
      version: s.version,
      phase: s.phase,
      itemIndex: s.itemIndex,
      roundId: current?.id ?? null,
      roundNumber: current?.number ?? null,
      // In user id order, which means nothing: the state goes to every participant, and in position
      // order it told who "Participant n" is when names are hidden (each participant's own position
      // and the others' ids are theirs to see).
      joined: people
        .filter((p) => p.joinedAt)
        .map((p) => p.userId)
        .sort(),
      submitted: current ? (await repo.submitters(current.id)).sort() : [],
    };
  }

  // ---------------------------------------------------------------- results of revealed rounds

  const labelOf = (p: ParticipantRow | undefined, showNames: boolean) => (p ? (showNames ? p.name : `Participant ${p.position}`) : 'Former participant');

  function unitOf(itemId: string, canonical: string[], rows: CalJudgmentRow[]): StatUnit {
    return { itemId, canonical, judgments: rows.filter((j) => j.blind).map((j) => ({ rater: j.userId, payload: j.payload as JudgmentPayload })) };
  }

  /** A rating round is judged on the scale's levels; a classification round on one label or several. */
  function labellingOf(rubric: ParsedRubric): StatLabelling {
    return { levels: rubric?.view.rating?.levels.map((l) => l.value), multiLabel: rubric?.view.taxonomy?.multiLabel === true };
  }

  /** A writing is scored as a whole (its scores carry no response id), whatever target a dimension names. */
  function dimensionsOf(rubric: ParsedRubric, taskKind?: TaskKind) {
    return (rubric?.view.dimensions ?? []).map((d) => ({ id: d.id, target: taskKind === 'writing' ? ('comparison' as const) : d.target }));
  }

  function distribution(unit: StatUnit, taskKind: TaskKind, rubric: ParsedRubric): CalibrationRoundResult['distribution'] {
    const payloads = unit.judgments.map((j) => j.payload);
    const preference = taskKind === 'pairwise' ? PREFERENCE_VALUES.map((value) => ({ value, count: payloads.filter((p) => p.preference.kind === 'pairwise' && p.preference.value === value).length })) : [];
    const ranks =
      taskKind === 'ranking'
        ? unit.canonical.map((responseId, o) => {
            const positions = unit.canonical.map(() => 0);
            for (const p of payloads) {
              if (p.preference.kind !== 'ranking') continue;
              const at = rankPositions(p.preference.groups, unit.canonical)[o];
              if (at != null) positions[at - 1]! += 1;
            }
            return { responseId, positions };
          })
        : [];
    const scores = dimensionsOf(rubric, taskKind).flatMap((d) =>
      (d.target === 'response' ? unit.canonical : [null]).map((responseId) => {
        const counts = new Map<number, number>();
        for (const p of payloads) for (const sc of p.scores) if (sc.dimension === d.id && (sc.responseId ?? null) === responseId) counts.set(sc.value, (counts.get(sc.value) ?? 0) + 1);
        return { dimension: d.id, responseId, counts: [...counts].sort((x, y) => x[0] - y[0]).map(([value, count]) => ({ value, count })) };
      }),
    );
    const spanMap = new Map<string, { responseId: string; category: string; marks: number; who: Set<string> }>();
    for (const j of unit.judgments)
      for (const sp of j.payload.spans) {
        const k = `${sp.responseId}\u0001${sp.category}`;
        const e = spanMap.get(k) ?? { responseId: sp.responseId, category: sp.category, marks: 0, who: new Set<string>() };
        e.marks++;
        e.who.add(j.rater);
        spanMap.set(k, e);
      }
    const spans = [...spanMap.values()].map((e) => ({ responseId: e.responseId, category: e.category, marks: e.marks, participants: e.who.size }));
    if (taskKind === 'rating') {
      // Every level of the scale (a level nobody chose shows as 0), lowest first; a value off the scale after them.
      const counts = new Map<number, number>((rubric?.view.rating?.levels ?? []).map((l) => [l.value, 0]));
      for (const p of payloads) if (p.preference.kind === 'rating') counts.set(p.preference.value, (counts.get(p.preference.value) ?? 0) + 1);
      return { preference, ranks, scores, spans, ratings: [...counts].map(([value, count]) => ({ value, count })) };
    }
    if (taskKind === 'classification') {
      const counts = new Map<string, number>((rubric?.view.taxonomy?.labels ?? []).map((l) => [l.id, 0]));
      const sets = new Map<string, { labels: string[]; count: number }>();
      for (const p of payloads) {
        if (p.preference.kind !== 'classification') continue;
        const labels = [...new Set(p.preference.labels)].sort();
        for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
        const key = JSON.stringify(labels);
        sets.set(key, { labels, count: (sets.get(key)?.count ?? 0) + 1 });
      }
      return {
        preference,
        ranks,
        scores,
        spans,
        labels: [...counts].map(([label, count]) => ({ label, count })),
        labelSets: [...sets.values()].sort((x, y) => y.count - x.count || x.labels.join().localeCompare(y.labels.join())),
      };
    }
    if (taskKind === 'redteam') {
      const rt = payloads.flatMap((p) => (p.preference.kind === 'redteam' ? [p.preference] : []));
      const severities = new Map<number, number>((rubric?.view.rating?.levels ?? []).map((l) => [l.value, 0]));
      const categories = new Map<string, number>((rubric?.view.taxonomy?.labels ?? []).map((l) => [l.id, 0]));
      for (const p of rt) {
        if (p.severity !== null) severities.set(p.severity, (severities.get(p.severity) ?? 0) + 1);
        for (const c of new Set(p.category)) categories.set(c, (categories.get(c) ?? 0) + 1);
      }
      return {
        preference,
        ranks,
        scores,
        spans,
        success: [true, false].map((value) => ({ value, count: rt.filter((p) => p.success === value).length })),
        severities: [...severities].map(([value, count]) => ({ value, count })),
        categories: [...categories].map(([label, count]) => ({ label, count })),
      };
    }
    return { preference, ranks, scores, spans };
  }

  /** `lead`: the reader is a lead (a participant of a session with hidden names reads no submission times). */
  async function roundResult(a: ProjectAccess, s: SessionRow, r: RoundRow, people: ParticipantRow[], rows: CalJudgmentRow[], names: boolean, lead: boolean): Promise<CalibrationRoundResult> {
    const [item] = await repo.items(a.project.id, [r.itemId]);
    const canonical = item ? item.responses.map((x) => x.id) : [];
    const rubric = await rubricOf(a.project.id, s.rubricVersion);
    const byUser = new Map(people.map((p) => [p.userId, p]));
    const unit = unitOf(r.itemId, canonical, rows);
    // The lead's reference (this function serves revealed rounds only) and each judgment's agreement with it.
    const reference = (s.referenceLabels[r.itemId]?.payload as JudgmentPayload | undefined) ?? null;
    const widths = widthsOf(rubric?.view ?? null);
    const vs = (p: JudgmentPayload) => (reference ? pairScore(p, reference, canonical, widths) : null);
    const blindScores = rows.filter((j) => j.blind).flatMap((j) => {
      const v = vs(j.payload as JudgmentPayload);
      return v === null ? [] : [v];
    });
    return {
      round: roundView(s, r),
      taskKind: a.project.taskKind,
      canonicalOrder: canonical,
      judgments: rows
        .map((j) => ({ j, p: byUser.get(j.userId) }))
        .sort((x, y) => (x.p?.position ?? 1e9) - (y.p?.position ?? 1e9))
        .map(({ j, p }) => ({ label: labelOf(p, names), userId: names ? j.userId : null, payload: j.payload as JudgmentPayload, blind: j.blind, submittedAt: names || lead ? j.submittedAt.toISOString() : null, vsReference: vs(j.payload as JudgmentPayload) })),
      distribution: distribution(unit, a.project.taskKind, rubric),
      agreement: agreementOf([unit], a.project.taskKind, dimensionsOf(rubric, a.project.taskKind), labellingOf(rubric)),
      reference,
      referenceAgreement: blindScores.length ? { value: blindScores.reduce((x, y) => x + y, 0) / blindScores.length, n: blindScores.length } : null,
      subject: subjectOf(s.subjects[r.itemId]),
    };
  }

  /** Revealed rounds grouped by item, in session order, with their judgments and the items' canonical orders. */
  async function revealedByItem(a: ProjectAccess, s: SessionRow) {
    const rounds = (await repo.rounds(s.id)).filter((r) => r.revealedAt !== null);
    const rows = await repo.judgmentsOf(rounds.map((r) => r.id));
    const its = new Map((await repo.items(a.project.id, s.itemIds)).map((i) => [i.id, i]));
    const out: { itemId: string; index: number; canonical: string[]; rounds: { round: RoundRow; rows: CalJudgmentRow[] }[] }[] = [];
    s.itemIds.forEach((itemId, i) => {
      const mine = rounds.filter((r) => r.itemId === itemId).sort((x, y) => x.number - y.number);
      if (!mine.length) return;
      out.push({ itemId, index: i + 1, canonical: its.get(itemId)?.responses.map((x) => x.id) ?? [], rounds: mine.map((round) => ({ round, rows: rows.filter((j) => j.roundId === round.id) })) });
    });
    return out;
  }

  /** Each item's blind round (its first) and its last round after a discussion (null when there was only one). */
  function beforeAfter(groups: Awaited<ReturnType<typeof revealedByItem>>) {
    return groups.map((g) => {
      const first = g.rounds[0]!;
      const last = g.rounds.length > 1 ? g.rounds[g.rounds.length - 1]! : null;
      return { ...g, blind: unitOf(g.itemId, g.canonical, first.rows), after: last ? unitOf(g.itemId, g.canonical, last.rows) : null };
    });
  }

  /**
   * Whether the effect held: the participants' ordinary judging (`repo.ordinaryJudgments`: made in
   * Accord's daily work) in the EFFECT_DAYS before the session started and since it ended (up to
   * EFFECT_DAYS). Per participant: the mean pair score (as in the session's per-participant figures)
   * of each of their judgments in the window against every other ordinary judgment of the same item;
   * n = pairs. For the group: the session's statistic (α ordinal, W, span F1, per dimension) over the
   * items the participants judged in the window, from the participants' judgments there — the figure
   * to set beside the session's blind and after-discussion agreement.
   */
  async function effect(a: ProjectAccess, s: SessionRow, people: ParticipantRow[], names: boolean, dims: { id: string; target: 'response' | 'comparison' }[], labelling: StatLabelling): Promise<CalibrationReport['effect']> {
    const ids = new Set(people.map((p) => p.userId));
    const start = s.startedAt ?? s.createdAt;
    const day = 86_400_000;
    const its = new Map<string, string[]>();
    const windowOf = async (from: Date, to: Date) => {
      const rows = await repo.ordinaryJudgments(a.project.id, [...ids], from, to);
      const inWindow = (x: (typeof rows)[number]) => ids.has(x.userId) && x.submittedAt !== null && x.submittedAt >= from && x.submittedAt <= to;
      const byItem = new Map<string, typeof rows>();
      for (const r of rows) byItem.set(r.itemId, [...(byItem.get(r.itemId) ?? []), r]);
      const acc = new Map<string, { sum: number; n: number }>();
      for (const [, js] of byItem)
        for (const x of js) {
          if (!inWindow(x)) continue;
          const t = acc.get(x.userId) ?? { sum: 0, n: 0 };
          acc.set(x.userId, t);
          for (const y of js) {
            if (y === x) continue;
            const sc = safePair(x.payload as JudgmentPayload, y.payload as JudgmentPayload);
            if (sc !== null) {
              t.sum += sc;
              t.n++;
            }
          }
        }
      const missing = [...byItem.keys()].filter((id) => !its.has(id));
      for (const it of await repo.items(a.project.id, missing)) its.set(it.id, it.responses.map((r) => r.id));
      const units: StatUnit[] = [...byItem].flatMap(([itemId, js]) => {
        const mine = js.filter(inWindow);
        return mine.length ? [{ itemId, canonical: its.get(itemId) ?? [], judgments: mine.map((j) => ({ rater: j.userId, payload: j.payload as JudgmentPayload })) }] : [];
      });
      return { acc, group: units.length ? agreementOf(units, a.project.taskKind, dims, labelling) : null };
    };
    const before = await windowOf(new Date(start.getTime() - EFFECT_DAYS * day), start);
    const since = s.endedAt ? await windowOf(s.endedAt, new Date(Math.min(clock().getTime(), s.endedAt.getTime() + EFFECT_DAYS * day))) : { acc: new Map<string, { sum: number; n: number }>(), group: null };
    return {
      days: EFFECT_DAYS,
      overall: { before: before.group, since: since.group },
      participants: people.map((p) => {
        const b = before.acc.get(p.userId);
        const a2 = since.acc.get(p.userId);
        return { label: labelOf(p, names), userId: names ? p.userId : null, before: b?.n ? b.sum / b.n : null, beforeN: b?.n ?? 0, since: a2?.n ? a2.sum / a2.n : null, sinceN: a2?.n ?? 0 };
      }),
    };
  }

  function safePair(x: JudgmentPayload, y: JudgmentPayload): number | null {
    if (!x?.preference || !y?.preference) return null;
    const ids = [...new Set([x, y].flatMap((p) => (p.preference.kind === 'ranking' ? p.preference.groups.flat() : [])))].sort();
    return pairScore(x, y, ids);
  }

  return {
    async list(a: ProjectAccess, userId: string): Promise<{ items: CalibrationSummary[] }> {
      const rows = await repo.list(a.project.id, a.role === 'lead' ? null : userId);
      return { items: rows.map((r) => summary(r.s, a, r.participants, Boolean(r.isParticipant))) };
    },

    async create(a: ProjectAccess, actorId: string, body: CreateCalibrationBody): Promise<CalibrationSession> {
      requireLead(a);
      let people: string[];
      if (body.participants === 'enrolled') {
        people = await repo.enrolled(a.project.id);
        if (!people.length) throw new AppError('conflict', 'No member is enrolled for calibration; enrol members or choose participants.');
      } else {
        people = [...new Set(body.participants)];
        const known = new Set(await repo.members(a.project.id, people));
        const unknown = people.filter((u) => !known.has(u));
        if (unknown.length) throw new AppError('validation_failed', `body.participants must be members of the project (${unknown.length} are not)`, unknown.map((u) => ({ path: 'body.participants', message: `${u} is not a member of the project` })));
      }
      let itemIds: string[];
      if (Array.isArray(body.items)) {
        itemIds = [...new Set(body.items)];
        const found = new Set((await repo.items(a.project.id, itemIds)).map((i) => i.id));
        const missing = itemIds.filter((i) => !found.has(i));
        if (missing.length) throw new AppError('validation_failed', `body.items must be items of the project (${missing.length} are not)`, missing.map((i) => ({ path: 'body.items', message: `${i} is not an item of the project` })));
      } else {
        await quality.settle(a.project.id);
        itemIds = await repo.lowestAgreement(a.project.id, body.items.lowestAgreement);
        if (!itemIds.length) throw new AppError('conflict', 'No item has been judged twice yet, so none has an agreement to pick by; choose items by hand.');
      }
      let rubricVersion: number | null;
      if (body.rubricVersion !== undefined) {
        if (!(await rubrics.versionContent(a.project.id, body.rubricVersion))) throw new AppError('validation_failed', 'body.rubricVersion is not a published version', [{ path: 'body.rubricVersion', message: 'is not a published rubric version of the project' }]);
        rubricVersion = body.rubricVersion;
      } else rubricVersion = (await rubrics.latestContent(a.project.id))?.version ?? null;
      // Writing and red teaming: what everyone judges on each item, copied now (without its author).
      let subjects: Record<string, Record<string, unknown>> = {};
      const kind = a.project.taskKind;
      if (kind === 'writing' || kind === 'redteam') {
        const found = await repo.firstWork(a.project.id, itemIds, kind);
        const without = itemIds.filter((i) => !found.has(i));
        // A writing item without a writing is written for; an attack must exist to be labelled.
        if (kind === 'redteam' && without.length)
          throw new AppError('validation_failed', `body.items must have a recorded attack to label (${without.length} have none)`, without.map((i) => ({ path: 'body.items', message: `${i} has no submitted attack yet` })));
        subjects = Object.fromEntries([...found].map(([itemId, payload]) => [itemId, { preference: (payload as { preference: unknown }).preference }]));
      }
      const s = await repo.create(actorId, { projectId: a.project.id, title: body.title, createdBy: actorId, rubricVersion, itemIds, showNames: body.showNames, subjects }, people);
      return view(a, s, actorId);
    },

    async get(a: ProjectAccess, userId: string, sessionId: string) {
      return view(a, await load(a, sessionId), userId);
    },

    async addParticipants(a: ProjectAccess, actorId: string, sessionId: string, body: z.infer<typeof AddCalibrationParticipantsBodySchema>) {
      requireLead(a);
      const s = await load(a, sessionId);
      const ids = [...new Set(body.userIds)];
      const known = new Set(await repo.members(a.project.id, ids));
      const unknown = ids.filter((u) => !known.has(u));
      if (unknown.length) throw new AppError('validation_failed', 'body.userIds must be members of the project', unknown.map((u) => ({ path: 'body.userIds', message: `${u} is not a member of the project` })));
      if (!(await repo.addParticipants(actorId, s, ids))) throw new AppError('conflict', 'This session has ended.');
      await announce(s, 'changed');
      return view(a, (await repo.session(a.project.id, sessionId))!, actorId);
    },

    async join(a: ProjectAccess, userId: string, sessionId: string) {
      const s = await load(a, sessionId);
      if (!(await repo.isParticipant(s.id, userId))) throw notParticipant(a);
      if (await repo.markJoined(s.id, userId, clock())) await announce(s);
      return view(a, (await repo.session(a.project.id, sessionId))!, userId);
    },

    async openRound(a: ProjectAccess, actorId: string, sessionId: string) {
      requireLead(a);
      const s = await load(a, sessionId);
      const itemId = s.itemIds[s.itemIndex];
      if (!itemId) throw new AppError('conflict', 'This session has no items.');
      let number: number;
      if (s.phase === 'lobby') number = 1;
      else if (s.phase === 'revealed') {
        const rounds = (await repo.rounds(s.id)).filter((r) => r.itemId === itemId);
        number = Math.max(0, ...rounds.map((r) => r.number)) + 1;
        if (number > MAX_ROUNDS) throw new AppError('conflict', `At most ${MAX_ROUNDS} rounds per item.`);
      } else throw new AppError('conflict', s.phase === 'judging' ? 'A round is open: reveal it first.' : 'This session has ended.');
      if (!(await repo.openRound(actorId, s, { itemIndex: s.itemIndex, itemId, number, at: clock() }))) throw new AppError('conflict', 'The session moved on a moment ago; reload it.');
      await announce(s, 'changed');
      return view(a, (await repo.session(a.project.id, sessionId))!, actorId);
    },

    async nextItem(a: ProjectAccess, actorId: string, sessionId: string) {
      requireLead(a);
      const s = await load(a, sessionId);
      if (s.phase !== 'revealed') throw new AppError('conflict', s.phase === 'judging' ? 'A round is open: reveal it first.' : s.phase === 'lobby' ? 'Open the first round first.' : 'This session has ended.');
      const index = s.itemIndex + 1;
      const itemId = s.itemIds[index];
      if (!itemId) throw new AppError('conflict', 'This was the last item: end the session.');
      if (!(await repo.openRound(actorId, s, { itemIndex: index, itemId, number: 1, at: clock() }))) throw new AppError('conflict', 'The session moved on a moment ago; reload it.');
      await announce(s, 'changed');
      return view(a, (await repo.session(a.project.id, sessionId))!, actorId);
    },

    async submit(a: ProjectAccess, userId: string, sessionId: string, body: CalibrationSubmitBody) {
      const s = await load(a, sessionId);
      if (body.reference) requireLead(a);
      else if (!(await repo.isParticipant(s.id, userId))) throw notParticipant(a);
      if (s.phase === 'ended') throw new AppError('conflict', 'This session has ended.');
      if (!s.roundId || body.roundId !== s.roundId) throw new AppError('conflict', 'This round is no longer open; the session has moved on.');
      const round = (await repo.rounds(s.id)).find((r) => r.id === s.roundId)!;
      const [item] = await repo.items(a.project.id, [round.itemId]);
      if (!item) throw new AppError('conflict', 'This item no longer exists.');
      const rubric = await rubricOf(a.project.id, s.rubricVersion);
      const subject = s.subjects[item.id];
      const scoring = a.project.taskKind === 'writing' && subject !== undefined;
      if (subject && body.payload.preference.kind !== a.project.taskKind)
        throw new AppError('validation_failed', `body.payload.preference.kind must be '${a.project.taskKind}'`, [{ path: 'body.payload.preference.kind', message: `must be '${a.project.taskKind}'` }]);
      const judged = onSubject(body.payload, subject);
      const issues = scoring ? writingScoreIssues(judged, rubric?.view ?? null) : judgmentIssues(judged, item, a.project.taskKind, rubric?.view ?? null);
      if (issues.length) throw new AppError('validation_failed', issues.map((i) => `${i.path} ${i.message}`).join('; '), issues);
      const payload = canonicalPayload(judged, item);
      if (body.reference) {
        // Kept with the session, never announced: participants learn of it at the reveal.
        const at = clock();
        await repo.setReference(s.id, item.id, { payload: payload as unknown as Record<string, unknown>, userId, at: at.toISOString() });
        return { blind: false, submittedAt: at.toISOString(), repeated: false };
      }
      const stored = await repo.storeJudgment({ roundId: round.id, sessionId: s.id, userId, payload: payload as unknown as Record<string, unknown>, responseOrder: displayOrder(s.id, userId, item), timeSpentMs: body.timeSpentMs ?? null, at: clock() });
      if (!stored.fresh && stableJson(stored.row.payload) !== stableJson(payload)) throw new AppError('conflict', 'You already submitted a different judgment in this round.');
      if (stored.fresh) {
        await repo.markSeen(a.project.id, userId, item, clock());
        await announce(s);
      }
      return { blind: stored.row.blind, submittedAt: stored.row.submittedAt.toISOString(), repeated: !stored.fresh };
    },

    async reveal(a: ProjectAccess, actorId: string, sessionId: string, body: { showNames?: boolean | undefined; force: boolean }) {
      requireLead(a);
      const s = await load(a, sessionId);
      if (s.phase !== 'judging' || !s.roundId) throw new AppError('conflict', 'No round is open.');
      const [people, submitted] = await Promise.all([repo.participants(s.id, a.project.id), repo.submitters(s.roundId)]);
      const done = new Set(submitted);
      const missing = people.filter((p) => !done.has(p.userId));
      const waiting = missing.filter((p) => p.joinedAt);
      if (waiting.length && !body.force) throw new AppError('conflict', `${waiting.length} of the participants who joined have not submitted; reveal anyway with force.`, [{ path: 'body.force', message: `${waiting.length} have not submitted` }]);
      if (!(await repo.reveal(actorId, s, s.roundId, missing.map((p) => p.userId), body.showNames ?? s.showNames, clock()))) throw new AppError('conflict', 'The round was revealed a moment ago.');
      await announce(s, 'changed');
      return view(a, (await repo.session(a.project.id, sessionId))!, actorId);
    },

    async round(a: ProjectAccess, userId: string, sessionId: string, roundId: string): Promise<CalibrationRoundResult> {
      const s = await load(a, sessionId);
      await viewer(a, s, userId);
      const r = (await repo.rounds(s.id)).find((x) => x.id === roundId);
      if (!r) throw new AppError('not_found', 'No such round in this session.');
      if (!r.revealedAt) throw new AppError('forbidden', 'This round has not been revealed yet: its judgments stay blind until the lead reveals it.');
      const [people, rows] = await Promise.all([repo.participants(s.id, a.project.id), repo.judgmentsOf([r.id])]);
      return roundResult(a, s, r, people, rows, s.showNames, a.role === 'lead');
    },

    async end(a: ProjectAccess, actorId: string, sessionId: string, body: CalibrationEndBody) {
      requireLead(a);
      const s = await load(a, sessionId);
      if (s.phase === 'ended') throw new AppError('conflict', 'This session has ended already.');
      // Flags: each flagged participant's agreement with the others in the items' last rounds.
      const people = await repo.participants(s.id, a.project.id);
      const flags = await repo.openFlags(a.project.id, people.map((p) => p.userId));
      const outcomes = new Map<string, 'cleared' | 'kept'>();
      if (flags.length) {
        const groups = beforeAfter(await revealedByItem(a, s));
        const last = raterAgreement(groups.map((g) => g.after ?? g.blind), widthsOf((await rubricOf(a.project.id, s.rubricVersion))?.view ?? null));
        for (const userId of new Set(flags.map((f) => f.userId))) {
          const v = last.get(userId) ?? null;
          outcomes.set(userId, v !== null && v >= body.clearFlagsAt ? 'cleared' : 'kept');
        }
      }
      const published = body.publishRubric ? await rubrics.publish(actorId, a.project.id, body.publishRubric.note || `Published from the calibration session “${s.title}”.`, a.project.taskKind) : null;
      const ended = await repo.end(actorId, s, { judgmentsUse: body.judgments, publishedVersion: published?.version ?? null, outcomes, at: clock() });
      if (!ended) throw new AppError('conflict', 'This session has ended already.');
      // Kept judgments are ordinary submitted judgments now: agreement follows by trigger; consensus
      // is computed here (a failure loses nothing: the items stay queued for the consensus sweep).
      if (ended.kept > 0 && onJudgments) await onJudgments(a.project.id).catch(() => undefined);
      for (const f of flags)
        if (outcomes.get(f.userId) === 'cleared')
          await quality.clearFlag(a.project, f.id, actorId, `Calibration session “${s.title}”: agreement after discussion reached ${body.clearFlagsAt}.`).catch(() => undefined);
      await announce(s, 'frozen');
      return view(a, (await repo.session(a.project.id, sessionId))!, actorId);
    },

    async report(a: ProjectAccess, userId: string, sessionId: string): Promise<CalibrationReport> {
      const s = await load(a, sessionId);
      await viewer(a, s, userId);
      const rubric = await rubricOf(a.project.id, s.rubricVersion);
      const dims = dimensionsOf(rubric, a.project.taskKind);
      const groups = beforeAfter(await revealedByItem(a, s));
      const people = await repo.participants(s.id, a.project.id);
      const labelling = labellingOf(rubric);
      const fig = (units: StatUnit[]): CalibrationAgreement | null => (units.length ? agreementOf(units, a.project.taskKind, dims, labelling) : null);
      const blindUnits = groups.map((g) => g.blind);
      const afterUnits = groups.flatMap((g) => (g.after ? [g.after] : []));
      const widths = widthsOf(rubric?.view ?? null);
      const blindBy = raterAgreement(blindUnits, widths);
      const afterBy = raterAgreement(afterUnits, widths);
      return {
        sessionId: s.id,
        phase: s.phase,
        overall: { blind: fig(blindUnits), after: fig(afterUnits) },
        items: groups.map((g) => ({ itemId: g.itemId, index: g.index, rounds: g.rounds.length, blind: fig([g.blind]), after: g.after ? fig([g.after]) : null })),
        // Others' flag outcomes are for leads (a participant sees their own).
        participants: people.map((p) => ({ label: labelOf(p, s.showNames), userId: s.showNames ? p.userId : null, blind: blindBy.get(p.userId) ?? null, after: afterBy.get(p.userId) ?? null, flagOutcome: a.role === 'lead' || p.userId === userId ? p.flagOutcome : null })),
        effect: a.role === 'lead' ? await effect(a, s, people, s.showNames, dims, labelling) : null,
      };
    },

    async audit(a: ProjectAccess, userId: string, sessionId: string): Promise<CalibrationAudit> {
      requireLead(a);
      const s = await load(a, sessionId);
      const people = await repo.participants(s.id, a.project.id);
      const rounds = (await repo.rounds(s.id)).filter((r) => r.revealedAt !== null);
      const rows = await repo.judgmentsOf(rounds.map((r) => r.id));
      const out: CalibrationAudit['rounds'] = [];
      for (const r of rounds) out.push({ itemId: r.itemId, ...(await roundResult(a, s, r, people, rows.filter((j) => j.roundId === r.id), true, true)) });
      return {
        session: { ...summary(s, a, people.length, people.some((p) => p.userId === userId)), showNames: s.showNames, judgmentsUse: s.judgmentsUse, publishedVersion: s.publishedVersion, startedAt: iso(s.startedAt) },
        participants: people.map((p) => ({ label: `Participant ${p.position}`, userId: p.userId, name: p.name, flagOutcome: p.flagOutcome })),
        rounds: out,
      };
    },

    // ---------------------------------------------------------------- for the realtime layer

    /** The live state for a user read fresh, or why not: participants and the project's leads only. */
    async stateFor(user: { id: string; isAdmin: boolean; active: boolean }, sessionId: string): Promise<{ ok: true; state: CalibrationState; projectId: string } | { ok: false; code: 'not_found' | 'forbidden' }> {
      if (!user.active) return { ok: false, code: 'not_found' };
      const s = await repo.sessionById(sessionId);
      if (!s) return { ok: false, code: 'not_found' };
      const a = await projects.access(user, s.projectId);
      if (!a) return { ok: false, code: 'not_found' };
      if (a.role !== 'lead' && !(await repo.isParticipant(s.id, user.id))) return { ok: false, code: 'not_found' };
      return { ok: true, state: await liveState(s), projectId: s.projectId };
    },

    /** The live state as every viewer sees it (who, never what). */
    async state(sessionId: string): Promise<CalibrationState | null> {
      const s = await repo.sessionById(sessionId);
      return s ? liveState(s) : null;
    },

    // ---------------------------------------------------------------- for the notes document kind

    projectOf: async (sessionId: string) => (await repo.sessionById(sessionId))?.projectId ?? null,
    /** Notes: written by participants and leads while a round is revealed; read otherwise; nobody else opens them. */
    async notesAccess(sessionId: string, userId: string, role: string): Promise<'read' | 'write' | 'not_found' | { refuse: string }> {
      const s = await repo.sessionById(sessionId);
      if (!s) return { refuse: 'No such session.' };
      if (role !== 'lead' && !(await repo.isParticipant(s.id, userId))) return 'not_found';
      return s.phase === 'revealed' ? 'write' : 'read';
    },
    notesFrozen: async (sessionId: string) => (await repo.sessionById(sessionId))?.phase === 'ended',
  };
}

export type CalibrationService = ReturnType<typeof createCalibrationService>;
