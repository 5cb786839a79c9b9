/**
 * Cohen's (1960) kappa and its weighted form (Cohen 1968), written with disagreement weights so that
 * counts stay integers until one final division: κ = 1 − N·Σ d_ij o_ij / Σ d_ij r_i c_j, with
 * d = [i≠j], |i−j| (linear) or (i−j)² (quadratic) on category positions. That equals
 * 1 − Σ w·p_obs / Σ w·p_exp with agreement weights 1 − |i−j|/(k−1) or 1 − (i−j)²/(k−1)².
 * Without declared categories the positions are ranks of the observed labels, as in R irr::kappa2.
 * Light's (1971) kappa is the mean of Cohen's kappa over all rater pairs.
 */
import {
  MetricsError,
  indexCategories,
  mixedError,
  sortedDistinct,
  unknownLabel,
  type CategoriesOption,
  type Label,
  type Ratings,
} from './labels.ts';

export type KappaWeights = 'none' | 'linear' | 'quadratic';

export interface CohenOptions extends CategoriesOption {
  readonly weights?: KappaWeights;
}

type Rating = Label | null | undefined;

export function cohenKappa(
  rater1: readonly Rating[],
  rater2: readonly Rating[],
  options: CohenOptions = {},
): number | null {
  const weights = options.weights ?? 'none';
  if (weights !== 'none' && weights !== 'linear' && weights !== 'quadratic') {
    throw new MetricsError(`cohenKappa: unknown weights ${String(weights)}`);
  }
  if (rater1.length !== rater2.length) {
    throw new MetricsError(`cohenKappa: raters have ${rater1.length} and ${rater2.length} ratings; need one per unit each`);
  }
  const a: Label[] = [];
  const b: Label[] = [];
  for (let i = 0; i < rater1.length; i++) {
    const x = rater1[i];
    const y = rater2[i];
    if (x === null || x === undefined || y === null || y === undefined) continue;
    a.push(x);
    b.push(y);
  }
  const categories = options.categories ?? sortedDistinct([...a, ...b], 'cohenKappa');
  const index = indexCategories(categories, 'cohenKappa');
  const k = categories.length;
  const n = a.length;
  if (n === 0) return null;
  const table = new Float64Array(k * k);
  const rows = new Float64Array(k);
  const cols = new Float64Array(k);
  for (let u = 0; u < n; u++) {
    const i = position(index, a[u]!, categories);
    const j = position(index, b[u]!, categories);
    table[i * k + j]! += 1;
    rows[i]! += 1;
    cols[j]! += 1;
  }
  return kappaFromTable(table, rows, cols, n, k, weights);
}

function position(index: Map<Label, number>, v: Label, categories: readonly Label[]): number {
  const i = index.get(v);
  if (i !== undefined) return i;
  const first = categories[0];
  if (first !== undefined && typeof first !== typeof v) throw mixedError('cohenKappa', first, v);
  throw unknownLabel('cohenKappa', v);
}

function disagreement(i: number, j: number, weights: KappaWeights): number {
  if (weights === 'none') return i === j ? 0 : 1;
  const d = Math.abs(i - j);
  return weights === 'linear' ? d : d * d;
}

/** κ from a k×k count table (row-major) and its margins; null when chance disagreement is 0. */
function kappaFromTable(
  table: Float64Array,
  rows: Float64Array,
  cols: Float64Array,
  n: number,
  k: number,
  weights: KappaWeights,
): number | null {
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      if (i === j) continue;
      const d = disagreement(i, j, weights);
      observed += d * table[i * k + j]!;
      expected += d * rows[i]! * cols[j]!;
    }
  }
  if (expected === 0) return null;
  return 1 - (n * observed) / expected;
}

/**
 * Light's kappa: mean pairwise (unweighted) Cohen's kappa. Each pair uses the units both raters
 * rated; pairs whose kappa is undefined are left out of the mean, and null means none was defined.
 */
export function lightKappa(ratings: Ratings): number | null {
  let nRaters = 0;
  for (const row of ratings) nRaters = Math.max(nRaters, row.length);
  const columns = Array.from({ length: nRaters }, (_, r) => ratings.map((row) => row[r] ?? null));
  const all: Label[] = [];
  for (const col of columns) for (const v of col) if (v !== null) all.push(v);
  const categories = sortedDistinct(all, 'lightKappa');
  let sum = 0;
  let defined = 0;
  for (let r = 0; r < nRaters; r++) {
    for (let s = r + 1; s < nRaters; s++) {
      const kappa = cohenKappa(columns[r]!, columns[s]!, { categories });
      if (kappa === null) continue;
      sum += kappa;
      defined++;
    }
  }
  return defined === 0 ? null : sum / defined;
}
