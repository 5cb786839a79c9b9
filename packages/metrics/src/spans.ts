/**
 * Agreement between two annotators' character spans ([start, end), with a category), per category
 * and pooled over categories (micro). Three views, each symmetric in the two annotators:
 * - exact: F1 of identical spans, 2·|A∩B| / (|A|+|B|);
 * - overlap: a span is matched when it shares at least one character with a span of the same
 *   category on the other side; precision = matched B / |B|, recall = matched A / |A|, F1 their
 *   harmonic mean (0 when only one side marked anything);
 * - character: Dice coefficient of the covered characters, 2·|A∩B| / (|A|+|B|).
 * A category neither annotator used has no entry; with no spans at all every value is null.
 *
 * `pairwiseSpanF1` takes many annotators over many units (an item's text each): for every pair of
 * annotators who share a unit, the counts above are summed over their shared units (micro, per
 * category and pooled), giving the pair's exact and overlap F1; the figure is the mean over those
 * pairs. A pair for whom a category (or every category) is undefined — neither marked it on any
 * shared unit — is left out of that category's (or the overall) mean rather than counted as 0 or 1.
 */
import { MetricsError, describe, sortedDistinct, type Label } from './labels.ts';

export interface Span {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly category: Label;
}

export interface SpanScores {
  readonly spansA: number;
  readonly spansB: number;
  readonly exactF1: number | null;
  readonly overlapPrecision: number | null;
  readonly overlapRecall: number | null;
  readonly overlapF1: number | null;
  readonly charF1: number | null;
}

export interface SpanAgreement {
  readonly perCategory: readonly (SpanScores & { readonly category: Label })[];
  readonly overall: SpanScores;
}

interface Tally {
  spansA: number;
  spansB: number;
  exact: number;
  matchedA: number;
  matchedB: number;
  charsA: number;
  charsB: number;
  charsBoth: number;
}

function check(spans: readonly Span[], name: string): void {
  for (const s of spans) {
    if (!(Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.end > s.start)) {
      throw new MetricsError(`spanAgreement: ${name} has span [${describe(s.start)}, ${describe(s.end)}); need integers 0 ≤ start < end`);
    }
  }
}

/** Sorted, merged [start, end) intervals. */
function merge(spans: readonly Span[]): [number, number][] {
  const sorted = [...spans].sort((p, q) => p.start - q.start);
  const out: [number, number][] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s.start <= last[1]) last[1] = Math.max(last[1], s.end);
    else out.push([s.start, s.end]);
  }
  return out;
}

function length(intervals: [number, number][]): number {
  return intervals.reduce((n, [s, e]) => n + e - s, 0);
}

function intersection(p: [number, number][], q: [number, number][]): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < p.length && j < q.length) {
    const lo = Math.max(p[i]![0], q[j]![0]);
    const hi = Math.min(p[i]![1], q[j]![1]);
    if (hi > lo) n += hi - lo;
    if (p[i]![1] < q[j]![1]) i++;
    else j++;
  }
  return n;
}

/** Spans of `spans` that overlap some interval of the merged `other`. */
function overlapping(spans: readonly Span[], other: [number, number][]): number {
  let n = 0;
  for (const s of spans) {
    // Binary search for the first merged interval ending after s.start.
    let lo = 0;
    let hi = other.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (other[mid]![1] <= s.start) lo = mid + 1;
      else hi = mid;
    }
    if (lo < other.length && other[lo]![0] < s.end) n++;
  }
  return n;
}

