/**
 * Quality: project agreement, per-annotator statistics, flags, the model leaderboard and a member's
 * own statistics — all read from contributions the database keeps per item and block (db migration
 * "quality"), summed here and bootstrapped over blocks. Imports and edits refresh them in their own
 * transaction; a submit leaves its refresh pending (migration 0038), drained here in batches soon
 * after, by a sweep, and before every read of the project's figures (`settle`). Also the "figures
 * changed" signal for open dashboards: NOTIFY `accord_quality` from the refresh on PostgreSQL (every
 * node hears it), a poll of the newest item change with PGlite.
 */
import {
  AppError,
  QualitySettingsSchema,
  type AgreementQuery,
  type AnnotatorStatsQuery,
  type Figure,
  type LabelAgreement,
  type FlagListQuery,
  type LeaderboardQuery,
  type QualityFlag,
  type QualitySettings,
  type TaskKind,
} from '@accord/core';
import { createHash } from 'node:crypto';
import { binomialTestHalf, pairwiseSpanF1, type AnnotatedSpans } from '@accord/metrics';
import { backgroundJob } from '../../platform/background.ts';
import type { Logger } from '../../platform/logger.ts';
import { DRAIN_BATCH, type FlagRow, type QualityRepo, type RecentJudgment } from './quality.repo.ts';
import { emptyPart, figuresOf as computeFigures, kappaFromPairs, labelFiguresOf, leaderboardOf, threeWay, type ModelTally, type ScopeData } from './quality.stats.ts';

/** What the service needs of a project (a `ProjectAccess`'s project row fits). */
export interface QualityProject {
  id: string;
  taskKind: TaskKind;
  settings: unknown;
}

export interface RubricDimensionInfo {
  id: string;
  name: string;
  target: 'response' | 'comparison';
}

/** Spans judgments one agreement computation reads at most (span F1 is computed from the judgments themselves). */
export const SPAN_AGREEMENT_MAX_JUDGMENTS = 20_000;

/** Drift points kept per annotator. */
const DRIFT_POINTS = 30;
/**
 * A trainer's gold and consensus figures count their judgments in whole blocks of this many: one submit
 * never moves them, so they cannot be read item by item (docs/server.md, Quality).
 */
export const MY_STATS_BLOCK = 10;

export function readQualitySettings(settings: unknown): QualitySettings {
  const raw = (settings as { quality?: unknown } | null)?.quality;
  const r = QualitySettingsSchema.safeParse(raw ?? {});
  return r.success ? r.data : QualitySettingsSchema.parse({});
}

const iso = (d: Date) => d.toISOString();

function toFlag(f: FlagRow): QualityFlag {
  return {
    id: f.id,
    userId: f.userId,
    name: f.name,
    kind: f.kind,
    dimension: f.dimension === '' ? null : f.dimension,
    value: f.value,
    threshold: f.threshold,
    window: f.window,
    items: f.items,
    reason: reasonOf(f),
    status: f.status,
    createdAt: iso(f.createdAt),
    updatedAt: iso(f.updatedAt),
    clearedAt: f.clearedAt ? iso(f.clearedAt) : null,
    clearedBy: f.clearedBy ? { userId: f.clearedBy, name: f.clearedByName ?? '' } : null,
    clearReason: f.clearReason,
  };
}

function reasonOf(f: Pick<FlagRow, 'kind' | 'dimension' | 'value' | 'threshold' | 'window' | 'items'>): string {
  const what = f.kind === 'kappaVsConsensus' ? 'κ vs consensus' : 'gold accuracy';
  const dim = f.dimension ? ` on ${f.dimension}` : '';
  const items = f.kind === 'kappaVsConsensus' ? 'disagreeing with consensus' : 'judged unlike gold';
  return `${what}${dim} ${f.value.toFixed(2)} < ${f.threshold.toFixed(2)} over the last ${f.window} items (${f.items.length} ${items})`;
}

/** Drift: agreement with consensus over rolling windows of the annotator's judgments, oldest first. */
/** The window flags the project's thresholds ask for. */
function flagChecks(s: QualitySettings): { kind: 'kappaVsConsensus' | 'goldAccuracy'; threshold: number }[] {
  const checks: { kind: 'kappaVsConsensus' | 'goldAccuracy'; threshold: number }[] = [];
  if (s.minKappaVsConsensus !== null) checks.push({ kind: 'kappaVsConsensus', threshold: s.minKappaVsConsensus });
  if (s.minGoldAccuracy !== null) checks.push({ kind: 'goldAccuracy', threshold: s.minGoldAccuracy });
  return checks;
}

