import { describe, expect, it } from 'vitest';
import type { RubricDraft } from '@accord/core';
import { describeRubricPath } from './rubric-doc.ts';

const draft = {
  dimensions: [
    { id: 'h', name: 'Helpfulness', levels: [{ value: 1 }, { value: 2 }] },
    { id: 'x', name: '', levels: [] },
  ],
  taxonomy: { multiLabel: false, labels: [{ id: 'toxic', name: 'Toxic' }, { id: 'insult', name: 'Insult' }] },
} as unknown as RubricDraft;

describe('describeRubricPath: publish errors in words', () => {
  it.each([
    ['dimensions.1.name', 'Dimension 2 — name'],
    ['dimensions.0.description', 'Dimension 1 (“Helpfulness”) — description'],
    ['dimensions.0.levels.1.anchor', 'Dimension 1 (“Helpfulness”) — level 2 anchor'],
    ['dimensions.0.scale.max', 'Dimension 1 (“Helpfulness”) — scale maximum'],
    ['dimensions', 'Dimensions'],
    ['justification.minWords', 'Justification — minimum words'],
    ['precedence.0.higher', 'Precedence rule 1 — higher'],
    ['flags.2.name', 'Flag 3 — name'],
    ['spanCategories.0.description', 'Span category 1 — description'],
    ['rating.levels.2.value', 'Rating scale — level 3 value'],
    ['taxonomy.labels.1.parent', 'Taxonomy — label 2 (“Insult”) parent'],
    ['taxonomy.labels', 'Taxonomy — labels'],
    ['rating', 'Rating scale'],
  ])('%s → %s', (path, words) => {
    expect(describeRubricPath(path, draft)).toBe(words);
  });
  it('works without the draft', () => {
    expect(describeRubricPath('dimensions.2.name', null)).toBe('Dimension 3 — name');
  });
});
