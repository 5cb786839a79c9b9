/**
 * The consensus engine: pure functions from an item's human judgments to a consensus label
 * `{ preference, scores, spans }` (the item's canonical response order) and an agreement figure,
 * under the project's rule. Statistics come from @accord/metrics (majorityVote, dawidSkene,
 * bradleyTerry, kendallW); nothing here reads the database. The rules, in words: docs/consensus.md.
 *
 * (It lives in the server rather than in core because core depends on zod alone.)
 */
import { bradleyTerry, dawidSkene, kendallW, majorityVote, pairwiseCounts, type Comparison } from '@accord/metrics';
import { canonicalSpans, spanTextOf, type ConsensusPayload, type ConsensusSettings, type EntitySpan, type Preference, type Span } from '@accord/core';

export interface EngineJudgment {
  id: string;
  userId: string;
  rubricVersion: number | null;
  payload: {
    preference: Preference;
    scores?: { dimension: string; responseId?: string; value: number }[];
    spans?: Span[];
    flags?: string[];
  };
}

export interface EngineItem {
  /** In the item's own (canonical) order. */
  responses: { id: string; content: string }[];
  /** The prompt: the text of a spans item without a response. */
  prompt?: string;
}

export type Rule = ConsensusSettings['rule'];

export interface ConsensusResult {
  rule: Rule;
  /** Null when there is nothing to form a label from. */
  label: ConsensusPayload | null;
  agreement: number | null;
  met: boolean;
  /** Why not met, in words; empty when met. */
  reason: string;
  /** The winning class: 'first' | 'tie' | 'second' (pairwise) or a ranking key. */
  winner: string | null;
  /** The most common rubric version among the judgments (null when none has one). */
  rubricVersion: number | null;
}

// ---------------------------------------------------------------- classes

export const THREE_WAY = ['first', 'tie', 'second'] as const;

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A ranking's groups as a key: groups in order, ids sorted within a group. */
export function rankingKey(groups: readonly (readonly string[])[]): string {
  return JSON.stringify(groups.map((g) => [...g].sort(byId)));
}

/**
 * The class of a judgment: pairwise → first better / tie / second better in the item's canonical
 * order (a stored pairwise preference has `a` first, but the engine does not rely on it);
 * ranking → its key.
 */
export function classOf(pref: Preference, item: EngineItem): string {
  if (pref.kind === 'ranking') return rankingKey(pref.groups);
  // A rating's level and a classification's label set are nominal classes here.
  if (pref.kind === 'rating') return `rating:${pref.value}`;
  if (pref.kind === 'classification') return `labels:${JSON.stringify([...new Set(pref.labels)].sort(byId))}`;
  // A spans judgment's class is its exact set of spans (gold is missed on any other set).
  if (pref.kind === 'spans') return `spans:${JSON.stringify(canonicalSpans(pref.spans, null).map((x) => [x.start, x.end, x.label]))}`;
  // Writings never reach the engine (a writing project has no consensus); a text is its own class.
  if (pref.kind === 'writing') return `writing:${pref.text}`;
  // Red-team attacks on one goal are different conversations: they agree on whether the goal was reached.
  if (pref.kind === 'redteam') return `redteam:${pref.success === true ? 'succeeded' : 'failed'}`;
  if (pref.value === 0) return 'tie';
  const pos = (id: string) => item.responses.findIndex((r) => r.id === id);
  // value > 0: b better. If a is the earlier response, b (second) is better.
  const aFirst = pos(pref.a) <= pos(pref.b);
  return pref.value > 0 === aFirst ? 'second' : 'first';
}

