/**
 * Form errors, from client-side validation (the same core schemas the server uses) or from the
 * server's `validation_failed` details. Field errors go next to their field; anything that names no
 * visible field becomes the form's message, so no error is ever silently dropped.
 */
import type { FieldIssue } from '@accord/core';
import { ApiError, fieldErrors, messageOf } from '../api/errors.ts';

export interface FormErrors {
  fields: Record<string, string>;
  message: string;
}

export const NO_ERRORS: FormErrors = { fields: {}, message: '' };

function formErrorsFromIssues(issues: readonly FieldIssue[], fields: readonly string[], fallback = ''): FormErrors {
  const all = fieldErrors(issues);
  const out: Record<string, string> = {};
  const rest: string[] = [];
  for (const [path, message] of Object.entries(all)) {
    if (fields.includes(path)) out[path] = message;
    else rest.push(path ? `${path}: ${message}` : message);
  }
  const message = rest.length ? capitalize(rest.join('; ')) : Object.keys(out).length ? '' : fallback;
  return { fields: out, message };
}

/** Errors for any thrown value; `fields` lists the inputs the form shows. */
export function formErrorsFrom(e: unknown, fields: readonly string[]): FormErrors {
  if (e instanceof ApiError && e.details.length) return formErrorsFromIssues(e.details, fields, e.message);
  return { fields: {}, message: messageOf(e) };
}

interface ParseResult<T> {
  success: boolean;
  data?: T;
  error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] };
}

/** Validates with a core schema before sending; issues are prefixed `body.` like the server's. */
export function validate<T>(
  schema: { safeParse(input: unknown): ParseResult<T> },
  input: unknown,
  fields: readonly string[],
): { ok: true; data: T } | { ok: false; errors: FormErrors } {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, data: r.data as T };
  const issues = (r.error?.issues ?? []).map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message }));
  return { ok: false, errors: formErrorsFromIssues(issues, fields, 'Please check the form.') };
}

export function capitalize(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}
