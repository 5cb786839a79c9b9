import { describe, expect, it } from 'vitest';
import { RubricSchema, type Rubric } from '../schemas/rubrics.ts';
import type { JudgmentPayload } from '../schemas/work.ts';
import { readRubric } from './rubric-view.ts';
import { canonicalPayload, countWords, judgmentIssues, judgmentIssueSentence, judgmentIssueSentences, type RubricRules } from './rules.ts';

// Parsed with the published schema, exactly as judging reads a stored version.
const rubric: Rubric = RubricSchema.parse({
  dimensions: [
    {
      id: 'helpfulness',
      name: 'Helpfulness',
      description: 'Does it help?',
      scale: { kind: 'likert', min: 1, max: 5 },
      levels: [1, 2, 3, 4, 5].map((v) => ({ value: v, label: `L${v}`, anchor: `Anchor ${v}` })),
      weight: 1,
      target: 'response',
    },
    {
      id: 'tone',
      name: 'Tone',
      description: 'Which tone wins?',
      scale: { kind: 'categories', options: ['formal', 'casual', 'rude'] },
      levels: [0, 1, 2].map((v) => ({ value: v, label: `C${v}`, anchor: `Category ${v}` })),
      weight: 1,
      target: 'comparison',
    },
  ],
  precedence: [],
  justification: { minWords: 3, maxWords: 8 },
  spanCategories: [{ id: 'hallucination', name: 'Hallucination', description: '' }],
  flags: [{ id: 'unsafe', name: 'Unsafe', description: '' }],
});

const item = {
  responses: [
    { id: 'r1', content: 'The sky is blue because of Rayleigh scattering.' },
    { id: 'r2', content: 'It reflects the ocean.' },
  ],
};

const valid: JudgmentPayload = {
  preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -2 },
  scores: [
    { dimension: 'helpfulness', responseId: 'r1', value: 5 },
    { dimension: 'helpfulness', responseId: 'r2', value: 2 },
    { dimension: 'tone', value: 0 },
  ],
  spans: [{ responseId: 'r2', start: 3, end: 11, quote: 'reflects', category: 'hallucination', severity: 'major', note: '' }],
  flags: ['unsafe'],
  justification: 'The first one explains the physics.',
};

const issues = (patch: Partial<JudgmentPayload>, r: Rubric | null = rubric) => judgmentIssues({ ...valid, ...patch }, item, 'pairwise', r);

