import { describe, expect, it } from 'vitest';
import { majorityVote } from '@accord/metrics';
import { bradleyTerryOrder, classOf, computeConsensus, consensusScores, consensusSpans, fitReliability, goldMissed, mildMedian, type EngineJudgment } from './consensus.engine.ts';

const item = { responses: [{ id: 'r1', content: 'The cat sat on the mat.' }, { id: 'r2', content: 'A dog barked loudly.' }] };
const ranked = { responses: [{ id: 'x', content: 'x' }, { id: 'y', content: 'y' }, { id: 'z', content: 'z' }] };
let seq = 0;
const pw = (value: number, userId = `u${++seq}`, extra: Partial<EngineJudgment['payload']> = {}): EngineJudgment => ({
  id: `j${++seq}`,
  userId,
  rubricVersion: 1,
  payload: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value }, ...extra },
});
const rk = (groups: string[][], userId = `u${++seq}`): EngineJudgment => ({ id: `j${++seq}`, userId, rubricVersion: null, payload: { preference: { kind: 'ranking', groups } } });

describe('classes and medians', () => {
  it('reads a pairwise preference in the canonical order, whichever way round it was stored', () => {
    expect(classOf({ kind: 'pairwise', a: 'r1', b: 'r2', value: -2 }, item)).toBe('first');
    expect(classOf({ kind: 'pairwise', a: 'r2', b: 'r1', value: -2 }, item)).toBe('second');
    expect(classOf({ kind: 'pairwise', a: 'r2', b: 'r1', value: 0 }, item)).toBe('tie');
  });
  it('takes the milder middle value of an even count', () => {
    expect(mildMedian([-3, -1])).toBe(-1);
    expect(mildMedian([1, 2, 3])).toBe(2);
    expect(mildMedian([2, 3])).toBe(2);
  });
});

describe('rule: unanimous', () => {
  it('is met only when every judgment has the same direction, whatever the grade', () => {
    const r = computeConsensus(item, [pw(-1), pw(-3), pw(-2)], { rule: 'unanimous', threshold: 0.5 });
    expect(r.met).toBe(true);
    expect(r.agreement).toBe(1);
    expect(r.label?.preference).toEqual({ kind: 'pairwise', a: 'r1', b: 'r2', value: -2 });
    const no = computeConsensus(item, [pw(-1), pw(-3), pw(0)], { rule: 'unanimous', threshold: 0.5 });
    expect(no.met).toBe(false);
    expect(no.reason).toMatch(/2 of 3 judgments agree.*needs all/);
  });
  it('on rankings needs the same order', () => {
    expect(computeConsensus(ranked, [rk([['x'], ['y', 'z']]), rk([['x'], ['z', 'y']])], { rule: 'unanimous', threshold: 0 }).met).toBe(true);
    expect(computeConsensus(ranked, [rk([['x'], ['y'], ['z']]), rk([['x'], ['z'], ['y']])], { rule: 'unanimous', threshold: 0 }).met).toBe(false);
  });
});

