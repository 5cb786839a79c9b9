import { describe, expect, it } from 'vitest';
import { goldAgreement, relation } from './gold.ts';

const pw = (a: string, b: string, value: number) => ({ kind: 'pairwise' as const, a, b, value });
const rk = (...groups: string[][]) => ({ kind: 'ranking' as const, groups });

describe('goldAgreement', () => {
  it.each([
    // [judgment, gold, agreement]
    [pw('r1', 'r2', -3), pw('r1', 'r2', -1), 1], // same side, strength ignored
    [pw('r1', 'r2', 2), pw('r1', 'r2', -1), 0], // opposite sides
    [pw('r1', 'r2', 0), pw('r1', 'r2', 0), 1], // tie and tie
    [pw('r1', 'r2', 0), pw('r1', 'r2', 1), 0], // tie against a preference
    [pw('r2', 'r1', 2), pw('r1', 'r2', -2), 1], // the same preference written the other way round
    [pw('r2', 'r1', -2), pw('r1', 'r2', -2), 0],
  ])('pairwise %j against gold %j → %d', (p, g, want) => {
    expect(goldAgreement(p, g, ['r1', 'r2'])).toBe(want);
  });

  it('counts the share of response pairs a ranking orders as gold does', () => {
    const ids = ['a', 'b', 'c'];
    expect(goldAgreement(rk(['a'], ['b'], ['c']), rk(['a'], ['b'], ['c']), ids)).toBe(1);
    // a>b agrees, a>c agrees, b>c against gold's tie b=c: 2 of 3.
    expect(goldAgreement(rk(['a'], ['b'], ['c']), rk(['a'], ['b', 'c']), ids)).toBeCloseTo(2 / 3);
    expect(goldAgreement(rk(['c'], ['b'], ['a']), rk(['a'], ['b'], ['c']), ids)).toBe(0);
  });

  it('relates only the responses a preference names', () => {
    expect(relation(pw('r1', 'r2', 1), 'r1', 'r3')).toBeNull();
    expect(goldAgreement(pw('r1', 'r2', 1), pw('r1', 'r3', 1), ['r1', 'r2', 'r3'])).toBe(0);
  });
});

describe('goldAgreement of ratings and classifications', () => {
  it('agrees on the same level or the same label set only', () => {
    expect(goldAgreement({ kind: 'rating', value: -1 }, { kind: 'rating', value: -1 }, [])).toBe(1);
    expect(goldAgreement({ kind: 'rating', value: 0 }, { kind: 'rating', value: -1 }, [])).toBe(0);
    expect(goldAgreement({ kind: 'classification', labels: ['b', 'a'] }, { kind: 'classification', labels: ['a', 'b'] }, [])).toBe(1);
    expect(goldAgreement({ kind: 'classification', labels: ['a'] }, { kind: 'classification', labels: ['a', 'b'] }, [])).toBe(0);
  });
});

describe('goldAgreement of spans', () => {
  it('agrees on exactly the same set of spans only', () => {
    const g = { kind: 'spans' as const, spans: [{ start: 0, end: 3, label: 'PER' }, { start: 5, end: 9, label: 'ORG' }] };
    expect(goldAgreement({ kind: 'spans', spans: [g.spans[1]!, { ...g.spans[0]!, text: 'Ada' }] }, g, [])).toBe(1);
    expect(goldAgreement({ kind: 'spans', spans: [g.spans[0]!] }, g, [])).toBe(0);
    expect(goldAgreement({ kind: 'spans', spans: [g.spans[0]!, { ...g.spans[1]!, label: 'LOC' }] }, g, [])).toBe(0);
  });
});
