import { describe, expect, it } from 'vitest';
import type { JustificationChecksSettings } from '../schemas/justifications.ts';
import { dimensionTerms, localFindings, lowestDimensions, type JustificationInput } from './findings.ts';

const likert = (id: string, name: string) => ({ id, name, target: 'response' as const, levels: [1, 2, 3, 4, 5].map((value) => ({ value })) });
const RUBRIC = {
  dimensions: [
    likert('helpfulness', 'Helpfulness'),
    likert('factual_accuracy', 'Factual accuracy'),
    likert('harmlessness', 'Harmlessness'),
    { id: 'overall', name: 'Overall', target: 'comparison' as const, levels: [0, 1].map((value) => ({ value })) },
  ],
};
const SETTINGS: JustificationChecksSettings = { block: ['contradicts'], nearCopyThreshold: 0.8, pastedShare: 0.5 };

// The item's own order is r1, r2; this trainer saw r2 first ("A") and r1 second ("B").
const base: JustificationInput = {
  justification: '',
  preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 2 }, // r2 better = "A" on this screen
  scores: [
    { dimension: 'helpfulness', responseId: 'r1', value: 3 },
    { dimension: 'helpfulness', responseId: 'r2', value: 4 },
    { dimension: 'factual_accuracy', responseId: 'r1', value: 1 },
    { dimension: 'factual_accuracy', responseId: 'r2', value: 5 },
    { dimension: 'harmlessness', responseId: 'r1', value: 5 },
    { dimension: 'harmlessness', responseId: 'r2', value: 5 },
  ],
  displayOrder: ['r2', 'r1'],
  rubric: RUBRIC,
};
const kinds = (i: Partial<JustificationInput>) => localFindings({ ...base, ...i }, SETTINGS).map((f) => f.kind);

describe('localFindings', () => {
  it.each<[string, Partial<JustificationInput>, string[]]>([
    ['argues for the preferred response in screen letters', { justification: 'A is better: B gets the year wrong, an inaccurate claim.' }, []],
    ['argues for the other response', { justification: 'B is better: A gets the year wrong, an inaccurate claim.' }, ['contradicts']],
    ['negation: "A is worse" argues for B', { justification: 'A is worse; its facts are inaccurate.' }, ['contradicts']],
    ['positions as seen: "the first one" is A', { justification: 'The first one is correct and accurate; the second has a factual error.' }, []],
    ['the preference read in the item order would be wrong', { justification: 'Response B is better; Response A has factual errors.' }, ['contradicts']],
    ['a tie is never contradicted', { justification: 'B is better, its facts are accurate.', preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 0 } }, []],
    ['no mention of the lowest-scored dimension', { justification: 'A is better; B is less helpful and rambles.' }, ['missingDimensions']],
    ['a ranking with B first and a justification for B', { justification: 'B is best; A is inaccurate.', preference: { kind: 'ranking', groups: [['r1'], ['r2']] } }, []],
    ['a ranking with B first and a justification for A', { justification: 'A is best, B is inaccurate.', preference: { kind: 'ranking', groups: [['r1'], ['r2']] } }, ['contradicts']],
    ['typed', { justification: 'A is more accurate.', typing: { typedChars: 120, pastedChars: 0 } }, []],
    ['mostly pasted', { justification: 'A is more accurate.', typing: { typedChars: 30, pastedChars: 300 } }, ['pasted']],
    ['a short paste (a quoted name) does not count', { justification: 'A is more accurate.', typing: { typedChars: 10, pastedChars: 25 } }, []],
    ['no report from the client: nothing is said about pasting', { justification: 'A is more accurate.', typing: null }, []],
  ])('%s', (_, input, want) => {
    expect(kinds(input)).toEqual(want);
  });

  it('says which response each side is, in the screen letters, and marks what the project blocks', () => {
    const [f] = localFindings({ ...base, justification: 'I prefer B over A.' }, SETTINGS);
    expect(f).toEqual({ kind: 'contradicts', message: 'The justification argues for Response B, but your judgment prefers Response A.', blocks: true });
    const [d] = localFindings({ ...base, justification: 'A is better overall.' }, SETTINGS);
    expect(d).toMatchObject({ kind: 'missingDimensions', blocks: false, dimensions: ['factual_accuracy'] });
    expect(d!.message).toBe('The justification does not mention Factual accuracy, which you scored lowest.');
  });
});

describe('dimension mentions', () => {
  it('finds the lowest-scored Likert dimensions, ties included, and none when all are high', () => {
    expect(lowestDimensions(base).map((d) => d.id)).toEqual(['factual_accuracy']);
    const tied = base.scores!.map((s) => (s.dimension === 'helpfulness' && s.responseId === 'r1' ? { ...s, value: 1 } : s));
    expect(lowestDimensions({ ...base, scores: tied }).map((d) => d.id)).toEqual(['helpfulness', 'factual_accuracy']);
    expect(lowestDimensions({ ...base, scores: base.scores!.map((s) => ({ ...s, value: 4 })) })).toEqual([]);
  });
  it.each<[string, string, boolean]>([
    ['Factual accuracy', 'B states the wrong year.', true],
    ['Factual accuracy', 'B hallucinates a study that does not exist.', true],
    ['Factual accuracy', 'B is inaccurate about the date.', true],
    ['Helpfulness', 'B is not useful for the question asked.', true],
    ['Harmlessness', 'B gives unsafe advice about medication.', true],
    ['Conciseness', 'B is far too verbose.', true],
    ['Helpfulness', 'B states the wrong year.', false],
  ])('%s is mentioned in "%s": %s', (name, text, want) => {
    const terms = dimensionTerms({ id: name.toLowerCase().replace(/ /g, '_'), name });
    const low = { ...base, justification: text, rubric: { dimensions: [likert(name.toLowerCase().replace(/ /g, '_'), name)] } };
    low.scores = [{ dimension: name.toLowerCase().replace(/ /g, '_'), responseId: 'r1', value: 1 }];
    expect(terms.length).toBeGreaterThan(0);
    expect(localFindings(low, SETTINGS).some((f) => f.kind === 'missingDimensions')).toBe(!want);
  });
});