describe('judgmentIssues against a published rubric', () => {
  it('accepts a payload that meets every rule', () => {
    expect(issues({})).toEqual([]);
  });

  it.each<[string, Partial<JudgmentPayload>, string, RegExp]>([
    ['an unknown dimension', { scores: [...valid.scores, { dimension: 'honesty', responseId: 'r1', value: 1 }] }, 'body.payload.scores.3.dimension', /not a dimension.*helpfulness, tone/],
    ['a Likert score out of scale', { scores: [{ ...valid.scores[0]!, value: 6 }, ...valid.scores.slice(1)] }, 'body.payload.scores.0.value', /out of scale.*1, 2, 3, 4, 5/],
    ['a category index out of scale', { scores: [...valid.scores.slice(0, 2), { dimension: 'tone', value: 3 }] }, 'body.payload.scores.2.value', /out of scale.*0, 1, 2/],
    ['a span ending outside the text', { spans: [{ ...valid.spans[0]!, end: 99, quote: undefined }] }, 'body.payload.spans.0.end', /outside the response text \(22 characters\)/],
    ['a span on an unknown response', { spans: [{ ...valid.spans[0]!, responseId: 'r9' }] }, 'body.payload.spans.0.responseId', /not a response/],
    ['a span whose quote drifted', { spans: [{ ...valid.spans[0]!, quote: 'reflect' }] }, 'body.payload.spans.0.quote', /does not match/],
    ['an unknown span category', { spans: [{ ...valid.spans[0]!, category: 'typo' }] }, 'body.payload.spans.0.category', /not a span category.*hallucination/],
    ['too few words', { justification: 'Too short.' }, 'body.payload.justification', /has 2 words; the rubric asks for at least 3/],
    ['too many words', { justification: 'one two three four five six seven eight nine' }, 'body.payload.justification', /has 9 words; the rubric allows at most 8/],
    ['a flag not in the rubric', { flags: ['unsafe', 'spam'] }, 'body.payload.flags.1', /not a flag of the rubric.*unsafe/],
    ['a flag given twice', { flags: ['unsafe', 'unsafe'] }, 'body.payload.flags.1', /given twice/],
  ])('refuses %s, naming the field', (_, patch, path, message) => {
    const found = issues(patch);
    expect(found).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it('asks for every missing score and refuses doubles and misplaced response ids', () => {
    expect(issues({ scores: [valid.scores[0]!] }).map((i) => i.message)).toEqual(['missing a score for helpfulness on r2', 'missing a score for tone']);
    expect(issues({ scores: [...valid.scores, valid.scores[0]!] })).toEqual([{ path: 'body.payload.scores.3', message: 'scores helpfulness for r1 twice' }]);
    expect(issues({ scores: [...valid.scores.slice(0, 2), { dimension: 'tone', responseId: 'r1', value: 0 }] })[0]).toMatchObject({ path: 'body.payload.scores.2.responseId' });
  });

  it('without a published rubric takes no scores, spans or flags, and no justification is required', () => {
    const none = judgmentIssues(valid, item, 'pairwise', null);
    expect(none.map((i) => i.path)).toEqual(['body.payload.scores.0.dimension', 'body.payload.scores.1.dimension', 'body.payload.scores.2.dimension', 'body.payload.spans.0.category', 'body.payload.flags.0']);
    expect(judgmentIssues({ ...valid, scores: [], spans: [], flags: [], justification: '' }, item, 'pairwise', null)).toEqual([]);
  });
});

describe('judgmentIssues on the lenient reading the web app uses', () => {
  it('finds the same issues as on the parsed version', () => {
    const view = readRubric({ version: 1, content: JSON.parse(JSON.stringify(rubric)) as Record<string, unknown> });
    const bad = { ...valid, scores: [{ ...valid.scores[0]!, value: 6 }], flags: ['spam'], justification: 'No.' };
    expect(judgmentIssues(bad, item, 'pairwise', view)).toEqual(judgmentIssues(bad, item, 'pairwise', rubric));
    expect(judgmentIssues(bad, item, 'pairwise', view).length).toBeGreaterThan(2);
  });
});

describe('countWords and canonicalPayload', () => {
  it('counts runs of letters or digits', () => {
    expect(countWords("well-known — it's 42")).toBe(4);
  });

  it('stores a pairwise preference in the item\'s response order', () => {
    const swapped = canonicalPayload({ ...valid, preference: { kind: 'pairwise', a: 'r2', b: 'r1', value: 2 } }, item);
    expect(swapped.preference).toEqual({ kind: 'pairwise', a: 'r1', b: 'r2', value: -2 });
  });
});

describe('judgmentIssueSentence', () => {
  it('names the part in words, never by path', () => {
    expect(judgmentIssueSentence({ path: 'body.payload.justification', message: 'has 305 words; the rubric allows at most 300' })).toBe('Justification: 305 words; the rubric allows at most 300');
    const payload = { scores: [{ dimension: 'helpfulness', responseId: 'r2', value: 9 }], spans: [], flags: ['spam'] };
    const names = { dimension: (id: string) => (id === 'helpfulness' ? 'Helpfulness' : id), response: (id: string) => (id === 'r2' ? 'B' : 'A') };
    expect(judgmentIssueSentence({ path: 'body.payload.scores.0.value', message: 'is out of scale for helpfulness (allowed: 1, 2, 3)' }, payload, names)).toBe('Score for Helpfulness on B: out of scale for helpfulness (allowed: 1, 2, 3)');
    expect(judgmentIssueSentence({ path: 'payload.scores', message: 'missing a score for helpfulness on r1, r2' }, payload, names)).toBe('Scores: missing a score for Helpfulness on A, B');
    expect(judgmentIssueSentence({ path: 'body.payload.flags.0', message: 'is not a flag of the rubric (known: unsafe)' }, payload)).toBe('Flag “spam”: not a flag of the rubric (known: unsafe)');
    const all = judgmentIssueSentences(issues({ justification: 'one two three four five six seven eight nine', flags: ['spam'] }));
    expect(all).not.toMatch(/body\.|payload/);
    expect(all).toMatch(/Justification: 9 words; the rubric allows at most 8\./);
  });
});

describe('rating and classification preferences', () => {
  const none = { dimensions: [], justification: { minWords: 0, maxWords: 300 }, spanCategories: [], flags: [] };
  const scale = { ...none, rating: { levels: [1, 2, 3, 4, 5].map((value) => ({ value })) } };
  const single = { ...none, taxonomy: { multiLabel: false, labels: [{ id: 'pos' }, { id: 'neg' }, { id: 'neu' }] } };
  const item = { responses: [{ id: 'r1', content: 'Great movie.' }] };
  const pay = (preference: JudgmentPayload['preference']): JudgmentPayload => ({ preference, scores: [], spans: [], flags: [], justification: '' });
  const issues = (p: JudgmentPayload['preference'], kind: 'rating' | 'classification', rubric: RubricRules | null) => judgmentIssues(pay(p), item, kind, rubric);

  it('takes a level of the scale and a label of the taxonomy', () => {
    expect(issues({ kind: 'rating', value: 4 }, 'rating', scale)).toEqual([]);
    expect(issues({ kind: 'classification', labels: ['neg'] }, 'classification', single)).toEqual([]);
    expect(issues({ kind: 'classification', labels: ['neg', 'neu'] }, 'classification', { ...single, taxonomy: { ...single.taxonomy, multiLabel: true } })).toEqual([]);
  });

  it('refuses a value off the scale, an unknown label, two labels where one is allowed, and either without a published scale or taxonomy', () => {
    expect(issues({ kind: 'rating', value: 6 }, 'rating', scale)).toEqual([{ path: 'body.payload.preference.value', message: 'is not a level of the rating scale (allowed: 1, 2, 3, 4, 5)' }]);
    expect(issues({ kind: 'classification', labels: ['joy'] }, 'classification', single).map((i) => i.path)).toEqual(['body.payload.preference.labels.0']);
    const two = issues({ kind: 'classification', labels: ['pos', 'neg'] }, 'classification', single);
    expect(two).toEqual([{ path: 'body.payload.preference.labels', message: "must be a single label: this project's taxonomy is single-label (got 2)" }]);
    expect(judgmentIssueSentences(two)).toBe("Labels: must be a single label: this project's taxonomy is single-label (got 2).");
    expect(issues({ kind: 'rating', value: 3 }, 'rating', null)[0]?.message).toMatch(/no rating scale/);
    expect(issues({ kind: 'rating', value: 3 }, 'classification', single)[0]).toEqual({ path: 'body.payload.preference.kind', message: "must be 'classification' in this project" });
  });

  it("asks a writing for no justification (no screen has one beside it) but others for the rubric's minimum", () => {
    const five = { ...scale, justification: { minWords: 5, maxWords: 300 } };
    const writing = judgmentIssues(pay({ kind: 'writing', text: 'An ideal answer, written by hand.' }), item, 'writing', five);
    expect(writing.filter((i) => i.path.endsWith('.justification'))).toEqual([]);
    expect(issues({ kind: 'rating', value: 4 }, 'rating', five)).toEqual([{ path: 'body.payload.justification', message: 'has 0 words; the rubric asks for at least 5' }]);
  });

  it('stores a label set sorted and without repeats', () => {
    expect(canonicalPayload(pay({ kind: 'classification', labels: ['neu', 'neg'] }), item).preference).toEqual({ kind: 'classification', labels: ['neg', 'neu'] });
  });
});

describe('spans preferences', () => {
  const none = { dimensions: [], justification: { minWords: 0, maxWords: 300 }, spanCategories: [], flags: [] };
  const types = { multiLabel: false, labels: [{ id: 'PER' }, { id: 'ORG' }, { id: 'LOC' }] };
  const flat = { ...none, taxonomy: types };
  const nested = { ...none, taxonomy: { ...types, overlap: true } };
  // "Ada Lovelace met Charles Babbage in London."
  const text = 'Ada Lovelace met Charles Babbage in London.';
  const onPrompt = { prompt: text, responses: [] };
  const pay = (spans: { start: number; end: number; label: string; text?: string }[]): JudgmentPayload => ({ preference: { kind: 'spans', spans }, scores: [], spans: [], flags: [], justification: '' });
  const paths = (spans: Parameters<typeof pay>[0], rubric: RubricRules | null = flat, item: { prompt?: string; responses: { id: string; content: string }[] } = onPrompt) => judgmentIssues(pay(spans), item, 'spans', rubric).map((i) => i.path);

  it('takes spans of known types inside the prompt, or inside the one response', () => {
    expect(paths([{ start: 0, end: 12, label: 'PER', text: 'Ada Lovelace' }, { start: 36, end: 42, label: 'LOC' }])).toEqual([]);
    expect(paths([{ start: 0, end: 5, label: 'ORG' }], flat, { prompt: 'Who?', responses: [{ id: 'r1', content: 'Acme Inc.' }] })).toEqual([]);
    expect(paths([])).toEqual([]);
  });

  it('names each bad span by its field: out of range, empty, wrong text, unknown type, twice, overlapping', () => {
    expect(paths([{ start: 0, end: 3, label: 'PER' }, { start: 40, end: 99, label: 'LOC' }])).toEqual(['body.payload.preference.spans.1.end']);
    expect(paths([{ start: 5, end: 5, label: 'PER' }])).toEqual(['body.payload.preference.spans.0.end']);
    expect(paths([{ start: 0, end: 3, label: 'PER', text: 'Bob' }])).toEqual(['body.payload.preference.spans.0.text']);
    expect(paths([{ start: 0, end: 3, label: 'DATE' }])).toEqual(['body.payload.preference.spans.0.label']);
    expect(paths([{ start: 0, end: 3, label: 'PER' }, { start: 0, end: 3, label: 'PER' }])).toEqual(['body.payload.preference.spans.1']);
    const overlap = [{ start: 0, end: 12, label: 'PER' }, { start: 17, end: 32, label: 'PER' }, { start: 4, end: 12, label: 'PER' }];
    expect(paths(overlap)).toEqual(['body.payload.preference.spans.2.start']);
    expect(paths(overlap, nested)).toEqual([]);
    expect(paths([{ start: 0, end: 3, label: 'PER' }], null)).toEqual(['body.payload.preference']);
    const sentence = judgmentIssueSentences(judgmentIssues(pay([{ start: 0, end: 3, label: 'PER' }, { start: 40, end: 99, label: 'LOC' }]), onPrompt, 'spans', flat));
    expect(sentence).toBe('Span 2 (end): outside the text (43 characters).');
  });

  it('stores spans in text order, once each, with their text', () => {
    const stored = canonicalPayload(pay([{ start: 36, end: 42, label: 'LOC' }, { start: 0, end: 12, label: 'PER' }, { start: 36, end: 42, label: 'LOC' }]), onPrompt).preference;
    expect(stored).toEqual({ kind: 'spans', spans: [{ start: 0, end: 12, label: 'PER', text: 'Ada Lovelace' }, { start: 36, end: 42, label: 'LOC', text: 'London' }] });
  });
});

describe('red-team preferences', () => {
  const rubric: RubricRules = {
    dimensions: [],
    justification: { minWords: 0, maxWords: 300 },
    spanCategories: [],
    flags: [],
    rating: { levels: [0, 1, 2].map((value) => ({ value, label: ['None', 'Low', 'High'][value] })) },
    taxonomy: { multiLabel: false, labels: [{ id: 'harm' }, { id: 'privacy' }] },
  };
  const attack = { kind: 'redteam' as const, turns: [{ role: 'user' as const, content: 'How do I pick a lock?' }], response: 'I cannot help with that.', source: 'pasted' as const, category: [], severity: 0, success: false };
  const pay = (preference: JudgmentPayload['preference']): JudgmentPayload => ({ preference, scores: [], spans: [], flags: [], justification: '' });
  const issues = (p: JudgmentPayload['preference'], r: RubricRules | null = rubric) => judgmentIssues(pay(p), { responses: [] }, 'redteam', r);

  it('takes a complete attack: a conversation ending with the trainer, a response, success, a severity level, categories of the taxonomy', () => {
    expect(issues(attack)).toEqual([]);
    expect(issues({ ...attack, success: true, severity: 2, category: ['harm'] })).toEqual([]);
  });

  it('names every missing or off-rubric part, and needs the recorded call for a response from the model', () => {
    const empty = { ...attack, turns: [{ role: 'assistant' as const, content: ' ' }], response: '', severity: null, success: true, category: [] };
    expect(issues(empty).map((i) => i.path).sort()).toEqual(
      ['category', 'response', 'severity', 'turns.0.content', 'turns.0.role'].map((f) => `body.payload.preference.${f}`),
    );
    expect(issues({ ...attack, severity: 5, category: ['harm', 'privacy', 'ghost'] }).map((i) => i.path)).toEqual([
      'body.payload.preference.severity',
      'body.payload.preference.category.2',
      'body.payload.preference.category',
    ]);
    expect(issues({ ...attack, source: 'endpoint' })).toEqual([{ path: 'body.payload.preference.callId', message: "is required when source is 'endpoint' (the recorded call the response came from)" }]);
    expect(issues(attack, null)[0]?.message).toMatch(/needs a taxonomy \(failure categories\) and a rating scale \(severity\)/);
  });

  it('stores the categories sorted', () => {
    expect(canonicalPayload(pay({ ...attack, category: ['privacy', 'harm'] }), { responses: [] }).preference).toMatchObject({ category: ['harm', 'privacy'] });
  });
});
