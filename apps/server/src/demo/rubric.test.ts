import { RubricSchema, rubricKindIssues } from '@accord/core';
import { describe, expect, it } from 'vitest';
import { DEMO_CLASSIFICATION_RUBRIC, DEMO_RATING_RUBRIC, DEMO_RUBRIC, DEMO_WRITING_RUBRIC } from './rubric.ts';

describe('the demo rubric', () => {
  it('is publishable and leaves the overall preference to the pairwise scale alone (no comparison dimension repeating it)', () => {
    expect(RubricSchema.safeParse(DEMO_RUBRIC).success).toBe(true);
    expect(DEMO_RUBRIC.dimensions.filter((d) => d.target === 'comparison')).toEqual([]);
    expect(DEMO_RUBRIC.dimensions.filter((d) => /prefer/i.test(`${d.id} ${d.name}`))).toEqual([]);
    expect(DEMO_RUBRIC.dimensions.length).toBeGreaterThanOrEqual(4);
  });
});

describe('the labelling demo rubrics', () => {
  it('are publishable for their kinds', () => {
    for (const [rubric, kind] of [[DEMO_RATING_RUBRIC, 'rating'], [DEMO_CLASSIFICATION_RUBRIC, 'classification'], [DEMO_WRITING_RUBRIC, 'writing']] as const) {
      const r = RubricSchema.safeParse(rubric);
      expect(r.success).toBe(true);
      expect(r.success ? rubricKindIssues(r.data, kind) : null).toEqual([]);
    }
  });
});
