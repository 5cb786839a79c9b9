import { describe, expect, it } from 'vitest';
import { csvToItem, labelStudioAnnotations, labelStudioToItem, responseRef } from './import-formats.ts';

const ids = ['a', 'b'];
const task = (annotations: unknown) => ({ id: 5, data: { prompt: 'p', response_a: 'x', response_b: 'y' }, annotations });

describe('responseRef', () => {
  it('finds a response by id, tag name, side or position, and nothing else', () => {
    expect(['a', 'A', 'response_a', 'left', '1'].map((x) => responseRef(x, ids))).toEqual(['a', 'a', 'a', 'a', 'a']);
    expect(['b', 'answer_b', 'right', '2', 'B'].map((x) => responseRef(x, ids))).toEqual(['b', 'b', 'b', 'b', 'b']);
    expect(responseRef('response_2', ['r1', 'r2'])).toBe('r2');
    expect(['c', '3', 'Good', '', null].map((x) => responseRef(x, ids))).toEqual([null, null, null, null, null]);
  });
});

describe('labelStudioAnnotations', () => {
  it('maps pairwise, ranker, choices, rating and textarea results to a judgment', () => {
    const got = labelStudioAnnotations(
      task([
        {
          id: 1,
          completed_by: { id: 3, email: 'x@y.example' },
          lead_time: 2.25,
          created_at: '2024-01-02T03:04:05.678901Z',
          result: [
            { type: 'pairwise', value: { selected: 'left' } },
            { type: 'rating', from_name: 'clarity', to_name: 'response_b', value: { rating: 4 } },
            { type: 'rating', from_name: 'overall', to_name: 'prompt', value: { rating: 2 } },
            { type: 'choices', from_name: 'flags', value: { choices: ['Off topic'] } },
            { type: 'textarea', value: { text: ['line 1', 'line 2'] } },
          ],
        },
        { id: 2, completed_by: 4, result: [{ type: 'ranker', value: { ranker: { rank: ['b', 'a'] } } }] },
        { id: 3, completed_by: 4, result: [{ type: 'choices', value: { choices: ['Tie'] } }] },
      ]),
      ids,
      'pairwise',
    );
    expect(got.problems).toEqual([]);
    expect(got.judgments).toEqual([
      {
        ref: '1',
        annotator: 'x@y.example',
        judgment: {
          preference: { kind: 'pairwise', a: 'a', b: 'b', value: -2 },
          scores: [
            { dimension: 'clarity', responseId: 'b', value: 4 },
            { dimension: 'overall', value: 2 },
          ],
          spans: [],
          flags: ['Off topic'],
          justification: 'line 1\nline 2',
        },
        submittedAt: '2024-01-02T03:04:05.678Z',
        timeSpentMs: 2250,
      },
      { ref: '2', annotator: 'label-studio-4', judgment: { preference: { kind: 'pairwise', a: 'b', b: 'a', value: -2 }, scores: [], spans: [], flags: [], justification: '' } },
      { ref: '3', annotator: 'label-studio-4', judgment: { preference: { kind: 'pairwise', a: 'a', b: 'b', value: 0 }, scores: [], spans: [], flags: [], justification: '' } },
    ]);
  });

  it('turns a choice or ranker into a ranking in a ranking project', () => {
    const three = ['r1', 'r2', 'r3'];
    const got = labelStudioAnnotations(
      task([
        { id: 1, completed_by: 1, result: [{ type: 'ranker', value: { ranker: { rank: ['r3', 'r1', 'r2'] } } }] },
        { id: 2, completed_by: 2, result: [{ type: 'choices', value: { choices: ['r2'] } }] },
      ]),
      three,
      'ranking',
    );
    expect(got.judgments.map((j) => j.judgment.preference)).toEqual([
      { kind: 'ranking', groups: [['r3'], ['r1'], ['r2']] },
      { kind: 'ranking', groups: [['r2'], ['r1', 'r3']] },
    ]);
  });

  it('reads choices as taxonomy labels (id or name) in a classification project and a rating as a level in a rating project', () => {
    const text = (annotations: unknown) => ({ id: 9, data: { text: 'So happy with it!' }, annotations });
    const taxonomy = { labels: [{ id: 'pos', name: 'Positive' }, { id: 'neg', name: 'Negative' }] };
    const cls = labelStudioAnnotations(
      text([
        { id: 1, completed_by: 1, result: [{ type: 'choices', value: { choices: ['Positive'] } }] },
        { id: 2, completed_by: 2, result: [{ type: 'choices', value: { choices: ['neg', 'Joy'] } }] },
        { id: 3, completed_by: 3, result: [{ type: 'textarea', value: { text: ['no label'] } }] },
      ]),
      [],
      'classification',
      { taxonomy },
    );
    expect(cls.judgments.map((j) => j.judgment.preference)).toEqual([
      { kind: 'classification', labels: ['pos'] },
      { kind: 'classification', labels: ['neg', 'Joy'] },
    ]);
    expect(cls.problems).toEqual(['annotation 3 (annotations.2): has no label (a choices result); not imported']);
    // Label Studio's stars run 1..n: on a −2..2 valence scale, 5 stars is +2; a level's own value stays.
    const rating = { levels: [-2, -1, 0, 1, 2].map((value) => ({ value })) };
    const rated = labelStudioAnnotations(
      text([
        { id: 1, completed_by: 1, result: [{ type: 'rating', from_name: 'valence', to_name: 'text', value: { rating: 5 } }] },
        { id: 2, completed_by: 2, result: [{ type: 'rating', from_name: 'valence', to_name: 'text', value: { rating: -1 } }] },
      ]),
      [],
      'rating',
      { rating },
    );
    expect(rated.judgments.map((j) => j.judgment.preference)).toEqual([
      { kind: 'rating', value: 2 },
      { kind: 'rating', value: -1 },
    ]);
  });

  it('reads labels results as entity spans (one per label, by id or name) in a spans project; no labels result marks none', () => {
    const types = { taxonomy: { labels: [{ id: 'PER', name: 'Person' }, { id: 'LOC', name: 'Location' }] } };
    const ner = labelStudioAnnotations(
      {
        id: 4,
        data: { text: 'Ada Lovelace lived in London.' },
        annotations: [
          {
            id: 1,
            completed_by: { id: 7, email: 'ann@example.org' },
            result: [
              { from_name: 'label', to_name: 'text', type: 'labels', value: { start: 0, end: 12, text: 'Ada Lovelace', labels: ['Person'] } },
              { from_name: 'label', to_name: 'text', type: 'labels', value: { start: 22, end: 28, text: 'London', labels: ['LOC'] } },
            ],
          },
          { id: 2, completed_by: 8, result: [] },
          { id: 3, completed_by: 9, result: [{ type: 'labels', value: { start: '0', end: 3, labels: ['PER'] } }] },
        ],
      },
      [],
      'spans',
      types,
    );
    expect(ner.judgments.map((j) => [j.annotator, j.judgment.preference])).toEqual([
      ['ann@example.org', { kind: 'spans', spans: [{ start: 0, end: 12, label: 'PER', text: 'Ada Lovelace' }, { start: 22, end: 28, label: 'LOC', text: 'London' }] }],
      ['label-studio-8', { kind: 'spans', spans: [] }],
    ]);
    expect(ner.problems).toEqual(['annotation 3 (annotations.2): result.0: labels needs whole-number value.start and value.end (character offsets); not imported']);
  });

  it('reads a textarea as the written response in a writing project: a rewrite of the item\'s response when it has one', () => {
    const task = (annotations: unknown) => ({ id: 4, data: { prompt: 'Say hi.' }, annotations });
    const got = labelStudioAnnotations(
      task([
        { id: 1, completed_by: { id: 7, email: 'w@example.com' }, result: [{ type: 'textarea', from_name: 'answer', value: { text: ['Hi!', 'How are you?'] } }] },
        { id: 2, completed_by: 8, result: [{ type: 'choices', value: { choices: ['r1'] } }] },
      ]),
      ['r1'],
      'writing',
    );
    expect(got.judgments.map((j) => [j.annotator, j.judgment.preference, j.judgment.justification])).toEqual([['w@example.com', { kind: 'writing', text: 'Hi!\nHow are you?', base: 'r1' }, '']]);
    expect(got.problems).toEqual(['annotation 2 (annotations.1): has no written response (a textarea result); not imported']);
    const scratch = labelStudioAnnotations(task([{ id: 1, completed_by: 1, result: [{ type: 'textarea', value: { text: 'Hello.' } }] }]), [], 'writing');
    expect(scratch.judgments[0]?.judgment.preference).toEqual({ kind: 'writing', text: 'Hello.' });
  });

  it('reports every annotation it cannot map, with the reason', () => {
    const got = labelStudioAnnotations(
      task([
        { id: 1, completed_by: 1, was_cancelled: true, result: [] },
        { id: 2, result: [{ type: 'pairwise', value: { selected: 'left' } }] },
        { id: 3, completed_by: 1, result: [{ type: 'labels', value: { start: 0, end: 1 } }, { type: 'pairwise', value: { selected: 'left' } }] },
        { id: 4, completed_by: 1, result: [{ type: 'rating', from_name: 'q', value: { rating: 3 } }] },
        { id: 5, completed_by: 1, result: [{ type: 'pairwise', value: { selected: 'left' } }, { type: 'choices', value: { choices: ['b'] } }] },
        { id: 6, completed_by: 1, result: [{ type: 'ranker', value: { ranker: { rank: ['a', 'zz'] } } }] },
      ]),
      ids,
      'pairwise',
    );
    expect(got.judgments).toEqual([]);
    expect(got.problems).toEqual([
      expect.stringMatching(/^annotation 1 .*cancelled/),
      expect.stringMatching(/^annotation 2 .*no completed_by/),
      expect.stringMatching(/^annotation 3 .*result type labels/),
      expect.stringMatching(/^annotation 4 .*no preference/),
      expect.stringMatching(/^annotation 5 .*second preference/),
      expect.stringMatching(/^annotation 6 .*ranker/),
    ]);
  });

  it('leaves a task without annotations alone, and keeps Label Studio keys of a bare task out of the metadata', () => {
    expect(labelStudioAnnotations({ id: 1, data: {} }, ids, 'pairwise')).toEqual({ judgments: [], problems: [] });
    const item = labelStudioToItem({ id: 9, prompt: 'p', response_a: 'x', response_b: 'y', annotations: [] }) as { metadata: Record<string, unknown> };
    expect(item.metadata).toEqual({ labelStudioId: 9 });
  });
});

describe('csvToItem JSON cells', () => {
  it('refuses a hostile key in a JSON cell as a JSONL record would be, naming the cell (it vanished before)', () => {
    const rec = { external_id: 'c6', prompt: 'p', response_1: 'a', model_1: 'm1', response_2: 'b', model_2: 'm2', metadata: '{"__proto__":{"a":1},"keep":1}' };
    expect(() => csvToItem(rec)).toThrow(/^metadata: .*__proto__/);
    expect(() => csvToItem({ ...rec, metadata: '{"keep":1}' })).not.toThrow();
    expect(() => csvToItem({ ...rec, metadata: '', context: '[{"role":"user","content":"x","constructor":1}]' })).toThrow(/^context: /);
  });
});
