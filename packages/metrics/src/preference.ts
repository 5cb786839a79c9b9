/**
 * Measures specific to pairwise preference judging.
 * - Graded preferences (−s..+s, 0 = tie) agree as an ordinal scale (Krippendorff's ordinal and
 *   interval alpha) and as a 3-way choice (sign: first / tie / second; nominal alpha and Fleiss'
 *   P̄ over units with two or more judgments).
 * - Position bias: a trainer with no bias picks the first-shown response in half of the non-tie
 *   judgments; the p-value is the exact two-sided binomial test of that (R binom.test, p = 0.5).
 */
import { krippendorffAlpha } from './krippendorff.ts';
import { MetricsError, describe, sortedDistinct, type Label } from './labels.ts';
import { percentAgreement } from './percent-agreement.ts';
import type { Outcome } from './bradley-terry.ts';

export interface PreferenceAgreementOptions {
  /** Largest grade: ratings are integers in −scale..+scale. Default 3. */
  readonly scale?: number;
}

export interface PreferenceAgreement {
  readonly ordinalAlpha: number | null;
  readonly intervalAlpha: number | null;
  /** Nominal alpha on the sign of each grade (first / tie / second). */
  readonly threeWayAlpha: number | null;
  /** Fleiss' P̄ on the sign, over units with at least two judgments. */
  readonly threeWayAgreement: number | null;
  /** Share of judgments that are ties (grade 0). */
  readonly tieRate: number | null;
  readonly judgments: number;
}

export function preferenceAgreement(
  ratings: readonly (readonly (number | null | undefined)[])[],
  options: PreferenceAgreementOptions = {},
): PreferenceAgreement {
  const scale = options.scale ?? 3;
  if (!(Number.isInteger(scale) && scale >= 1)) throw new MetricsError('preferenceAgreement: scale must be an integer ≥ 1');
  let judgments = 0;
  let ties = 0;
  const signs = ratings.map((row) =>
    Array.from(row, (v) => {
      if (v === null || v === undefined) return null;
      if (!(Number.isInteger(v) && Math.abs(v) <= scale)) {
        throw new MetricsError(`preferenceAgreement: grade ${describe(v)} is not an integer in −${scale}..${scale}`);
      }
      judgments++;
      if (v === 0) ties++;
      return Math.sign(v) + 0;
    }),
  );
  const grades = Array.from({ length: 2 * scale + 1 }, (_, i) => i - scale);
  return {
    ordinalAlpha: krippendorffAlpha(ratings, { level: 'ordinal', categories: grades }),
    intervalAlpha: krippendorffAlpha(ratings, { level: 'interval', categories: grades }),
    threeWayAlpha: krippendorffAlpha(signs, { level: 'nominal', categories: [-1, 0, 1] }),
    threeWayAgreement: percentAgreement(signs, { categories: [-1, 0, 1] }).meanPairwiseAvailable,
    tieRate: judgments === 0 ? null : ties / judgments,
    judgments,
  };
}

export interface PositionJudgment {
  readonly rater: Label;
  /** Which position the rater preferred: the response shown first, second, or neither. */
  readonly outcome: Outcome;
}

export interface PositionBias {
  readonly rater: Label;
  readonly judgments: number;
  readonly first: number;
  readonly second: number;
  readonly ties: number;
  /** first / (first + second); null without a non-tie judgment. */
  readonly firstShare: number | null;
  /** Exact two-sided binomial p-value for firstShare = 1/2. */
  readonly pValue: number | null;
  readonly tieRate: number | null;
}

/** Per-rater position bias and tie rate, raters in label order. */
export function positionBias(judgments: readonly PositionJudgment[]): PositionBias[] {
  const raters = sortedDistinct(
    judgments.map((j) => j.rater),
    'positionBias rater ids',
  );
  const index = new Map<Label, number>(raters.map((r, i) => [r, i]));
  const counts = raters.map(() => ({ first: 0, second: 0, ties: 0 }));
  for (const { rater, outcome } of judgments) {
    const c = counts[index.get(rater)!]!;
    if (outcome === 'first') c.first++;
    else if (outcome === 'second') c.second++;
    else if (outcome === 'tie') c.ties++;
    else throw new MetricsError(`positionBias: unknown outcome ${describe(outcome)}`);
  }
  return raters.map((rater, i) => {
    const { first, second, ties } = counts[i]!;
    const decided = first + second;
    const total = decided + ties;
    return {
      rater,
      judgments: total,
      first,
      second,
      ties,
      firstShare: decided === 0 ? null : first / decided,
      pValue: decided === 0 ? null : binomialTestHalf(first, decided),
      tieRate: total === 0 ? null : ties / total,
    };
  });
}

/**
 * Two-sided exact binomial test of x successes in n trials at p = 1/2. The distribution is
 * symmetric, so R's "probabilities no larger than the observed one" rule is 2·P(X ≤ min(x, n−x)),
 * capped at 1. Summed in log space: 2^−n underflows from n = 1075 on.
 */
export function binomialTestHalf(x: number, n: number): number {
  if (!(Number.isInteger(x) && Number.isInteger(n) && x >= 0 && x <= n)) {
    throw new MetricsError(`binomialTestHalf: need integers 0 ≤ x ≤ n, got x = ${x}, n = ${n}`);
  }
  const k = Math.min(x, n - x);
  if (2 * k === n) return 1;
  // log C(n, i) − n log 2 for i = k, k−1, …, 0 by the ratio C(n, i−1)/C(n, i) = i/(n−i+1).
  let logTerm = logChoose(n, k) - n * Math.LN2;
  const top = logTerm;
  let sum = 0;
  for (let i = k; i >= 0; i--) {
    const term = Math.exp(logTerm - top);
    sum += term;
    if (term < 1e-17 * sum) break;
    logTerm += Math.log(i / (n - i + 1));
  }
  return Math.min(1, 2 * Math.exp(top) * sum);
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log((n - k + i) / i);
  return s;
}
