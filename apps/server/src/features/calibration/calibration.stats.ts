/**
 * A calibration round's figures, from its judgments (canonical terms), with the statistic that fits:
 * - graded pairwise preferences: Krippendorff's α, ordinal, on the values −3…3 (units = items, raters
 *   = participants);
 * - rankings: Kendall's W (tie-corrected) of each item's rankings (objects = responses, scores = the
 *   group position, best = 1), averaged over items;
 * - per-dimension scores: α ordinal per dimension (units = item × response, or the item for a
 *   comparison dimension);
 * - ratings: α ordinal on the levels' values; classifications: α nominal on the label (single-label)
 *   or MASI α on the label sets (multi-label);
 * - spans: mean overlap F1 (`spanAgreement`) over participant pairs and items; a span matches only
 *   on the same response and category;
 * - writing (scoring one shown writing): α ordinal pooled over item × dimension (so one item with
 *   several dimensions has a figure), and α per dimension; writing for a prompt has no statistic
 *   (`reason: 'free-text'`): the texts are compared side by side;
 * - red teaming (labelling one recorded attack): α nominal pooled over item × facet (succeeded,
 *   severity, the failure-category set).
 * α needs two units or more: over one unit (a one-item round's preference, a comparison dimension)
 * it is 0 by construction, so the figure is null with `reason: 'one-item'` (and no interval).
 * Intervals: a percentile bootstrap over participants (resampled with replacement; seeded, so the
 * same judgments always give the same interval). Pure functions over plain data.
 */
import { createRandom, kendallTauB, kendallW, krippendorffAlpha, masiDistance, pairwiseSpanF1, setAlpha, spanAgreement } from '@accord/metrics';
import type { CalibrationAgreement, CalibrationFigure, JudgmentPayload, TaskKind } from '@accord/core';

export const PREFERENCE_VALUES = [-3, -2, -1, 0, 1, 2, 3] as const;
const BOOTSTRAP = 400;

export interface StatJudgment {
  rater: string;
  payload: JudgmentPayload;
}
export interface StatUnit {
  itemId: string;
  /** The item's response ids in canonical order. */
  canonical: string[];
  judgments: StatJudgment[];
}
export interface StatDimension {
  id: string;
  target: 'response' | 'comparison';
}

type Figure = { value: number | null; n: number; reason?: CalibrationFigure['reason'] };

/**
 * α over a single unit is not a measure of agreement: with one unit the expected disagreement is
 * computed from the same pairs as the observed one, so α is 0 whatever the judgments (or undefined
 * when they all agree). A figure needs at least two units judged twice or more.
 */
function alphaFigure(rows: readonly (readonly (number | null)[])[], n: number, categories?: number[]): Figure {
  const pairable = rows.filter((r) => r.filter((v) => v !== null).length >= 2).length;
  if (pairable < 2) return { value: null, n, reason: 'one-item' };
  return { value: safe(() => krippendorffAlpha(rows as (number | null)[][], { level: 'ordinal', ...(categories ? { categories } : {}) })), n };
}

function raterIndex(units: readonly StatUnit[]): string[] {
  return [...new Set(units.flatMap((u) => u.judgments.map((j) => j.rater)))].sort();
}

/** α ordinal on the preference values, units × raters. */
export function preferenceAlpha(units: readonly StatUnit[], raters = raterIndex(units)): Figure {
  const col = new Map(raters.map((r, i) => [r, i]));
  let n = 0;
  const ratings: (number | null)[][] = units.map((u) => {
    const row: (number | null)[] = raters.map(() => null);
    for (const j of u.judgments) {
      const p = j.payload.preference;
      if (p.kind !== 'pairwise') continue;
      row[col.get(j.rater)!] = p.value;
      n++;
    }
    return row;
  });
  return alphaFigure(ratings, n, [...PREFERENCE_VALUES]);
}

/** Ratings: α ordinal on the levels' values (units = items). */
export function ratingAlpha(units: readonly StatUnit[], raters = raterIndex(units), levels?: number[]): Figure {
  const col = new Map(raters.map((r, i) => [r, i]));
  let n = 0;
  const rows = units.map((u) => {
    const row: (number | null)[] = raters.map(() => null);
    for (const j of u.judgments) {
      const p = j.payload.preference;
      if (p.kind !== 'rating') continue;
      row[col.get(j.rater)!] = p.value;
      n++;
    }
    return row;
  });
  // Declared levels keep the ordinal distances of the whole scale; a value off it (an old version's) falls back to the observed ones.
  const known = levels && rows.every((r) => r.every((v) => v === null || levels.includes(v)));
  return alphaFigure(rows, n, known ? levels : undefined);
}