describe('rule: majority', () => {
  it('needs the modal share to exceed the threshold; ties are a class; agrees with majorityVote', () => {
    const js = [pw(0), pw(0), pw(2)];
    const r = computeConsensus(item, js, { rule: 'majority', threshold: 0.5 });
    expect(r.met).toBe(true);
    expect(r.winner).toBe('tie');
    expect(r.label?.preference).toEqual({ kind: 'pairwise', a: 'r1', b: 'r2', value: 0 });
    expect(majorityVote([['tie', 'tie', 'second']])[0]!.winner).toBe(r.winner);
    // 2 of 4 is not more than half.
    const half = computeConsensus(item, [pw(1), pw(2), pw(-1), pw(0)], { rule: 'majority', threshold: 0.5 });
    expect(half.met).toBe(false);
    expect(half.reason).toMatch(/2 of 4 judgments agree \(0\.50.*more than 0\.50/);
    // A three-way split has no single majority.
    const split = computeConsensus(item, [pw(1), pw(0), pw(-1)], { rule: 'majority', threshold: 0.3 });
    expect(split.met).toBe(false);
    expect(split.reason).toMatch(/no single most common/);
    // And no label: the first of the tied judgments would be an arbitrary one shown as the rule's result.
    expect(split.label).toBeNull();
  });
  it('graded value: the median of the judgments in the winning direction', () => {
    const r = computeConsensus(item, [pw(3), pw(1), pw(3), pw(-2)], { rule: 'majority', threshold: 0.5 });
    expect(r.label?.preference).toEqual({ kind: 'pairwise', a: 'r1', b: 'r2', value: 3 });
  });
});

describe('scores and spans', () => {
  it('scores: the most common level, else the lower median', () => {
    const js = [pw(1, 'a', { scores: [{ dimension: 'h', responseId: 'r1', value: 4 }, { dimension: 'c', value: 1 }] }), pw(1, 'b', { scores: [{ dimension: 'h', responseId: 'r1', value: 4 }, { dimension: 'c', value: 3 }] }), pw(1, 'c', { scores: [{ dimension: 'h', responseId: 'r1', value: 2 }] })];
    expect(consensusScores(js)).toEqual([
      { dimension: 'c', value: 1 },
      { dimension: 'h', responseId: 'r1', value: 4 },
    ]);
  });
  it('spans: kept when more than half mark an overlapping span of the same category', () => {
    const span = (start: number, end: number, category = 'factual') => ({ responseId: 'r1', start, end, category, severity: 'major' as const, note: '' });
    const js = [pw(1, 'a', { spans: [span(4, 7), span(15, 18, 'style')] }), pw(1, 'b', { spans: [span(4, 8)] }), pw(1, 'c', { spans: [span(15, 18)] })];
    const out = consensusSpans(js, item);
    expect(out).toEqual([{ responseId: 'r1', start: 4, end: 7, quote: 'cat', category: 'factual', severity: 'major', note: '' }]);
  });
});

describe('rule: dawid-skene', () => {
  it('weights trainers by reliability: a reliable minority outweighs two random raters', () => {
    // good1, good2 always agree with the truth; noisy1, noisy2 answer at random.
    const rows: { itemId: string; userId: string; cls: string }[] = [];
    const truth = ['first', 'second', 'tie', 'first', 'second', 'first', 'second', 'tie', 'first', 'second', 'first', 'first', 'second', 'tie', 'second', 'first', 'second', 'first', 'tie', 'second'];
    const noise = (i: number, s: number) => ['first', 'tie', 'second'][(i * 7 + s * 5) % 3]!;
    truth.forEach((t, i) => {
      rows.push({ itemId: `i${i}`, userId: 'good1', cls: t }, { itemId: `i${i}`, userId: 'good2', cls: t });
      rows.push({ itemId: `i${i}`, userId: 'noisy1', cls: noise(i, 1) }, { itemId: `i${i}`, userId: 'noisy2', cls: noise(i, 2) });
    });
    const model = fitReliability(rows, ['first', 'tie', 'second']);
    // The item: the good raters say first, the noisy ones both say second.
    const js = [pw(-2, 'good1'), pw(-1, 'good2'), pw(2, 'noisy1'), pw(3, 'noisy2')];
    const r = computeConsensus(item, js, { rule: 'dawid-skene', threshold: 0.7 }, model);
    expect(r.winner).toBe('first');
    expect(r.agreement).toBeGreaterThan(0.7);
    expect(r.met).toBe(true);
    expect(r.label?.preference).toMatchObject({ value: -1 });
    const strict = computeConsensus(item, [pw(-2, 'noisy1'), pw(2, 'noisy2')], { rule: 'dawid-skene', threshold: 0.95 }, model);
    expect(strict.met).toBe(false);
    expect(strict.reason).toMatch(/posterior|tie/);
  });
});

describe('rule: bradley-terry', () => {
  it('orders rankings by BT strengths and measures agreement with Kendall W', () => {
    const js = [rk([['x'], ['y'], ['z']]), rk([['x'], ['z'], ['y']]), rk([['y'], ['x'], ['z']])];
    const { groups, w } = bradleyTerryOrder(ranked, js);
    expect(groups[0]).toEqual(['x']);
    expect(w).toBeCloseTo(4 / 9, 6); // rank sums 4, 6, 8: W = 12·8 / (3²·(3³−3))
    expect(computeConsensus(ranked, js, { rule: 'bradley-terry', threshold: 0.4 }).met).toBe(true);
    const r = computeConsensus(ranked, js, { rule: 'bradley-terry', threshold: 0.5 });
    expect(r.met).toBe(false);
    expect(r.reason).toMatch(/Kendall's W 0\.44/);
  });
  it('orders by mean rank when one response never loses (no MLE)', () => {
    const js = [rk([['z'], ['x'], ['y']]), rk([['z'], ['x'], ['y']])];
    const r = computeConsensus(ranked, js, { rule: 'bradley-terry', threshold: 0.5 });
    expect(r.label?.preference).toEqual({ kind: 'ranking', groups: [['z'], ['x'], ['y']] });
    expect(r.agreement).toBe(1);
    expect(r.met).toBe(true);
  });
});

describe('gold missed', () => {
  it('is missed when more than half differ from gold', () => {
    expect(goldMissed({ kind: 'pairwise', a: 'r1', b: 'r2', value: -1 }, item, [pw(1), pw(2), pw(-1)]).missed).toBe(true);
    expect(goldMissed({ kind: 'pairwise', a: 'r1', b: 'r2', value: -1 }, item, [pw(1), pw(-2), pw(-1)]).missed).toBe(false);
  });
});

describe('span voting (spans projects)', () => {
  const text = { prompt: 'Ada Lovelace met Charles Babbage in London.', responses: [] };
  const sp = (spans: [number, number, string][], userId = `u${++seq}`): EngineJudgment => ({
    id: `j${++seq}`,
    userId,
    rubricVersion: 1,
    payload: { preference: { kind: 'spans', spans: spans.map(([start, end, label]) => ({ start, end, label })) } },
  });
  const ada: [number, number, string] = [0, 12, 'PER'];
  const charles: [number, number, string] = [17, 32, 'PER'];
  const london: [number, number, string] = [36, 42, 'LOC'];

  it('keeps the spans more than the threshold share of judgments contain (exact match), with their text', () => {
    const r = computeConsensus(text, [sp([ada, london]), sp([ada, charles, london]), sp([ada, [36, 42, 'ORG']])], { rule: 'majority', threshold: 0.5 });
    expect(r.label?.preference).toEqual({ kind: 'spans', spans: [{ start: 0, end: 12, label: 'PER', text: 'Ada Lovelace' }, { start: 36, end: 42, label: 'LOC', text: 'London' }] });
    // Every span is decided by 2 of 3: Charles and the ORG reading dropped by 2, London kept by 2.
    expect(r.agreement).toBeCloseTo(2 / 3, 12);
    expect(r.met).toBe(true);
  });

  it('is not met when a span splits the judgments, and says which span', () => {
    const r = computeConsensus(text, [sp([ada, london]), sp([ada])], { rule: 'majority', threshold: 0.5 });
    expect(r.met).toBe(false);
    expect(r.agreement).toBe(0.5);
    expect(r.reason).toBe('the LOC span “London” (36..42) is marked by 1 of 2 judgments; the rule needs more than 0.50 to agree on every span');
    expect(computeConsensus(text, [sp([ada]), sp([ada]), sp([ada, charles])], { rule: 'unanimous', threshold: 0.5 }).met).toBe(false);
    expect(computeConsensus(text, [sp([]), sp([])], { rule: 'unanimous', threshold: 0.5 })).toMatchObject({ met: true, agreement: 1, label: { preference: { kind: 'spans', spans: [] } } });
  });

  it('misses gold on any other set of spans', () => {
    const gold = { kind: 'spans' as const, spans: [{ start: 0, end: 12, label: 'PER' }] };
    expect(goldMissed(gold, text, [sp([ada]), sp([ada, london]), sp([[0, 3, 'PER']])])).toEqual({ missed: true, wrong: 2, total: 3 });
    expect(goldMissed(gold, text, [sp([ada]), sp([ada])]).missed).toBe(false);
  });
});