/** A span marked twice by the same annotator counts once. */
function unique(spans: readonly Span[]): Span[] {
  const seen = new Set<string>();
  return spans.filter((s) => {
    const key = `${s.start}:${s.end}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function tally(allA: readonly Span[], allB: readonly Span[]): Tally {
  const a = unique(allA);
  const b = unique(allB);
  const ma = merge(a);
  const mb = merge(b);
  const keys = new Set(b.map((s) => `${s.start}:${s.end}`));
  const exactKeys = new Set(a.map((s) => `${s.start}:${s.end}`).filter((key) => keys.has(key)));
  return {
    spansA: a.length,
    spansB: b.length,
    exact: exactKeys.size,
    matchedA: overlapping(a, mb),
    matchedB: overlapping(b, ma),
    charsA: length(ma),
    charsB: length(mb),
    charsBoth: intersection(ma, mb),
  };
}

function scores(t: Tally): SpanScores {
  const total = t.spansA + t.spansB;
  const precision = t.spansB === 0 ? null : t.matchedB / t.spansB;
  const recall = t.spansA === 0 ? null : t.matchedA / t.spansA;
  let overlapF1: number | null = null;
  if (total > 0) {
    if (precision === null || recall === null) overlapF1 = 0;
    else overlapF1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  }
  const chars = t.charsA + t.charsB;
  return {
    spansA: t.spansA,
    spansB: t.spansB,
    exactF1: total === 0 ? null : (2 * t.exact) / total,
    overlapPrecision: precision,
    overlapRecall: recall,
    overlapF1,
    charF1: chars === 0 ? null : (2 * t.charsBoth) / chars,
  };
}

export function spanAgreement(a: readonly Span[], b: readonly Span[]): SpanAgreement {
  check(a, 'first annotator');
  check(b, 'second annotator');
  const categories = sortedDistinct(
    [...a, ...b].map((s) => s.category),
    'spanAgreement categories',
  );
  const sum: Tally = { spansA: 0, spansB: 0, exact: 0, matchedA: 0, matchedB: 0, charsA: 0, charsB: 0, charsBoth: 0 };
  const perCategory = categories.map((category) => {
    const t = tally(
      a.filter((s) => s.category === category),
      b.filter((s) => s.category === category),
    );
    for (const key of Object.keys(sum) as (keyof Tally)[]) sum[key] += t[key];
    return { category, ...scores(t) };
  });
  return { perCategory, overall: scores(sum) };
}

/** One annotator's spans on one unit. */
export interface AnnotatedSpans {
  readonly unit: Label;
  readonly annotator: Label;
  readonly spans: readonly Span[];
}

export interface PairwiseSpanScores {
  /** Annotator pairs the mean is over (those for whom the figure is defined). */
  readonly pairs: number;
  readonly exactF1: number | null;
  readonly overlapF1: number | null;
}

export interface PairwiseSpanAgreement {
  /** Units with at least two annotators. */
  readonly units: number;
  /** Annotator pairs sharing at least one unit. */
  readonly pairs: number;
  readonly overall: PairwiseSpanScores;
  readonly perCategory: readonly (PairwiseSpanScores & { readonly category: Label })[];
}

const emptyTally = (): Tally => ({ spansA: 0, spansB: 0, exact: 0, matchedA: 0, matchedB: 0, charsA: 0, charsB: 0, charsBoth: 0 });
const addTally = (into: Tally, t: Tally) => {
  for (const key of Object.keys(into) as (keyof Tally)[]) into[key] += t[key];
};

/** Span F1 between annotators (exact and overlap, per category and pooled): the mean over annotator pairs sharing a unit. */
export function pairwiseSpanF1(annotations: readonly AnnotatedSpans[]): PairwiseSpanAgreement {
  const byUnit = new Map<Label, Map<Label, readonly Span[]>>();
  for (const a of annotations) {
    check(a.spans, `annotator ${describe(a.annotator)} on unit ${describe(a.unit)}`);
    let u = byUnit.get(a.unit);
    if (!u) byUnit.set(a.unit, (u = new Map()));
    if (u.has(a.annotator)) throw new MetricsError(`pairwiseSpanF1: annotator ${describe(a.annotator)} annotated unit ${describe(a.unit)} twice`);
    u.set(a.annotator, a.spans);
  }
  const categories = sortedDistinct(
    annotations.flatMap((a) => a.spans.map((s) => s.category)),
    'pairwiseSpanF1 categories',
  );
  // Per annotator pair (in a fixed order, so the result does not depend on input order): per category tallies.
  const annotators = sortedDistinct(
    annotations.map((a) => a.annotator),
    'pairwiseSpanF1 annotators',
  );
  const rank = new Map(annotators.map((a, i) => [a, i]));
  const pairs = new Map<string, Tally[]>();
  let units = 0;
  for (const u of byUnit.values()) {
    if (u.size < 2) continue;
    units++;
    const who = [...u.keys()].sort((p, q) => rank.get(p)! - rank.get(q)!);
    for (let i = 0; i < who.length; i++)
      for (let j = i + 1; j < who.length; j++) {
        const key = `${rank.get(who[i]!)}:${rank.get(who[j]!)}`;
        let t = pairs.get(key);
        if (!t) pairs.set(key, (t = categories.map(emptyTally)));
        const a = u.get(who[i]!)!;
        const b = u.get(who[j]!)!;
        categories.forEach((c, ci) =>
          addTally(
            t![ci]!,
            tally(
              a.filter((s) => s.category === c),
              b.filter((s) => s.category === c),
            ),
          ),
        );
      }
  }
  const mean = (values: (number | null)[]): number | null => {
    const defined = values.filter((v): v is number => v !== null);
    return defined.length ? defined.reduce((x, y) => x + y, 0) / defined.length : null;
  };
  // A pair's exact F1 is defined exactly when its overlap F1 is (both need a span on either side).
  const figure = (picked: Tally[]): PairwiseSpanScores => {
    const s = picked.map(scores);
    return { pairs: s.filter((x) => x.exactF1 !== null).length, exactF1: mean(s.map((x) => x.exactF1)), overlapF1: mean(s.map((x) => x.overlapF1)) };
  };
  const all = [...pairs.values()];
  const pooled = all.map((ts) => {
    const sum = emptyTally();
    for (const t of ts) addTally(sum, t);
    return sum;
  });
  return {
    units,
    pairs: all.length,
    overall: figure(pooled),
    perCategory: categories.map((category, ci) => ({ category, ...figure(all.map((ts) => ts[ci]!)) })),
  };
}
