import { describe, expect, it } from 'vitest';
import { addLabel, addLevel, labelId, moveLabel, moveLevel, parentChoices, removeLabel, removeLevel, scaleIssues, SCALE_PRESETS, setLabel, setLevel, taxonomyIssues } from './scale-taxonomy.ts';

describe('rating scale edits', () => {
  const five = SCALE_PRESETS[0]!.scale;

  it('adds a level above the highest, removes one, and moves labels between places while values stay in order', () => {
    expect(addLevel(five).levels.at(-1)).toEqual({ value: 6, label: 'Level 6', anchor: '' });
    expect(addLevel({ levels: [] }).levels).toEqual([{ value: 1, label: 'Level 1', anchor: '' }]);
    expect(removeLevel(five, 0).levels.map((l) => l.value)).toEqual([2, 3, 4, 5]);
    const moved = moveLevel(five, 0, 1);
    expect(moved.levels.slice(0, 2)).toEqual([
      { value: 1, label: 'Poor', anchor: '' },
      { value: 2, label: 'Very poor', anchor: '' },
    ]);
    expect(moveLevel(five, 4, 1)).toBe(five);
  });

  it("reports core's publish rules at the field: values rising, labels unique, at least two levels", () => {
    expect(scaleIssues(five).size).toBe(0);
    const bad = setLevel(setLevel(five, 2, { value: 1 }), 3, { label: 'fair' });
    expect(scaleIssues(bad)).toEqual(
      new Map([
        ['rating.levels.2.value', 'must be greater than the level before (2): levels run from lowest to highest'],
        ['rating.levels.3.label', 'duplicates the label of level 3'],
      ]),
    );
    expect(scaleIssues({ levels: [five.levels[0]!] }).get('rating.levels')).toMatch(/at least 2 levels/);
    expect(scaleIssues(null).size).toBe(0);
  });
});

describe('taxonomy edits', () => {
  let t = addLabel(addLabel(addLabel({ multiLabel: true, labels: [] }, 'Toxic', null), 'Insult', 'toxic'), 'Spam!', null);

  it('makes ids from names (unique), keeps a known parent only', () => {
    expect(t.labels).toEqual([
      { id: 'toxic', name: 'Toxic', parent: null, description: '' },
      { id: 'insult', name: 'Insult', parent: 'toxic', description: '' },
      { id: 'spam', name: 'Spam!', parent: null, description: '' },
    ]);
    expect(labelId('Toxic', ['toxic', 'toxic-2'])).toBe('toxic-3');
    expect(addLabel(t, 'Threat', 'ghost').labels.at(-1)?.parent).toBeNull();
    expect(addLabel(t, '   ', null)).toBe(t);
  });

  it('carries a new id to the children, lifts children to the removed label’s parent, and offers no parent that would make a cycle', () => {
    t = setLabel(t, 0, { id: 'harmful' });
    expect(t.labels[1]!.parent).toBe('harmful');
    expect(parentChoices(t, 0).map((l) => l.id)).toEqual(['spam']);
    expect(parentChoices(t, 1).map((l) => l.id)).toEqual(['harmful', 'spam']);
    expect(removeLabel(t, 0).labels).toEqual([
      { id: 'insult', name: 'Insult', parent: null, description: '' },
      { id: 'spam', name: 'Spam!', parent: null, description: '' },
    ]);
    expect(moveLabel(t, 2, -1).labels.map((l) => l.id)).toEqual(['harmful', 'spam', 'insult']);
  });

  it("reports core's publish rules at the field", () => {
    expect(taxonomyIssues(t).size).toBe(0);
    const bad = setLabel(setLabel(t, 2, { name: 'insult' }), 0, { id: 'bad id' });
    expect(taxonomyIssues(bad).get('taxonomy.labels.0.id')).toMatch(/letters, digits/);
    expect(taxonomyIssues(bad).get('taxonomy.labels.2.name')).toBe('duplicates the name of label 2');
    expect(taxonomyIssues({ multiLabel: false, labels: [] }).get('taxonomy.labels')).toMatch(/at least 2 labels/);
  });
});
