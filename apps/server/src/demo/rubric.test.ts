import { RubricSchema, rubricKindIssues } from '@accord/core';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DEMO_CLASSIFICATION_RUBRIC, DEMO_RATING_RUBRIC, DEMO_REDTEAM_RUBRIC, DEMO_RUBRIC, DEMO_SPANS_RUBRIC, DEMO_WRITING_RUBRIC } from './rubric.ts';
import { preferenceIssues } from '@accord/core';

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
    for (const [rubric, kind] of [[DEMO_RATING_RUBRIC, 'rating'], [DEMO_CLASSIFICATION_RUBRIC, 'classification'], [DEMO_SPANS_RUBRIC, 'spans'], [DEMO_WRITING_RUBRIC, 'writing'], [DEMO_REDTEAM_RUBRIC, 'redteam']] as const) {
      const r = RubricSchema.safeParse(rubric);
      expect(r.success).toBe(true);
      expect(r.success ? rubricKindIssues(r.data, kind) : null).toEqual([]);
    }
  });
});

describe('the spans demo', () => {
  it("has 30 news sentences whose gold spans fit the text and the demo's span types", () => {
    const rubric = RubricSchema.parse(DEMO_SPANS_RUBRIC);
    const rows = readFileSync(new URL('./snow2008-rte-ner-30.jsonl', import.meta.url), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { prompt: string; gold?: { preference: never } });
    expect(rows).toHaveLength(30);
    const gold = rows.filter((r) => r.gold);
    expect(gold).toHaveLength(3);
    for (const r of gold) expect(preferenceIssues(r.gold!.preference, { prompt: r.prompt, responses: [] }, 'spans', 'gold', rubric)).toEqual([]);
  });
});
