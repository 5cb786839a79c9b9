import { describe, expect, it } from 'vitest';
import type { QualificationAttempt, Standing } from '@accord/core';
import { attemptOutcome, grantText, requirementText } from './gates.ts';

const standing = (over: Partial<Standing> = {}): Standing => ({
  tier: 1,
  tags: [],
  paused: null,
  calibration: null,
  requires: { minTier: 2, tags: ['medical'], qualification: true },
  eligible: false,
  reason: 'x',
  qualification: { required: true, items: 3, passThreshold: 0.8, retryDelayMinutes: 60, grants: { tier: 2, tags: ['medical', 'law'] }, review: false, passedAt: null, latest: null, canAttempt: true, retryAt: null },
  ...over,
});

describe('gates words', () => {
  it('says what work here needs and what qualifying would add', () => {
    expect(requirementText(standing())).toBe('Work here needs tier 2 or higher, one of the domains medical, a passed qualification.');
    expect(grantText(standing())).toBe('tier 2 and the domains medical, law');
    expect(grantText(standing({ tier: 3, tags: ['medical'] }))).toBe('the domain law');
    expect(requirementText(standing({ requires: { minTier: 1, tags: [], qualification: false } }))).toBe('Every trainer of the project receives work here.');
  });

  it('gives the outcome with the overall score only', () => {
    const a = { status: 'failed', score: 0.5, passThreshold: 0.8, reviewShare: null, answered: 2, total: 2 } as QualificationAttempt;
    expect(attemptOutcome(a)).toMatchObject({ title: 'You did not pass this time', detail: 'Your agreement with the expected answers: 50% (pass: 80%).' });
    expect(attemptOutcome({ ...a, status: 'passed', score: 1 }).title).toBe('You passed the qualification');
  });
});
