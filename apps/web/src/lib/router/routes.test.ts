import { describe, expect, it } from 'vitest';
import { matchRoute, pathFor } from './routes.ts';

describe('matchRoute', () => {
  it.each([
    ['/', 'home', {}],
    ['/login', 'login', {}],
    ['/projects', 'projects', {}],
    ['/projects/', 'projects', {}],
    ['/projects/0b7e1f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b', 'project', { id: '0b7e1f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b' }],
    ['/projects/a%20b', 'project', { id: 'a b' }],
    ['/projects/p1/calibration/s1', 'calibration', { id: 'p1', sessionId: 's1' }],
    ['/projects/p1/disputes/d1', 'dispute', { id: 'p1', disputeId: 'd1' }],
    ['/account', 'account', {}],
    ['/admin/users', 'admin-users', {}],
  ])('%s → %s', (path, name, params) => {
    const m = matchRoute(path);
    expect(m.name).toBe(name);
    expect(m.params).toEqual(params);
  });

  it.each(['/nope', '/projects/1/2', '/admin', '/admin/users/x', '/projects/%E0%A4%A', '/projects/a%2Fb', '//projects', 'projects'])(
    '%s is not found',
    (path) => {
      expect(matchRoute(path).name).toBe('not-found');
    },
  );

  it('marks only login and 404 as public', () => {
    expect(matchRoute('/login').public).toBe(true);
    expect(matchRoute('/missing').public).toBe(true);
    expect(matchRoute('/projects').public).toBe(false);
  });
});

describe('pathFor', () => {
  it('encodes params', () => {
    expect(pathFor('/projects/:id', { id: 'a/b c' })).toBe('/projects/a%2Fb%20c');
  });
});
