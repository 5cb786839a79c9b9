import { describe, expect, it } from 'vitest';
import { krippendorffAlpha } from './krippendorff.ts';
import { classic, transpose } from './fixtures/classic.ts';

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
