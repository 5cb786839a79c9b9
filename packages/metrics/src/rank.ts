/**
 * Rank statistics. Kendall's W (Kendall & Babington Smith 1939) on columns ranked with average ranks
 * for ties: W = 12 S / (m²(n³−n)); the tie-corrected Wt subtracts m Σ_j Σ (t³−t) from the
 * denominator (as R irr::kendall(correct = TRUE)). Kendall's tau-b by Knight's (1966) O(n log n)
 * algorithm; Spearman's rho as Pearson's correlation of average ranks.
 */
import { MetricsError } from './labels.ts';

type Score = number | null | undefined;

function checkNumber(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new MetricsError(`${where}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)} is not a finite number`);
  }
  return v;
}

/** 1-based average ranks (ties share the mean of their positions), and Σ (t³ − t) over tie groups. */
export function averageRanks(values: readonly number[]): { ranks: Float64Array; tieSum: number } {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  let tieSum = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && values[order[j]!] === values[order[i]!]) j++;
    const rank = (i + j + 1) / 2;
    for (let t = i; t < j; t++) ranks[order[t]!] = rank;
    const t = j - i;
    tieSum += t * t * t - t;
    i = j;
  }
  return { ranks, tieSum };
}

export interface KendallW {
  readonly W: number | null;
  readonly Wt: number | null;
}

/**
 * `scores`: objects × raters. Objects with a missing score are dropped (as irr::kendall does). One
 * rater "concords" with itself trivially (the formula gives 1), so fewer than two raters is null.
 */
export function kendallW(scores: readonly (readonly Score[])[]): KendallW {
  let m = 0;
  for (const row of scores) m = Math.max(m, row.length);
  const rows = scores.filter((row) => row.length === m && row.every((v) => v !== null && v !== undefined));
  const n = rows.length;
  if (n < 2 || m < 2) return { W: null, Wt: null };
  const rankSums = new Float64Array(n);
  let ties = 0;
  for (let r = 0; r < m; r++) {
    const column = rows.map((row) => checkNumber(row[r], 'kendallW'));
    const { ranks, tieSum } = averageRanks(column);
    for (let i = 0; i < n; i++) rankSums[i]! += ranks[i]!;
    ties += tieSum;
  }
  const mean = (m * (n + 1)) / 2;
  let s = 0;
  for (let i = 0; i < n; i++) s += (rankSums[i]! - mean) ** 2;
  const full = m * m * (n * n * n - n);
  const corrected = full - m * ties;
  return { W: (12 * s) / full, Wt: corrected > 0 ? (12 * s) / corrected : null };
}

function pairs(x: readonly Score[], y: readonly Score[], where: string): [number[], number[]] {
  if (x.length !== y.length) throw new MetricsError(`${where}: x has ${x.length} values and y has ${y.length}`);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const u = x[i];
    const v = y[i];
    if (u === null || u === undefined || v === null || v === undefined) continue;
    a.push(checkNumber(u, where));
    b.push(checkNumber(v, where));
  }
  return [a, b];
}

/** Σ t(t−1)/2 over runs of equal values in an array already sorted on it. */
function tiedPairs(sorted: ArrayLike<number>): number {
  let total = 0;
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) run++;
    else {
      total += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  return total;
}

/** Kendall's tau-b over the pairs where both values are present. */
export function kendallTauB(x: readonly Score[], y: readonly Score[]): number | null {
  const [a, b] = pairs(x, y, 'kendallTauB');
  const n = a.length;
  if (n < 2) return null;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i]! - a[j]! || b[i]! - b[j]!);
  const xs = Float64Array.from(order, (i) => a[i]!);
  let ys = Float64Array.from(order, (i) => b[i]!);
  const tiesX = tiedPairs(xs);
  let tiesXY = 0;
  let run = 1;
  for (let i = 1; i <= n; i++) {
    if (i < n && xs[i] === xs[i - 1] && ys[i] === ys[i - 1]) run++;
    else {
      tiesXY += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  // Bottom-up merge sort on y counts the discordant pairs as inversions (ties are not inversions).
  let swaps = 0;
  let buffer = new Float64Array(n);
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let out = lo;
      while (i < mid && j < hi) {
        if (ys[j]! < ys[i]!) {
          swaps += mid - i;
          buffer[out++] = ys[j++]!;
        } else buffer[out++] = ys[i++]!;
      }
      while (i < mid) buffer[out++] = ys[i++]!;
      while (j < hi) buffer[out++] = ys[j++]!;
    }
    [ys, buffer] = [buffer, ys];
  }
  const tiesY = tiedPairs(ys);
  const total = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((total - tiesX) * (total - tiesY));
  if (denominator === 0) return null;
  return Math.max(-1, Math.min(1, (total - tiesX - tiesY + tiesXY - 2 * swaps) / denominator));
}

/** Pearson's correlation, computed on centred values; null when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const n = a.length;
  if (n < 2) return null;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return null;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/** Spearman's rho over the pairs where both values are present. */
export function spearmanRho(x: readonly Score[], y: readonly Score[]): number | null {
  const [a, b] = pairs(x, y, 'spearmanRho');
  if (a.length < 2) return null;
  return pearson(averageRanks(a).ranks, averageRanks(b).ranks);
}
