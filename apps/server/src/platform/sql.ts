/** SQL helpers shared by the repositories. */
import type { SQL } from 'drizzle-orm';
import type { Db, Tx } from '@accord/db';

/** A row as a driver returns it (column name → value). */
export type RawRow = Record<string, unknown>;

/** The rows of a drizzle `sql` statement, as the driver returns them. */
export async function rows(dbx: Db | Tx, q: SQL): Promise<RawRow[]> {
  return ((await dbx.execute(q)) as unknown as { rows: RawRow[] }).rows;
}

type PgQueryable = { query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: RawRow[] }> };
type PgPool = PgQueryable & { totalCount: number };
type PgliteQueryable = { query(text: string, values: unknown[]): Promise<{ rows: RawRow[] }> };

/** The connection drizzle runs `dbx`'s statements on: node-postgres's pool (a database) or pooled client (a transaction), or PGlite's. */
const clientOf = (dbx: Db | Tx): unknown => (dbx as unknown as { session: { client: unknown } }).session.client;

/** node-postgres's pool behind a database on PostgreSQL; null on PGlite. */
export function pgPool(db: Db): PgPool | null {
  const client = clientOf(db) as Partial<PgPool>;
  return typeof client.totalCount === 'number' ? (client as PgPool) : null;
}

/**
 * A hot statement with fixed text and positional parameters, on a database or in a transaction: on
 * PostgreSQL a named prepared statement (parsed and planned once per connection, then only bound and
 * run, and not built through drizzle on every call); on PGlite as any other query. `name` stands for
 * one SQL text. Rows come as the driver gives them: mappers accept both drivers' value types (Date or
 * text, parsed JSON or text, numbers or text).
 */
export async function prepared(dbx: Db | Tx, name: string, text: string, values: unknown[]): Promise<RawRow[]> {
  // node-postgres's pool (a database) or pooled client (a transaction) take a named statement; PGlite does not.
  const client = clientOf(dbx) as Partial<PgPool & { release(): void }>;
  if (typeof client.totalCount === 'number' || typeof client.release === 'function') return (await (client as PgQueryable).query({ name, text, values })).rows;
  return (await (client as unknown as PgliteQueryable).query(text, values)).rows;
}

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
