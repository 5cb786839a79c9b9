import { describe, expect, it } from 'vitest';
import { canonicalPayload, judgmentIssues, readRubric } from '@accord/core';
import { alignRendered, canonicalDraftOf, canonicalPayloadOf, footerHints, keyRange, levelKeys, missing, moveInRanking, placeInRanking, preferenceLabel, sourceSpan, toggleTie, workFromDraft, type JudgingOrders, type WorkState } from './judging.ts';

// The demo's comparison dimension: its levels run from the item's first response to its second.
const rubric = readRubric({
  version: 1,
  content: {
    dimensions: [
      { id: 'overall', name: 'Overall', target: 'comparison', scale: { kind: 'categories', options: ['A better', 'Tie', 'B better'] }, levels: [] },
      { id: 'accuracy', name: 'Accuracy', target: 'response', scale: { kind: 'likert', min: 1, max: 3 }, levels: [] },
    ],
    justification: { minWords: 1, maxWords: 50 },
  },
});
const item = { responses: [{ id: 'r1', content: 'one' }, { id: 'r2', content: 'two' }] };
const ordersFor = (display: string[]): JudgingOrders => ({ taskKind: 'pairwise', display, canonical: ['r1', 'r2'], rubric });

/** A trainer who prefers r1, whichever side of the screen it is on. */
function prefersR1(display: string[]): WorkState {
  const r1IsA = display[0] === 'r1';
  return {
    taskKind: 'pairwise',
    order: display,
    pairwise: r1IsA ? -2 : 2,
    ranking: [],
    rating: null,
    labels: [],
    entities: [],
    redteam: null,
    scores: { 'overall|': r1IsA ? 0 : 2, 'accuracy|r1': 3, 'accuracy|r2': 1 },
    spans: [],
    flags: [],
    justification: 'r1 is right.',
  };
}

describe('the judging form speaks canonical terms to the API', () => {
  it('two trainers with opposite screen orders who prefer the same response send the same judgment', () => {
    const [one, two] = [['r1', 'r2'], ['r2', 'r1']].map((d) => canonicalPayloadOf(prefersR1(d), ordersFor(d))!);
    expect(canonicalPayload(one!, item)).toEqual(canonicalPayload(two!, item));
    expect(two!.scores.find((s) => s.dimension === 'overall')?.value).toBe(0);
    expect(judgmentIssues(two!, item, 'pairwise', rubric)).toEqual([]);
  });

  it('a saved draft comes back in the screen terms it was typed in', () => {
    for (const d of [['r1', 'r2'], ['r2', 'r1']]) {
      const screen = prefersR1(d);
      const stored = JSON.parse(JSON.stringify(canonicalDraftOf(screen, ordersFor(d))));
      expect(workFromDraft(stored, ordersFor(d))).toEqual(screen);
    }
  });

  it('starts a ranking in screen order and an empty pairwise choice without a draft', () => {
    expect(workFromDraft(null, { ...ordersFor(['r2', 'r1']), taskKind: 'ranking' }).ranking).toEqual([['r2'], ['r1']]);
    expect(workFromDraft(null, ordersFor(['r2', 'r1'])).pairwise).toBeNull();
  });
});

describe('preferenceLabel', () => {
  it('names what the trainer saw, not response ids', () => {
    // Stored canonically (a = r1); this trainer saw r2 as A.
    const j = { payload: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 2 } }, responseOrder: ['r2', 'r1'] };
    expect(preferenceLabel(j)).toBe('A better');
    expect(preferenceLabel({ ...j, responseOrder: ['r1', 'r2'] })).toBe('B better');
    expect(preferenceLabel({ payload: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -1 } }, responseOrder: ['r2', 'r1'] })).toBe('B slightly better');
    expect(preferenceLabel({ payload: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 0 } }, responseOrder: ['r2', 'r1'] })).toBe('Tie');
    expect(preferenceLabel({ payload: { preference: { kind: 'ranking', groups: [['r3'], ['r1', 'r2']] } }, responseOrder: ['r2', 'r3', 'r1'] })).toBe('B > C = A');
  });

  it('falls back to response ids for imported judgments, which have no screen order', () => {
    expect(preferenceLabel({ payload: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -3 } }, responseOrder: null })).toBe('r1 much better');
    expect(preferenceLabel({ payload: {}, responseOrder: null })).toBe('—');
  });
});

describe('rankings', () => {
  it('moves and ties responses, keeping groups non-empty', () => {
    expect(moveInRanking([['a'], ['b'], ['c']], 'c', -1)).toEqual([['a'], ['c'], ['b']]);
    expect(toggleTie([['a'], ['b']], 'b')).toEqual([['a', 'b']]);
    expect(toggleTie([['a', 'b']], 'b')).toEqual([['a'], ['b']]);
  });
});

