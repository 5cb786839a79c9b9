import { describe, expect, it } from 'vitest';
import { BANDS, bandKeys, comparable, HASHES, minhash, shingles, similarity } from './minhash.ts';

const jaccard = (a: string, b: string) => {
  const x = new Set(shingles(a));
  const y = new Set(shingles(b));
  const inter = [...x].filter((v) => y.has(v)).length;
  return inter / (x.size + y.size - inter);
};

const ORIGINAL =
  'Response 2 provides a complete recipe with clear instructions and measurements, while Response 1 only lists the ingredients without any instructions on how to use them.';
const CASES: [string, string, string, 'copy' | 'different'][] = [
  ['the same text', ORIGINAL, ORIGINAL, 'copy'],
  ['case, spacing and punctuation changed', ORIGINAL, ORIGINAL.toUpperCase().replace(/,/g, ' ;  '), 'copy'],
  ['one word changed at the end', ORIGINAL, ORIGINAL.replace('use them.', 'use them properly.'), 'copy'],
  [
    'the same verdict in other words',
    ORIGINAL,
    'I picked B: it is a full recipe with amounts and steps; A is just a list of ingredients and never says what to do with them.',
    'different',
  ],
  [
    'another PandaLM reason on the same item',
    'Response 1 provides a detailed and specific road trip plan with recommended stops and activities, while Response 2 only repeats the input without providing any additional information.',
    'Response 2 provides a detailed and specific plan for a west coast road trip, including specific stops and activities.',
    'different',
  ],
];

describe('MinHash', () => {
  it('is deterministic: the same text always gives the same signature and band keys', () => {
    const a = minhash(ORIGINAL)!;
    expect(a).toHaveLength(HASHES);
    expect(minhash(ORIGINAL)).toEqual(a);
    expect(bandKeys(a)).toHaveLength(BANDS);
    expect(bandKeys(a)).toEqual(bandKeys(minhash(ORIGINAL)!));
    expect(a.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff)).toBe(true);
    expect(bandKeys(a).every((k) => Number.isInteger(k) && k >= -(2 ** 31) && k < 2 ** 31)).toBe(true);
  });

  it.each(CASES)('%s', (_, a, b, want) => {
    const est = similarity(minhash(a)!, minhash(b)!);
    // The estimate is within a few standard errors of the exact Jaccard similarity of the shingles.
    expect(Math.abs(est - jaccard(a, b))).toBeLessThan(0.2);
    if (want === 'copy') {
      expect(est).toBeGreaterThanOrEqual(0.8);
      // A near-copy shares at least one LSH band with the original, so the index finds it.
      const keys = new Set(bandKeys(minhash(a)!));
      expect(bandKeys(minhash(b)!).some((k) => keys.has(k))).toBe(true);
    } else expect(est).toBeLessThan(0.5);
  });

  it('has nothing to sign without words, and leaves short texts uncompared', () => {
    expect(minhash('  …  ')).toBeNull();
    expect(comparable('A is better.')).toBe(false);
    expect(comparable(ORIGINAL)).toBe(true);
  });
});
