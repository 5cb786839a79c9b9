import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createTestNetwork } from '../testing/test-network.ts';
import {
  RUBRIC_ROOTS,
  addDimension,
  addPrecedenceRule,
  addRubricProposal,
  getDimensionText,
  getLevelAnchorText,
  moveDimension,
  readRubricDraft,
  readRubricProposals,
  removeDimension,
  removeNamed,
  removeRubricProposal,
  setField,
  setJustification,
  setRatingScale,
  setTaxonomy,
  writeRubricDraft,
  type RubricDimension,
  type RubricDraft,
} from './rubric.ts';

const dim = (id: string, extra: Partial<RubricDimension> = {}): RubricDimension => ({
  id,
  name: `Dimension ${id}`,
  description: `How ${id} is judged`,
  scale: { kind: 'binary' },
  levels: [
    { value: 0, label: 'No', anchor: `not ${id}` },
    { value: 1, label: 'Yes', anchor: `${id}`, examples: ['an example'] },
  ],
  weight: 1,
  target: 'response',
  ...extra,
});

const draft: RubricDraft = {
  dimensions: [
    dim('helpful', { weight: 2 }),
    dim('harmless', {
      scale: { kind: 'likert', min: 1, max: 3 },
      levels: [1, 2, 3].map((value) => ({ value, label: String(value), anchor: `level ${value}` })),
      target: 'comparison',
    }),
    dim('tone', { scale: { kind: 'categories', options: ['formal', 'casual'] }, levels: [] }),
  ],
  precedence: [{ higher: 'harmless', lower: 'helpful', note: 'Safety first.' }],
  justification: { minWords: 10, maxWords: 120 },
  spanCategories: [{ id: 'halluc', name: 'Hallucination', description: 'Made-up facts' }],
  flags: [{ id: 'pii', name: 'PII', description: 'Personal data' }],
  rating: null,
  taxonomy: null,
};

/** Two replicas that exchange everything both ways. */
const sync = (a: Y.Doc, b: Y.Doc): void => {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
};
const replica = (from: Y.Doc): Y.Doc => {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(from));
  return doc;
};
const ids = (doc: Y.Doc): string[] => readRubricDraft(doc).dimensions.map((d) => d.id);

