/** The edge cases every statistic must handle, one table per case across the grid statistics. */
import { describe, expect, it } from 'vitest';
import {
  MetricsError,
  cohenKappa,
  fleissKappa,
  icc,
  kendallW,
  krippendorffAlpha,
  lightKappa,
  majorityVote,
  percentAgreement,
  type Label,
} from './index.ts';

type Grid = (Label | null)[][];

/** The headline number of each grid statistic. */
const statistics: [string, (g: Grid) => unknown][] = [
  ['alpha nominal', (g) => krippendorffAlpha(g, { level: 'nominal' })],
  ['alpha ordinal', (g) => krippendorffAlpha(g, { level: 'ordinal' })],
  ['alpha interval', (g) => krippendorffAlpha(g, { level: 'interval' })],
  ['alpha ratio', (g) => krippendorffAlpha(g, { level: 'ratio' })],
  ['fleiss', (g) => fleissKappa(g).kappa],
  ['conger', (g) => fleissKappa(g).kappaConger],
  ['randolph', (g) => fleissKappa(g).randolph],
  ['percent allAgree', (g) => percentAgreement(g).allAgree],
  ['percent meanPairwise', (g) => percentAgreement(g).meanPairwise],
  ['percent meanPairwiseAvailable', (g) => percentAgreement(g).meanPairwiseAvailable],
  ['light', (g) => lightKappa(g)],
  ['cohen', (g) => cohenKappa(g.map((r) => r[0] ?? null), g.map((r) => r[1] ?? null))],
  ['ICC1', (g) => icc(g as (number | null)[][]).ICC1],
  ['ICC2k', (g) => icc(g as (number | null)[][]).ICC2k],
  ['kendall W', (g) => kendallW(g as (number | null)[][]).W],
];

const numericOnly = new Set(['alpha interval', 'alpha ratio', 'ICC1', 'ICC2k', 'kendall W']);

describe.each([
  ['empty input', []],
  ['one rater', [[1], [2], [3]]],
  ['all missing', [[null, null], [null, null]]],
] as [string, Grid][])('%s: every statistic is null (undefined), never NaN, 0 or 1', (_, ratings) => {
  it.each(statistics)('%s', (name, statistic) => {
    expect(statistic(ratings), name).toBeNull();
  });
});

describe('one unit', () => {
  const ratings: Grid = [[1, 2, 1]];
  it('is defined where the formula is: alpha is exactly 0 (observed = expected disagreement), Fleiss −1/2', () => {
    const expected: Record<string, number | null> = {
      'alpha nominal': 0,
      'alpha ordinal': 0,
      'alpha interval': 0,
      'alpha ratio': 0,
      // P̄ = 1/3, chance (2/3)² + (1/3)² = 5/9.
      fleiss: -0.5,
      // Each rater's own marginal is one category: chance = mean over rater pairs of [same label] = 1/3.
      conger: 0,
      randolph: -1 / 3,
      'percent allAgree': 0,
      'percent meanPairwise': 1 / 3,
      'percent meanPairwiseAvailable': 1 / 3,
      // Pairs (1,2) and (2,3) give κ = 0; pair (1,3) has chance agreement 1, so it is left out.
      light: 0,
      cohen: 0,
      ICC1: null,
      ICC2k: null,
      'kendall W': null,
    };
    for (const [name, statistic] of statistics) {
      const value = statistic(ratings) as number | null;
      if (expected[name] === null) expect(value, name).toBeNull();
      else expect(value, name).toBeCloseTo(expected[name]!, 12);
    }
  });
});

describe('one category used throughout', () => {
  const ratings: Grid = [
    ['x', 'x'],
    ['x', 'x'],
    ['x', null],
  ];
  it('chance-corrected statistics are null (0/0) while raw agreement is 1', () => {
    for (const [name, statistic] of statistics) {
      if (numericOnly.has(name)) continue;
      const value = statistic(ratings);
      if (name.startsWith('percent')) expect(value, name).toBe(1);
      else expect(value, name).toBeNull();
    }
  });
  it('with a second declared but unused category, Randolph is defined and Fleiss is not', () => {
    const result = fleissKappa(ratings, { categories: ['x', 'y'] });
    expect(result.randolph).toBe(1);
    expect(result.kappa).toBeNull();
  });
});

