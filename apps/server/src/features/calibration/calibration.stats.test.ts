import { describe, expect, it } from 'vitest';
import { krippendorffAlpha } from '@accord/metrics';
import type { JudgmentPayload } from '@accord/core';
import { agreementOf, entitySpanF1, pairScore, preferenceAlpha, rankingW, raterAgreement, spanF1, type StatUnit } from './calibration.stats.ts';

const pair = (value: number, spans: JudgmentPayload['spans'] = []): JudgmentPayload => ({ preference: { kind: 'pairwise', a: 'r1', b: 'r2', value }, scores: [], spans, flags: [], justification: '' });
const rank = (groups: string[][]): JudgmentPayload => ({ preference: { kind: 'ranking', groups }, scores: [], spans: [], flags: [], justification: '' });
const unit = (payloads: JudgmentPayload[], canonical = ['r1', 'r2']): StatUnit => ({ itemId: 'i', canonical, judgments: payloads.map((payload, i) => ({ rater: `u${i}`, payload })) });
const span = (responseId: string, start: number, end: number) => ({ responseId, start, end, category: 'c', severity: 'minor' as const, note: '' });

describe('calibration statistics', () => {
  it('α ordinal on the preference equals @accord/metrics on the same matrix', () => {
    const values = [-3, -1, 0, 2, 3];
    const other = [-2, -1, -1, -2, 0];
    const two = [unit(values.map((v) => pair(v))), { ...unit(other.map((v) => pair(v))), itemId: 'j' }];
    expect(preferenceAlpha(two).value).toBeCloseTo(krippendorffAlpha([values, other], { level: 'ordinal', categories: [-3, -2, -1, 0, 1, 2, 3] })!, 12);
    // Everyone agrees on one value: no expected disagreement, α undefined.
    expect(preferenceAlpha([unit([pair(2), pair(2), pair(2)]), unit([pair(2), pair(2)])]).value).toBeNull();
  });

  it('α over one item is 0 by construction: null with a reason, and no interval', () => {
    const values = [-3, -1, 0, 2, 3];
    expect(krippendorffAlpha([values], { level: 'ordinal', categories: [-3, -2, -1, 0, 1, 2, 3] })).toBe(0);
    expect(preferenceAlpha([unit(values.map((v) => pair(v)))])).toEqual({ value: null, n: 5, reason: 'one-item' });
    const a = agreementOf([unit(values.map((v) => pair(v)))], 'pairwise', []);
    expect(a.preference).toMatchObject({ value: null, ci: null, reason: 'one-item' });
    // A second item judged once only does not make it two.
    expect(preferenceAlpha([unit(values.map((v) => pair(v))), unit([pair(1)])]).reason).toBe('one-item');
    // Kendall's W and span F1 are defined on one item (objects = responses; pairs of participants).
    expect(agreementOf([unit([rank([['a'], ['b'], ['c']]), rank([['a'], ['c'], ['b']]), rank([['b'], ['a'], ['c']])], ['a', 'b', 'c'])], 'ranking', []).preference).toMatchObject({ reason: null });
  });

  it("Kendall's W is 1 for identical rankings and lower when they differ", () => {
    const same = rankingW([unit([rank([['a'], ['b'], ['c']]), rank([['a'], ['b'], ['c']])], ['a', 'b', 'c'])]);
    expect(same.value).toBeCloseTo(1, 12);
    const differ = rankingW([unit([rank([['a'], ['b'], ['c']]), rank([['c'], ['b'], ['a']])], ['a', 'b', 'c'])]);
    expect(differ.value).toBeCloseTo(0, 12);
  });

  it('span F1 matches only on the same response, and is the mean over pairs', () => {
    expect(spanF1([unit([pair(0, [span('r1', 0, 5)]), pair(0, [span('r1', 2, 6)])])]).value).toBe(1);
    expect(spanF1([unit([pair(0, [span('r1', 0, 5)]), pair(0, [span('r2', 0, 5)])])]).value).toBe(0);
  });

  it('pair scores and per-rater agreement', () => {
    expect(pairScore(pair(-3), pair(3), ['r1', 'r2'])).toBe(0);
    expect(pairScore(pair(1), pair(1), ['r1', 'r2'])).toBe(1);
    const by = raterAgreement([unit([pair(0), pair(0), pair(3)])]);
    expect(by.get('u0')).toBeCloseTo((1 + 0.5) / 2, 12);
    expect(by.get('u2')).toBeCloseTo(0.5, 12);
  });

  it('gives an interval from three participants on, seeded (the same judgments, the same interval)', () => {
    const u = [unit([-3, -1, 0, 2, 3, 1].map((v) => pair(v))), { ...unit([-2, -1, -1, 1, 3, 0].map((v) => pair(v))), itemId: 'j' }];
    const a = agreementOf(u, 'pairwise', []);
    const b = agreementOf(u, 'pairwise', []);
    expect(a.preference.ci).not.toBeNull();
    expect(a.preference.ci![0]).toBeLessThanOrEqual(a.preference.ci![1]);
    expect(a).toEqual(b);
    expect(agreementOf([unit([pair(-3), pair(3)]), unit([pair(-1), pair(2)])], 'pairwise', []).preference.ci).toBeNull();
  });

  it('spans projects: the preference figure is the overlap F1 of the entity spans over participant pairs, and pair scores compare them', () => {
    const ents = (...xs: [number, number, string][]): JudgmentPayload => ({ preference: { kind: 'spans', spans: xs.map(([start, end, label]) => ({ start, end, label })) }, scores: [], spans: [], flags: [], justification: '' });
    // u0–u1: both spans overlap (F1 1); u0–u2 and u1–u2: PER overlaps, LOC missing → P 1, R 1/2 → 2/3.
    const u = [unit([ents([0, 5, 'PER'], [10, 15, 'LOC']), ents([0, 4, 'PER'], [11, 15, 'LOC']), ents([1, 5, 'PER'])])];
    expect(entitySpanF1(u).value).toBeCloseTo((1 + 2 / 3 + 2 / 3) / 3, 12);
    expect(agreementOf(u, 'spans', []).preference).toMatchObject({ statistic: 'span-f1' });
    expect(agreementOf(u, 'spans', []).preference.value).toBeCloseTo((1 + 2 / 3 + 2 / 3) / 3, 12);
    expect(pairScore(ents([0, 5, 'PER']), ents([0, 5, 'ORG']), [])).toBe(0);
  });
});
