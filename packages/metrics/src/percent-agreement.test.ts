import { describe, expect, it } from 'vitest';
import { percentAgreement } from './percent-agreement.ts';
import { MetricsError, encodeRatings } from './labels.ts';
import { pandalm } from './fixtures/index.ts';

describe('percentAgreement', () => {
  it('PandaLM: 879 of 999 unanimous; P̄ = mean of the pairwise agreements 0.9129 / 0.9289 / 0.9179 (shared/data)', () => {
    const result = percentAgreement(pandalm.labels);
    expect(result.allAgree).toBeCloseTo(879 / 999, 12);
    expect(result.meanPairwise).toBeCloseTo((0.9129 + 0.9289 + 0.9179) / 3, 4);
    expect(result.unitsComplete).toBe(999);
    expect(result).toMatchObject({ allAgreeAvailable: result.allAgree, meanPairwiseAvailable: result.meanPairwise });
  });

  it('counts complete units for the plain pair and every unit with ≥ 2 ratings for the …Available pair', () => {
    const result = percentAgreement([
      ['a', 'a', 'a'],
      ['a', 'b', 'b'],
      ['a', 'a', null],
      ['b', null, null],
      [null, null, null],
    ]);
    expect(result).toEqual({
      allAgree: 1 / 2,
      meanPairwise: (1 + 1 / 3) / 2,
      allAgreeAvailable: 2 / 3,
      meanPairwiseAvailable: (1 + 1 / 3 + 1) / 3,
      unitsComplete: 2,
      unitsWithTwoOrMore: 3,
    });
  });

  it('with a tolerance, numeric ratings within it agree (robust to binary rounding: |1.1 − 0.9| ≤ 0.2)', () => {
    const ratings = [
      [1.1, 0.9, 1.0],
      [1, 2, 4],
    ];
    const result = percentAgreement(ratings, { tolerance: 0.2 });
    expect(result.allAgree).toBe(1 / 2);
    expect(result.meanPairwise).toBe((1 + 0) / 2);
    const one = percentAgreement(ratings, { tolerance: 1 });
    // Unit 2: pairs (1,2) agree, (2,4) and (1,4) do not.
    expect(one.meanPairwise).toBeCloseTo((1 + 1 / 3) / 2, 12);
    expect(one.allAgree).toBe(1 / 2);
    expect(percentAgreement(ratings, { tolerance: 0 })).toEqual(percentAgreement(ratings));
  });

  it('refuses a tolerance on string labels, and a negative tolerance', () => {
    expect(() => percentAgreement([['a', 'b']], { tolerance: 1 })).toThrow(/needs numeric labels/);
    expect(() => percentAgreement([[1, 2]], { tolerance: -1 })).toThrow(MetricsError);
  });

  it('accepts the encoded form', () => {
    expect(percentAgreement(encodeRatings(pandalm.labels))).toEqual(percentAgreement(pandalm.labels));
  });

  it('is null, not 0 or 1, with fewer than two ratings per unit', () => {
    expect(percentAgreement([[1], [2]])).toEqual({
      allAgree: null,
      meanPairwise: null,
      allAgreeAvailable: null,
      meanPairwiseAvailable: null,
      unitsComplete: 0,
      unitsWithTwoOrMore: 0,
    });
  });
});
