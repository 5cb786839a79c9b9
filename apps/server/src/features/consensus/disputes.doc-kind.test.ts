import { describe, expect, it } from 'vitest';
import type { ProjectRow } from '../../platform/http/context.ts';
import { createDisputeDocKind } from './disputes.doc-kind.ts';

const project = (reviewersAdjudicate: boolean, archived = false) =>
  ({ id: 'p', archivedAt: archived ? new Date() : null, settings: { consensus: { reviewersAdjudicate } } }) as unknown as ProjectRow;

function kind(status: string | null) {
  return createDisputeDocKind({
    state: async () => (status ? { projectId: 'p', status, itemId: 'i' } : null),
    seedFor: async () => null,
    seedDoc: () => undefined,
  });
}

describe('dispute document kind', () => {
  const caller = { userId: 'u', isAdmin: false, member: true };
  it('refuses trainers as for an unknown id; leads write; reviewers write only when the project lets them adjudicate', () => {
    const k = kind('open');
    expect(k.access({ ...caller, role: 'trainer' }, { id: 'd', project: project(true) })).toBe('not_found');
    expect(k.access({ ...caller, role: 'lead' }, { id: 'd', project: project(false) })).toBe('write');
    expect(k.access({ ...caller, role: 'reviewer' }, { id: 'd', project: project(true) })).toBe('write');
    expect(k.access({ ...caller, role: 'reviewer' }, { id: 'd', project: project(false) })).toBe('read');
  });
  it('is frozen unless the dispute is open and the project active; unknown disputes have no project', async () => {
    expect(await kind('open').frozen({ id: 'd', project: project(true) })).toBe(false);
    expect(await kind('committed').frozen({ id: 'd', project: project(true) })).toBe(true);
    expect(await kind('open').frozen({ id: 'd', project: project(true, true) })).toBe(true);
    expect(await kind(null).projectOf('d')).toBeNull();
    expect(await kind('open').projectOf('d')).toBe('p');
  });
});
