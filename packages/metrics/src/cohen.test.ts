import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cohenKappa, lightKappa } from './cohen.ts';
import { MetricsError } from './labels.ts';
import { classic, pandalm } from './fixtures/index.ts';

/** Expands a confusion table (rows = rater A) into two rating vectors. */
function fromTable(table: number[][]): [number[], number[]] {
  const a: number[] = [];
  const b: number[] = [];
  table.forEach((row, i) =>
    row.forEach((count, j) => {
      for (let c = 0; c < count; c++) {
        a.push(i);
        b.push(j);
      }
    }),
  );
  return [a, b];
}

const column = (rows: readonly (readonly number[])[], r: number): number[] => rows.map((row) => row[r]!);

describe('cohenKappa against published values', () => {
  it('SAS PROC FREQ 3×3 example: κ = 0.4842, linear weighted κ = 0.4701', () => {
    const [a, b] = fromTable(classic.sas_cohen_3x3.table);
    expect(cohenKappa(a, b)).toBeCloseTo(0.4842, 4);
    expect(cohenKappa(a, b, { weights: 'linear' })).toBeCloseTo(0.4701, 4);
  });

  it('R irr anxiety, raters 2 vs 3, on the observed categories {1,2,3,4,6} by rank (as irr::kappa2)', () => {
    const { ratings } = classic.irr_anxiety_20subjects_3raters;
    const [a, b] = [column(ratings, 1), column(ratings, 2)];
    expect(cohenKappa(a, b)).toBeCloseTo(-0.006289308, 9);
    expect(cohenKappa(a, b, { weights: 'linear' })).toBeCloseTo(0.1459075, 7);
    expect(cohenKappa(a, b, { weights: 'quadratic' })).toBeCloseTo(0.2520325, 7);
  });

  it('uses positions in declared categories when given, so unused 5 changes weighted but not unweighted κ', () => {
    const { ratings } = classic.irr_anxiety_20subjects_3raters;
    const [a, b] = [column(ratings, 1), column(ratings, 2)];
    const categories = [1, 2, 3, 4, 5, 6];
    expect(cohenKappa(a, b, { categories })).toBeCloseTo(-0.006289308, 9);
    const linear = cohenKappa(a, b, { weights: 'linear', categories })!;
    expect(linear).not.toBeCloseTo(0.1459075, 4);
    // Value-scale weights: brute force 1 − Σ|i−j|·p_obs / Σ|i−j|·p_exp on the values themselves.
    let obs = 0;
    let exp = 0;
    for (let u = 0; u < a.length; u++) obs += Math.abs(a[u]! - b[u]!) / a.length;
    for (const x of a) for (const y of b) exp += Math.abs(x - y) / (a.length * b.length);
    expect(linear).toBeCloseTo(1 - obs / exp, 12);
  });

  it('PandaLM: pairwise κ 0.85 / 0.88 / 0.86 (README of WeOpenML/PandaLM; 0.8520, 0.8789, 0.8617 unrounded)', () => {
    const rows = pandalm.labels;
    const k12 = cohenKappa(column(rows, 0), column(rows, 1))!;
    const k13 = cohenKappa(column(rows, 0), column(rows, 2))!;
    const k23 = cohenKappa(column(rows, 1), column(rows, 2))!;
    expect([k12, k13, k23].map((k) => Number(k.toFixed(2)))).toEqual([0.85, 0.88, 0.86]);
    expect(k12).toBeCloseTo(0.852, 3);
    expect(k13).toBeCloseTo(0.8789, 4);
    expect(k23).toBeCloseTo(0.8617, 4);
  });
});

describe('cohenKappa behaviour', () => {
  it('drops pairs with a null on either side', () => {
    expect(cohenKappa([1, 2, null, 1, 3], [1, 2, 3, null, 3])).toBe(cohenKappa([1, 2, 3], [1, 2, 3]));
  });

  it('is null when chance agreement is total (one category) or there is no pair', () => {
    expect(cohenKappa(['a', 'a'], ['a', 'a'])).toBeNull();
    expect(cohenKappa(['a', 'a'], ['a', 'a'], { weights: 'quadratic' })).toBeNull();
    expect(cohenKappa([null], [1])).toBeNull();
    expect(cohenKappa([], [])).toBeNull();
  });

  it('is 1 for perfect agreement over two or more categories, and symmetric in the raters', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })), { minLength: 1 }), (pairs) => {
        const a = pairs.map((p) => p[0]);
        const b = pairs.map((p) => p[1]);
        for (const weights of ['none', 'linear', 'quadratic'] as const) {
          const ab = cohenKappa(a, b, { weights });
          const ba = cohenKappa(b, a, { weights });
          if (ab === null) expect(ba).toBeNull();
          else expect(ba).toBeCloseTo(ab, 12);
          const self = cohenKappa(a, a, { weights });
          expect(self === null || self === 1).toBe(true);
          if (new Set(a).size >= 2) expect(self).toBe(1);
        }
      }),
    );
  });

  it('rejects unequal lengths, mixed label types and unknown weights', () => {
    expect(() => cohenKappa([1, 2], [1])).toThrow(MetricsError);
    expect(() => cohenKappa([1, 'b'], [1, 2])).toThrow(/mix strings and numbers/);
    expect(() => cohenKappa([1], [1], { weights: 'cubic' as never })).toThrow(/unknown weights/);
    expect(() => cohenKappa([1], [7], { categories: [1, 2] })).toThrow(/not in the declared categories/);
  });
});

describe('lightKappa', () => {
  it('is the mean of the three pairwise kappas (PandaLM)', () => {
    const rows = pandalm.labels;
    const pairs = [
      [0, 1],
      [0, 2],
      [1, 2],
    ].map(([r, s]) => cohenKappa(column(rows, r!), column(rows, s!))!);
    expect(lightKappa(rows)).toBeCloseTo((pairs[0]! + pairs[1]! + pairs[2]!) / 3, 12);
  });

  it('uses, for each pair, the units both raters rated, and skips undefined pairs', () => {
    // Pairs (1,3) and (2,3) share only unit 1, where both say 1: undefined, left out of the mean.
    const ratings = [
      [1, 1, 1],
      [2, 2, null],
      [1, 2, null],
    ];
    expect(lightKappa(ratings)).toBeCloseTo(cohenKappa([1, 2, 1], [1, 2, 2])!, 12);
    const withZero = [...ratings, [null, 1, 2]];
    // Now (2,3) is defined: units 1 and 4 give [1,1] vs [1,2], κ = 0, which enters the mean.
    expect(cohenKappa([1, 1], [1, 2])).toBe(0);
    expect(lightKappa(withZero)).toBeCloseTo(cohenKappa([1, 2, 1], [1, 2, 2])! / 2, 12);
    expect(lightKappa([[1], [2]])).toBeNull();
  });
});
