/**
 * Krippendorff's alpha, following K. Krippendorff, "Computing Krippendorff's Alpha-Reliability"
 * (2011): α = 1 − (n−1)·Σ o_ck δ²_ck / Σ n_c n_k δ²_ck over the coincidence matrix o of pairable
 * values (units with at least two ratings), n_c its marginals and n = Σ n_c.
 * δ²: nominal [c≠k]; ordinal (Σ_{g=c..k} n_g − (n_c+n_k)/2)² on category positions; interval
 * (v_c−v_k)²; ratio ((v_c−v_k)/(v_c+v_k))².
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

export type AlphaLevel = 'nominal' | 'ordinal' | 'interval' | 'ratio';

export interface AlphaOptions extends CategoriesOption {
  readonly level: AlphaLevel;
}

const LEVELS: readonly AlphaLevel[] = ['nominal', 'ordinal', 'interval', 'ratio'];
/** Largest category count for which a dense k×k coincidence matrix is used. */
const DENSE_MAX_K = 256;
/** Pair counts are kept per unit size m (exact integers) when this many cells fit. */
const GROUPED_MAX_CELLS = 1 << 22;

export function krippendorffAlpha(ratings: Ratings | EncodedRatings, options: AlphaOptions): number | null {
  const level = options.level;
  if (!LEVELS.includes(level)) throw new MetricsError(`krippendorffAlpha: unknown level ${String(level)}`);
  const enc = toEncoded(ratings, options);
  const k = enc.categories.length;
  const values =
    level === 'interval' || level === 'ratio' ? numericCategories(enc.categories, `${level} alpha`) : undefined;
  if (level === 'ratio' && values !== undefined && values.some((v) => v < 0)) {
    throw new MetricsError('ratio alpha needs non-negative values');
  }
  if (k === 0) return null;
  if (level === 'nominal') return nominalAlpha(enc);
  return k <= DENSE_MAX_K ? denseAlpha(enc, level, values) : sparseAlpha(enc, level, values);
}

/**
 * α from a coincidence matrix already summed over units: `o[a][b]` for categories `categories`
 * (ascending; numeric for interval and ratio), both orders and the diagonal included, as
 * Krippendorff (2011) defines it. For figures kept incrementally: sums of per-unit coincidences.
 * `level` may also be a distance δ(a, b) between category positions (0 on the diagonal), e.g. MASI
 * between label sets.
 */
export function krippendorffAlphaFromCoincidences(
  categories: readonly number[],
  o: readonly (readonly number[])[],
  level: AlphaLevel | ((a: number, b: number) => number),
): number | null {
  if (typeof level !== 'function' && !LEVELS.includes(level)) throw new MetricsError(`krippendorffAlphaFromCoincidences: unknown level ${String(level)}`);
  const k = categories.length;
  if (o.length !== k || o.some((row) => row.length !== k)) throw new MetricsError('krippendorffAlphaFromCoincidences: o must be k×k');
  if (k === 0) return null;
  const marg = new Float64Array(k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) marg[a]! += o[a]![b]!;
  const delta = typeof level === 'function' ? level : deltaFunction(level, marg, Float64Array.from(categories));
  let n = 0;
  let observed = 0;
  let expected = 0;
  for (let a = 0; a < k; a++) {
    n += marg[a]!;
    for (let b = 0; b < k; b++) {
      if (a === b) continue;
      const d = delta(a, b);
      observed += o[a]![b]! * d;
      expected += marg[a]! * marg[b]! * d;
    }
  }
  // Sums of floating contributions: a rounding residue is not a real value.
  if (Math.abs(n) < 1e-9) return null;
  return finish(n, observed, expected);
}

/** Returns δ²(a, b) for category positions, given the pairable marginals. */
function deltaFunction(
  level: AlphaLevel,
  marginals: Float64Array,
  values: Float64Array | undefined,
): (a: number, b: number) => number {
  switch (level) {
    case 'nominal':
      return (a, b) => (a === b ? 0 : 1);
    case 'ordinal': {
      // cum[i] = Σ_{g<i} n_g, so Σ_{g=a..b} n_g = cum[b+1] − cum[a] for a ≤ b.
      const cum = new Float64Array(marginals.length + 1);
      for (let i = 0; i < marginals.length; i++) cum[i + 1] = cum[i]! + marginals[i]!;
      return (a, b) => {
        const lo = a < b ? a : b;
        const hi = a < b ? b : a;
        const d = cum[hi + 1]! - cum[lo]! - (marginals[lo]! + marginals[hi]!) / 2;
        return d * d;
      };
    }
    case 'interval': {
      const v = values!;
      return (a, b) => (v[a]! - v[b]!) ** 2;
    }
    case 'ratio': {
      const v = values!;
      return (a, b) => {
        const s = v[a]! + v[b]!;
        return s === 0 ? 0 : ((v[a]! - v[b]!) / s) ** 2;
      };
    }
  }
}

function finish(n: number, observed: number, expected: number): number | null {
  if (n <= 1 || expected === 0) return null;
  return 1 - ((n - 1) * observed) / expected;
}

/**
 * Nominal needs no coincidence matrix: a unit with m values contributes (m² − Σ_c n_uc²)/(m−1)
 * ordered disagreeing pairs. Sums are kept per m as integers so unit order cannot change the result.
 */
