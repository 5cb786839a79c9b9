import type { z } from 'zod';
import type { FieldIssue } from './errors.ts';

/** Flattens zod issues into `{ path, message }` pairs whose path names the field, e.g. `body.email`. */
export function issuesOf(error: z.ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    return { path: path || prefix || '(root)', message: i.message };
  });
}

/** One readable sentence for an error message: "body.email: must be a valid email address". */
export function describeIssues(issues: FieldIssue[]): string {
  const shown = issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return shown.join('; ') + more;
}
