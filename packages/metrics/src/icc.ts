/**
 * Intraclass correlations of Shrout & Fleiss (1979) from a two-way ANOVA of n targets × k judges:
 * ICC1 one-way random, ICC2 two-way random (absolute agreement), ICC3 two-way mixed (consistency),
 * each for a single judge and for the mean of k judges (the `k` forms). Targets with a missing
 * score are dropped (listwise deletion).
 */
import { MetricsError } from './labels.ts';

export interface Icc {
  readonly ICC1: number | null;
  readonly ICC2: number | null;
  readonly ICC3: number | null;
  readonly ICC1k: number | null;
  readonly ICC2k: number | null;
  readonly ICC3k: number | null;
}

const NONE: Icc = { ICC1: null, ICC2: null, ICC3: null, ICC1k: null, ICC2k: null, ICC3k: null };

export function icc(ratings: readonly (readonly (number | null | undefined)[])[]): Icc {
  let k = 0;
  for (const row of ratings) k = Math.max(k, row.length);
  const rows: number[][] = [];
  for (const row of ratings) {
    if (row.length !== k || row.some((v) => v === null || v === undefined)) continue;
    rows.push(
      row.map((v) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new MetricsError(`icc: ${String(v)} is not a finite number`);
        return v;
      }),
    );
  }
  const n = rows.length;
  if (n < 2 || k < 2) return NONE;
  // Sums of squares scaled by N = nk (and the mean squares by a further common factor) so that
  // integer scores stay integers: a denominator that is 0 in exact arithmetic comes out as exactly 0
  // instead of rounding noise that would turn the ratio into a huge number.
  const N = n * k;
  let total = 0;
  let squares = 0;
  let rowSquares = 0;
  const colSums = new Float64Array(k);
  for (const row of rows) {
    let rowSum = 0;
    for (let j = 0; j < k; j++) {
      const v = row[j]!;
      total += v;
      squares += v * v;
      rowSum += v;
      colSums[j]! += v;
    }
    rowSquares += rowSum * rowSum;
  }
  let colSquares = 0;
  for (let j = 0; j < k; j++) colSquares += colSums[j]! * colSums[j]!;
  const t2 = total * total;
  const ssRows = n * rowSquares - t2;
  const ssCols = k * colSquares - t2;
  const ssTotal = N * squares - t2;
  const ssError = ssTotal - ssRows - ssCols;
  const ssWithin = ssTotal - ssRows;
  // Each mean square times N·n(n−1)(k−1).
  const bms = ssRows * n * (k - 1);
  const wms = ssWithin * (n - 1);
  const jms = ssCols * n * (n - 1);
  const ems = ssError * n;
  const scale = Math.abs(bms) + Math.abs(wms) + Math.abs(jms) + Math.abs(ems);
  const ratio = (num: number, den: number): number | null => (Math.abs(den) <= 1e-12 * scale ? null : num / den);
  return {
    ICC1: ratio(bms - wms, bms + (k - 1) * wms),
    ICC2: ratio(n * (bms - ems), n * bms + n * (k - 1) * ems + k * (jms - ems)),
    ICC3: ratio(bms - ems, bms + (k - 1) * ems),
    ICC1k: ratio(bms - wms, bms),
    ICC2k: ratio(n * (bms - ems), n * bms + jms - ems),
    ICC3k: ratio(bms - ems, bms),
  };
}