/** Classifications: α over the label sets, nominal (single-label) or with the MASI distance (multi-label). */
export function labelSetAlpha(units: readonly StatUnit[], masi: boolean, raters = raterIndex(units)): Figure {
  const col = new Map(raters.map((r, i) => [r, i]));
  let n = 0;
  const rows = units.map((u) => {
    const row: (string[] | null)[] = raters.map(() => null);
    for (const j of u.judgments) {
      const p = j.payload.preference;
      if (p.kind !== 'classification') continue;
      row[col.get(j.rater)!] = [...p.labels];
      n++;
    }
    return row;
  });
  const pairable = rows.filter((r) => r.filter((v) => v !== null).length >= 2).length;
  if (pairable < 2) return { value: null, n, reason: 'one-item' };
  return { value: safe(() => setAlpha(rows, masi ? {} : { distance: (a, b) => (masiDistance(a, b) === 0 ? 0 : 1) })), n };
}

/** Positions of each canonical response in a ranking (1 = best group). */
export function rankPositions(groups: readonly (readonly string[])[], canonical: readonly string[]): (number | null)[] {
  const pos = new Map<string, number>();
  groups.forEach((g, i) => g.forEach((id) => pos.set(id, i + 1)));
  return canonical.map((id) => pos.get(id) ?? null);
}

/** Kendall's W (tie-corrected) per item, averaged over the items where it is defined. */
export function rankingW(units: readonly StatUnit[]): Figure {
  let sum = 0;
  let k = 0;
  let n = 0;
  for (const u of units) {
    const rankings = u.judgments.flatMap((j) => (j.payload.preference.kind === 'ranking' ? [rankPositions(j.payload.preference.groups, u.canonical)] : []));
    n += rankings.length;
    // objects (responses) × raters
    const scores = u.canonical.map((_, o) => rankings.map((r) => r[o] ?? null));
    const w = safe(() => {
      const r = kendallW(scores);
      return r.Wt ?? r.W;
    });
    if (w !== null) {
      sum += w;
      k++;
    }
  }
  return { value: k ? sum / k : null, n };
}

/** α ordinal of one dimension's scores. */
export function dimensionAlpha(units: readonly StatUnit[], d: StatDimension, raters = raterIndex(units)): Figure {
  const col = new Map(raters.map((r, i) => [r, i]));
  const rows: (number | null)[][] = [];
  let n = 0;
  for (const u of units) {
    const targets = d.target === 'response' ? u.canonical : [null];
    for (const t of targets) {
      const row: (number | null)[] = raters.map(() => null);
      for (const j of u.judgments) {
        const s = j.payload.scores.find((x) => x.dimension === d.id && (x.responseId ?? null) === t);
        if (s) {
          row[col.get(j.rater)!] = s.value;
          n++;
        }
      }
      rows.push(row);
    }
  }
  return alphaFigure(rows, n);
}

const spanKey = (responseId: string, category: string) => `${responseId}\u0001${category}`;
const spansOf = (p: JudgmentPayload) => p.spans.map((s) => ({ start: s.start, end: s.end, category: spanKey(s.responseId, s.category) }));

/** Mean overlap F1 over participant pairs and items (pairs where neither marked anything are skipped). */
export function spanF1(units: readonly StatUnit[]): Figure {
  let sum = 0;
  let k = 0;
  let n = 0;
  for (const u of units) {
    n += u.judgments.length;
    for (let i = 0; i < u.judgments.length; i++)
      for (let j = i + 1; j < u.judgments.length; j++) {
        const f = safe(() => spanAgreement(spansOf(u.judgments[i]!.payload), spansOf(u.judgments[j]!.payload)).overall.overlapF1);
        if (f !== null) {
          sum += f;
          k++;
        }
      }
  }
  return { value: k ? sum / k : null, n };
}

const entitySpansOf = (p: JudgmentPayload) => (p.preference.kind === 'spans' ? p.preference.spans.map((s) => ({ start: s.start, end: s.end, category: s.label })) : []);

/** Spans projects: overlap span F1 of the entity spans, the mean over participant pairs sharing an item (pairwiseSpanF1). */
export function entitySpanF1(units: readonly StatUnit[]): Figure {
  const data = units.flatMap((u, ui) => u.judgments.map((j) => ({ unit: ui, annotator: j.rater, spans: entitySpansOf(j.payload) })));
  return { value: safe(() => pairwiseSpanF1(data).overall.overlapF1), n: data.length };
}

