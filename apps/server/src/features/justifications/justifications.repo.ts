/**
 * Justification checks in SQL: the only code of the justifications feature that speaks to the
 * database. Near-copy candidates are one lookup of the `justification_bands` primary key (project,
 * band key) joined to the candidates' signatures; a submitted judgment's checks and bands are one
 * statement.
 */
import { sql } from 'drizzle-orm';
import type { JustificationFinding } from '@accord/core';
import type { Db } from '@accord/db';
import { intArray, prepared, rows } from '../../platform/sql.ts';

/** A PostgreSQL integer[] literal. */
const ints = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : typeof v === 'string' ? v.replace(/[{}]/g, '').split(',').filter(Boolean).map(Number) : []);

export interface StoredCheck {
  judgmentId: string;
  projectId: string;
  userId: string;
  findings: JustificationFinding[];
  /** Signed 32-bit MinHash values, or null when the text is not compared. */
  signature: number[] | null;
  bandKeys: number[];
  typedChars: number | null;
  pastedChars: number | null;
}

export interface TrainerCounts {
  userId: string;
  name: string;
  email: string;
  checked: number;
  counts: Record<string, number>;
}

/** Candidates looked at per check: band collisions beyond this many are not compared. */
const MAX_CANDIDATES = 200;
/**
 * Rows read per band key: each key's share of the candidates, so the lookup stays a bounded index
 * probe per key however many judgments share a key (a project where many justifications are the
 * same text would otherwise read and de-duplicate all of their band rows on every submit).
 */
const PER_BAND = 25;

/** The uuid no judgment has: "leave none out" for the lookup's `except` argument. */
const NO_JUDGMENT = '00000000-0000-0000-0000-000000000000';

/**
 * The near-copy lookup as a column of another feature's statement (judging reads it with the assignment
 * a submit stores: one round trip for both; deps.ts wires it). `keys`: the statement's int[] parameter of band keys (NULL:
 * no lookup); `project`: its uuid parameter. The column is the candidates' signatures as a JSON array
 * of arrays (NULL without keys); `candidatesOf` reads it.
 */
export const candidatesColumn = (keys: string, project: string) =>
  `case when ${keys}::int[] is null then null else (select coalesce(json_agg(s), '[]') from accord_justification_candidates(${keys}::int[], ${project}::uuid, ${PER_BAND}, ${MAX_CANDIDATES}, '${NO_JUDGMENT}'::uuid) s) end`;

/** The signatures of a `candidatesColumn` value. */
export const candidatesOf = (v: unknown): number[][] => (Array.isArray(v) ? v.map(ints) : []);

export function createJustificationsRepo(db: Db) {
  return {
    /** Signatures of the project's judgments that share a band key with these (never `exceptJudgmentId`). */
    async candidates(projectId: string, keys: readonly number[], exceptJudgmentId: string | null): Promise<number[][]> {
      // On every submit: a named statement (planned once per connection) calling the lookup, whose own
      // plans read no table whole whatever the statistics said when they were made (migration 0040).
      const got = await prepared(
        db,
        'accord_justification_candidates',
        `select s as signature from accord_justification_candidates($1::int[], $2::uuid, $3::int, $4::int, $5::uuid) s`,
        [intArray(keys), projectId, PER_BAND, MAX_CANDIDATES, exceptJudgmentId ?? NO_JUDGMENT],
      );
      return got.map((r) => ints(r.signature));
    },

    /** Stores a judgment's checks and its bands in one statement; a repeat changes nothing. */
    async store(c: StoredCheck): Promise<void> {
      await db.execute(
        sql`with c as (
              insert into justification_checks (judgment_id, project_id, user_id, kinds, findings, signature, typed_chars, pasted_chars)
              values (${c.judgmentId}, ${c.projectId}, ${c.userId}, ${`{${c.findings.map((f) => f.kind).join(',')}}`}::text[], ${JSON.stringify(c.findings)}::jsonb,
                      ${c.signature ? intArray(c.signature) : null}::int[], ${c.typedChars}, ${c.pastedChars})
              on conflict (judgment_id) do nothing
              returning judgment_id, project_id
            )
            insert into justification_bands (project_id, band_key, judgment_id)
            select c.project_id, k, c.judgment_id from c, unnest(${intArray(c.bandKeys)}::int[]) k
            on conflict do nothing`,
      );
    },

    /** Per trainer: checked judgments and how many carry each finding. */
    async counts(projectId: string, kinds: readonly string[]): Promise<TrainerCounts[]> {
      const got = await rows(
        db,
        sql`select c.user_id, u.name, u.email, count(*)::int as checked,
              ${sql.join(
                kinds.map((k, i) => sql`(count(*) filter (where ${k} = any(c.kinds)))::int as ${sql.raw(`k${i}`)}`),
                sql`, `,
              )}
            from justification_checks c join users u on u.id = c.user_id
            where c.project_id = ${projectId}
            group by c.user_id, u.name, u.email
            order by u.name, u.email`,
      );
      return got.map((r) => ({
        userId: r.user_id as string,
        name: r.name as string,
        email: r.email as string,
        checked: Number(r.checked),
        counts: Object.fromEntries(kinds.map((k, i) => [k, Number(r[`k${i}`])])),
      }));
    },
  };
}

export type JustificationsRepo = ReturnType<typeof createJustificationsRepo>;