/** "the first response better", "a tie", "r2 > r1 = r3". */
export function describeClass(c: string): string {
  if (c === 'first') return 'the first response better';
  if (c === 'second') return 'the second response better';
  if (c === 'tie') return 'a tie';
  if (c.startsWith('rating:')) return `the rating ${c.slice(7)}`;
  if (c.startsWith('labels:')) return `the labels ${(JSON.parse(c.slice(7)) as string[]).join(', ')}`;
  if (c.startsWith('spans:')) {
    const spans = JSON.parse(c.slice(6)) as [number, number, string][];
    return spans.length ? `the spans ${spans.map(([a, b, l]) => `${l} ${a}..${b}`).join(', ')}` : 'no spans';
  }
  if (c.startsWith('redteam:')) return `the attack ${c.slice(8)}`;
  try {
    return (JSON.parse(c) as string[][]).map((g) => g.join(' = ')).join(' > ');
  } catch {
    return c;
  }
}

/** The graded value in canonical terms: negative = first better. */
function canonicalValue(pref: Preference, item: EngineItem): number {
  if (pref.kind !== 'pairwise') return 0;
  const pos = (id: string) => item.responses.findIndex((r) => r.id === id);
  return pos(pref.a) <= pos(pref.b) ? pref.value : -pref.value;
}

/** Median of integers; for an even count, the middle value closer to zero (the milder grade). */
export function mildMedian(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return 0;
  if (n % 2 === 1) return s[(n - 1) / 2]!;
  const lo = s[n / 2 - 1]!;
  const hi = s[n / 2]!;
  return Math.abs(lo) <= Math.abs(hi) ? lo : hi;
}

/** The label's preference for a winning class. */
function preferenceFor(winner: string, item: EngineItem, judgments: EngineJudgment[]): Preference {
  if (winner.startsWith('rating:')) return { kind: 'rating', value: Number(winner.slice(7)) };
  if (winner.startsWith('labels:')) return { kind: 'classification', labels: JSON.parse(winner.slice(7)) as string[] };
  // The goal's label is the first attack of the winning outcome (its conversation, response and labels).
  if (winner.startsWith('redteam:')) {
    const first = judgments.find((j) => classOf(j.payload.preference, item) === winner)?.payload.preference;
    if (first?.kind === 'redteam') return first;
  }
  if (winner !== 'first' && winner !== 'tie' && winner !== 'second') return { kind: 'ranking', groups: JSON.parse(winner) as string[][] };
  const [r0, r1] = [item.responses[0]?.id ?? 'a', item.responses[1]?.id ?? 'b'];
  if (winner === 'tie') return { kind: 'pairwise', a: r0, b: r1, value: 0 };
  const values = judgments.filter((j) => classOf(j.payload.preference, item) === winner).map((j) => canonicalValue(j.payload.preference, item));
  let value = mildMedian(values);
  if (value === 0) value = winner === 'first' ? -1 : 1;
  return { kind: 'pairwise', a: r0, b: r1, value };
}

// ---------------------------------------------------------------- scores and spans

/** Per (dimension, response): the most common level; when several are most common, the (lower) median of all. */
export function consensusScores(judgments: EngineJudgment[]): { dimension: string; responseId?: string; value: number }[] {
  const by = new Map<string, { dimension: string; responseId?: string; values: number[] }>();
  for (const j of judgments)
    for (const s of j.payload.scores ?? []) {
      const key = `${s.dimension}|${s.responseId ?? ''}`;
      let e = by.get(key);
      if (!e) by.set(key, (e = { dimension: s.dimension, ...(s.responseId !== undefined ? { responseId: s.responseId } : {}), values: [] }));
      e.values.push(s.value);
    }
  const out: { dimension: string; responseId?: string; value: number }[] = [];
  for (const e of by.values()) {
    const vote = majorityVote([e.values])[0]!;
    const sorted = [...e.values].sort((a, b) => a - b);
    const value = vote.winner !== null ? Number(vote.winner) : sorted[Math.floor((sorted.length - 1) / 2)]!;
    out.push({ dimension: e.dimension, ...(e.responseId !== undefined ? { responseId: e.responseId } : {}), value });
  }
  return out.sort((a, b) => byId(a.dimension, b.dimension) || byId(a.responseId ?? '', b.responseId ?? ''));
}

