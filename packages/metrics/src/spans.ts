/**
 * Agreement between two annotators' character spans ([start, end), with a category), per category
 * and pooled over categories (micro). Three views, each symmetric in the two annotators:
 * - exact: F1 of identical spans, 2·|A∩B| / (|A|+|B|);
 * - overlap: a span is matched when it shares at least one character with a span of the same
 *   category on the other side; precision = matched B / |B|, recall = matched A / |A|, F1 their
 *   harmonic mean (0 when only one side marked anything);
 * - character: Dice coefficient of the covered characters, 2·|A∩B| / (|A|+|B|).
 * A category neither annotator used has no entry; with no spans at all every value is null.
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
