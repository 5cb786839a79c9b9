import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bradleyTerry, bradleyTerryBootstrap, pairwiseCounts, quantile, type Comparison } from './bradley-terry.ts';
import { MetricsError } from './labels.ts';
import { createRandom } from './random.ts';
import { llmfao } from './fixtures/index.ts';

/** Evalica 0.1.2 as used for the LLMFAO leaderboard: MM, sum-one, L1 change < 1e-6, at most 100 steps. */
const EVALICA = { method: 'mm', tolerance: 1e-6, maxIterations: 100 } as const;

function maxDifference(result: ReturnType<typeof bradleyTerry>, published: Record<string, number>): number {
  expect(result.items).toHaveLength(Object.keys(published).length);
  let worst = 0;
  result.items.forEach((item, i) => {
    worst = Math.max(worst, Math.abs(result.strengthsSumOne![i]! - published[item as string]!));
  });
  return worst;
}

describe('bradleyTerry against the published LLMFAO leaderboard (leaderboard.ipynb, Evalica)', () => {
  it('crowd votes, ties as half wins: all 59 scores within 1.1e-6 (GPT 4 first at 0.041215)', () => {
    const result = bradleyTerry(pairwiseCounts(llmfao.crowd), EVALICA);
    expect(result.mleExists).toBe(true);
    expect(result.converged).toBe(true);
    expect(maxDifference(result, llmfao.published.crowd)).toBeLessThan(1.1e-6);
    const best = result.strengthsSumOne!.indexOf(Math.max(...result.strengthsSumOne!));
    expect(result.items[best]).toBe('GPT 4');
  });

  it('crowd votes, fully converged MLE: within 3e-6 of the early-stopped published scores', () => {
    const result = bradleyTerry(pairwiseCounts(llmfao.crowd));
    expect(result.converged).toBe(true);
    expect(maxDifference(result, llmfao.published.crowd)).toBeLessThan(3e-6);
  });

  it('GPT-3.5 verdicts: within 1.7e-6', () => {
    expect(maxDifference(bradleyTerry(pairwiseCounts(llmfao.gpt3), EVALICA), llmfao.published['gpt3-crowd'])).toBeLessThan(1.7e-6);
  });

  it('GPT-4 verdicts: within 5e-7 only with the 100-iteration cap; the published table had not converged', () => {
    const counts = pairwiseCounts(llmfao.gpt4);
    const capped = bradleyTerry(counts, EVALICA);
    expect(capped.converged).toBe(false);
    expect(capped.iterations).toBe(100);
    expect(maxDifference(capped, llmfao.published['gpt4-crowd'])).toBeLessThan(5e-7);
    const mle = bradleyTerry(counts);
    expect(maxDifference(mle, llmfao.published['gpt4-crowd'])).toBeGreaterThan(5e-3);
  });

  it('Newton and MM agree on the MLE', () => {
    const counts = pairwiseCounts(llmfao.crowd);
    const newton = bradleyTerry(counts);
    const mm = bradleyTerry(counts, { method: 'mm', tolerance: 1e-13 });
    newton.logStrengths!.forEach((t, i) => expect(t).toBeCloseTo(mm.logStrengths![i]!, 8));
  });
});