describe('levels, spans on rendered text, drag and drop, what is missing', () => {
  it('keys levels by the rubric\'s own numbers when they are digits', () => {
    expect(levelKeys([{ value: 1 }, { value: 2 }, { value: 3 }])).toEqual(['1', '2', '3']);
    expect(levelKeys([{ value: 0 }, { value: 1 }])).toEqual(['0', '1']);
    expect(levelKeys([{ value: 10 }, { value: 20 }])).toEqual(['1', '2']);
    expect(keyRange(['0', '1'])).toBe('0–1');
  });

  it('maps a selection of the rendered markdown back to the source', () => {
    const source = 'The **capital** of France is [Paris](https://example.com/p) &amp; more.\n\n- one `code` item';
    const rendered = 'The capital of France is Paris & more.\none code item';
    const map = alignRendered(source, rendered);
    const pick = (text: string) => {
      const at = rendered.indexOf(text);
      const s = sourceSpan(map, rendered, at, at + text.length)!;
      return source.slice(s.start, s.end);
    };
    expect(pick('capital of France')).toBe('capital** of France');
    expect(pick('Paris')).toBe('Paris');
    expect(pick('one code item')).toBe('one `code` item');
    expect(pick(' & more')).toBe('&amp; more');
    expect(sourceSpan(map, rendered, 3, 4)).toBeNull();
  });

  it('drops a response into a tie or a rank of its own', () => {
    expect(placeInRanking([['a'], ['b'], ['c']], 'c', { into: 0 })).toEqual([['a', 'c'], ['b']]);
    expect(placeInRanking([['a', 'c'], ['b']], 'c', { before: 2 })).toEqual([['a'], ['b'], ['c']]);
    expect(placeInRanking([['a'], ['b'], ['c']], 'a', { before: 2 })).toEqual([['b'], ['a'], ['c']]);
    expect(placeInRanking([['a'], ['b']], 'b', { before: 0 })).toEqual([['b'], ['a']]);
  });

  it('lists a justification over the maximum as missing', () => {
    const w = { ...workFromDraft(null, ordersFor(['r1', 'r2'])), pairwise: 0, scores: { 'overall|': 1, 'accuracy|r1': 1, 'accuracy|r2': 1 } };
    expect(missing({ ...w, justification: 'word '.repeat(52) }, rubric)).toEqual(['a justification 2 words shorter (at most 50)']);
    expect(missing({ ...w, justification: '' }, rubric)).toEqual(['1 more word of justification']);
  });
});

describe('rating and classification work', () => {
  const base = { order: [], pairwise: null, ranking: [], entities: [], redteam: null, scores: {}, spans: [], flags: [], justification: '' };
  const orders = (taskKind: 'rating' | 'classification'): JudgingOrders => ({ taskKind, display: [], canonical: [], rubric: null });
  it('sends the chosen level or labels, asks for them while missing, and reads a draft back', () => {
    expect(canonicalPayloadOf({ ...base, taskKind: 'rating', rating: -1, labels: [] }, orders('rating'))?.preference).toEqual({ kind: 'rating', value: -1 });
    expect(canonicalPayloadOf({ ...base, taskKind: 'classification', rating: null, labels: ['neg', 'angry'] }, orders('classification'))?.preference).toEqual({ kind: 'classification', labels: ['angry', 'neg'] });
    expect(missing({ ...base, taskKind: 'classification', rating: null, labels: [] }, null)).toEqual(['a label']);
    expect(missing({ ...base, taskKind: 'rating', rating: null, labels: [] }, null)).toEqual(['a rating']);
    expect(workFromDraft({ preference: { kind: 'classification', labels: ['pos'] } }, orders('classification')).labels).toEqual(['pos']);
  });
});

describe('the judging footer lists only keys that do something', () => {
  const base = { responses: 0, ratingKeys: [], labels: 0, multiLabel: false, cells: 0, spanCategories: 0, flags: 0 };
  const keys = (c: Parameters<typeof footerHints>[0]) => footerHints(c).map(([k, what]) => `${k} ${what}`);
  const tail = ['j justify', 'h guidelines', 'm mine', '? all keys'];
  it.each([
    ['pairwise without span categories: no s', { ...base, taskKind: 'pairwise' as const, responses: 2 }, ['1–7 prefer', 't tie', ...tail]],
    ['pairwise with span categories and flags', { ...base, taskKind: 'pairwise' as const, responses: 2, spanCategories: 3, flags: 2, cells: 4 }, ['1–7 prefer', 't tie', 'Tab score', 's span', 'f 1… flag', ...tail]],
    ['ranking of four: keys 1–4', { ...base, taskKind: 'ranking' as const, responses: 4 }, ['1–4 pick', '↑ ↓ move', '= tie', ...tail]],
    ['rating of a prompt (no response to mark spans in)', { ...base, taskKind: 'rating' as const, ratingKeys: ['1', '2', '3', '4', '5'], spanCategories: 2 }, ['1–5 rate', 'Enter submit', ...tail]],
    ['rating without a published scale: no number keys', { ...base, taskKind: 'rating' as const }, ['Enter submit', ...tail]],
    ['classification, three labels, multi-label, a reference', { ...base, taskKind: 'classification' as const, labels: 3, multiLabel: true, reference: true }, ['1–3 toggle label', 'Enter submit', 'r reference', ...tail]],
    ['spans: the types, never s', { ...base, taskKind: 'spans' as const, labels: 5, responses: 1, spanCategories: 2 }, ['e text', '← → word', '⇧ ← → extend', '1–5 type', 'Del remove', 'Enter submit', ...tail]],
    ['spans without types: no number keys', { ...base, taskKind: 'spans' as const }, ['e text', '← → word', '⇧ ← → extend', 'Del remove', 'Enter submit', ...tail]],
    [
      'red teaming on severity 0–4, no model: no send, no s, no reference',
      { ...base, taskKind: 'redteam' as const, ratingKeys: ['0', '1', '2', '3', '4'], labels: 12, redteamPicker: 'severity' as const, modelAvailable: false, spanCategories: 1, reference: true },
      ['p prompt', 'a v c picker', '0–4 severity', 'Enter submit', 'j notes', 'h guidelines', 'm mine', '? all keys'],
    ],
    ['red teaming, categories picker, a model', { ...base, taskKind: 'redteam' as const, labels: 12, redteamPicker: 'category' as const, modelAvailable: true }, ['p prompt', 'Ctrl+Enter send', 'a v c picker', '1–9 category', 'Enter submit', 'j notes', 'h guidelines', 'm mine', '? all keys']],
  ])('%s', (_, c, expected) => {
    expect(keys(c)).toEqual(expected);
  });
});
