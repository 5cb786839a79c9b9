import { describe, expect, it } from 'vitest';
import { loginUrl, safeNext } from './safe-redirect.ts';

describe('safeNext', () => {
  it.each([
    ['/projects', '/projects'],
    ['/projects/abc?tab=members', '/projects/abc?tab=members'],
    ['/account#tokens', '/account#tokens'],
    ['/admin/users?q=ann%40x.org', '/admin/users?q=ann%40x.org'],
  ])('keeps the in-app path %s', (input, expected) => {
    expect(safeNext(input)).toBe(expected);
  });

  it.each([
    [null],
    [undefined],
    [''],
    ['//evil.example'],
    ['//evil.example/projects'],
    ['/\\evil.example'],
    ['/\\/evil.example'],
    ['\\\\evil.example'],
    ['https://evil.example/'],
    ['http:/evil.example'],
    ['javascript:alert(1)'],
    ['evil.example'],
    ['projects'],
    ['/\t/evil.example'],
    ['/\n/evil.example'],
    ['/projects\\..\\..\\evil'],
    ['/login'],
    ['/login?next=/projects'],
    ['/api/auth/logout'],
    // Dot segments that normalise to a protocol-relative path (issue 9).
    ['/..//evil.example'],
    ['/.//evil.example'],
    ['/./..//evil.example/projects'],
    ['/projects/..//evil.example'],
    ['/projects/../..//evil.example'],
    ['/%2e%2e//evil.example'],
    ['/%2E%2E//evil.example'],
    ['/.%2e//evil.example'],
    ['/%2e//evil.example'],
    ['/..%2f%2fevil.example'],
    ['/%2f%2fevil.example'],
    ['/%2F/evil.example'],
    ['/%5cevil.example'],
    ['/%5C%5Cevil.example'],
    ['/..%5c%5cevil.example'],
    ['/../\\evil.example'],
  ])('rejects %j', (input) => {
    expect(safeNext(input)).toBe('/projects');
  });

  it('judges the normalised result against the page origin', () => {
    expect(safeNext('/..//evil.example', '/projects', 'https://accord.example')).toBe('/projects');
    expect(safeNext('/projects/./x/../y?q=1#h', '/projects', 'https://accord.example')).toBe('/projects/y?q=1#h');
  });

  it('uses the given fallback', () => {
    expect(safeNext('//evil', '/account')).toBe('/account');
  });

  it('normalises dot segments without leaving the app', () => {
    expect(safeNext('/projects/../account')).toBe('/account');
    expect(safeNext('/../../evil')).toBe('/evil');
  });
});

describe('loginUrl', () => {
  it('carries the current path as next', () => {
    expect(loginUrl('/projects/1?tab=items')).toBe('/login?next=%2Fprojects%2F1%3Ftab%3Ditems');
  });
  it('omits next for the default page and for unsafe paths', () => {
    expect(loginUrl('/projects')).toBe('/login');
    expect(loginUrl('//evil')).toBe('/login');
  });
});
