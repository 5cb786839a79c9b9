import { describe, expect, it } from 'vitest';
import { MetricsError, compareStrings, encodeRatings, toEncoded } from './labels.ts';

describe('encodeRatings', () => {
  it('orders numeric labels numerically, so 10 comes after 9, not after 1', () => {
    const enc = encodeRatings([[10, 9, 1], [2, null, 100]]);
    expect(enc.categories).toEqual([1, 2, 9, 10, 100]);
    expect(Array.from(enc.codes)).toEqual([3, 2, 0, 1, -1, 4]);
  });

  it('orders strings by code point, not by UTF-16 code unit', () => {
    // U+1F600 (a surrogate pair) is above U+FF5E in code points but below it in code units.
    const enc = encodeRatings([['😀', '～', 'b', 'a']]);
    expect(enc.categories).toEqual(['a', 'b', '～', '😀']);
    expect(compareStrings('😀', '～')).toBeGreaterThan(0);
  });

  it('pads ragged rows with missing values and treats undefined as missing', () => {
    const enc = encodeRatings([[1], [2, undefined, 3]]);
    expect(enc.nRaters).toBe(3);
    expect(Array.from(enc.codes)).toEqual([0, -1, -1, 1, -1, 2]);
  });

  it('uses declared categories in their order, including unused ones', () => {
    const enc = encodeRatings([['low', 'high']], { categories: ['high', 'mid', 'low'] });
    expect(Array.from(enc.codes)).toEqual([2, 0]);
    expect(enc.categories).toEqual(['high', 'mid', 'low']);
  });

  it('handles labels outside the small-integer table (negative, large, fractional)', () => {
    const enc = encodeRatings([[-3, 5000, 0.5, -3]]);
    expect(enc.categories).toEqual([-3, 0.5, 5000]);
    expect(Array.from(enc.codes)).toEqual([0, 2, 1, 0]);
  });

  it.each([
    [[[1, '1']], /mix strings and numbers/],
    [[['a', 2]], /mix strings and numbers/],
    [[[1, Number.NaN]], /not a finite number/],
    [[[1, Infinity]], /not a finite number/],
    [[[true]], /neither a string nor a number/],
  ])('rejects %j with a MetricsError', (ratings, message) => {
    expect(() => encodeRatings(ratings as never)).toThrow(MetricsError);
    expect(() => encodeRatings(ratings as never)).toThrow(message);
  });

  it('rejects a label outside the declared categories, and mixed types against them', () => {
    expect(() => encodeRatings([[4]], { categories: [1, 2, 3] })).toThrow(/4 is not in the declared categories/);
    expect(() => encodeRatings([['1']], { categories: [1, 2, 3] })).toThrow(/mix strings and numbers/);
    expect(() => encodeRatings([[1]], { categories: [1, 1] })).toThrow(/declared twice/);
    expect(() => encodeRatings([[1]], { categories: [1, 'a'] })).toThrow(/mix strings and numbers/);
  });

  it('re-encodes an encoded input against a wider declared category list', () => {
    const enc = encodeRatings([[1, 3]]);
    const wider = toEncoded(enc, { categories: [0, 1, 2, 3] });
    expect(Array.from(wider.codes)).toEqual([1, 3]);
    expect(() => toEncoded(enc, { categories: [1, 2] })).toThrow(MetricsError);
  });

  it('rejects an inconsistent hand-built encoded input', () => {
    const base = encodeRatings([[1, 2]]);
    expect(() => toEncoded({ ...base, codes: Int32Array.from([0, 5]) })).toThrow(/codes must be −1 \(missing\) or 0..1, found 5/);
    expect(() => toEncoded({ ...base, nUnits: 2 })).toThrow(/expected nUnits × nRaters/);
  });
});
