import { describe, expect, it } from 'vitest';
import { CreateProjectBodySchema, CreateUserBodySchema } from '@accord/core';
import { ApiError } from '../api/errors.ts';
import { capitalize, formErrorsFrom, validate } from './forms.ts';

describe('validate', () => {
  it('returns the parsed body', () => {
    const r = validate(CreateProjectBodySchema, { name: '  Helpfulness ', description: '', taskKind: 'ranking' }, ['name']);
    expect(r).toEqual({ ok: true, data: { name: 'Helpfulness', description: '', taskKind: 'ranking' } });
  });

  it('puts issues next to the fields the form shows', () => {
    const r = validate(CreateUserBodySchema, { email: 'nope', name: 'A', password: 'short', isAdmin: false }, ['email', 'name', 'password']);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.fields).toEqual({ email: 'must be a valid email address', password: 'must be at least 10 characters' });
      expect(r.errors.message).toBe('');
    }
  });
});

describe('formErrorsFrom', () => {
  it('maps server field errors and keeps the rest as the message', () => {
    const e = new ApiError(400, 'validation_failed', 'invalid', [
      { path: 'body.email', message: 'is taken' },
      { path: 'body.extra', message: 'unknown key' },
    ]);
    expect(formErrorsFrom(e, ['email'])).toEqual({ fields: { email: 'is taken' }, message: 'Extra: unknown key' });
  });

  it('uses the API message for other errors', () => {
    const e = new ApiError(409, 'conflict', 'A user with this email already exists.');
    expect(formErrorsFrom(e, ['email'])).toEqual({ fields: {}, message: 'A user with this email already exists.' });
  });
});

it('capitalize', () => {
  expect(capitalize('must be set')).toBe('Must be set');
  expect(capitalize('')).toBe('');
});
