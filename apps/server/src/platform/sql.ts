/** SQL helpers shared by the repositories. */

/** A uuid[] literal (`{a,b}`, cast with `::uuid[]`) of ids read from the database or validated as uuids. */
export const uuidArray = (ids: readonly string[]) => `{${ids.join(',')}}`;

/** An int[] literal (`{1,2}`, cast with `::int[]`); each value truncated to an integer. */
export const intArray = (xs: readonly number[]) => `{${xs.map((x) => x | 0).join(',')}}`;

/** Escapes `%`, `_` and `\` so user text in an ILIKE pattern matches literally. */
export const escapeLike = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

/** PostgreSQL's codes for a transaction that lost a deadlock or a serialization conflict. */
const RETRYABLE = new Set(['40P01', '40001']);

/** Whether the error (or one it wraps, as drizzle does) says the transaction lost a deadlock. */
export function isDeadlock(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE.has(code)) return true;
  }
  return false;
}

/**
 * Runs a transaction (or one statement), again when it lost a deadlock: PostgreSQL rolled it back
 * whole, so running it again neither loses nor repeats anything. Gives up after five attempts.
 */
export async function retryingDeadlocks<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= 4 || !isDeadlock(e)) throw e;
    }
  }
}
