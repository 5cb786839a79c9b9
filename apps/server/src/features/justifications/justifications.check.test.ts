/**
 * A submit reads the near-copy candidates with its assignment (one round trip, `candidatesColumn`) and
 * checks on them with `checkRead`: the same findings as `check`, which reads them itself; and when the
 * lookup was made for another text than the one checked, nothing is decided on it (null: `check` it).
 * The repository here holds the candidates `check` reads; `checkRead` must never call it.
 */
import { DEFAULT_JUSTIFICATION_CHECKS, type JustificationInput } from '@accord/core';
import { describe, expect, it } from 'vitest';
import type { JustificationsRepo } from './justifications.repo.ts';
import { createJustificationService } from './justifications.service.ts';

const settings = DEFAULT_JUSTIFICATION_CHECKS;
const TEXT = 'Response A explains why the sky is blue through Rayleigh scattering of short wavelengths, while B wrongly blames the ocean.';
const OTHER = 'Both responses cite the same recipe, but B forgets to preheat the oven and lists the wrong baking time for the bread.';
const input = (justification: string): JustificationInput => ({
  justification,
  preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -2 },
  scores: [],
  displayOrder: ['r1', 'r2'],
  rubric: null,
});

/** A repository whose only use here is `candidates`, answering `stored` (and counting the calls). */
function repoWith(stored: number[][]) {
  const calls: number[] = [];
  const repo = new Proxy({} as JustificationsRepo, {
    get: (_t, key) => {
      if (key !== 'candidates') throw new Error(`unexpected repository call: ${String(key)}`);
      return async () => {
        calls.push(1);
        return stored;
      };
    },
  });
  return { repo, calls };
}

describe('near-copy check on candidates read by the caller', () => {
  it('gives the findings check gives, for a copy and for an original, without reading anything itself', async () => {
    const copy = createJustificationService(repoWith([]).repo).nearCopyLookup(TEXT)!;
    expect(copy.bandKeys.length).toBeGreaterThan(0);
    for (const stored of [[copy.signature], [], [createJustificationService(repoWith([]).repo).nearCopyLookup(OTHER)!.signature]]) {
      const { repo, calls } = repoWith(stored);
      const s = createJustificationService(repo);
      const read = s.checkRead(settings, input(TEXT), s.nearCopyLookup(TEXT), stored);
      expect(calls).toHaveLength(0);
      expect(read).toEqual(await s.check('p', settings, input(TEXT)));
      expect(calls).toHaveLength(1);
    }
    const s = createJustificationService(repoWith([]).repo);
    expect(s.checkRead(settings, input(TEXT), copy, [copy.signature])!.findings.map((f) => f.kind)).toContain('nearCopy');
    expect(s.checkRead(settings, input(TEXT), copy, [])!.findings.map((f) => f.kind)).not.toContain('nearCopy');
  });

  it('decides nothing on a lookup of another text, or on candidates that were not read', () => {
    const s = createJustificationService(repoWith([]).repo);
    const near = s.nearCopyLookup(TEXT);
    expect(s.checkRead(settings, input(OTHER), near, [])).toBeNull();
    expect(s.checkRead(settings, input(TEXT), near, null)).toBeNull();
    // No lookup made, but the text is long enough to compare: it must be looked up.
    expect(s.checkRead(settings, input(TEXT), null, [])).toBeNull();
    // Too short to compare: no lookup is needed, and none is stored.
    expect(s.nearCopyLookup('Fine.')).toBeNull();
    expect(s.checkRead(settings, input('Fine.'), null, null)).toMatchObject({ signature: null, bandKeys: [] });
  });
});
