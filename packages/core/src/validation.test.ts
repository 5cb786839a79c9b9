import { describe, expect, it } from 'vitest';
import { AppError, CreateProjectBodySchema, ERROR_STATUS, ProjectListQuerySchema, describeIssues, issuesOf } from './index.ts';

describe('issuesOf / describeIssues', () => {
  it('names each field with its location prefix', () => {
    const r = CreateProjectBodySchema.safeParse({ name: '', taskKind: 'essay' });
    expect(r.success).toBe(false);
    const issues = issuesOf(r.error!, 'body');
    expect(issues.map((i) => i.path).sort()).toEqual(['body.name', 'body.taskKind']);
    expect(describeIssues(issues)).toMatch(/body\.(name|taskKind): /);
  });

  it('refuses unknown body fields (no mass assignment)', () => {
    const r = CreateProjectBodySchema.safeParse({ name: 'x', createdBy: 'someone' });
    expect(r.success).toBe(false);
  });

  it('allows only listed sort keys', () => {
    expect(ProjectListQuerySchema.safeParse({ sort: 'name' }).success).toBe(true);
    expect(ProjectListQuerySchema.safeParse({ sort: 'password_hash' }).success).toBe(false);
    expect(ProjectListQuerySchema.safeParse({ sort: 'name; drop table users' }).success).toBe(false);
  });
});

describe('AppError', () => {
  it('maps codes to statuses and to the one error body shape', () => {
    const e = new AppError('rate_limited', 'Slow down.', undefined, { 'Retry-After': '5' });
    expect(e.status).toBe(429);
    expect(e.toBody()).toEqual({ error: { code: 'rate_limited', message: 'Slow down.' } });
    expect(ERROR_STATUS.csrf_rejected).toBe(403);
  });
});
