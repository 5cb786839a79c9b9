import { describe, expect, it } from 'vitest';
import { readRubric } from './rubric-view.ts';
import { NO_RUBRIC_MAX_WORDS } from './rules.ts';

describe('readRubric', () => {
  it('reads every scale point in order, labelled from the levels or the scale', () => {
    const view = readRubric({
      version: 2,
      content: {
        dimensions: [
          { id: 'tone', name: 'Tone', scale: { kind: 'categories', options: ['formal', 'casual'] }, levels: [{ value: 1, label: 'Casual', anchor: 'Relaxed' }], target: 'comparison' },
          { id: 'safe', scale: { kind: 'binary' }, levels: [] },
          { id: 'help', name: 'Help', scale: { kind: 'likert', min: 1, max: 3 }, levels: 'nonsense' },
        ],
        justification: { minWords: 5 },
        flags: [{ id: 'pii' }],
      },
    });
    expect(view?.version).toBe(2);
    expect(view?.dimensions.map((d) => [d.id, d.name, d.target, d.levels.map((l) => `${l.value}:${l.label}:${l.anchor}`)])).toEqual([
      ['tone', 'Tone', 'comparison', ['0:formal:', '1:Casual:Relaxed']],
      ['safe', 'safe', 'response', ['0:No:', '1:Yes:']],
      ['help', 'Help', 'response', ['1:1:', '2:2:', '3:3:']],
    ]);
    expect(view?.justification).toEqual({ minWords: 5, maxWords: NO_RUBRIC_MAX_WORDS });
    expect(view?.spanCategories).toEqual([]);
    expect(view?.flags).toEqual([{ id: 'pii', name: 'pii', description: '' }]);
  });

  it('is null without a published version', () => {
    expect(readRubric(null)).toBeNull();
  });
});