const SEVERITY_RANK = { minor: 0, major: 1, critical: 2 } as const;

/**
 * Spans kept by more than half of the judgments: overlapping spans of one category on one response
 * form a cluster; a cluster marked by more than n/2 distinct judgments becomes one span from the
 * (lower) median start to the (lower) median end of its spans, with their most common severity
 * (the graver one on a tie).
 */
export function consensusSpans(judgments: EngineJudgment[], item: EngineItem): Span[] {
  const n = judgments.length;
  const all = judgments.flatMap((j, ji) => (j.payload.spans ?? []).map((s) => ({ s, ji })));
  const groups = new Map<string, { s: Span; ji: number }[]>();
  for (const x of all) {
    const key = `${x.s.responseId}|${x.s.category}`;
    const g = groups.get(key) ?? [];
    g.push(x);
    groups.set(key, g);
  }
  const content = new Map(item.responses.map((r) => [r.id, r.content]));
  const out: Span[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => a.s.start - b.s.start || a.s.end - b.s.end);
    // Clusters: a sweep over spans sorted by start, merging while they overlap the cluster's extent.
    let cluster: typeof g = [];
    let end = -1;
    const flush = () => {
      if (cluster.length === 0) return;
      const voters = new Set(cluster.map((x) => x.ji));
      if (voters.size * 2 > n) {
        const starts = cluster.map((x) => x.s.start).sort((a, b) => a - b);
        const ends = cluster.map((x) => x.s.end).sort((a, b) => a - b);
        let start = starts[Math.floor((starts.length - 1) / 2)]!;
        let stop = ends[Math.floor((ends.length - 1) / 2)]!;
        if (stop <= start) [start, stop] = [cluster[0]!.s.start, cluster[0]!.s.end];
        const sev = new Map<Span['severity'], number>();
        for (const x of cluster) sev.set(x.s.severity, (sev.get(x.s.severity) ?? 0) + 1);
        const severity = [...sev.entries()].sort((a, b) => b[1] - a[1] || SEVERITY_RANK[b[0]] - SEVERITY_RANK[a[0]])[0]![0];
        const text = content.get(cluster[0]!.s.responseId);
        out.push({
          responseId: cluster[0]!.s.responseId,
          start,
          end: stop,
          ...(text !== undefined && stop <= text.length ? { quote: text.slice(start, stop) } : {}),
          category: cluster[0]!.s.category,
          severity,
          note: '',
        });
      }
      cluster = [];
      end = -1;
    };
    for (const x of g) {
      if (cluster.length > 0 && x.s.start >= end) flush();
      cluster.push(x);
      end = Math.max(end, x.s.end);
    }
    flush();
  }
  const order = new Map(item.responses.map((r, i) => [r.id, i]));
  return out.sort((a, b) => (order.get(a.responseId) ?? 99) - (order.get(b.responseId) ?? 99) || a.start - b.start || a.end - b.end);
}

// ---------------------------------------------------------------- Dawid–Skene reliability

export interface ReliabilityModel {
  classes: string[];
  priors: number[];
  /** rater → [truth][said] */
  errorRates: Map<string, (number[] | null)[]>;
}

/**
 * Trainers' reliability over a project's judgments: a Dawid–Skene fit on their 3-way (or ranking)
 * classes, with a small smoothing so that a rater who never said a class is not certain never to.
 */
export function fitReliability(rows: readonly { itemId: string; userId: string; cls: string }[], classes?: readonly string[]): ReliabilityModel | null {
  if (rows.length === 0) return null;
  const cls = classes ? [...classes] : [...new Set(rows.map((r) => r.cls))].sort(byId);
  const fit = dawidSkene(
    rows.map((r) => [r.itemId, r.userId, r.cls] as const),
    { classes: cls, init: 'majority-vote', smoothing: 0.01, maxIterations: 200, tolerance: 1e-7 },
  );
  const errorRates = new Map<string, (number[] | null)[]>();
  fit.raters.forEach((r, i) => errorRates.set(String(r), fit.errorRates[i]!));
  return { classes: cls, priors: fit.priors ?? cls.map(() => 1 / cls.length), errorRates };
}