describe('unused declared categories', () => {
  const ratings: Grid = [
    [1, 1, 2],
    [2, 2, 2],
    [3, 1, 3],
    [1, null, 1],
  ];
  const declared = [0, 1, 2, 3, 4, 5];
  it('leave alpha, Fleiss, Conger, percent agreement and unweighted Cohen unchanged', () => {
    for (const level of ['nominal', 'ordinal', 'interval', 'ratio'] as const) {
      expect(krippendorffAlpha(ratings, { level, categories: declared })).toBeCloseTo(krippendorffAlpha(ratings, { level })!, 12);
    }
    const plain = fleissKappa(ratings);
    const wide = fleissKappa(ratings, { categories: declared });
    expect(wide.kappa).toBeCloseTo(plain.kappa!, 12);
    expect(wide.kappaConger).toBeCloseTo(plain.kappaConger!, 12);
    expect(wide.perCategory).toHaveLength(6);
    expect(percentAgreement(ratings, { categories: declared })).toEqual(percentAgreement(ratings));
    const a = ratings.map((r) => r[0]!);
    const b = ratings.map((r) => r[1] ?? null);
    expect(cohenKappa(a, b, { categories: declared })).toBeCloseTo(cohenKappa(a, b)!, 12);
  });
  it('change Randolph (q counts them) and weighted Cohen (positions spread out), by design', () => {
    expect(fleissKappa(ratings, { categories: declared }).randolph).not.toBeCloseTo(fleissKappa(ratings).randolph!, 6);
    const a = [1, 2, 3, 1, 2];
    const b = [2, 3, 3, 1, 1];
    expect(cohenKappa(a, b, { weights: 'linear', categories: [1, 2, 3, 9] })).toBeCloseTo(
      cohenKappa(a, b, { weights: 'linear' })!,
      12,
    );
    expect(cohenKappa(a, b, { weights: 'linear', categories: [0, 1, 2, 3] })).toBeCloseTo(cohenKappa(a, b, { weights: 'linear' })!, 12);
    expect(cohenKappa(a, b, { weights: 'linear', categories: [1, 1.5, 2, 3] })).not.toBeCloseTo(
      cohenKappa(a, b, { weights: 'linear' })!,
      6,
    );
  });
});

describe('labels ≥ 10 are ordered as numbers, not as text', () => {
  // As text "10" < "2" < "9"; as numbers 2 < 9 < 10. Ordinal statistics must see 9 next to 10.
  const numbers: Grid = [
    [9, 10],
    [2, 2],
    [10, 10],
    [9, 9],
  ];
  it('ordinal alpha and weighted Cohen use numeric order', () => {
    const text = numbers.map((row) => row.map((v) => String(v)));
    const textOrder = ['10', '2', '9'];
    expect(krippendorffAlpha(numbers, { level: 'ordinal' })).toBeCloseTo(
      krippendorffAlpha(text, { level: 'ordinal', categories: ['2', '9', '10'] })!,
      12,
    );
    expect(krippendorffAlpha(numbers, { level: 'ordinal' })).not.toBeCloseTo(
      krippendorffAlpha(text, { level: 'ordinal', categories: textOrder })!,
      6,
    );
    const a = numbers.map((r) => r[0]!);
    const b = numbers.map((r) => r[1]!);
    expect(cohenKappa(a, b, { weights: 'quadratic' })).toBeCloseTo(
      cohenKappa(a.map(String), b.map(String), { weights: 'quadratic', categories: ['2', '9', '10'] })!,
      12,
    );
    expect(fleissKappa(numbers).categories).toEqual([2, 9, 10]);
    expect(majorityVote([[10, 9, 10, 2]])[0]!.winner).toBe(10);
  });
});

describe('strings and numbers mixed', () => {
  const mixed: Grid = [
    [1, '1'],
    [2, 2],
  ];
  it.each(statistics.filter(([name]) => !numericOnly.has(name)))('%s throws a MetricsError naming the mix', (_, statistic) => {
    expect(() => statistic(mixed)).toThrow(MetricsError);
    expect(() => statistic(mixed)).toThrow(/mix strings and numbers \(1 and "1"\)/);
  });
  it('majority vote too', () => {
    expect(() => majorityVote(mixed)).toThrow(MetricsError);
  });
});
