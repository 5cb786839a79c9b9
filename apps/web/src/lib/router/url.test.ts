import { describe, expect, it } from 'vitest';
import { patchSearch, parseQuery, resolveAppLocation } from './url.ts';

const base = 'https://accord.example/projects?status=all';

describe('resolveAppLocation', () => {
  it('resolves in-app paths and relative queries', () => {
    expect(resolveAppLocation('/account', base)).toEqual({ pathname: '/account', search: '', hash: '' });
    expect(resolveAppLocation('?tab=members', 'https://accord.example/projects/1')).toEqual({ pathname: '/projects/1', search: '?tab=members', hash: '' });
  });
  it('leaves other origins and the API to the browser', () => {
    expect(resolveAppLocation('https://evil.example/', base)).toBeNull();
    expect(resolveAppLocation('//evil.example/x', base)).toBeNull();
    expect(resolveAppLocation('/api/docs', base)).toBeNull();
    expect(resolveAppLocation('/api', base)).toBeNull();
  });
});

describe('patchSearch', () => {
  it('sets, replaces and removes keys', () => {
    expect(patchSearch('?q=a&status=all', { q: 'b', status: null, offset: 20 })).toBe('?q=b&offset=20');
    expect(patchSearch('?q=a', { q: '' })).toBe('');
  });
});

describe('parseQuery', () => {
  it('reads values', () => {
    const q = parseQuery('?q=a+b&tab=items');
    expect(q.get('q')).toBe('a b');
    expect(q.get('nope')).toBeNull();
    expect(q.has('tab')).toBe(true);
  });
});
