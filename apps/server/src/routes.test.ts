import { describe, expect, it } from 'vitest';
import { contractList, errorCodesOf } from '@accord/core';
import { routeTable } from './routes.ts';

describe('the route table', () => {
  it('binds every contract of @accord/core exactly once, and nothing else', () => {
    const bound = routeTable.map((r) => r.id);
    expect(new Set(bound).size).toBe(bound.length);
    expect([...bound].sort()).toEqual(contractList.map((c) => c.id).sort());
    const keys = routeTable.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('keeps the contract data on each route: access, schemas and the errors they imply', () => {
    const login = routeTable.find((r) => r.id === 'auth.login')!;
    expect(login).toMatchObject({ method: 'post', path: '/api/auth/login', access: 'public' });
    expect(errorCodesOf(login)).toEqual(['bad_request', 'validation_failed', 'unauthenticated', 'csrf_rejected', 'payload_too_large', 'unsupported_media_type', 'rate_limited', 'unavailable']);
    const start = routeTable.find((r) => r.id === 'imports.start')!;
    expect(start.rawBody?.contentTypes).toContain('text/csv');
    expect(errorCodesOf(start)).toContain('project_archived');
    expect(errorCodesOf(start)).not.toContain('unsupported_media_type');
    const unarchive = routeTable.find((r) => r.id === 'projects.update')!;
    expect(unarchive.allowArchived).toBe(true);
  });
});
