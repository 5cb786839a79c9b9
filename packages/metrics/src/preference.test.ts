import { describe, expect, it } from 'vitest';
import { binomialTestHalf, positionBias, preferenceAgreement } from './preference.ts';
import { krippendorffAlpha } from './krippendorff.ts';
import { MetricsError } from './labels.ts';
import { llmfao } from './fixtures/index.ts';

describe('preferenceAgreement', () => {
  const graded = [
    [3, 2, 2],
    [-1, -3, null],
    [0, 1, 0],
    [-2, -2, -1],
  ];

  it('reads grades as an ordinal scale −3..+3 and as a 3-way choice on their sign', () => {
    const result = preferenceAgreement(graded);
    const signs = graded.map((row) => row.map((v) => (v === null ? null : Math.sign(v))));
    expect(result.ordinalAlpha).toBe(krippendorffAlpha(graded, { level: 'ordinal', categories: [-3, -2, -1, 0, 1, 2, 3] }));
    expect(result.intervalAlpha).toBe(krippendorffAlpha(graded, { level: 'interval' }));
    expect(result.threeWayAlpha).toBe(krippendorffAlpha(signs, { level: 'nominal' }));
    // Units: all agree, all agree, 1 of 3 ordered pairs… (0,1,0): pairs agreeing 2 of 6, all agree.
    expect(result.threeWayAgreement).toBeCloseTo((1 + 1 + 1 / 3 + 1) / 4, 12);
    expect(result.tieRate).toBeCloseTo(2 / 11, 12);
    expect(result.judgments).toBe(11);
  });

  it('LLMFAO crowd votes as 3-way choices: nominal alpha 0.2906 (computed in shared/data, not published)', () => {
    const byPair = new Map<number, number[]>();
    const grade = { first: -1, tie: 0, second: 1 } as const;
    for (const v of llmfao.crowdVotes) byPair.set(v.pair, [...(byPair.get(v.pair) ?? []), grade[v.outcome]]);
    const result = preferenceAgreement([...byPair.values()], { scale: 1 });
    expect(result.threeWayAlpha).toBeCloseTo(0.2906, 4);
    expect(result.tieRate).toBeCloseTo(3471 / 8931, 12);
  });

  it('rejects grades outside the scale or not whole', () => {
    expect(() => preferenceAgreement([[4, 0]])).toThrow(/grade 4 is not an integer in −3..3/);
    expect(() => preferenceAgreement([[0.5, 0]])).toThrow(MetricsError);
    expect(() => preferenceAgreement([[1]], { scale: 0 })).toThrow(/scale/);
  });

  it('is null throughout for no judgments', () => {
    expect(preferenceAgreement([])).toEqual({
      ordinalAlpha: null,
      intervalAlpha: null,
      threeWayAlpha: null,
      threeWayAgreement: null,
      tieRate: null,
      judgments: 0,
    });
  });
});

describe('positionBias', () => {
  it.each([
    [7, 10, 0.34375],
    [0, 10, 0.001953125],
    [60, 100, 0.05688793364098089],
    [5100, 10000, 0.04658552770494645],
    [5, 10, 1],
    [1, 1, 1],
  ])('binomial p-value for %i of %i at 1/2 = %f (scipy.stats.binomtest, = R binom.test)', (x, n, p) => {
    expect(binomialTestHalf(x, n)).toBeCloseTo(p, 12);
    expect(binomialTestHalf(n - x, n)).toBeCloseTo(p, 12);
  });

  it('LLMFAO crowd: left 2,911 vs right 2,549 with 3,471 ties; per worker counts add up', () => {
    const judgments = llmfao.crowdVotes.map((v) => ({ rater: v.worker, outcome: v.outcome }));
    const all = positionBias(judgments.map((j) => ({ ...j, rater: 'everyone' })))[0]!;
    expect(all).toMatchObject({ first: 2911, second: 2549, ties: 3471, judgments: 8931 });
    expect(all.firstShare).toBeCloseTo(2911 / 5460, 12);
    expect(all.pValue!).toBeCloseTo(1.0226520279519068e-6, 15);
    expect(all.tieRate).toBeCloseTo(3471 / 8931, 12);
    const perWorker = positionBias(judgments);
    expect(perWorker).toHaveLength(124);
    expect(perWorker.reduce((n, w) => n + w.judgments, 0)).toBe(8931);
    expect(perWorker.map((w) => w.rater)).toEqual([...perWorker.map((w) => w.rater)].sort((a, b) => (a as number) - (b as number)));
  });

  it('gives null share and p-value for a rater with only ties', () => {
    expect(positionBias([{ rater: 'r', outcome: 'tie' }])).toEqual([
      { rater: 'r', judgments: 1, first: 0, second: 0, ties: 1, firstShare: null, pValue: null, tieRate: 1 },
    ]);
    expect(positionBias([])).toEqual([]);
    expect(() => positionBias([{ rater: 'r', outcome: 'left' as never }])).toThrow(MetricsError);
  });
});
