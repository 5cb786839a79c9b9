/**
 * Deliberately plain reference implementations, written straight from the textbook definitions
 * with no shared code: the cross-check for the fast paths in the tests and the baseline in the
 * benchmark. Krippendorff (2011): coincidences o_ck = Σ_u Σ_{i≠j} [v_ui = c][v_uj = k] / (m_u − 1).
 */
import type { Label } from '../src/labels.ts';

type Level = 'nominal' | 'ordinal' | 'interval' | 'ratio';

export function textbookAlpha(ratings: readonly (readonly (Label | null)[])[], level: Level, categories?: Label[]): number | null {
  const values =
    categories ??
    [...new Set(ratings.flat().filter((v): v is Label => v !== null))].sort((a, b) =>
      typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : 1,
    );
  const k = values.length;
  const o: number[][] = values.map(() => values.map(() => 0));
  for (const unit of ratings) {
    const present = unit.filter((v): v is Label => v !== null && v !== undefined);
    const m = present.length;
    if (m < 2) continue;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (i === j) continue;
        o[values.indexOf(present[i]!)]![values.indexOf(present[j]!)]! += 1 / (m - 1);
      }
    }
  }
  const nc = o.map((row) => row.reduce((a, b) => a + b, 0));
  const n = nc.reduce((a, b) => a + b, 0);
  const delta = (c: number, d: number): number => {
    if (c === d) return 0;
    const vc = values[c] as number;
    const vd = values[d] as number;
    switch (level) {
      case 'nominal':
        return 1;
      case 'ordinal': {
        let s = 0;
        for (let g = Math.min(c, d); g <= Math.max(c, d); g++) s += nc[g]!;
        return (s - (nc[c]! + nc[d]!) / 2) ** 2;
      }
      case 'interval':
        return (vc - vd) ** 2;
      case 'ratio':
        return ((vc - vd) / (vc + vd)) ** 2;
    }
  };
  let dObserved = 0;
  let dExpected = 0;
  for (let c = 0; c < k; c++) {
    for (let d = 0; d < k; d++) {
      dObserved += o[c]![d]! * delta(c, d);
      dExpected += nc[c]! * nc[d]! * delta(c, d);
    }
  }
  if (n <= 1 || dExpected === 0) return null;
  return 1 - ((n - 1) * dObserved) / dExpected;
}

/** Mean agreement over rater pairs, chance from each rater's marginals (Conger 1980), by brute force. */
export function textbookConger(ratings: readonly (readonly Label[])[]): number | null {
  const m = ratings[0]?.length ?? 0;
  const n = ratings.length;
  const labels = [...new Set(ratings.flat())];
  let po = 0;
  let pe = 0;
  let pairs = 0;
  for (let r = 0; r < m; r++) {
    for (let s = 0; s < m; s++) {
      if (r === s) continue;
      pairs++;
      po += ratings.filter((row) => row[r] === row[s]).length / n;
      for (const c of labels) {
        pe += (ratings.filter((row) => row[r] === c).length / n) * (ratings.filter((row) => row[s] === c).length / n);
      }
    }
  }
  po /= pairs;
  pe /= pairs;
  return pe === 1 ? null : (po - pe) / (1 - pe);
}

/** Kendall's tau-b by counting every pair. */
export function textbookTauB(x: readonly number[], y: readonly number[]): number | null {
  let concordant = 0;
  let discordant = 0;
  let tx = 0;
  let ty = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = Math.sign(x[i]! - x[j]!) * Math.sign(y[i]! - y[j]!);
      if (s > 0) concordant++;
      else if (s < 0) discordant++;
      if (x[i] !== x[j] && y[i] === y[j]) ty++;
      if (x[i] === x[j] && y[i] !== y[j]) tx++;
    }
  }
  const d = Math.sqrt((concordant + discordant + tx) * (concordant + discordant + ty));
  return d === 0 ? null : (concordant - discordant) / d;
}
