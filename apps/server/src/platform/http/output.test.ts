import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { QueueNextSchema, SubmitResultSchema, UserSchema } from '@accord/core';
import { routeTable } from '../../routes.ts';
import { compileOutput } from './output.ts';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const at = '2026-12-01T10:00:00.000Z';

function task(extra: Record<string, unknown> = {}) {
  return {
    task: {
      assignmentId: uuid(1),
      taskKind: 'pairwise',
      item: {
        id: uuid(2),
        prompt: 'Explain TCP.',
        context: [{ role: 'user', content: 'hi', secret: 'context field' }],
        responses: [
          { id: 'r1', kind: 'markdown', content: 'A', model: 'gpt-x', gold: 'hidden' },
          { id: 'r2', kind: 'markdown', content: 'B' },
        ],
        reference: null,
        gold: { label: 'r1' },
        metadata: { source: 'x' },
        ...extra,
      },
      responseOrder: ['r2', 'r1'],
      canonicalOrder: ['r1', 'r2'],
      reservedAt: at,
      expiresAt: at,
      rubric: { version: 1, content: { dimensions: [{ id: 'd' }], anything: { nested: true } } },
      draft: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 1 }, justification: 'so' },
      timeSpentMs: 0,
      isGold: true,
    },
    progress: { done: 1, reserved: 1, available: 3, left: 4, eligible: true, reason: null, otherTrainers: ['x'] },
  };
}

describe('compileOutput (response shaping)', () => {
  it('builds exactly what zod parse builds, unlisted fields stripped at every depth', () => {
    const shape = compileOutput(QueueNextSchema);
    const v = task();
    const out = shape(v);
    expect(out).toStrictEqual(QueueNextSchema.parse(v));
    const t = (out as { task: Record<string, unknown> & { item: Record<string, unknown> & { responses: Record<string, unknown>[]; context: Record<string, unknown>[] } } }).task;
    expect(t).not.toHaveProperty('isGold');
    expect(t.item).not.toHaveProperty('gold');
    expect(t.item).not.toHaveProperty('metadata');
    expect(t.item.context[0]).not.toHaveProperty('secret');
    expect(t.item.responses[0]).not.toHaveProperty('gold');
    expect(out).not.toHaveProperty('progress.otherTrainers');
    // Records of unknown values are kept as they are (as zod keeps them).
    expect(t.rubric).toEqual({ version: 1, content: { dimensions: [{ id: 'd' }], anything: { nested: true } } });
  });

  it('throws as zod does when a value does not fit (type, missing field, strict object, union)', () => {
    const shape = compileOutput(QueueNextSchema);
    const bad = [
      (v: ReturnType<typeof task>) => ((v.task as Record<string, unknown>).timeSpentMs = 1.5),
      (v: ReturnType<typeof task>) => delete (v.task as Record<string, unknown>).expiresAt,
      (v: ReturnType<typeof task>) => ((v.task as Record<string, unknown>).taskKind = 'essay'),
      (v: ReturnType<typeof task>) => ((v.task.draft as Record<string, unknown>).extra = 1),
      (v: ReturnType<typeof task>) => ((v.task.draft.preference as Record<string, unknown>).kind = 'nope'),
      (v: ReturnType<typeof task>) => ((v.task as Record<string, unknown>).reservedAt = 17),
    ];
    for (const spoil of bad) {
      const v = task();
      spoil(v);
      expect(() => QueueNextSchema.parse(v)).toThrow();
      expect(() => shape(v)).toThrow(z.ZodError);
    }
  });

  it('strips the password hash and other columns of a user row', () => {
    const shape = compileOutput(UserSchema);
    const row = { id: uuid(3), email: 'a@b.c', name: 'A', isAdmin: false, active: true, placeholder: false, createdAt: at, passwordHash: 'scrypt$…' };
    expect(shape(row)).toStrictEqual(UserSchema.parse(row));
    expect(shape(row)).not.toHaveProperty('passwordHash');
  });

  it('shapes a submit result', () => {
    const shape = compileOutput(SubmitResultSchema);
    const v = {
      judgment: {
        id: uuid(4),
        projectId: uuid(5),
        itemId: uuid(2),
        userId: uuid(6),
        assignmentId: uuid(1),
        status: 'submitted',
        source: 'accord',
        rubricVersion: 1,
        payload: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 1 } },
        responseOrder: ['r2', 'r1'],
        timeSpentMs: 100,
        createdAt: at,
        submittedAt: at,
        updatedAt: at,
        item: { externalId: null, prompt: 'p', gold: 'x' },
        user: { name: 'A', email: 'a@b.c', passwordHash: 'x' },
      },
      repeated: false,
    };
    expect(shape(v)).toStrictEqual(SubmitResultSchema.parse(v));
  });

  it('compiles every response schema of the route table', () => {
    for (const r of routeTable) expect(typeof compileOutput(r.response)).toBe('function');
  });
});