/** Writing rounds: α ordinal of the dimension scores, pooled over units item × dimension. */
export function writingScoreAlpha(units: readonly StatUnit[], dimensions: readonly StatDimension[], raters = raterIndex(units)): Figure {
  const col = new Map(raters.map((r, i) => [r, i]));
  let n = 0;
  const rows: (number | null)[][] = [];
  for (const u of units)
    for (const d of dimensions) {
      const row: (number | null)[] = raters.map(() => null);
      for (const j of u.judgments) {
        const sc = j.payload.scores.find((x) => x.dimension === d.id);
        if (sc) {
          row[col.get(j.rater)!] = sc.value;
          n++;
        }
      }
      rows.push(row);
    }
  return alphaFigure(rows, n);
}

/** A red-team label's facets as nominal values: whether it succeeded, its severity, its category set. */
function redteamFacets(p: JudgmentPayload): string[] | null {
  const q = p.preference;
  if (q.kind !== 'redteam') return null;
  return [`success:${String(q.success)}`, `severity:${String(q.severity)}`, `category:${[...q.category].sort().join(',')}`];
}

/** Red-team rounds: α nominal pooled over units item × facet. */
export function redteamAlpha(units: readonly StatUnit[], raters = raterIndex(units)): Figure {
  const col = new Map(raters.map((r, i) => [r, i]));
  let n = 0;
  const rows: (string[] | null)[][] = [];
  for (const u of units)
    for (let f = 0; f < 3; f++) {
      const row: (string[] | null)[] = raters.map(() => null);
      for (const j of u.judgments) {
        const v = redteamFacets(j.payload)?.[f];
        if (v !== undefined) {
          row[col.get(j.rater)!] = [v];
          if (f === 0) n++;
        }
      }
      rows.push(row);
    }
  const pairable = rows.filter((r) => r.filter((v) => v !== null).length >= 2).length;
  if (pairable < 2) return { value: null, n, reason: 'one-item' };
  return { value: safe(() => setAlpha(rows, { distance: (a, b) => (a[0] === b[0] ? 0 : 1) })), n };
}

function safe(f: () => number | null): number | null {
  try {
    const v = f();
    return v === null || !Number.isFinite(v) ? null : v;
  } catch {
    return null;
  }
}

/** 95% percentile bootstrap over participants; null with fewer than three participants or too few defined resamples. */
function bootstrap(units: readonly StatUnit[], stat: (u: StatUnit[]) => number | null, seed: number): [number, number] | null {
  const raters = raterIndex(units);
  if (raters.length < 3) return null;
  const rng = createRandom(seed);
  const values: number[] = [];
  for (let b = 0; b < BOOTSTRAP; b++) {
    const picks = raters.map(() => raters[rng.int(raters.length)]!);
    // Each pick becomes its own rater (a participant drawn twice counts twice).
    const resampled = units.map((u) => ({ ...u, judgments: picks.flatMap((r, i) => u.judgments.filter((j) => j.rater === r).map((j) => ({ ...j, rater: `${i}` }))) }));
    const v = stat(resampled);
    if (v !== null) values.push(v);
  }
  if (values.length < BOOTSTRAP / 2) return null;
  values.sort((a, b) => a - b);
  const q = (p: number) => values[Math.min(values.length - 1, Math.max(0, Math.floor(p * (values.length - 1))))]!;
  return [q(0.025), q(0.975)];
}

function figure(statistic: CalibrationFigure['statistic'], units: readonly StatUnit[], f: (u: readonly StatUnit[]) => Figure, seed: number): CalibrationFigure {
  const point = f(units);
  return { statistic, value: point.value, n: point.n, ci: point.value === null ? null : bootstrap(units, (u) => f(u).value, seed), reason: point.reason ?? null };
}

/** What a rating or classification round is judged on: the scale's levels, whether several labels may be chosen. */
export interface StatLabelling {
  levels?: number[];
  multiLabel?: boolean;
}

