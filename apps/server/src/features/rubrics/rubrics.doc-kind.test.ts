import { describe, expect, it } from 'vitest';
import type { ProjectRow } from '../../platform/http/context.ts';
import { createDocKinds } from '../../platform/realtime/doc-kinds.ts';
import { createRubricDocKind } from './rubrics.doc-kind.ts';

const P = '11111111-1111-4111-8111-111111111111';
const project = (archivedAt: Date | null) => ({ id: P, archivedAt }) as unknown as ProjectRow;

describe('the rubric draft document kind', () => {
  it('trainers refused, every other role writes, frozen while the project is archived', async () => {
    const k = createRubricDocKind();
    const caller = { userId: 'u', isAdmin: false, member: true };
    const ctx = { id: P, project: project(null) };
    expect(k.access({ ...caller, role: 'trainer' }, ctx)).toEqual({ refuse: expect.stringContaining('Trainers') });
    expect(k.access({ ...caller, role: 'reviewer' }, ctx)).toBe('write');
    expect(k.access({ ...caller, role: 'lead' }, ctx)).toBe('write');
    expect(k.access({ ...caller, role: 'lead', isAdmin: true, member: false }, ctx)).toBe('write');
    expect(await k.frozen({ id: P, project: project(null) })).toBe(false);
    expect(await k.frozen({ id: P, project: project(new Date()) })).toBe(true);
  });


  it('registers under rubric:<projectId>, belonging to that project', async () => {
    const kinds = createDocKinds([createRubricDocKind()], { emit: async () => undefined });
    expect(await kinds.projectOf(`rubric:${P}`)).toBe(P);
    expect(kinds.resolve(`dispute:${P}`)).toBeNull();
  });
});