function nominalAlpha(enc: EncodedRatings): number | null {
  const { nUnits, nRaters: R, codes, categories } = enc;
  const k = categories.length;
  const tally = new UnitTally(k, R);
  const { counts: cnt, distinct } = tally;
  const marg = new Float64Array(k);
  const byM = new Float64Array(R + 1);
  for (let u = 0, base = 0; u < nUnits; u++, base += R) {
    const m = tally.count(codes, base);
    const nd = tally.size;
    let sq = 0;
    for (let i = 0; i < nd; i++) {
      const c = distinct[i]!;
      const x = cnt[c]!;
      if (m >= 2) marg[c]! += x;
      sq += x * x;
    }
    tally.reset();
    if (m >= 2) byM[m]! += m * m - sq;
  }
  let observed = 0;
  for (let m = 2; m <= R; m++) if (byM[m] !== 0) observed += byM[m]! / (m - 1);
  let n = 0;
  let sumSq = 0;
  for (let c = 0; c < k; c++) {
    n += marg[c]!;
    sumSq += marg[c]! * marg[c]!;
  }
  return finish(n, observed, n * n - sumSq);
}

/** One pass builds the upper triangle of the coincidence counts (per unit size m when it fits). */
function denseAlpha(enc: EncodedRatings, level: AlphaLevel, values: Float64Array | undefined): number | null {
  const { nUnits, nRaters: R, codes, categories } = enc;
  const k = categories.length;
  const kk = k * k;
  const grouped = (R + 1) * kk <= GROUPED_MAX_CELLS;
  const pairs = new Float64Array(grouped ? (R + 1) * kk : kk);
  const tally = new UnitTally(k, R);
  const { counts: cnt, distinct } = tally;
  const marg = new Float64Array(k);
  for (let u = 0, base = 0; u < nUnits; u++, base += R) {
    const m = tally.count(codes, base);
    const nd = tally.size;
    if (m >= 2) {
      const off = grouped ? m * kk : 0;
      const w = grouped ? 1 : 1 / (m - 1);
      for (let i = 0; i < nd; i++) {
        const a = distinct[i]!;
        const na = cnt[a]!;
        marg[a]! += na;
        for (let j = i + 1; j < nd; j++) {
          const b = distinct[j]!;
          const cell = a < b ? off + a * k + b : off + b * k + a;
          pairs[cell]! += na * cnt[b]! * w;
        }
      }
    }
    tally.reset();
  }
  const delta = deltaFunction(level, marg, values);
  const d2 = new Float64Array(kk);
  for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) d2[a * k + b] = delta(a, b);
  let observed = 0;
  for (let m = grouped ? 2 : 0; m <= (grouped ? R : 0); m++) {
    const off = m * kk;
    let s = 0;
    for (let a = 0; a < k; a++) {
      for (let b = a + 1; b < k; b++) {
        const p = pairs[off + a * k + b]!;
        if (p !== 0) s += p * d2[a * k + b]!;
      }
    }
    observed += grouped ? (2 * s) / (m - 1) : 2 * s;
  }
  let n = 0;
  let expected = 0;
  for (let a = 0; a < k; a++) {
    n += marg[a]!;
    for (let b = a + 1; b < k; b++) expected += 2 * marg[a]! * marg[b]! * d2[a * k + b]!;
  }
  return finish(n, observed, expected);
}

/**
 * Many distinct values (e.g. continuous scores): no k×k matrix; a first pass gets the marginals,
 * a second sums δ² over each unit's distinct value pairs.
 */
function sparseAlpha(enc: EncodedRatings, level: AlphaLevel, values: Float64Array | undefined): number | null {
  const { nUnits, nRaters: R, codes, categories } = enc;
  const k = categories.length;
  const marg = new Float64Array(k);
  for (let u = 0, base = 0; u < nUnits; u++, base += R) {
    let m = 0;
    for (let r = 0; r < R; r++) if (codes[base + r]! >= 0) m++;
    if (m < 2) continue;
    for (let r = 0; r < R; r++) {
      const c = codes[base + r]!;
      if (c >= 0) marg[c]! += 1;
    }
  }
  const delta = deltaFunction(level, marg, values);
  const tally = new UnitTally(k, R);
  const { counts: cnt, distinct } = tally;
  let observed = 0;
  for (let u = 0, base = 0; u < nUnits; u++, base += R) {
    const m = tally.count(codes, base);
    const nd = tally.size;
    if (m >= 2) {
      let s = 0;
      for (let i = 0; i < nd; i++) {
        const a = distinct[i]!;
        for (let j = i + 1; j < nd; j++) {
          const b = distinct[j]!;
          s += cnt[a]! * cnt[b]! * delta(a, b);
        }
      }
      observed += (2 * s) / (m - 1);
    }
    tally.reset();
  }
  let n = 0;
  for (let a = 0; a < k; a++) n += marg[a]!;
  let expected = 0;
  if (level === 'interval') {
    // Σ_{c,k} n_c n_k (v_c − v_k)² = 2n Σ_c n_c (v_c − v̄)², linear in k.
    const v = values!;
    let mean = 0;
    for (let a = 0; a < k; a++) mean += marg[a]! * v[a]!;
    mean /= n || 1;
    for (let a = 0; a < k; a++) expected += marg[a]! * (v[a]! - mean) ** 2;
    expected *= 2 * n;
  } else {
    const used: number[] = [];
    for (let a = 0; a < k; a++) if (marg[a]! > 0) used.push(a);
    for (let i = 0; i < used.length; i++) {
      const a = used[i]!;
      for (let j = i + 1; j < used.length; j++) {
        const b = used[j]!;
        expected += 2 * marg[a]! * marg[b]! * delta(a, b);
      }
    }
  }
  return finish(n, observed, expected);
}