function driftOf(recentNewestFirst: RecentJudgment[], total: number, window: number) {
  const js = recentNewestFirst.filter((j) => j.threeWay !== null).reverse();
  const firstIndex = total - recentNewestFirst.length; // judgments before the ones read
  const points: { judgments: number; at: string; value: number | null; n: number }[] = [];
  if (js.length === 0) return points;
  const step = Math.max(1, Math.ceil(Math.max(0, js.length - window + 1) / DRIFT_POINTS));
  for (let end = Math.min(window, js.length) - 1; end < js.length; end += step) {
    const slice = js.slice(Math.max(0, end - window + 1), end + 1).filter((j) => j.consensus !== null);
    const agree = slice.filter((j) => j.consensus === j.threeWay).length;
    points.push({ judgments: firstIndex + end + 1, at: iso(js[end]!.at), value: slice.length > 0 ? agree / slice.length : null, n: slice.length });
  }
  const last = js.length - 1;
  if (points.length > 0 && points[points.length - 1]!.judgments !== firstIndex + last + 1) {
    const slice = js.slice(Math.max(0, last - window + 1)).filter((j) => j.consensus !== null);
    const agree = slice.filter((j) => j.consensus === j.threeWay).length;
    points.push({ judgments: firstIndex + last + 1, at: iso(js[last]!.at), value: slice.length > 0 ? agree / slice.length : null, n: slice.length });
  }
  return points;
}

