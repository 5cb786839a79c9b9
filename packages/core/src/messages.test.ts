import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CreateCalibrationBodySchema, ImportItemSchema } from './index.ts';

const first = (schema: z.ZodType, input: unknown) => {
  const r = schema.safeParse(input);
  if (r.success) throw new Error('expected a failure');
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('plain validation messages (installed with @accord/core)', () => {
  it('names what is wrong in words, not zod’s defaults', () => {
    expect(first(z.object({ prompt: z.string() }), {})).toEqual(['prompt: is required']);
    expect(first(z.object({ prompt: z.string() }), { prompt: 3 })).toEqual(['prompt: must be a string (got a number)']);
    expect(first(z.array(z.string()).min(1), [])).toEqual([': needs at least one item']);
    expect(first(z.array(z.string()).min(2), ['a'])).toEqual([': needs at least 2 items']);
    expect(first(z.array(z.string()).max(2), ['a', 'b', 'c'])).toEqual([': may have at most 2 items']);
    expect(first(z.string().min(1), '')).toEqual([': must not be empty']);
    expect(first(z.string().max(3), 'abcd')).toEqual([': must have at most 3 characters']);
    expect(first(z.number().int().min(1), 0)).toEqual([': must be at least 1']);
    expect(first(z.number().int(), 1.5)).toEqual([': must be a whole number (got a number)']);
    expect(first(z.number().lt(5), 5)).toEqual([': must be less than 5']);
    expect(first(z.enum(['a', 'b']), 'c')).toEqual([': must be one of "a", "b"']);
    expect(first(z.literal('x'), 'y')).toEqual([': must be "x"']);
    expect(first(z.string().email(), 'nope')).toEqual([': must be an email address']);
    expect(first(z.uuid(), 'nope')).toEqual([': must be an id (a UUID)']);
    expect(first(z.strictObject({ a: z.string() }), { a: 'x', b: 1, c: 2 })).toEqual([': has unknown fields: b, c']);
    expect(first(z.boolean(), null)).toEqual([': must be true or false (got null)']);
    expect(first(z.array(z.string()), {})).toEqual([': must be a list (got an object)']);
  });

  it('keeps a schema’s own message', () => {
    expect(first(z.string().min(1, { message: 'say something' }), '')).toEqual([': say something']);
  });

  it('reaches the real schemas: an import row without a prompt, a calibration session without participants', () => {
    expect(first(ImportItemSchema, { externalId: 'a', responses: [] }).some((m) => m === 'prompt: is required')).toBe(true);
    const issues = first(CreateCalibrationBodySchema, { title: 'T', participants: [], items: [] });
    expect(issues.some((m) => /^participants: needs at least one/.test(m))).toBe(true);
    expect(issues.join('\n')).not.toMatch(/Too small|Invalid input|expected array/);
  });
});