/** The posterior over classes of one item given its labels, under a fitted model (unknown raters count as uninformative). */
export function posteriorOf(model: ReliabilityModel, labels: readonly { userId: string; cls: string }[]): number[] {
  const K = model.classes.length;
  const logp = model.priors.map((p) => Math.log(Math.max(p, 1e-12)));
  for (const { userId, cls } of labels) {
    const l = model.classes.indexOf(cls);
    const rates = model.errorRates.get(userId);
    if (l < 0 || !rates) continue;
    for (let j = 0; j < K; j++) {
      const row = rates[j];
      if (row) logp[j]! += Math.log(Math.max(row[l] ?? 0, 1e-12));
    }
  }
  const max = Math.max(...logp);
  const e = logp.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

// ---------------------------------------------------------------- rankings (Bradley–Terry)

function rankingGroups(pref: Preference, item: EngineItem): string[][] {
  if (pref.kind === 'ranking') return pref.groups.map((g) => [...g]);
  const c = classOf(pref, item);
  const [r0, r1] = [item.responses[0]!.id, item.responses[1]!.id];
  return c === 'tie' ? [[r0, r1]] : c === 'first' ? [[r0], [r1]] : [[r1], [r0]];
}

/** The BT order of the responses from the judgments' rankings, and Kendall's W over them. */
export function bradleyTerryOrder(item: EngineItem, judgments: EngineJudgment[]): { groups: string[][]; w: number | null } {
  const ids = item.responses.map((r) => r.id);
  const comparisons: Comparison[] = [];
  const positions: number[][] = ids.map(() => []);
  for (const j of judgments) {
    const groups = rankingGroups(j.payload.preference, item);
    const pos = new Map<string, number>();
    groups.forEach((g, gi) => g.forEach((id) => pos.set(id, gi)));
    ids.forEach((id, i) => positions[i]!.push(pos.get(id) ?? groups.length));
    for (let a = 0; a < ids.length; a++)
      for (let b = a + 1; b < ids.length; b++) {
        const pa = pos.get(ids[a]!) ?? groups.length;
        const pb = pos.get(ids[b]!) ?? groups.length;
        comparisons.push([ids[a]!, ids[b]!, pa < pb ? 'first' : pa > pb ? 'second' : 'tie']);
      }
  }
  const fit = comparisons.length ? bradleyTerry(pairwiseCounts(comparisons, ids)) : null;
  // Higher is better. Without an MLE (some response never loses: the common unanimous case) the
  // responses are ordered by their mean rank instead.
  const score = fit?.mleExists && fit.logStrengths ? fit.logStrengths : positions.map((p) => -(p.reduce((a, b) => a + b, 0) / Math.max(1, p.length)));
  const order = ids.map((id, i) => ({ id, s: score[i]! })).sort((a, b) => b.s - a.s || byId(a.id, b.id));
  const groups: string[][] = [];
  let last = Number.NaN;
  for (const o of order) {
    if (groups.length && Math.abs(o.s - last) < 1e-6) groups[groups.length - 1]!.push(o.id);
    else groups.push([o.id]);
    last = o.s;
  }
  const w = judgments.length >= 2 ? kendallW(positions).W : null;
  return { groups: groups.map((g) => g.sort(byId)), w };
}

// ---------------------------------------------------------------- entity spans (span voting)

/**
 * Span voting: every distinct span (start, end, type: exact match) that any judgment marked is a
 * candidate; the label keeps those that more than `threshold` of the judgments contain. Each
 * candidate is decided by the share of judgments that agree with the decision (contain a kept span,
 * omit a dropped one); the item's agreement is the smallest such share (1 when nobody marked
 * anything), and consensus is met when it exceeds the threshold (`unanimous`: is 1). With a
 * threshold of at least 0.5, two kept spans were both marked by one judgment, so a label never
 * overlaps where its judgments could not. Dawid–Skene and Bradley–Terry have no span model: a
 * spans project votes under them as under `majority`.
 */
export function spanVote(item: EngineItem, judgments: EngineJudgment[], settings: Pick<ConsensusSettings, 'rule' | 'threshold'>): { spans: EntitySpan[]; agreement: number; met: boolean; reason: string } {
  const n = judgments.length;
  const votes = new Map<string, { span: EntitySpan; voters: Set<number> }>();
  judgments.forEach((j, ji) => {
    const pref = j.payload.preference;
    if (pref.kind !== 'spans') return;
    for (const sp of pref.spans) {
      const key = `${sp.start}:${sp.end}:${sp.label}`;
      let v = votes.get(key);
      if (!v) votes.set(key, (v = { span: { start: sp.start, end: sp.end, label: sp.label }, voters: new Set() }));
      v.voters.add(ji);
    }
  });
  const threshold = settings.rule === 'unanimous' ? 0.5 : settings.threshold;
  let agreement = 1;
  let weakest: { span: EntitySpan; c: number } | null = null;
  const kept: EntitySpan[] = [];
  for (const v of votes.values()) {
    const share = v.voters.size / n;
    const keep = share > threshold;
    if (keep) kept.push(v.span);
    const agree = keep ? share : 1 - share;
    if (agree < agreement) {
      agreement = agree;
      weakest = { span: v.span, c: v.voters.size };
    }
  }
  const met = settings.rule === 'unanimous' ? agreement === 1 : agreement > settings.threshold;
  const text = spanTextOf(item);
  const quote = (sp: EntitySpan) => (text !== null ? ` “${text.slice(sp.start, sp.end).slice(0, 40)}”` : '');
  const reason = met || !weakest
    ? ''
    : `the ${weakest.span.label} span${quote(weakest.span)} (${weakest.span.start}..${weakest.span.end}) is marked by ${weakest.c} of ${n} judgments; ${settings.rule === 'unanimous' ? 'the rule needs every span agreed by all' : `the rule needs more than ${settings.threshold.toFixed(2)} to agree on every span`}`;
  return { spans: canonicalSpans(kept, text), agreement, met, reason };
}

// ---------------------------------------------------------------- the rules

function mostCommonVersion(judgments: EngineJudgment[]): number | null {
  const counts = new Map<number, number>();
  for (const j of judgments) if (j.rubricVersion !== null) counts.set(j.rubricVersion, (counts.get(j.rubricVersion) ?? 0) + 1);
  let best: number | null = null;
  for (const [v, c] of counts) if (best === null || c > counts.get(best)! || (c === counts.get(best)! && v > best)) best = v;
  return best;
}

const fmt = (x: number) => x.toFixed(2);

/**
 * An item's consensus under the project's rule. `judgments`: the item's submitted human judgments
 * (the caller leaves model judges out). `reliability`: the project's Dawid–Skene fit (rule
 * `dawid-skene` only; without one every trainer counts alike).
 */
export function computeConsensus(item: EngineItem, judgments: EngineJudgment[], settings: Pick<ConsensusSettings, 'rule' | 'threshold'>, reliability: ReliabilityModel | null = null): ConsensusResult {
  const rule = settings.rule;
  const rubricVersion = mostCommonVersion(judgments);
  const n = judgments.length;
  if (n === 0) return { rule, label: null, agreement: null, met: false, reason: 'no human judgments', winner: null, rubricVersion };
  if (judgments[0]!.payload.preference.kind === 'spans') {
    const v = spanVote(item, judgments, settings);
    const label: ConsensusPayload = { preference: { kind: 'spans', spans: v.spans }, scores: consensusScores(judgments), spans: [] };
    return { rule, label, agreement: v.agreement, met: v.met, reason: v.reason, winner: classOf(label.preference, item), rubricVersion };
  }
  const classes = judgments.map((j) => classOf(j.payload.preference, item));
  const pairwise = judgments[0]!.payload.preference.kind === 'pairwise';
  const categories = pairwise ? [...THREE_WAY] : undefined;
  const vote = majorityVote([classes], categories ? { categories } : {})[0]!;
  const build = (winner: string): ConsensusPayload => ({
    preference: preferenceFor(winner, item, judgments),
    scores: consensusScores(judgments),
    spans: consensusSpans(judgments, item),
  });
  const split = () =>
    [...new Set(classes)]
      .map((c) => `${classes.filter((x) => x === c).length} ${describeClass(c)}`)
      .join(', ');

  if (rule === 'unanimous' || rule === 'majority') {
    const share = vote.topCount / vote.total;
    if (vote.winner === null) {
      // No label: the first of the tied judgments would be an arbitrary one, shown (and seeded into
      // the adjudication room) as the rule's result.
      return { rule, label: null, agreement: share, met: false, reason: `no single most common judgment: ${split()}`, winner: null, rubricVersion };
    }
    const winner = String(vote.winner);
    const label = build(winner);
    if (rule === 'unanimous') {
      const met = vote.topCount === vote.total;
      return { rule, label, agreement: share, met, reason: met ? '' : `${vote.topCount} of ${vote.total} judgments agree (${split()}); the rule needs all to agree`, winner, rubricVersion };
    }
    const met = share > settings.threshold;
    return {
      rule,
      label,
      agreement: share,
      met,
      reason: met ? '' : `${vote.topCount} of ${vote.total} judgments agree (${fmt(share)}: ${split()}); the rule needs more than ${fmt(settings.threshold)}`,
      winner,
      rubricVersion,
    };
  }

  if (rule === 'dawid-skene') {
    const model = reliability ?? fitReliability(judgments.map((j, i) => ({ itemId: 'item', userId: j.userId, cls: classes[i]! })), categories);
    if (!model) return { rule, label: null, agreement: null, met: false, reason: 'no reliability model', winner: null, rubricVersion };
    const post = posteriorOf(
      model,
      judgments.map((j, i) => ({ userId: j.userId, cls: classes[i]! })),
    );
    let best = 0;
    for (let i = 1; i < post.length; i++) if (post[i]! > post[best]!) best = i;
    const tied = post.filter((p) => Math.abs(p - post[best]!) < 1e-12).length > 1;
    const winner = model.classes[best]!;
    const agreement = post[best]!;
    const met = !tied && agreement > settings.threshold;
    return {
      rule,
      label: build(winner),
      agreement,
      met,
      reason: met ? '' : tied ? `the most likely labels tie (${split()})` : `the most likely label (${describeClass(winner)}) has posterior ${fmt(agreement)}; the rule needs more than ${fmt(settings.threshold)}`,
      winner,
      rubricVersion,
    };
  }

  // bradley-terry
  const { groups, w } = bradleyTerryOrder(item, judgments);
  let winner: string;
  if (pairwise) {
    const r0 = item.responses[0]!.id;
    winner = groups.length === 1 ? 'tie' : groups[0]!.includes(r0) ? 'first' : 'second';
  } else winner = rankingKey(groups);
  const met = w === null ? n === 1 : w > settings.threshold;
  return {
    rule,
    label: build(winner),
    agreement: w,
    met,
    reason: met ? '' : w === null ? `Kendall's W is not defined for these rankings (${split()})` : `Kendall's W ${fmt(w)} over ${n} rankings; the rule needs more than ${fmt(settings.threshold)}`,
    winner,
    rubricVersion,
  };
}

/** Whether most judgments of a gold item differ from gold (3-way view, or the ranking's order). */
export function goldMissed(gold: Preference, item: EngineItem, judgments: EngineJudgment[]): { missed: boolean; wrong: number; total: number } {
  const want = classOf(gold, item);
  const wrong = judgments.filter((j) => classOf(j.payload.preference, item) !== want).length;
  return { missed: judgments.length > 0 && wrong * 2 > judgments.length, wrong, total: judgments.length };
}
