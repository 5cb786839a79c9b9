import { describe, expect, it } from 'vitest';
import { matchRoute, pathFor } from './routes.ts';

const P = '0b7e1f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const S = '018f2c1e-7a3b-7c4d-9e5f-60718293a4b5';

describe('matchRoute', () => {
  it.each([
    ['/', 'home', {}],
    ['/login', 'login', {}],
    ['/projects', 'projects', {}],
    ['/projects/', 'projects', {}],
    ['/projects/0b7e1f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b', 'project', { id: '0b7e1f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b' }],
    ['/projects/0B7E1F3A-1C2D-4E5F-8A9B-0C1D2E3F4A5B/judge', 'judge', { id: '0B7E1F3A-1C2D-4E5F-8A9B-0C1D2E3F4A5B' }],
    [`/projects/${P}/calibration/${S}`, 'calibration', { id: P, sessionId: S }],
    [`/projects/${P}/disputes/${S}`, 'dispute', { id: P, disputeId: S }],
    [`/projects/${P}/writings/${S}`, 'writing-review', { id: P, judgmentId: S }],
    ['/account', 'account', {}],
    ['/admin/users', 'admin-users', {}],
  ])('%s → %s', (path, name, params) => {
    const m = matchRoute(path);
    expect(m.name).toBe(name);
    expect(m.params).toEqual(params);
  });

  it.each(['/nope', '/projects/1/2', '/projects/1/judge', '/projects/a%20b', `/projects/${P}/disputes/d1`, `/projects/${P}x`, `/projects/%20${P}`, '/admin', '/admin/users/x', '/projects/%E0%A4%A', '/projects/a%2Fb', '//projects', 'projects'])(
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
