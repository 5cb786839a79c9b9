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
  // Constant data is 0/0 everywhere; rounding in the means would otherwise invent a value.
  const first = rows[0]![0]!;
  if (rows.every((row) => row.every((v) => v === first))) return NONE;
  let grand = 0;
  for (const row of rows) for (const v of row) grand += v;
  grand /= n * k;
  const colMeans = new Float64Array(k);
  for (const row of rows) for (let j = 0; j < k; j++) colMeans[j]! += row[j]! / n;
  let ssRows = 0;
  let ssCols = 0;
  let ssTotal = 0;
  for (const row of rows) {
    let mean = 0;
    for (const v of row) mean += v;
    mean /= k;
    ssRows += k * (mean - grand) ** 2;
    for (let j = 0; j < k; j++) ssTotal += (row[j]! - grand) ** 2;
  }
  for (let j = 0; j < k; j++) ssCols += n * (colMeans[j]! - grand) ** 2;
  const ssError = Math.max(0, ssTotal - ssRows - ssCols);
  const bms = ssRows / (n - 1);
  const wms = (ssTotal - ssRows) / (n * (k - 1));
  const jms = ssCols / (k - 1);
  const ems = ssError / ((n - 1) * (k - 1));
  const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);
  return {
    ICC1: ratio(bms - wms, bms + (k - 1) * wms),
    ICC2: ratio(bms - ems, bms + (k - 1) * ems + (k * (jms - ems)) / n),
    ICC3: ratio(bms - ems, bms + (k - 1) * ems),
    ICC1k: ratio(bms - wms, bms),
    ICC2k: ratio(bms - ems, bms + (jms - ems) / n),
    ICC3k: ratio(bms - ems, bms),
  };
}