describe('rubric draft shape', () => {
  it('round-trips the plain draft', () => {
    const doc = new Y.Doc();
    writeRubricDraft(doc, draft);
    expect(readRubricDraft(doc)).toEqual(draft);
    expect(readRubricDraft(replica(doc))).toEqual(draft);
  });

  it('reads an empty document as an empty draft', () => {
    expect(readRubricDraft(new Y.Doc())).toEqual({
      dimensions: [],
      precedence: [],
      justification: { minWords: 0, maxWords: 300 },
      spanCategories: [],
      flags: [],
      rating: null,
      taxonomy: null,
    });
  });

  it('round-trips a rating scale and a taxonomy, and removes them', () => {
    const rating = { levels: [-2, -1, 0, 1, 2].map((value) => ({ value, label: `v${value}`, anchor: '' })) };
    const taxonomy = { multiLabel: true, labels: [{ id: 'neg', name: 'Negative', parent: null, description: '' }, { id: 'angry', name: 'Angry', parent: 'neg', description: 'x' }] };
    const doc = new Y.Doc();
    writeRubricDraft(doc, { ...draft, rating, taxonomy });
    expect(readRubricDraft(replica(doc))).toEqual({ ...draft, rating, taxonomy });
    setRatingScale(doc, null);
    setTaxonomy(doc, { ...taxonomy, multiLabel: false });
    expect(readRubricDraft(doc)).toMatchObject({ rating: null, taxonomy: { multiLabel: false } });
  });

  it('adds, moves and removes dimensions; removal takes its precedence rules along', () => {
    const doc = new Y.Doc();
    writeRubricDraft(doc, draft);
    addDimension(doc, dim('concise'), 1);
    expect(ids(doc)).toEqual(['helpful', 'concise', 'harmless', 'tone']);
    moveDimension(doc, 'tone', 0);
    expect(ids(doc)).toEqual(['tone', 'helpful', 'concise', 'harmless']);
    moveDimension(doc, 'tone', 99);
    expect(ids(doc)).toEqual(['helpful', 'concise', 'harmless', 'tone']);
    removeDimension(doc, 'helpful');
    expect(ids(doc)).toEqual(['concise', 'harmless', 'tone']);
    expect(readRubricDraft(doc).precedence).toEqual([]);
    expect(() => addDimension(doc, dim('tone'))).toThrow(/exists/);
  });

  it('keeps ordering sane after many moves into the same gap', () => {
    const doc = new Y.Doc();
    for (const id of ['a', 'b', 'c']) addDimension(doc, dim(id));
    for (let i = 0; i < 80; i++) moveDimension(doc, i % 2 ? 'b' : 'c', 1);
    expect(ids(doc)).toEqual(['a', 'b', 'c']);
    moveDimension(doc, 'a', 2);
    expect(ids(doc)).toEqual(['b', 'c', 'a']);
  });

  it('a move does not lose a description typed concurrently into the moved dimension', () => {
    const a = new Y.Doc();
    writeRubricDraft(a, draft);
    const b = replica(a);
    moveDimension(a, 'tone', 0);
    getDimensionText(b, 'tone')!.insert(0, 'Register: ');
    sync(a, b);
    for (const doc of [a, b]) {
      expect(ids(doc)).toEqual(['tone', 'helpful', 'harmless']);
      expect(readRubricDraft(doc).dimensions[0]?.description).toBe('Register: How tone is judged');
    }
  });

  it('concurrent first edits of an empty draft all survive', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    addDimension(a, dim('x'));
    addDimension(b, dim('y'));
    setJustification(a, { minWords: 5 });
    setJustification(b, { maxWords: 50 });
    addPrecedenceRule(b, { higher: 'y', lower: 'x', note: '' });
    sync(a, b);
    expect(readRubricDraft(a)).toEqual(readRubricDraft(b));
    expect(ids(a).sort()).toEqual(['x', 'y']);
    expect(readRubricDraft(a).justification).toEqual({ minWords: 5, maxWords: 50 });
    expect(readRubricDraft(a).precedence).toHaveLength(1);
  });

  it('changing the scale keeps anchors of levels that still exist', () => {
    const doc = new Y.Doc();
    writeRubricDraft(doc, draft);
    setField(doc, 'harmless', 'scale', { kind: 'likert', min: 1, max: 2 });
    expect(readRubricDraft(doc).dimensions[1]?.levels).toEqual([
      { value: 1, label: '1', anchor: 'level 1' },
      { value: 2, label: '2', anchor: 'level 2' },
    ]);
    setField(doc, 'harmless', 'scale', { kind: 'likert', min: 1, max: 4 });
    expect(readRubricDraft(doc).dimensions[1]?.levels.map((l) => [l.value, l.anchor])).toEqual([
      [1, 'level 1'],
      [2, 'level 2'],
      [3, ''],
      [4, ''],
    ]);
    setField(doc, 'tone', 'scale', { kind: 'categories', options: ['formal', 'casual', 'playful'] });
    expect(readRubricDraft(doc).dimensions[2]?.levels.map((l) => l.label)).toEqual(['formal', 'casual', 'playful']);
    getLevelAnchorText(doc, 'tone', 2)!.insert(0, 'jokes welcome');
    setField(doc, 'tone', 'name', 'Tone');
    setField(doc, 'tone', 'weight', 0.5);
    setField(doc, 'tone', 'description', 'Register of the answer');
    const tone = readRubricDraft(doc).dimensions[2];
    expect(tone).toMatchObject({ name: 'Tone', weight: 0.5, description: 'Register of the answer' });
    expect(tone?.levels[2]?.anchor).toBe('jokes welcome');
  });

  it('reads values of the wrong type, as any writer may put them there, as defaults', () => {
    const doc = new Y.Doc();
    doc.transact(() => {
      const bad = new Y.Map<unknown>();
      bad.set('order', 'first');
      bad.set('weight', 'heavy');
      bad.set('scale', { kind: 'likert', max: -3 });
      bad.set('levels', 'none');
      bad.set('target', 'everything');
      doc.getMap<unknown>(RUBRIC_ROOTS.dimensions).set('bad', bad);
      doc.getMap<unknown>(RUBRIC_ROOTS.dimensions).set('notamap', 42);
      doc.getArray<unknown>(RUBRIC_ROOTS.precedence).push(['string', 7]);
      doc.getMap<unknown>(RUBRIC_ROOTS.settings).set('justificationMinWords', Number.NaN);
      doc.getMap<unknown>(RUBRIC_ROOTS.settings).set('rating', 'five stars');
      doc.getMap<unknown>(RUBRIC_ROOTS.settings).set('taxonomy', { multiLabel: 'yes', labels: [7, { id: 'a', parent: 3 }] });
    });
    expect(readRubricDraft(doc)).toEqual({
      dimensions: [{ id: 'bad', name: '', description: '', scale: { kind: 'binary' }, levels: [], weight: 1, target: 'response' }],
      precedence: [],
      justification: { minWords: 0, maxWords: 300 },
      spanCategories: [],
      flags: [],
      rating: null,
      taxonomy: { multiLabel: false, labels: [{ id: 'a', name: '', parent: null, description: '' }] },
    });
  });

  it('removes span categories and flags by id', () => {
    const doc = new Y.Doc();
    writeRubricDraft(doc, draft);
    removeNamed(doc, 'flags', 'pii');
    removeNamed(doc, 'spanCategories', 'nope');
    expect(readRubricDraft(doc).flags).toEqual([]);
    expect(readRubricDraft(doc).spanCategories).toHaveLength(1);
  });

  it('two editors co-authoring through a room converge on the same draft', async () => {
    const net = createTestNetwork();
    await net.room.whenLoaded;
    const lead = net.addClient();
    const reviewer = net.addClient();
    net.flush();
    writeRubricDraft(lead.doc, draft);
    net.flush();
    getDimensionText(reviewer.doc, 'helpful')!.insert(0, '[reviewed] ');
    moveDimension(lead.doc, 'tone', 0);
    addDimension(reviewer.doc, dim('accuracy'), 1);
    net.flush();
    const expected = readRubricDraft(net.room.doc);
    expect(readRubricDraft(lead.doc)).toEqual(expected);
    expect(readRubricDraft(reviewer.doc)).toEqual(expected);
    expect(expected.dimensions.find((d) => d.id === 'helpful')?.description).toBe('[reviewed] How helpful is judged');
    expect(expected.dimensions[0]?.id).toBe('tone');
    await net.destroy();
  });

  it('keeps change proposals once each, and removes the one dealt with', () => {
    const doc = new Y.Doc();
    const p = (id: string) => ({ id, disputeId: id.slice(8), itemId: 'item-1', note: `gap ${id}`, by: 'Lead', at: '2026-12-02T00:00:00.000Z' });
    expect(addRubricProposal(doc, p('dispute:a'))).toBe(true);
    expect(addRubricProposal(doc, p('dispute:a'))).toBe(false);
    expect(addRubricProposal(doc, p('dispute:b'))).toBe(true);
    expect(readRubricProposals(doc).map((x) => x.id)).toEqual(['dispute:a', 'dispute:b']);
    expect(removeRubricProposal(doc, 'dispute:a')).toBe(true);
    expect(removeRubricProposal(doc, 'dispute:a')).toBe(false);
    expect(readRubricProposals(doc)).toEqual([p('dispute:b')]);
    // The draft itself does not carry proposals: publishing never sees them.
    expect(readRubricDraft(doc)).not.toHaveProperty('proposals');
  });
});
