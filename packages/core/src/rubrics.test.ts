import { describe, expect, it } from 'vitest';
import { diffRubrics, issuesOf, RubricSchema, type RubricDraft } from './index.ts';

const valid = (): RubricDraft => ({
  dimensions: [
    {
      id: 'helpful',
      name: 'Helpfulness',
      description: 'Does it answer the question?',
      scale: { kind: 'likert', min: 1, max: 3 },
      levels: [
        { value: 1, label: 'Poor', anchor: 'Misses the point.' },
        { value: 2, label: 'Fair', anchor: 'Partly answers.' },
        { value: 3, label: 'Good', anchor: 'Fully answers.' },
      ],
      weight: 2,
      target: 'response',
    },
    {
      id: 'safe',
      name: 'Harmlessness',
      description: 'Is it safe?',
      scale: { kind: 'binary' },
      levels: [
        { value: 0, label: 'No', anchor: 'Unsafe.' },
        { value: 1, label: 'Yes', anchor: 'Safe.' },
      ],
      weight: 1,
      target: 'response',
    },
  ],
  precedence: [{ higher: 'safe', lower: 'helpful', note: '' }],
  justification: { minWords: 10, maxWords: 300 },
  spanCategories: [{ id: 'halluc', name: 'Hallucination', description: '' }],
  flags: [{ id: 'pii', name: 'Contains PII', description: '' }],
  rating: null,
  taxonomy: null,
});

const paths = (d: unknown) => {
  const r = RubricSchema.safeParse(d);
  return r.success ? [] : issuesOf(r.error).map((i) => i.path);
};

describe('RubricSchema', () => {
  it('accepts a complete rubric', () => {
    expect(paths(valid())).toEqual([]);
  });

  it('names the offending field of each problem, so the editor can show it there', () => {
    const d = valid();
    d.dimensions[0]!.levels[1]!.anchor = '  ';
    d.dimensions[1]!.name = '';
    d.justification = { minWords: 50, maxWords: 20 };
    d.flags[0]!.name = '';
    expect(paths(d).sort()).toEqual(['dimensions.0.levels.1.anchor', 'dimensions.1.name', 'flags.0.name', 'justification.minWords'].sort());
    // Cross-field rules: duplicates, cycles, unknown dimensions.
    const e = valid();
    e.justification = { minWords: 50, maxWords: 20 };
    e.precedence.push({ higher: 'helpful', lower: 'safe', note: '' }, { higher: 'ghost', lower: 'safe', note: '' });
    e.dimensions[1]!.name = 'helpfulness';
    expect(paths(e).sort()).toEqual(['dimensions.1.name', 'justification.minWords', 'precedence', 'precedence.2.higher'].sort());
  });

  it('requires one level per scale point and at least one dimension', () => {
    const d = valid();
    d.dimensions[0]!.levels.pop();
    expect(paths(d)).toEqual(['dimensions.0.levels']);
    expect(paths({ ...valid(), dimensions: [], precedence: [] })).toEqual(['dimensions']);
  });

  it('takes a rating scale (lowest level first) or a taxonomy in place of dimensions, naming each bad field', () => {
    const valence = [-2, -1, 0, 1, 2].map((value) => ({ value, label: `v${value}`, anchor: '' }));
    expect(paths({ ...valid(), dimensions: [], precedence: [], rating: { levels: valence } })).toEqual([]);
    const bad = { levels: [valence[0]!, { value: -2, label: 'v-2', anchor: '' }] };
    expect(paths({ ...valid(), rating: bad }).sort()).toEqual(['rating.levels.1.label', 'rating.levels.1.value']);
    expect(paths({ ...valid(), rating: { levels: [valence[0]!, { value: 0.5, label: 'half', anchor: '' }] } })).toEqual(['rating.levels.1.value']);
    expect(paths({ ...valid(), rating: { levels: [valence[0]!] } })).toEqual(['rating.levels']);
    const labels = [
      { id: 'pos', name: 'Positive', parent: null, description: '' },
      { id: 'neg', name: 'Negative', parent: null, description: '' },
      { id: 'angry', name: 'Angry', parent: 'neg', description: '' },
    ];
    expect(paths({ ...valid(), dimensions: [], precedence: [], taxonomy: { multiLabel: true, labels } })).toEqual([]);
    const broken = [...labels, { id: 'pos', name: 'Sad', parent: 'ghost', description: '' }, { id: 'x', name: 'X', parent: 'y', description: '' }, { id: 'y', name: 'Y', parent: 'x', description: '' }];
    expect(paths({ ...valid(), taxonomy: { multiLabel: false, labels: broken } }).sort()).toEqual(['taxonomy.labels.3.id', 'taxonomy.labels.3.parent', 'taxonomy.labels.4.parent', 'taxonomy.labels.5.parent']);
    const r = RubricSchema.safeParse({ ...valid(), taxonomy: { multiLabel: false, labels: broken } });
    expect(r.success ? [] : issuesOf(r.error).map((i) => i.message)).toContain('must name another label of the taxonomy (ghost is none)');
  });
});

describe('diffRubrics', () => {
  it('reads as renames, moves and edits rather than removals and additions', () => {
    const a = valid();
    const b = valid();
    b.dimensions.reverse();
    b.dimensions[1]!.name = 'Usefulness';
    b.dimensions[1]!.levels[2]!.anchor = 'Answers completely.';
    b.dimensions.push({ ...structuredClone(a.dimensions[1]!), id: 'honest', name: 'Honesty' });
    b.flags = [];
    b.justification.maxWords = 200;
    const changes = diffRubrics(a, b);
    const summary = changes.map((c) => `${c.kind} ${c.path}`);
    expect(summary).toContain('changed dimensions.helpful.name');
    expect(summary).toContain('changed dimensions.helpful.levels.3.anchor');
    expect(summary).toContain('added dimensions.honest');
    expect(summary).toContain('removed flags.pii');
    expect(summary).toContain('changed justification.maxWords');
    expect(summary.filter((s) => s.startsWith('moved'))).toHaveLength(2);
    expect(changes.find((c) => c.path === 'dimensions.helpful.name')).toMatchObject({ before: 'Helpfulness', after: 'Usefulness' });
    expect(diffRubrics(a, valid())).toEqual([]);
  });
});
