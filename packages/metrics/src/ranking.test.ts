import { describe, expect, it } from 'vitest';
import { rankingAgreement } from './ranking.ts';
import { kendallTauB } from './rank.ts';
import { MetricsError } from './labels.ts';

describe('rankingAgreement', () => {
  it('is 1 for identical rankings with ties, −1 for reversed strict rankings', () => {
    const a = [['x'], ['y', 'z'], ['w']];
    expect(rankingAgreement(a, a)).toEqual({ itemsCompared: 4, tauB: 1, spearman: 1, pairAgreement: 1 });
    const reversed = rankingAgreement([['a'], ['b'], ['c']], [['c'], ['b'], ['a']]);
    expect(reversed).toEqual({ itemsCompared: 3, tauB: -1, spearman: -1, pairAgreement: 0 });
  });

  it('treats a tie in one ranking against an order in the other as a disagreement on that pair', () => {
    // Pairs: (x,y) x ahead in both; (x,z) ahead in both; (y,z) tied vs y ahead.
    const result = rankingAgreement([['x'], ['y', 'z']], [['x'], ['y'], ['z']]);
    expect(result.pairAgreement).toBeCloseTo(2 / 3, 12);
    expect(result.tauB).toBeCloseTo(kendallTauB([0, 1, 1], [0, 1, 2])!, 12);
  });

  it('compares only items both rankings contain', () => {
    const result = rankingAgreement([['x'], ['extra'], ['y']], [['y'], ['x'], ['other']]);
    expect(result.itemsCompared).toBe(2);
    expect(result.pairAgreement).toBe(0);
    expect(rankingAgreement([['x']], [['x']])).toEqual({ itemsCompared: 1, tauB: null, spearman: null, pairAgreement: null });
  });

  it('is null for tau-b and rho when one ranking ties everything, and rejects duplicates', () => {
    const result = rankingAgreement([['a', 'b', 'c']], [['a'], ['b'], ['c']]);
    expect(result).toMatchObject({ tauB: null, spearman: null, pairAgreement: 0 });
    expect(() => rankingAgreement([['a'], ['a']], [['a']])).toThrow(MetricsError);
  });
});
