import { describe, expect, it } from 'vitest';
import { originAllowed } from './request.ts';

describe('originAllowed (CSRF)', () => {
  const own = 'http://localhost:3000';
  it.each([
    ['our origin', own, undefined, true],
    ['a configured origin', 'https://accord.example', undefined, true],
    ['a foreign origin', 'https://evil.example', undefined, false],
    ['a look-alike with our origin as prefix', 'http://localhost:3000.evil.example', undefined, false],
    ['Origin: null (sandboxed iframe, file://)', 'null', 'same-origin', false],
    ['no Origin and no fetch metadata', undefined, undefined, false],
    ['no Origin, same-origin fetch metadata', undefined, 'same-origin', true],
    ['no Origin, same-site fetch metadata', undefined, 'same-site', false],
    ['empty Origin', '', undefined, false],
  ])('%s', (_label, origin, sfs, ok) => {
    expect(originAllowed(origin, sfs, own, ['https://accord.example'])).toBe(ok);
  });
});
