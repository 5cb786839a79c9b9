import { describe, expect, it } from 'vitest';
import { pairwiseSpanF1, spanAgreement, type Span } from './spans.ts';
import { MetricsError } from './labels.ts';

const s = (start: number, end: number, category = 'hallucination'): Span => ({ start, end, category });

describe('spanAgreement', () => {
  it('scores exact, overlap and character agreement per category', () => {
    const a = [s(0, 10), s(20, 30), s(50, 60, 'unsafe')];
    const b = [s(0, 10), s(25, 40), s(70, 80)];
    const result = spanAgreement(a, b);
    const h = result.perCategory[0]!;
    expect(h.category).toBe('hallucination');
    expect(h.exactF1).toBeCloseTo((2 * 1) / 5, 12);
    // B spans overlapping A: [0,10), [25,40) → 2/3; A spans overlapping B: both → 2/2.
    expect(h.overlapPrecision).toBeCloseTo(2 / 3, 12);
    expect(h.overlapRecall).toBe(1);
    expect(h.overlapF1).toBeCloseTo(0.8, 12);
    // Characters: A 20, B 35, shared 10 + 5.
    expect(h.charF1).toBeCloseTo((2 * 15) / 55, 12);
    const unsafe = result.perCategory[1]!;
    expect(unsafe).toMatchObject({ category: 'unsafe', spansA: 1, spansB: 0, exactF1: 0, overlapPrecision: null, overlapRecall: 0, overlapF1: 0, charF1: 0 });
    expect(result.overall.spansA).toBe(3);
    expect(result.overall.charF1).toBeCloseTo((2 * 15) / 65, 12);
  });

  it('only matches spans of the same category', () => {
    const result = spanAgreement([s(0, 10, 'a')], [s(0, 10, 'b')]);
    expect(result.overall).toMatchObject({ exactF1: 0, overlapF1: 0, charF1: 0 });
  });

  it('is symmetric: swapping annotators swaps precision and recall and keeps every F1', () => {
    const a = [s(0, 5), s(3, 9), s(40, 41)];
    const b = [s(4, 6), s(30, 45), s(100, 120)];
    const ab = spanAgreement(a, b).overall;
    const ba = spanAgreement(b, a).overall;
    expect(ba.overlapPrecision).toBe(ab.overlapRecall);
    expect(ba.overlapF1).toBeCloseTo(ab.overlapF1!, 12);
    expect(ba.charF1).toBe(ab.charF1);
    expect(ba.exactF1).toBe(ab.exactF1);
  });

  it('merges overlapping spans of one annotator for character counts, and counts a repeated span once', () => {
    const result = spanAgreement([s(0, 6), s(4, 10), s(0, 6)], [s(0, 10)]);
    expect(result.overall.charF1).toBe(1);
    expect(result.overall.spansA).toBe(2);
  });

  it('is null throughout when neither annotator marked anything', () => {
    expect(spanAgreement([], [])).toEqual({
      perCategory: [],
      overall: { spansA: 0, spansB: 0, exactF1: null, overlapPrecision: null, overlapRecall: null, overlapF1: null, charF1: null },
    });
  });

  it('rejects empty, reversed or fractional spans and mixed category types', () => {
    expect(() => spanAgreement([s(5, 5)], [])).toThrow(/need integers 0 ≤ start < end/);
    expect(() => spanAgreement([], [s(5, 2)])).toThrow(MetricsError);
    expect(() => spanAgreement([s(0.5, 2)], [])).toThrow(MetricsError);
    expect(() => spanAgreement([{ start: 0, end: 1, category: 1 }], [s(0, 1)])).toThrow(/mix strings and numbers/);
  });
});

describe('pairwiseSpanF1', () => {
  const on = (unit: string, annotator: string, spans: Span[]) => ({ unit, annotator, spans });
  // Worked by hand. Unit 1: A marks PER 0–5 and LOC 10–15, B marks PER 0–5 and LOC 10–14, C marks ORG 0–5.
  // Unit 2: A and B both mark PER 3–8 (C did not see it). Pairs sharing a unit: AB (both units), AC, BC (unit 1).
  // AB: PER 2 of 2 exact each side → exact 1, overlap 1; LOC 10–15 vs 10–14 → exact 0, overlap 1; pooled: exact 2·2/6 = 2/3, overlap 1.
  // AC and BC: nothing shared by type → every defined F1 is 0; ORG is undefined for AB (neither used it).
  const data = [
    on('u1', 'A', [s(0, 5, 'PER'), s(10, 15, 'LOC')]),
    on('u1', 'B', [s(0, 5, 'PER'), s(10, 14, 'LOC')]),
    on('u1', 'C', [s(0, 5, 'ORG')]),
    on('u2', 'A', [s(3, 8, 'PER')]),
    on('u2', 'B', [s(3, 8, 'PER')]),
  ];

  it('is the mean over annotator pairs sharing a unit of their exact and overlap F1, per type and pooled (hand-checked)', () => {
    const r = pairwiseSpanF1(data);
    expect(r.units).toBe(2);
    expect(r.pairs).toBe(3);
    expect(r.overall.pairs).toBe(3);
    expect(r.overall.exactF1).toBeCloseTo(2 / 9, 12);
    expect(r.overall.overlapF1).toBeCloseTo(1 / 3, 12);
    const by = Object.fromEntries(r.perCategory.map((c) => [c.category, c]));
    expect(by.PER).toMatchObject({ pairs: 3 });
    expect(by.PER!.exactF1).toBeCloseTo(1 / 3, 12);
    expect(by.PER!.overlapF1).toBeCloseTo(1 / 3, 12);
    expect(by.LOC).toMatchObject({ pairs: 3, exactF1: 0 });
    expect(by.LOC!.overlapF1).toBeCloseTo(1 / 3, 12);
    expect(by.ORG).toEqual({ category: 'ORG', pairs: 2, exactF1: 0, overlapF1: 0 });
  });

  it('does not depend on the order of annotations, and equals spanAgreement for two annotators on one unit', () => {
    expect(pairwiseSpanF1([...data].reverse())).toEqual(pairwiseSpanF1(data));
    const one = pairwiseSpanF1(data.slice(0, 2)).overall;
    const two = spanAgreement(data[0]!.spans, data[1]!.spans).overall;
    expect([one.exactF1, one.overlapF1]).toEqual([two.exactF1, two.overlapF1]);
  });

  it('has no figure without a shared unit or without any span, and refuses an annotator twice on a unit', () => {
    expect(pairwiseSpanF1([on('u1', 'A', [s(0, 1, 'X')]), on('u2', 'B', [s(0, 1, 'X')])])).toMatchObject({ units: 0, pairs: 0, overall: { pairs: 0, exactF1: null, overlapF1: null } });
    expect(pairwiseSpanF1([on('u1', 'A', []), on('u1', 'B', [])])).toMatchObject({ units: 1, pairs: 1, overall: { pairs: 0, exactF1: null, overlapF1: null }, perCategory: [] });
    expect(() => pairwiseSpanF1([on('u1', 'A', []), on('u1', 'A', [])])).toThrow(/twice/);
  });
});