describe('bradleyTerry definitions', () => {
  it('solves two items exactly: log(s_a/s_b) = log(wins_a / wins_b), log-strengths sum to zero', () => {
    const result = bradleyTerry({ items: ['a', 'b'], wins: [[0, 3], [1, 0]] });
    expect(result.logStrengths![0]! - result.logStrengths![1]!).toBeCloseTo(Math.log(3), 12);
    expect(result.logStrengths![0]! + result.logStrengths![1]!).toBeCloseTo(0, 14);
    expect(result.strengthsSumOne).toEqual([expect.closeTo(0.75, 12), expect.closeTo(0.25, 12)]);
    expect(result.strengths![0]! * result.strengths![1]!).toBeCloseTo(1, 12);
  });

  it('counts a tie as half a win for each side', () => {
    const withTie = bradleyTerry({ items: ['a', 'b'], wins: [[0, 1], [0, 0]], ties: [[0, 2], [2, 0]] });
    // a: 1 + 1 = 2 "wins", b: 0 + 1 = 1.
    expect(withTie.logStrengths![0]! - withTie.logStrengths![1]!).toBeCloseTo(Math.log(2), 12);
  });

  it('reports no MLE when the comparison graph is not strongly connected', () => {
    const cases: [string, Parameters<typeof bradleyTerry>[0]][] = [
      ['an unbeaten item', { items: ['a', 'b', 'c'], wins: [[0, 1, 1], [0, 0, 1], [0, 1, 0]] }],
      ['a winless item', { items: ['a', 'b', 'c'], wins: [[0, 1, 1], [1, 0, 1], [0, 0, 0]] }],
      ['an item never compared', { items: ['a', 'b', 'c'], wins: [[0, 1, 0], [1, 0, 0], [0, 0, 0]] }],
      ['two groups joined one way only', { items: ['a', 'b', 'c', 'd'], wins: [[0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]] }],
    ];
    for (const [, input] of cases) {
      expect(bradleyTerry(input)).toMatchObject({ mleExists: false, logStrengths: null, strengths: null, strengthsSumOne: null });
    }
    // A tie joins the graph both ways: a > b, then b ~ a makes it strongly connected.
    expect(bradleyTerry({ items: ['a', 'b'], wins: [[0, 1], [0, 0]], ties: [[0, 1], [1, 0]] }).mleExists).toBe(true);
  });

  it('handles one item and no items', () => {
    expect(bradleyTerry({ items: ['only'], wins: [[0]] })).toMatchObject({ mleExists: true, logStrengths: [0], strengthsSumOne: [1] });
    expect(bradleyTerry({ items: [], wins: [] })).toMatchObject({ mleExists: true, logStrengths: [] });
  });

  it('does not depend on the order of the items', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.constantFrom('first', 'second', 'tie' as const)), { maxLength: 60 }),
        fc.integer(),
        (raw, seed) => {
          const comparisons: Comparison[] = raw.filter(([a, b]) => a !== b).map(([a, b, o]) => [`m${a}`, `m${b}`, o]);
          const items = [...new Set(comparisons.flatMap(([a, b]) => [a, b]))];
          const random = createRandom(seed);
          const shuffled = items.map((item) => ({ item, key: random.next() })).sort((p, q) => p.key - q.key).map((x) => x.item);
          const one = bradleyTerry(pairwiseCounts(comparisons, items));
          const two = bradleyTerry(pairwiseCounts(comparisons, shuffled));
          expect(two.mleExists).toBe(one.mleExists);
          if (!one.mleExists) return;
          expect([...one.logStrengths!, ...one.strengthsSumOne!].every(Number.isFinite)).toBe(true);
          items.forEach((item, i) => {
            expect(two.logStrengths![shuffled.indexOf(item)]).toBeCloseTo(one.logStrengths![i]!, 8);
          });
        },
      ),
    );
  });

  it('rejects malformed input with a MetricsError naming the problem', () => {
    expect(() => bradleyTerry({ items: ['a', 'b'], wins: [[0, 1]] })).toThrow(/wins must be 2 × 2/);
    expect(() => bradleyTerry({ items: ['a', 'b'], wins: [[0, -1], [1, 0]] })).toThrow(/not a count/);
    expect(() => bradleyTerry({ items: ['a', 'b'], wins: [[1, 1], [1, 0]] })).toThrow(/self-comparison/);
    expect(() => bradleyTerry({ items: ['a', 'b'], wins: [[0, 1], [1, 0]], ties: [[0, 1], [0, 0]] })).toThrow(/symmetric/);
    expect(() => pairwiseCounts([['a', 'a', 'first']])).toThrow(/compared with itself/);
    expect(() => pairwiseCounts([['a', 'b', 'first']], ['a'])).toThrow(MetricsError);
    expect(() => pairwiseCounts([['a', 1, 'first']])).toThrow(/mix strings and numbers/);
  });
});

describe('bradleyTerryBootstrap', () => {
  const counts = pairwiseCounts(llmfao.gpt3);

  it('is reproducible with a seed, and its intervals cover the estimate', () => {
    const one = bradleyTerryBootstrap(counts, { seed: 42, samples: 40 });
    const two = bradleyTerryBootstrap(counts, { seed: 42, samples: 40 });
    expect(two).toEqual(one);
    const other = bradleyTerryBootstrap(counts, { seed: 43, samples: 40 });
    expect(other.logStrengths).not.toEqual(one.logStrengths);
    // gpt3 verdicts leave some models winless in some resamples; those resamples are counted, not used.
    expect(one.samplesWithoutMle).toBeGreaterThanOrEqual(0);
    expect(one.samplesWithoutMle).toBeLessThan(40);
    one.strengthsSumOne.forEach((interval, i) => {
      expect(interval!.lower).toBeLessThanOrEqual(interval!.upper);
      const estimate = one.estimate.strengthsSumOne![i]!;
      expect(interval!.lower).toBeLessThan(estimate * 1.5);
      expect(interval!.upper).toBeGreaterThan(estimate / 1.5);
    });
  });

  it('gives null intervals when no resample has an MLE', () => {
    const result = bradleyTerryBootstrap({ items: ['a', 'b'], wins: [[0, 2], [0, 0]] }, { seed: 1, samples: 5 });
    expect(result.samplesWithoutMle).toBe(5);
    expect(result.logStrengths).toEqual([null, null]);
  });

  it('uses type-7 quantiles', () => {
    expect(quantile(Float64Array.from([1, 2, 3, 4]), 0.25)).toBe(1.75);
  });
});
