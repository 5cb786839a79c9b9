/**
 * Raw percent agreement. `meanPairwise` is Fleiss' (1971) P̄: the mean over units of the share of
 * agreeing ordered rater pairs, Σ_c n_uc(n_uc−1) / (m_u(m_u−1)); `allAgree` is the share of
 * unanimous units. The plain pair counts the complete units only (no null); the `…Available` pair
 * uses every unit with at least two ratings.
 */
import {
  MetricsError,
  numericCategories,
  toEncoded,
  type CategoriesOption,
  type EncodedRatings,
  type Ratings,
} from './labels.ts';
import { UnitTally } from './unit-tally.ts';

export interface PercentAgreementOptions extends CategoriesOption {
  /** Numeric ratings whose difference is at most this count as agreeing. */
  readonly tolerance?: number;
}

export interface PercentAgreement {
  /** Share of complete units on which every rater agrees. */
  readonly allAgree: number | null;
  /** Fleiss' P̄ over complete units. */
  readonly meanPairwise: number | null;
  readonly allAgreeAvailable: number | null;
  readonly meanPairwiseAvailable: number | null;
  /** Units with no missing rating and at least two ratings. */
  readonly unitsComplete: number;
  readonly unitsWithTwoOrMore: number;
}

/** Floating-point slack so that e.g. |1.1 − 0.9| counts as within a tolerance of 0.2. */
function withinTolerance(a: number, b: number, tolerance: number): boolean {
  return Math.abs(a - b) - tolerance <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
}

export function percentAgreement(
  ratings: Ratings | EncodedRatings,
  options: PercentAgreementOptions = {},
): PercentAgreement {
  const { tolerance } = options;
  if (tolerance !== undefined && !(tolerance >= 0 && Number.isFinite(tolerance))) {
    throw new MetricsError(`percentAgreement: tolerance must be a finite number ≥ 0, got ${String(tolerance)}`);
  }
  const enc = toEncoded(ratings, options);
  const { nUnits, nRaters: R, codes, categories } = enc;
  const k = categories.length;
  const values = tolerance === undefined ? undefined : numericCategories(categories, 'percentAgreement tolerance');

  let complete = 0;
  let available = 0;
  let allComplete = 0;
  let allAvailable = 0;
  let pairsComplete = 0;
  let pairsAvailable = 0;
  const tally = new UnitTally(k, R);
  const { counts: cnt, distinct } = tally;
  const unitValues = new Float64Array(R);
  for (let u = 0, base = 0; u < nUnits; u++, base += R) {
    const m = tally.count(codes, base);
    const nd = tally.size;
    let agreeing = 0;
    let unanimous = false;
    if (m >= 2) {
      if (values === undefined) {
        for (let i = 0; i < nd; i++) {
          const x = cnt[distinct[i]!]!;
          agreeing += x * (x - 1);
        }
        unanimous = nd === 1;
      } else {
        ({ agreeing, unanimous } = tolerantPairs(distinct, nd, cnt, values, tolerance!, unitValues));
      }
    }
    tally.reset();
    if (m < 2) continue;
    const share = agreeing / (m * (m - 1));
    available++;
    pairsAvailable += share;
    if (unanimous) allAvailable++;
    if (m === R) {
      complete++;
      pairsComplete += share;
      if (unanimous) allComplete++;
    }
  }
  return {
    allAgree: complete === 0 ? null : allComplete / complete,
    meanPairwise: complete === 0 ? null : pairsComplete / complete,
    allAgreeAvailable: available === 0 ? null : allAvailable / available,
    meanPairwiseAvailable: available === 0 ? null : pairsAvailable / available,
    unitsComplete: complete,
    unitsWithTwoOrMore: available,
  };
}

/** Ordered agreeing pairs under a tolerance: sort the unit's values, sweep a window. */
function tolerantPairs(
  distinct: Int32Array,
  nd: number,
  cnt: Int32Array,
  values: Float64Array,
  tolerance: number,
  scratch: Float64Array,
): { agreeing: number; unanimous: boolean } {
  let m = 0;
  for (let i = 0; i < nd; i++) {
    const c = distinct[i]!;
    for (let j = cnt[c]!; j > 0; j--) scratch[m++] = values[c]!;
  }
  const sorted = scratch.subarray(0, m).sort();
  let agreeing = 0;
  let lo = 0;
  for (let hi = 0; hi < m; hi++) {
    while (!withinTolerance(sorted[lo]!, sorted[hi]!, tolerance)) lo++;
    agreeing += 2 * (hi - lo);
  }
  return { agreeing, unanimous: withinTolerance(sorted[0]!, sorted[m - 1]!, tolerance) };
}