/** The figures of a set of units (one round, or several items' rounds pooled). */
export function agreementOf(units: readonly StatUnit[], taskKind: TaskKind, dimensions: readonly StatDimension[], labelling: StatLabelling = {}): CalibrationAgreement {
  const withSpans = units.some((u) => u.judgments.some((j) => j.payload.spans.length > 0));
  const masi = labelling.multiLabel === true;
  if (taskKind === 'writing') {
    // Scored writings have scores; written ones (no scores anywhere) are compared side by side, not by a statistic.
    const scored = units.some((u) => u.judgments.some((j) => j.payload.scores.length > 0));
    const n = units.reduce((k, u) => k + u.judgments.length, 0);
    return {
      preference: scored ? figure('alpha-ordinal', units, (u) => writingScoreAlpha(u, dimensions), 6) : { statistic: 'alpha-ordinal', value: null, ci: null, n, reason: 'free-text' },
      dimensions: scored ? dimensions.map((d, i) => ({ dimension: d.id, ...figure('alpha-ordinal', units, (u) => dimensionAlpha(u, { id: d.id, target: 'comparison' }), 10 + i) })) : [],
      spans: null,
    };
  }
  if (taskKind === 'redteam') return { preference: figure('alpha-nominal', units, (u) => redteamAlpha(u), 7), dimensions: [], spans: null };
  return {
    preference:
      taskKind === 'pairwise'
        ? figure('alpha-ordinal', units, (u) => preferenceAlpha(u), 1)
        : taskKind === 'rating'
          ? figure('alpha-ordinal', units, (u) => ratingAlpha(u, undefined, labelling.levels), 4)
          : taskKind === 'classification'
            ? figure(masi ? 'alpha-masi' : 'alpha-nominal', units, (u) => labelSetAlpha(u, masi), 5)
            : taskKind === 'spans'
              ? figure('span-f1', units, entitySpanF1, 2)
              : figure('kendall-w', units, rankingW, 2),
    dimensions: dimensions.map((d, i) => ({ dimension: d.id, ...figure('alpha-ordinal', units, (u) => dimensionAlpha(u, d), 10 + i) })),
    spans: withSpans ? figure('span-f1', units, spanF1, 3) : null,
  };
}

/**
 * How close two judgments' preferences are, 0…1: 1 − |Δ|/6 for graded pairs, (τ_b + 1)/2 for rankings,
 * 1 for the same rating level (else 0), 1 − MASI distance for label sets (1: the same set).
 */
export function pairScore(a: JudgmentPayload, b: JudgmentPayload, canonical: readonly string[], scale: ScaleWidths = {}): number | null {
  const p = a.preference;
  const q = b.preference;
  // Red teaming: the mean of the three facets (succeeded alike; severity 1 − |Δ|/width; 1 − MASI of the categories).
  if (p.kind === 'redteam' && q.kind === 'redteam') {
    const sev = p.severity === null || q.severity === null ? 0 : 1 - Math.min(1, Math.abs(p.severity - q.severity) / Math.max(1, scale.severity ?? 1));
    return ((p.success === q.success ? 1 : 0) + sev + (1 - masiDistance(p.category, q.category))) / 3;
  }
  // Writing: two scorings of one writing, 1 − the mean |Δ|/width over the dimensions both scored; two written texts are not compared.
  if (p.kind === 'writing' && q.kind === 'writing') {
    const mine = new Map(a.scores.map((x) => [x.dimension, x.value]));
    const both = b.scores.filter((x) => mine.has(x.dimension));
    if (!both.length) return null;
    return 1 - both.reduce((k, x) => k + Math.min(1, Math.abs(mine.get(x.dimension)! - x.value) / Math.max(1, scale.dimensions?.[x.dimension] ?? 4)), 0) / both.length;
  }
  if (p.kind === 'pairwise' && q.kind === 'pairwise') return 1 - Math.abs(p.value - q.value) / 6;
  if (p.kind === 'rating' && q.kind === 'rating') return p.value === q.value ? 1 : 0;
  if (p.kind === 'classification' && q.kind === 'classification') return 1 - masiDistance(p.labels, q.labels);
  // Entity spans: overlap F1 of the two (null when neither marked a span).
  if (p.kind === 'spans' && q.kind === 'spans') return safe(() => spanAgreement(entitySpansOf(a), entitySpansOf(b)).overall.overlapF1);
  if (p.kind === 'ranking' && q.kind === 'ranking') {
    const x = rankPositions(p.groups, canonical);
    const y = rankPositions(q.groups, canonical);
    const tau = safe(() => kendallTauB(x as number[], y as number[]));
    return tau === null ? null : (tau + 1) / 2;
  }
  return null;
}

/** The widths (highest − lowest level) pair scores measure distances on: each dimension's, the severity scale's. */
export interface ScaleWidths {
  dimensions?: Record<string, number>;
  severity?: number;
}

/** Each rater's mean pair score against the other raters of the same units. */
export function raterAgreement(units: readonly StatUnit[], scale: ScaleWidths = {}): Map<string, number | null> {
  const acc = new Map<string, { sum: number; n: number }>();
  for (const u of units)
    for (const a of u.judgments) {
      const t = acc.get(a.rater) ?? { sum: 0, n: 0 };
      acc.set(a.rater, t);
      for (const b of u.judgments) {
        if (a === b) continue;
        const s = pairScore(a.payload, b.payload, u.canonical, scale);
        if (s !== null) {
          t.sum += s;
          t.n++;
        }
      }
    }
  return new Map([...acc].map(([r, t]) => [r, t.n ? t.sum / t.n : null]));
}