export function createQualityService(deps: {
  repo: QualityRepo;
  logger: Logger;
  dimensions: (projectId: string) => Promise<RubricDimensionInfo[]>;
  /** The taxonomy's labels (id, name), in the order of the newest published version that has one. */
  taxonomy?: (projectId: string) => Promise<{ id: string; name: string }[]>;
  /**
   * Tells every node that members' figures of the project were saved (PostgreSQL: a NOTIFY; absent
   * with PGlite, where `onMembersSaved` reaches the only node).
   */
  announceMembers?: (projectId: string) => Promise<void>;
}) {
  const { repo } = deps;

  /**
   * Figures computed from stored contributions, by what they were computed from (a digest of the
   * scope's rows, the bootstrap's samples and seed): a scope whose contributions did not change since
   * (a past week, an old rubric version, a project nobody judges right now) is not bootstrapped again.
   */
  const memo = new Map<string, unknown>();
  const MEMO_SIZE = 2000;
  function remember<T>(key: string, compute: () => T): T {
    if (memo.has(key)) {
      const v = memo.get(key) as T;
      memo.delete(key);
      memo.set(key, v);
      return v;
    }
    const v = compute();
    memo.set(key, v);
    if (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value!);
    return v;
  }
  const digest = (parts: string[]) => {
    const h = createHash('sha1');
    for (const p of parts) h.update(p).update('\n');
    return h.digest('base64');
  };

  async function scopes(projectId: string): Promise<{ data: Map<string, ScopeData>; digests: Map<string, string> }> {
    const [cells, units] = await Promise.all([repo.coincidences(projectId), repo.units(projectId)]);
    const out = new Map<string, ScopeData>();
    const text = new Map<string, string[]>();
    for (const { scope, cells: c } of cells) text.set(scope, [c.join(',')]);
    for (const u of units) {
      let t = text.get(u.scope);
      if (!t) text.set(u.scope, (t = ['']));
      t.push(`${u.block},${u.m},${u.units},${u.paSum}`);
    }
    const part = (scope: string, block: number) => {
      let s = out.get(scope);
      if (!s) out.set(scope, (s = new Map()));
      let p = s.get(block);
      if (!p) s.set(block, (p = emptyPart()));
      return p;
    };
    for (const { scope, cells: c } of cells) for (let i = 0; i < c.length; i += 4) part(scope, c[i]!).cells.push(c[i + 1]!, c[i + 2]!, c[i + 3]!);
    for (const u of units) part(u.scope, u.block).units.set(u.m, { units: u.units, paSum: u.paSum });
    return { data: out, digests: new Map([...text].map(([scope, t]) => [scope, digest(t)])) };
  }

  const judgmentsIn = (data: ScopeData | undefined) => {
    let n = 0;
    let items = 0;
    for (const p of data?.values() ?? [])
      for (const [m, u] of p.units) {
        n += m * u.units;
        items += u.units;
      }
    return { judgments: Math.round(n), items: Math.round(items) };
  };

  /** Span F1 between annotators from the stored spans judgments (bounded: whole items, up to the limit). */
  async function spanAgreement(projectId: string) {
    const got = await repo.spanJudgments(projectId, SPAN_AGREEMENT_MAX_JUDGMENTS);
    const truncated = got.length > SPAN_AGREEMENT_MAX_JUDGMENTS;
    const cut = truncated ? got[got.length - 1]!.itemId : null;
    const data: AnnotatedSpans[] = [];
    for (const j of got) {
      if (j.itemId === cut) continue;
      const spans = Array.isArray(j.spans) ? (j.spans as { start: unknown; end: unknown; label: unknown }[]) : [];
      data.push({
        unit: j.itemId,
        annotator: j.userId,
        // Stored spans were validated on submit; anything else (a hand-edited row) is skipped, not fatal.
        spans: spans
          .filter((s) => Number.isInteger(s.start) && Number.isInteger(s.end) && (s.start as number) >= 0 && (s.end as number) > (s.start as number) && typeof s.label === 'string')
          .map((s) => ({ start: s.start as number, end: s.end as number, category: s.label as string })),
      });
    }
    const f = pairwiseSpanF1(data);
    return {
      judgments: data.length,
      items: f.units,
      pairs: f.pairs,
      truncated,
      overall: f.overall,
      byType: f.perCategory.map((c) => ({ label: String(c.category), pairs: c.pairs, exactF1: c.exactF1, overlapF1: c.overlapF1 })),
    };
  }

  async function agreement(project: QualityProject, q: AgreementQuery) {
    await repo.settle(project.id);
    const ranking = project.taskKind === 'ranking';
    const [{ data: all, digests }, kendall, counts, rubricDims] = await Promise.all([
      scopes(project.id),
      ranking ? repo.kendallW(project.id) : [],
      repo.counts(project.id),
      deps.dimensions(project.id),
    ]);
    const opts = { samples: q.samples, seed: q.seed };
    const kendallDigest = digest(kendall.map((k) => `${k.block},${k.sum},${k.n}`));
    /** A scope's figures, computed once per change of its contributions (and of the bootstrap's parameters). */
    // A rating's levels are numbers: α interval beside ordinal (the issue's "α ordinal or interval").
    const rating = project.taskKind === 'rating';
    const figuresOf = (scope: string, data: ScopeData, view: (v: number) => number, kw: Map<number, { sum: number; n: number }> | null) =>
      remember(`agreement|${project.id}|${project.taskKind}|${scope}|${q.samples}|${q.seed}|${digests.get(scope) ?? ''}|${kw ? kendallDigest : ''}`, () =>
        computeFigures(data, view, { ...opts, interval: rating && !scope.startsWith('dim:') }, kw),
      );
    // Ratings are compared on their levels (α ordinal; nominal on the same values), classifications on
    // their label sets (α nominal; an ordinal α of label sets has no meaning and is left out).
    const labelling = project.taskKind === 'rating' || project.taskKind === 'classification';
    const base = project.taskKind === 'rating' ? 'rate' : project.taskKind === 'classification' ? 'cls' : 'pref';
    const mainScope = ranking ? 'rank' : base;
    const kendallMap = ranking ? new Map(kendall.map((k) => [k.block, { sum: k.sum, n: k.n }])) : null;
    const baseView = labelling ? (v: number) => v : threeWay;
    const prefView = ranking ? (v: number) => v : baseView;
    const nominalOnly = (f: ReturnType<typeof computeFigures>) =>
      project.taskKind === 'classification' ? { ...f, alpha: { ...f.alpha, ordinal: { value: null, n: f.alpha.nominal.n, ci: null } } } : f;
    const overall = nominalOnly(figuresOf(mainScope, all.get(mainScope) ?? new Map(), prefView, kendallMap));

    const dimIds = [...all.keys()].filter((s) => s.startsWith('dim:')).map((s) => s.slice(4));
    const known = new Map(rubricDims.map((d) => [d.id, d]));
    const order = [...rubricDims.map((d) => d.id).filter((id) => dimIds.includes(id)), ...dimIds.filter((id) => !known.has(id)).sort()];
    const dimensions = order.map((id) => {
      const data = all.get(`dim:${id}`)!;
      const f = figuresOf(`dim:${id}`, data, (v) => v, null);
      const info = known.get(id);
      return {
        dimension: id,
        name: info?.name ?? id,
        // A dimension no published version names (imported scores): per response is the common case.
        target: info?.target ?? ('response' as const),
        judgments: judgmentsIn(data).judgments,
        alpha: f.alpha,
        percentAgreement: f.percentAgreement,
        fleissKappa: f.fleissKappa,
      };
    });

    const byVersion = [...all.keys()]
      .filter((s) => s.startsWith(`${base}@v`))
      .map((s) => ({ s, v: Number(s.slice(base.length + 2)) }))
      .sort((a, b) => a.v - b.v)
      .map(({ s, v }) => {
        const data = all.get(s)!;
        return { rubricVersion: v === 0 ? null : v, ...judgmentsIn(data), ...nominalOnly(figuresOf(s, data, baseView, null)) };
      });

    const overTime = [...all.keys()]
      .filter((s) => s.startsWith(`${base}@w`))
      .sort()
      .map((s) => {
        const start = new Date(`${s.slice(base.length + 2)}T00:00:00Z`);
        const data = all.get(s)!;
        return { period: 'week' as 'week' | 'sinceCalibration', start: iso(start), end: iso(new Date(start.getTime() + 7 * 86_400_000)), ...judgmentsIn(data), ...nominalOnly(figuresOf(s, data, baseView, null)) };
      });

    // Since the last calibration (pairwise): agreement among the judgments submitted from then on.
    const calibratedAt = ranking || labelling || project.taskKind === 'spans' ? null : await repo.lastCalibration(project.id);
    if (calibratedAt) {
      const since = await repo.prefSince(project.id, calibratedAt);
      const data: ScopeData = new Map();
      const part = (block: number) => {
        let p = data.get(block);
        if (!p) data.set(block, (p = emptyPart()));
        return p;
      };
      for (const c of since.cells) part(c.block).cells.push(c.v1, c.v2, c.o);
      for (const u of since.units) part(u.block).units.set(u.m, { units: u.units, paSum: u.paSum });
      if (data.size > 0)
        overTime.push({ period: 'sinceCalibration' as const, start: iso(calibratedAt), end: iso(new Date()), ...judgmentsIn(data), ...computeFigures(data, threeWay, opts, null) });
    }

    const dist = new Map<number, number>();
    for (const p of all.get('dist')?.values() ?? []) for (const [v, u] of p.units) dist.set(v, (dist.get(v) ?? 0) + u.units);
    const graded = [...dist.entries()].filter(([, c]) => c !== 0).sort((a, b) => a[0] - b[0]).map(([value, count]) => ({ value, count }));
    const threeWayDist = { first: 0, tie: 0, second: 0 };
    for (const { value, count } of graded) threeWayDist[value < 0 ? 'first' : value > 0 ? 'second' : 'tie'] += count;
    const judgments = ranking || labelling || project.taskKind === 'spans' ? counts.judgments : graded.reduce((s, g) => s + g.count, 0);
    const sets = project.taskKind === 'classification' ? await labelAgreement(project.id, all, digests, opts) : null;

    return {
      taskKind: project.taskKind,
      judgments,
      items: counts.items,
      annotators: counts.annotators,
      overall,
      dimensions,
      byVersion,
      overTime,
      distribution: { graded, threeWay: threeWayDist },
      ...(sets ? { labels: sets.labels, masiAlpha: sets.masiAlpha } : {}),
      ...(project.taskKind === 'spans' ? { spans: await spanAgreement(project.id) } : {}),
      bootstrapSamples: q.samples,
      computedAt: iso(new Date()),
    };
  }

  /**
   * A classification project's per-label α and MASI α, from the kept contributions of scopes `cls`,
   * `lbl:<label>` and `pick:<label>` and the label sets of `cls` values; recomputed only when these
   * changed (or the taxonomy's names).
   */
  async function labelAgreement(projectId: string, all: Map<string, ScopeData>, digests: Map<string, string>, opts: { samples: number; seed: number }) {
    const taxonomy = (await deps.taxonomy?.(projectId)) ?? [];
    // A new label set changes the `cls` rows too, so the digests cover the set names as well.
    const ours = [...digests.keys()].filter((k) => k === 'cls' || k.startsWith('lbl:') || k.startsWith('pick:')).sort();
    const key = `labels|${projectId}|${opts.samples}|${opts.seed}|${digest(ours.map((k) => `${k}\t${digests.get(k)}`))}|${digest(taxonomy.map((l) => `${l.id}\t${l.name}`))}`;
    const hit = memo.get(key) as LabelFigures | undefined;
    if (hit) return hit;
    const names = await repo.labelSetNames(projectId);
    const perLabel = new Map<string, ScopeData>();
    const picks = new Map<string, number>();
    for (const [scope, data] of all) {
      if (scope.startsWith('lbl:')) perLabel.set(scope.slice(4), data);
      else if (scope.startsWith('pick:')) {
        let n = 0;
        for (const p of data.values()) for (const u of p.units.values()) n += u.units;
        if (n !== 0) picks.set(scope.slice(5), n);
      }
    }
    const known = new Set(taxonomy.map((l) => l.id));
    const extra = [...perLabel.keys()].filter((l) => !known.has(l)).sort();
    const labelNames = new Map(taxonomy.map((l) => [l.id, l.name || l.id]));
    const f = labelFiguresOf({ sets: all.get('cls') ?? new Map(), perLabel, picks, names }, [...taxonomy.map((l) => l.id), ...extra], opts);
    const value: LabelFigures = { masiAlpha: f.masiAlpha, labels: f.labels.map((l) => ({ label: l.label, name: labelNames.get(l.label) ?? l.label, picked: l.picked, alpha: l.alpha })) };
    return remember(key, () => value);
  }
  type LabelFigures = { masiAlpha: Figure; labels: LabelAgreement[] };

  function positionBias(firstK: number, firstN: number) {
    return { firstShare: firstN > 0 ? firstK / firstN : null, n: firstN, p: firstN > 0 ? binomialTestHalf(firstK, firstN) : null };
  }

  const figure = (value: number | null, n: number) => ({ value, n, ci: null });

  // ---- member evaluation: flags, drift and medians over each member's newest judgments

  /** Per project, the evaluation running or queued on this node (one at a time per project). */
  const chains = new Map<string, Promise<void>>();

  /**
   * Brings the project's stored member figures and flags up to date: re-evaluates the members whose
   * judgments' rows changed since the last evaluation (the work is a member's newest judgments, not the
   * project's). Runs in the background on each change; a read awaits only what is still queued.
   */
  function refreshMembers(project: QualityProject): Promise<void> {
    return enqueue(project.id, () => evaluateQueued(project));
  }

  function enqueue(projectId: string, run: () => Promise<void>): Promise<void> {
    const next = (chains.get(projectId) ?? Promise.resolve()).then(run);
    const tail = next.catch(() => undefined);
    chains.set(projectId, tail);
    void tail.then(() => {
      if (chains.get(projectId) === tail) chains.delete(projectId);
    });
    return next;
  }

  async function evaluateQueued(project: QualityProject): Promise<void> {
    const s = readQualitySettings(project.settings);
    // A member's window figures change when an item they judged is refreshed (the triggers queue
    // them) or when the thresholds or window change: then every judging member, once.
    const key = JSON.stringify(s);
    const full = (await repo.evaluatedKey(project.id)) !== key;
    const queued = await repo.takeQueue(project.id);
    const users = full ? [...new Set([...queued, ...(await repo.judgingMembers(project.id))])] : queued;
    try {
      if (users.length > 0) await evaluateMembers(project, s, users);
    } catch (e) {
      await repo.requeue(project.id, queued).catch(() => undefined);
      throw e;
    }
    if (full) await repo.setEvaluatedKey(project.id, key);
  }

  /**
   * Projects with a background evaluation scheduled that has not started yet (it will see any later
   * change too), and whether it was scheduled soon (someone watches) or for later.
   */
  const pending = new Map<string, { timer: NodeJS.Timeout; soon: boolean }>();
  /** Changes within this long of the first are evaluated together (a burst of submits is one evaluation). */
  const BATCH_MS = 250;
  /**
   * With no open dashboard of the project on this node, its queue is taken this often instead: what
   * the evaluation stores is read only through reads that evaluate what is still queued first (the
   * annotators, flags and a trainer's own figures), and pushed only to open dashboards. The queue stays
   * short; trainers judging while nobody watches stop paying for evaluations nobody sees (4 a second
   * during a busy project's submits: bench:load, docs/performance-log.md).
   */
  const IDLE_BATCH_MS = 10_000;

  /**
   * A change of the project's figures (NOTIFY from the trigger): evaluate its queued members off any
   * request, soon when `watched` (a dashboard of the project is open on this node), else later.
   */
  let closed = false;
  function changed(projectId: string, watched: boolean): void {
    if (closed) return;
    const before = pending.get(projectId);
    if (before && (before.soon || !watched)) return;
    if (before) clearTimeout(before.timer);
    const timer = setTimeout(() => {
      if (closed) return;
      enqueue(projectId, async () => {
        if (pending.get(projectId)?.timer === timer) pending.delete(projectId);
        if (closed) return;
        const project = await repo.project(projectId);
        if (project) await evaluateQueued(project);
      }).catch((e: unknown) => {
        if (!closed) deps.logger.error('quality member evaluation failed', { projectId, message: (e as Error).message });
      });
    }, watched ? BATCH_MS : IDLE_BATCH_MS);
    timer.unref();
    pending.set(projectId, { timer, soon: watched });
  }

  /** Called on this node when members' drift, medians or flags were saved (open dashboards read them). */
  const membersSaved = new Set<(projectId: string) => void>();
  async function announceMembers(projectId: string): Promise<void> {
    for (const fn of membersSaved) fn(projectId);
    if (deps.announceMembers)
      await deps.announceMembers(projectId).catch((e: unknown) => deps.logger.error('quality members notice failed', { projectId, message: (e as Error).message }));
  }

  async function evaluateMembers(project: QualityProject, s: QualitySettings, users: string[]): Promise<void> {
    // Each member's newest judgments, read once for drift (the newest max(3·window, 60)) and for every
    // flag check (the newest 4·window, then those after the flag's last clearing).
    const driftDepth = Math.max(s.window * 3, 60);
    // No flag to check: drift's depth is all that is read.
    const flagDepth = flagChecks(s).length === 0 ? 0 : s.window * 4;
    const [aggs, recent] = await Promise.all([repo.aggregates(project.id, undefined, true, users), repo.recent(project.id, Math.max(driftDepth, flagDepth), users)]);
    const recentOf = new Map<string, RecentJudgment[]>();
    for (const r of recent) {
      const list = recentOf.get(r.userId);
      if (list) list.push(r);
      else recentOf.set(r.userId, [r]);
    }
    const aggOf = new Map(aggs.map((a) => [a.userId, a]));
    await repo.saveMembers(
      project.id,
      users.map((u) => {
        const a = aggOf.get(u);
        return { userId: u, medianSeconds: a?.medianSeconds ?? null, medianWords: a?.medianWords ?? null, drift: driftOf((recentOf.get(u) ?? []).slice(0, driftDepth), a?.judgments ?? 0, s.window) };
      }),
    );
    await evaluateFlagsNow(project, s, users, (userId) => (recentOf.get(userId) ?? []).slice(0, flagDepth));
    await announceMembers(project.id);
  }

  /** `newest(userId)`: the member's newest 4·window judgments, newest first. */
  async function evaluateFlagsNow(project: QualityProject, s: QualitySettings, users: string[], newest: (userId: string) => RecentJudgment[]): Promise<void> {
    const checks = flagChecks(s);
    if (checks.length === 0) return;
    const wanted = new Set(users);
    const members = (await repo.members(project.id)).filter((m) => m.kind === 'human' && wanted.has(m.userId));
    if (members.length === 0) return;
    const ids = members.map((m) => m.userId);
    const raise: Parameters<QualityRepo['raiseFlags']>[0] = [];
    for (const c of checks) {
      const cleared = await repo.lastCleared(project.id, c.kind);
      for (const m of members) {
        // Enough recent judgments to find `window` that count for the figure, after the last clearing.
        const after = cleared.get(m.userId);
        const js = after ? newest(m.userId).filter((j) => j.at > after) : newest(m.userId);
        const counted = js.filter((j) => (c.kind === 'goldAccuracy' ? j.goldMatch !== null : j.consensus !== null && j.threeWay !== null)).slice(0, s.window);
        if (counted.length < s.window) continue;
        let value: number | null;
        let bad: RecentJudgment[];
        if (c.kind === 'goldAccuracy') {
          bad = counted.filter((j) => j.goldMatch === false);
          value = 1 - bad.length / counted.length;
        } else {
          const tally = new Map<string, { a: number; b: number; n: number }>();
          for (const j of counted) {
            const k = `${j.threeWay}|${j.consensus}`;
            const t = tally.get(k) ?? { a: j.threeWay!, b: j.consensus!, n: 0 };
            t.n++;
            tally.set(k, t);
          }
          const kappa = kappaFromPairs(tally.values()).kappa;
          // All agreeing with a constant consensus leaves κ undefined: that is not a disagreement.
          value = kappa ?? (counted.every((j) => j.threeWay === j.consensus) ? 1 : 0);
          bad = counted.filter((j) => j.threeWay !== j.consensus);
        }
        if (value < c.threshold) raise.push({ projectId: project.id, userId: m.userId, kind: c.kind, dimension: '', value, threshold: c.threshold, window: s.window, items: bad.map((j) => j.itemId) });
      }
    }
    if (s.minKappaVsConsensus !== null) raise.push(...(await dimensionFlags(project.id, s.minKappaVsConsensus, s.window, ids)));
    await repo.raiseFlags(raise);
  }

  /**
   * The κ threshold per rubric dimension: over the member's last `window` judgments (after the
   * dimension's flag was last cleared) that have a consensus on the dimension, their scores against
   * the leave-one-out majority of the item's other scores (per response for per-response dimensions).
   */
  async function dimensionFlags(projectId: string, threshold: number, window: number, users: string[]): Promise<Parameters<QualityRepo['raiseFlags']>[0]> {
    const raise: Parameters<QualityRepo['raiseFlags']>[0] = [];
    const [scores, cleared] = await Promise.all([repo.recentDimensionScores(projectId, window * 2, users), repo.lastClearedByDimension(projectId, 'kappaVsConsensus')]);
    // user → dimension → judgments newest first, each with its (score, consensus) units
    const byUser = new Map<string, Map<string, { judgmentId: string; itemId: string; at: Date; units: { a: number; b: number }[] }[]>>();
    for (const x of scores) {
      const after = cleared.get(`${x.userId}|${x.dimension}`);
      if (after && x.at <= after) continue;
      let dims = byUser.get(x.userId);
      if (!dims) byUser.set(x.userId, (dims = new Map()));
      let list = dims.get(x.dimension);
      if (!list) dims.set(x.dimension, (list = []));
      let last = list[list.length - 1];
      if (!last || last.judgmentId !== x.judgmentId) list.push((last = { judgmentId: x.judgmentId, itemId: x.itemId, at: x.at, units: [] }));
      last.units.push({ a: x.value, b: x.consensus });
    }
    for (const [userId, dims] of byUser)
      for (const [dimension, list] of dims) {
        const counted = list.slice(0, window);
        if (counted.length < window) continue;
        const tally = new Map<string, { a: number; b: number; n: number }>();
        for (const j of counted)
          for (const u of j.units) {
            const t = tally.get(`${u.a}|${u.b}`) ?? { a: u.a, b: u.b, n: 0 };
            t.n++;
            tally.set(`${u.a}|${u.b}`, t);
          }
        const bad = counted.filter((j) => j.units.some((u) => u.a !== u.b));
        const kappa = kappaFromPairs(tally.values()).kappa;
        const value = kappa ?? (bad.length === 0 ? 1 : 0);
        if (value < threshold) raise.push({ projectId, userId, kind: 'kappaVsConsensus', dimension, value, threshold, window, items: bad.map((j) => j.itemId) });
      }
    return raise;
  }

  async function annotators(project: QualityProject, q: AnnotatorStatsQuery) {
    await repo.settle(project.id);
    await refreshMembers(project);
    const s = readQualitySettings(project.settings);
    const [members, aggs, conf, pairs, flags, drift] = await Promise.all([
      repo.members(project.id),
      repo.aggregates(project.id),
      repo.confusion(project.id),
      repo.pairs(project.id),
      repo.flags(project.id, { status: 'open' }),
      repo.drift(project.id),
    ]);
    const aggOf = new Map(aggs.map((a) => [a.userId, a]));
    const confOf = new Map<string, { a: number; b: number; n: number }[]>();
    for (const c of conf) confOf.set(c.userId, [...(confOf.get(c.userId) ?? []), { a: c.v, b: c.c, n: c.n }]);
    const flagsOf = new Map<string, QualityFlag[]>();
    for (const f of flags) flagsOf.set(f.userId, [...(flagsOf.get(f.userId) ?? []), toFlag(f)]);
    const peerTables = new Map<string, Map<string, { a: number; b: number; n: number }[]>>();
    const addPeer = (u: string, w: string, a: number, b: number, n: number) => {
      let m = peerTables.get(u);
      if (!m) peerTables.set(u, (m = new Map()));
      m.set(w, [...(m.get(w) ?? []), { a, b, n }]);
    };
    for (const p of pairs) {
      addPeer(p.userA, p.userB, p.va, p.vb, p.n);
      addPeer(p.userB, p.userA, p.vb, p.va, p.n);
    }
    const list = members
      .filter((m) => q.kind === 'all' || m.kind === q.kind)
      .filter((m) => !q.active || (aggOf.get(m.userId)?.judgments ?? 0) > 0)
      .map((m) => {
        const a = aggOf.get(m.userId);
        const k = kappaFromPairs(confOf.get(m.userId) ?? []);
        const peers = [...(peerTables.get(m.userId)?.entries() ?? [])]
          .map(([w, t]) => {
            const r = kappaFromPairs(t);
            return { annotator: w, kappa: r.kappa, shared: r.n };
          })
          .filter((p) => p.shared > 0)
          .sort((x, y) => y.shared - x.shared || x.annotator.localeCompare(y.annotator));
        return {
          annotator: m.userId,
          name: m.name,
          kind: m.kind,
          role: m.role,
          active: m.active,
          judgments: a?.judgments ?? 0,
          kappaVsConsensus: figure(k.kappa, k.n),
          goldAccuracy: figure(a && a.goldN > 0 ? a.goldOk / a.goldN : null, a?.goldN ?? 0),
          positionBias: positionBias(a?.firstK ?? 0, a?.firstN ?? 0),
          tieRate: a && a.threeWayN > 0 ? a.ties / a.threeWayN : null,
          lengthBias: {
            longerShare: a && a.longerN > 0 ? a.longerK / a.longerN : null,
            consensusLongerShare: a && a.longerN > 0 ? a.consensusLongerK / a.longerN : null,
            n: a?.longerN ?? 0,
          },
          medianSeconds: a?.medianSeconds ?? null,
          justificationLength: a?.medianWords ?? null,
          drift: drift.get(m.userId) ?? [],
          flags: flagsOf.get(m.userId) ?? [],
          peers,
        };
      });
    return { annotators: list, thresholds: s, computedAt: iso(new Date()) };
  }

  /**
   * The caller's own figures. A trainer's gold and consensus figures leave out their newest judgments
   * beyond the last whole block of MY_STATS_BLOCK (in submission order), so they change once per block:
   * a figure that moved with each submit would tell the trainer whether that item was gold, its gold
   * answer, or the others' majority on it. Between blocks they stay as they were when the last block
   * completed (`quality_my_stats`). Leads and reviewers (`blocked` false) see every judgment, now.
   */
  async function myStats(project: QualityProject, userId: string, blocked: boolean) {
    await repo.settle(project.id);
    const s = readQualitySettings(project.settings);
    const [aggs, conf, recent] = await Promise.all([
      repo.aggregates(project.id, userId, true),
      repo.confusion(project.id, userId),
      repo.recent(project.id, Math.max(s.window * 3, 60, MY_STATS_BLOCK), userId),
    ]);
    const a = aggs[0];
    const total = a?.judgments ?? 0;
    const block = blocked ? MY_STATS_BLOCK : 1;
    // The judgments held back (newest first), taken away from the stored sums they are in.
    const held = recent.slice(0, Math.min(total % block, recent.length));
    const table = conf.map((c) => ({ a: c.v, b: c.c, n: c.n }));
    for (const j of held) {
      const cell = j.threeWay === null || j.consensus === null ? undefined : table.find((t) => t.a === j.threeWay && t.b === j.consensus);
      if (cell) cell.n = Math.max(0, cell.n - 1);
    }
    const countedJudgments = total - held.length;
    const current = () => {
      const counted = table.filter((t) => t.n > 0);
      const k = kappaFromPairs(counted);
      const agree = counted.filter((t) => t.a === t.b).reduce((x, t) => x + t.n, 0);
      const goldN = Math.max(0, (a?.goldN ?? 0) - held.filter((j) => j.goldMatch !== null).length);
      const goldOk = Math.max(0, (a?.goldOk ?? 0) - held.filter((j) => j.goldMatch === true).length);
      return {
        kappaVsConsensus: figure(k.kappa, k.n),
        agreementWithConsensus: figure(k.n > 0 ? agree / k.n : null, k.n),
        goldAccuracy: figure(goldN > 0 ? goldOk / goldN : null, goldN),
        drift: driftOf(recent.slice(held.length), countedJudgments, s.window),
      };
    };
    // A trainer's figures are those of the moment their last block completed (stored, so every node
    // serves the same), not recomputed: as others judge the trainer's items the consensus on them
    // moves, and an idle trainer reading the figure would learn the others' majority on each item.
    let figures: ReturnType<typeof current>;
    if (blocked) {
      const frozen = await repo.myStatsSnapshot(project.id, userId);
      const stored = frozen?.figures as (ReturnType<typeof current> & { window?: number }) | undefined;
      if (frozen && stored && frozen.counted === countedJudgments && stored.window === s.window) {
        const { window: _w, ...rest } = stored;
        figures = rest;
      } else {
        figures = current();
        await repo.saveMyStats(project.id, userId, countedJudgments, { ...figures, window: s.window });
      }
    } else figures = current();
    return {
      judgments: total,
      countedJudgments,
      block,
      ...figures,
      positionBias: positionBias(a?.firstK ?? 0, a?.firstN ?? 0),
      tieRate: a && a.threeWayN > 0 ? a.ties / a.threeWayN : null,
      medianSeconds: a?.medianSeconds ?? null,
      justificationLength: a?.medianWords ?? null,
      window: s.window,
      computedAt: iso(new Date()),
    };
  }

  async function leaderboard(project: QualityProject, q: LeaderboardQuery) {
    await repo.settle(project.id);
    const tallies: ModelTally[] = await repo.modelPairs(project.id, q.from);
    const key = `leaderboard|${project.id}|${q.from}|${q.samples}|${q.seed}|${digest(tallies.map((t) => `${t.block},${t.modelA},${t.modelB},${t.winsA},${t.ties},${t.winsB}`))}`;
    return { ...remember(key, () => leaderboardOf(tallies, q)), computedAt: iso(new Date()) };
  }

  // ---- refreshes left by submits (migration 0038): drained here, in batches, off the submit's path

  /**
   * After a submit: the pending refreshes are drained within this long (one drain for all the submits of
   * that time). Half a second: each drain call has a fixed cost (DRAIN_BATCH), and a read drains first anyway.
   */
  const DRAIN_SOON_MS = 500;
  /** Every node drains what is pending this often (refreshes of a node that stopped before draining). */
  const DRAIN_SWEEP_MS = 5_000;
  let sweepTimer: NodeJS.Timeout | null = null;
  /** Drains until nothing is pending (or only what other nodes are draining); one drain at a time on this node. */
  const drain = backgroundJob(
    async () => {
      while (!closed && (await repo.drainSome()) === DRAIN_BATCH);
    },
    { soonMs: DRAIN_SOON_MS, onError: (e) => deps.logger.error('quality refresh of submitted judgments failed', { message: (e as Error).message }) },
  );

  return {
    agreement,
    annotators,
    myStats,
    leaderboard,
    refreshMembers,
    changed,
    /** Submits were stored: their refresh runs within DRAIN_SOON_MS. */
    submitted: drain.soon,
    /** Every figure of the project counts every judgment stored before the call. */
    settle: (projectId: string) => repo.settle(projectId),
    /** Starts the sweep that drains refreshes left pending (by this node or one that stopped). */
    start(): void {
      sweepTimer ??= setInterval(() => void drain.run(), DRAIN_SWEEP_MS);
      sweepTimer.unref();
      void drain.run();
    },
    /** `fn(projectId)` after members' figures were saved on this node; returns the unsubscribe. */
    onMembersSaved(fn: (projectId: string) => void): () => void {
      membersSaved.add(fn);
      return () => membersSaved.delete(fn);
    },

    /** Stops background evaluations and drains (what is queued or pending stays so) and waits for the running ones. */
    async close(): Promise<void> {
      closed = true;
      if (sweepTimer) clearInterval(sweepTimer);
      sweepTimer = null;
      await Promise.all([...chains.values(), drain.close()]);
    },

    async listFlags(project: QualityProject, q: FlagListQuery) {
      await repo.settle(project.id);
      await refreshMembers(project);
      return { items: (await repo.flags(project.id, q)).map(toFlag) };
    },

    async clearFlag(project: QualityProject, flagId: string, actorId: string, reason: string) {
      const f = await repo.flag(project.id, flagId);
      if (!f) throw new AppError('not_found', 'No such flag in this project.');
      if (f.status !== 'open' || !(await repo.clearFlag(project.id, flagId, actorId, reason))) throw new AppError('conflict', 'This flag is already cleared.');
      return toFlag((await repo.flag(project.id, flagId))!);
    },

    /** Newest change per project (for the PGlite poll). */
    lastChange: (projectIds: string[]) => repo.lastChange(projectIds),
  };
}

export type QualityService = ReturnType<typeof createQualityService>;
