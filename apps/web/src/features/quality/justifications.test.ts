import { describe, expect, it } from 'vitest';
import type { JustificationReport } from '@accord/core';
import { findingKindTable, findingsOf, findingTrainerTable, justificationRows } from './justifications.ts';

const rate = (count: number, n: number) => ({ count, rate: n ? count / n : null });
const findings = (n: number, c: number, m: number, nc: number, p: number) => ({ contradicts: rate(c, n), missingDimensions: rate(m, n), nearCopy: rate(nc, n), pasted: rate(p, n) });

const report: JustificationReport = {
  totals: { checked: 6, findings: findings(6, 1, 0, 2, 3) },
  trainers: [
    { userId: 'u1', name: 'bea', email: 'bea@x', checked: 2, findings: findings(2, 0, 0, 0, 0) },
    { userId: 'u2', name: 'Al', email: 'al@x', checked: 2, findings: findings(2, 1, 0, 1, 1) },
    { userId: 'u3', name: 'cy', email: 'cy@x', checked: 2, findings: findings(2, 0, 0, 1, 2) },
  ],
  block: ['nearCopy'],
};

describe('the justification report', () => {
  it('lists trainers with the most findings first, then by name', () => {
    expect(justificationRows(report).map((t) => [t.name, findingsOf(t)])).toEqual([
      ['Al', 3],
      ['cy', 3],
      ['bea', 0],
    ]);
  });
  it('tabulates each kind with its count, share and whether it blocks', () => {
    const t = findingKindTable(report, 'p');
    expect(t.name).toBe('p-justification-findings');
    expect(t.rows.map((r) => [r[1], r[2], r[3], r[5]])).toEqual([
      ['contradicts', 1, 1 / 6, false],
      ['missingDimensions', 0, 0, false],
      ['nearCopy', 2, 2 / 6, true],
      ['pasted', 3, 0.5, false],
    ]);
  });
  it('gives each trainer a count and a share per kind', () => {
    const t = findingTrainerTable(justificationRows(report), 'p');
    expect(t.headers).toEqual(['trainer', 'checked', 'contradicts', 'contradicts_share', 'missing_dimensions', 'missing_dimensions_share', 'near_copy', 'near_copy_share', 'pasted', 'pasted_share', 'email']);
    expect(t.rows[1]).toEqual(['cy', 2, 0, 0, 0, 0, 1, 0.5, 2, 1, 'cy@x']);
  });
});
