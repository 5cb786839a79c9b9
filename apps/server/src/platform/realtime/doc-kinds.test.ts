import { describe, expect, it } from 'vitest';
import type { ProjectRow } from '../http/context.ts';
import type { BusEventName, BusEvents } from '../bus.ts';
import { createDocKinds, type DocKindDef } from './doc-kinds.ts';

const P = '11111111-1111-4111-8111-111111111111';
const D = '22222222-2222-4222-8222-222222222222';
const project = (archivedAt: Date | null) => ({ id: P, archivedAt }) as unknown as ProjectRow;

/** A second kind, the way disputes will register: its own project lookup, access rule, freezing and commit. */
function disputeKind(committed: Set<string>): DocKindDef {
  return {
    prefix: 'dispute',
    projectOf: async (id) => (id === D ? P : null),
    access: ({ role, isAdmin }) => (role === 'lead' || isAdmin ? 'write' : role === 'reviewer' ? 'read' : { refuse: 'Only leads and reviewers see disputes.' }),
    frozen: ({ id, project: p }) => p.archivedAt !== null || committed.has(id),
    hooks: {
      commit: async (id) => {
        committed.add(id);
      },
    },
  };
}

/** A kind with nothing but defaults, like a first draft of a new feature's kind. */
const draftKind = (): DocKindDef => ({ prefix: 'rubric', projectOf: (id) => id, access: () => 'write', frozen: ({ project: p }) => p.archivedAt !== null });

function recorder() {
  const emitted: Array<{ name: BusEventName; payload: unknown }> = [];
  return { emitted, emit: async <K extends BusEventName>(name: K, payload: BusEvents[K]) => void emitted.push({ name, payload }) };
}

describe('document kinds registry', () => {
  it('resolves names to their kind and id; malformed names and unregistered kinds resolve to nothing', async () => {
    const kinds = createDocKinds([draftKind(), disputeKind(new Set())], recorder());
    expect(kinds.prefixes).toEqual(['rubric', 'dispute']);
    expect(kinds.resolve(`rubric:${P}`)).toMatchObject({ id: P, kind: { prefix: 'rubric' } });
    expect(kinds.resolve(`dispute:${D}`)).toMatchObject({ id: D, kind: { prefix: 'dispute' } });
    expect(kinds.resolve(`calibration:${P}`)).toBeNull();
    expect(kinds.resolve("rubric:ABCDEF00-1111-4111-8111-111111111111")).toBeNull();
    expect(kinds.resolve('rubric:')).toBeNull();
    expect(await kinds.projectOf(`rubric:${P}`)).toBe(P);
    expect(await kinds.projectOf(`dispute:${D}`)).toBe(P);
    expect(await kinds.projectOf(`dispute:${P}`)).toBeNull();
    expect(await kinds.projectOf(`calibration:${P}`)).toBeNull();
  });

  it('refuses a kind registered twice', () => {
    expect(() => createDocKinds([draftKind(), draftKind()], recorder())).toThrow('registered twice');
  });

  it('commit runs the kind’s hook, after which the kind answers frozen, and announces doc:committed on the bus', async () => {
    const committed = new Set<string>();
    const bus = recorder();
    const kinds = createDocKinds([draftKind(), disputeKind(committed)], bus);
    const dispute = kinds.resolve(`dispute:${D}`)!.kind;
    expect(await dispute.frozen({ id: D, project: project(null) })).toBe(false);
    await kinds.commit(`dispute:${D}`, 'actor');
    expect(await dispute.frozen({ id: D, project: project(null) })).toBe(true);
    expect(bus.emitted).toEqual([{ name: 'doc:committed', payload: { doc: `dispute:${D}` } }]);
    // A kind without a commit hook cannot be committed, and nothing is announced.
    await expect(kinds.commit(`rubric:${P}`, 'actor')).rejects.toThrow('cannot be committed');
    expect(bus.emitted).toHaveLength(1);
  });
});
