import { describe, expect, it } from 'vitest';
import { AGREEMENT_SPEC, readFigureRange, SPREAD_SPEC } from './figure-filters.ts';

describe('readFigureRange', () => {
  it.each([
    ['', '', {}],
    [' 60 ', '', { min: 60 }],
    ['0', '100', { min: 0, max: 100 }],
    ['', '12.5', { max: 12.5 }],
  ])('accepts %j – %j', (min, max, bounds) => {
    expect(readFigureRange(min, max, AGREEMENT_SPEC)).toEqual({ min: undefined, max: undefined, error: undefined, minInvalid: false, maxInvalid: false, ...bounds });
  });

  it('refuses a number out of range, naming the range, and keeps the other bound', () => {
    expect(readFigureRange('150', '80', AGREEMENT_SPEC)).toEqual({ min: undefined, max: 80, error: 'Minimum agreement must be between 0 and 100%', minInvalid: true, maxInvalid: false });
    expect(readFigureRange('', '-1', SPREAD_SPEC).error).toBe('Maximum spread must be between 0 and 100');
  });

  it('refuses what is not a number', () => {
    for (const text of ['abc', '1e3', '0x10', '5%', '.']) expect(readFigureRange(text, '', AGREEMENT_SPEC)).toMatchObject({ min: undefined, minInvalid: true, error: 'Minimum agreement must be a number, e.g. 50' });
  });

  it('refuses a minimum above the maximum as a pair', () => {
    expect(readFigureRange('50', '20', AGREEMENT_SPEC)).toEqual({ error: 'Minimum (50%) is above maximum (20%)', minInvalid: true, maxInvalid: true });
    expect(readFigureRange('0.5', '0.5', SPREAD_SPEC)).toMatchObject({ min: 0.5, max: 0.5, error: undefined });
  });
});
