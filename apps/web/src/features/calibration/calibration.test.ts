import { describe, expect, it } from 'vitest';
import { figureText, phaseLabel, preferenceWord, shareText } from './calibration.ts';

describe('calibration labels', () => {
  it('formats figures with their interval, and undefined ones as a dash', () => {
    expect(figureText({ value: 0.4213, ci: [0.1, 0.712] })).toBe('0.42 (0.10 – 0.71)');
    expect(figureText({ value: 0.5, ci: null })).toBe('0.50');
    expect(figureText({ value: null, ci: null })).toBe('—');
    expect(figureText({ value: null, ci: null, reason: 'one-item' })).toBe('not meaningful with one item');
    expect(shareText(0.756)).toBe('76%');
    expect(shareText(null)).toBe('—');
  });
  it('names phases and preference values', () => {
    expect(phaseLabel('judging')).toBe('Blind round');
    expect(preferenceWord(-3)).toBe('Response 1 much better');
    expect(preferenceWord(0)).toBe('Tie');
    expect(preferenceWord(1)).toBe('Response 2 slightly better');
  });
});
