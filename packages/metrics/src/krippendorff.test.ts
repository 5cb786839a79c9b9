import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { krippendorffAlpha, krippendorffAlphaFromCoincidences } from './krippendorff.ts';
import { MetricsError, encodeRatings } from './labels.ts';
import { createRandom } from './random.ts';
import { textbookAlpha } from '../test/textbook.ts';
import { classic, transpose } from './fixtures/index.ts';

const k2011 = transpose(classic.krippendorff_2011_4coders_12units.reliability_data);
const wiki = transpose(classic.wikipedia_krippendorff_3coders_15units.reliability_data);

describe('krippendorffAlpha against published values', () => {
  it.each([
    ['nominal', 0.743],
    ['ordinal', 0.815],
    ['interval', 0.849],
    ['ratio', 0.797],
  ] as const)('Krippendorff (2011) 4 coders × 12 units, %s = %f', (level, expected) => {
    expect(krippendorffAlpha(k2011, { level })).toBeCloseTo(expected, 3);
  });
  it.each([
    ['nominal', 0.691358],
    ['interval', 0.810845],
  ] as const)('Wikipedia 3 coders × 15 units, %s = %f', (level, expected) => {
    expect(krippendorffAlpha(wiki, { level })).toBeCloseTo(expected, 6);
  });
});

describe('krippendorffAlpha definitions', () => {
  const levels = ['nominal', 'ordinal', 'interval', 'ratio'] as const;

  it('matches a textbook coincidence-matrix implementation on random data, every level', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.option(fc.integer({ min: 1, max: 6 }), { freq: 4 }), { minLength: 3, maxLength: 3 }), {
          minLength: 1,
          maxLength: 25,
        }),
        (ratings) => {
          for (const level of levels) {
            const fast = krippendorffAlpha(ratings, { level });
            const slow = textbookAlpha(ratings, level);
            if (slow === null) expect(fast).toBeNull();
            else expect(fast).toBeCloseTo(slow, 10);
          }
        },
      ),
    );
  });

  it('gives the same value on the many-category (sparse) path as on the dense path', () => {
    // 300 distinct values forces the sparse path; the reference is the textbook implementation.
    const random = createRandom(7);
    const ratings = Array.from({ length: 200 }, () => {
      const truth = random.int(300);
      return Array.from({ length: 4 }, () =>
        random.next() < 0.2 ? null : random.next() < 0.6 ? truth : random.int(300),
      );
    });
    for (const level of levels) {
      expect(krippendorffAlpha(ratings, { level })).toBeCloseTo(textbookAlpha(ratings, level)!, 10);
    }
  });

  it('accepts the encoded form and gives identical results', () => {
    const enc = encodeRatings(k2011);
    for (const level of levels) {
      expect(krippendorffAlpha(enc, { level })).toBe(krippendorffAlpha(k2011, { level }));
    }
  });

  it('ignores unused declared categories at every level', () => {
    for (const level of levels) {
      const declared = krippendorffAlpha(k2011, { level, categories: [1, 2, 3, 4, 5, 6, 7] });
      expect(declared).toBeCloseTo(krippendorffAlpha(k2011, { level })!, 12);
    }
  });

  it('orders string categories for ordinal alpha by the declared order', () => {
    const names = ['none', 'low', 'mid', 'high', 'top'];
    const asNames = k2011.map((unit) => unit.map((v) => (v === null ? null : names[v - 1]!)));
    expect(krippendorffAlpha(asNames, { level: 'ordinal', categories: names })).toBeCloseTo(0.815, 3);
  });

  it('is null when there is nothing to disagree about, never NaN', () => {
    expect(krippendorffAlpha([], { level: 'nominal' })).toBeNull();
    expect(krippendorffAlpha([[1, 1], [1, 1]], { level: 'nominal' })).toBeNull();
    expect(krippendorffAlpha([[1, null], [2, null]], { level: 'interval' })).toBeNull();
    expect(krippendorffAlpha([[null, null]], { level: 'ordinal' })).toBeNull();
  });

  it('gives 1 for perfect agreement and can go below 0 for systematic disagreement', () => {
    expect(krippendorffAlpha([[1, 1], [2, 2], [3, null]], { level: 'nominal' })).toBe(1);
    expect(krippendorffAlpha([[1, 2], [2, 1]], { level: 'nominal' })).toBeLessThan(0);
  });

  it('refuses string labels at interval and ratio levels, and negative ratio values', () => {
    expect(() => krippendorffAlpha([['a', 'b']], { level: 'interval' })).toThrow(/interval alpha needs numeric labels/);
    expect(() => krippendorffAlpha([[-1, 2]], { level: 'ratio' })).toThrow(/non-negative/);
    expect(() => krippendorffAlpha([[1, 2]], { level: 'bogus' as never })).toThrow(MetricsError);
  });
});

describe('krippendorffAlphaFromCoincidences', () => {
  /** Per-unit coincidences summed: n_a (n_b − [a = b]) / (m − 1) over units with m ≥ 2. */
  function coincidences(units: readonly (readonly (number | null)[])[]) {
    const categories = [...new Set(units.flat().filter((v): v is number => v !== null))].sort((a, b) => a - b);
    const o = categories.map(() => categories.map(() => 0));
    for (const u of units) {
      const vals = u.filter((v): v is number => v !== null);
      if (vals.length < 2) continue;
      for (let i = 0; i < vals.length; i++)
        for (let j = 0; j < vals.length; j++) if (i !== j) o[categories.indexOf(vals[i]!)]![categories.indexOf(vals[j]!)]! += 1 / (vals.length - 1);
    }
    return { categories, o };
  }

  it.each(['nominal', 'ordinal', 'interval', 'ratio'] as const)('equals krippendorffAlpha on Krippendorff (2011), %s', (level) => {
    const { categories, o } = coincidences(k2011 as (number | null)[][]);
    expect(krippendorffAlphaFromCoincidences(categories, o, level)).toBeCloseTo(krippendorffAlpha(k2011, { level })!, 12);
  });

  it('is null without pairable values', () => {
    expect(krippendorffAlphaFromCoincidences([], [], 'nominal')).toBeNull();
    expect(krippendorffAlphaFromCoincidences([1, 2], [[0, 0], [0, 0]], 'ordinal')).toBeNull();
  });
});
