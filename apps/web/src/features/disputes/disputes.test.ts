import { describe, expect, it } from 'vitest';
import { formatAge, formatAgreement, pairwiseScreenValue, preferenceWords, seenOrder } from './disputes.ts';

describe('dispute words', () => {
  const order = ['r1', 'r2', 'r3'];
  it('reads a pairwise preference from the winner, in canonical letters', () => {
    expect(preferenceWords({ kind: 'pairwise', a: 'r1', b: 'r2', value: 2 }, order)).toBe('B better');
    expect(preferenceWords({ kind: 'pairwise', a: 'r2', b: 'r1', value: 3 }, order)).toBe('A much better');
    expect(preferenceWords({ kind: 'pairwise', a: 'r1', b: 'r2', value: 0 }, order)).toBe('Tie');
    expect(preferenceWords(null, order)).toBe('—');
  });
  it('reads a ranking with ties', () => {
    expect(preferenceWords({ kind: 'ranking', groups: [['r2', 'r1'], ['r3']] }, order)).toBe('B = A > C');
  });
  it('gives the screen value whichever way the pair is stored', () => {
    expect(pairwiseScreenValue({ kind: 'pairwise', a: 'r1', b: 'r2', value: -1 }, order)).toBe(-1);
    expect(pairwiseScreenValue({ kind: 'pairwise', a: 'r2', b: 'r1', value: -1 }, order)).toBe(1);
  });
  it('formats agreement and age', () => {
    expect(formatAgreement(0.666)).toBe('67%');
    expect(formatAgreement(null)).toBe('—');
    expect(formatAge(30)).toBe('just now');
    expect(formatAge(7200)).toBe('2 h');
    expect(formatAge(3 * 86_400 + 5)).toBe('3 d');
  });
});

describe('seenOrder', () => {
  it("names the order the annotator saw, in this screen's letters, only when it differs", () => {
    expect(seenOrder(['r2', 'r1'], ['r1', 'r2'])).toBe('B, A');
    expect(seenOrder(['r1', 'r2'], ['r1', 'r2'])).toBeNull();
    expect(seenOrder(['r3', 'r1', 'r2'], ['r1', 'r2', 'r3'])).toBe('C, A, B');
    expect(seenOrder(null, ['r1', 'r2'])).toBeNull();
    expect(seenOrder(['x', 'r1'], ['r1', 'r2'])).toBeNull();
  });
});
