/**
 * Data migrations: rows written in an older shape are turned into the current one. Each test applies
 * the committed migrations up to a point, writes rows as the code of that time did, applies the
 * next migration and reads the result.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from './client.ts';

const files = readdirSync(MIGRATIONS_DIR)
  .filter((f) => f.endsWith('.sql'))
  .sort();

async function apply(pg: PGlite, file: string) {
  for (const stmt of readFileSync(join(MIGRATIONS_DIR, file), 'utf8').split('--> statement-breakpoint')) if (stmt.trim()) await pg.exec(stmt);
}

const comparison = (levels: number[]) => ({ id: 'overall', target: 'comparison', levels: levels.map((value) => ({ value })) });
const perResponse = { id: 'help', target: 'response', levels: [1, 2, 3].map((value) => ({ value })) };

describe('0006: comparison dimensions in the item order', () => {
  let pg: PGlite;
  const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const P = id(1);
  const U = [id(2), id(3), id(4), id(5), id(6)];

  beforeAll(async () => {
    pg = new PGlite();
    const i = files.findIndex((f) => f.startsWith('0006_'));
    expect(i).toBeGreaterThan(0);
    for (const f of files.slice(0, i)) await apply(pg, f);
    await pg.query(`insert into projects (id, name) values ($1, 'p')`, [P]);
    for (const u of U) await pg.query(`insert into users (id, email, name) values ($1, $2, 'u')`, [u, `${u}@x.test`]);
    await pg.query(`insert into project_members (project_id, user_id, role) values ($1, $2, 'trainer')`, [P, U[0]]);
    // v1: three-level comparison (A / tie / B); v2: a five-level one with other values.
    await pg.query(`insert into rubric_versions (project_id, version, content) values ($1, 1, $2), ($1, 2, $3)`, [
      P,
      JSON.stringify({ dimensions: [perResponse, comparison([0, 1, 2])] }),
      JSON.stringify({ dimensions: [perResponse, comparison([10, 20, 30, 40, 50])] }),
    ]);
    const item = (n: number, ids: string[]) =>
      pg.query(`insert into items (id, project_id, external_id, prompt, responses) values ($1, $2, $3, 'q', $4)`, [id(100 + n), P, `e${n}`, JSON.stringify(ids.map((x) => ({ id: x, model: '', kind: 'markdown', content: x })))]);
    await item(1, ['r1', 'r2']);
    await item(2, ['r1', 'r2', 'r3']);
    const scores = (overall: number) => [
      { dimension: 'help', responseId: 'r1', value: 1 },
      { dimension: 'overall', value: overall },
      { dimension: 'help', responseId: 'r2', value: 3 },
    ];
    const judgment = (n: number, user: string, itemN: number, status: string, version: number | null, order: string[] | null, payload: unknown) =>
      pg.query(`insert into judgments (id, project_id, item_id, user_id, status, rubric_version, response_order, payload) values ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        id(200 + n),
        P,
        id(100 + itemN),
        user,
        status,
        version,
        order ? JSON.stringify(order) : null,
        JSON.stringify(payload),
      ]);
    await judgment(1, U[0]!, 1, 'submitted', 1, ['r2', 'r1'], { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 2 }, scores: scores(0) }); // reversed: "A" was r2
    await judgment(2, U[1]!, 1, 'submitted', 1, ['r1', 'r2'], { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -2 }, scores: scores(0) }); // same order: unchanged
    await judgment(3, U[2]!, 1, 'draft', null, ['r2', 'r1'], { scores: [{ dimension: 'overall', value: 20 }] }); // draft: latest version (v2)
    await judgment(4, U[3]!, 1, 'submitted', null, null, { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 1 }, scores: scores(1) }); // import: no order
    await judgment(5, U[4]!, 2, 'submitted', 1, ['r3', 'r2', 'r1'], { preference: { kind: 'ranking', groups: [['r1']] }, scores: scores(0) }); // three responses
    await judgment(6, U[0]!, 2, 'draft', null, ['r2', 'r1'], { justification: 'no scores yet' });
    await apply(pg, files[i]!);
  }, 120_000);
  afterAll(() => pg?.close());

  const payload = async (n: number) => (await pg.query<{ payload: { scores?: unknown[] } }>(`select payload from judgments where id = $1`, [id(200 + n)])).rows[0]!.payload;

  it('mirrors the comparison value of reversed judgments over the levels of their rubric version, and leaves the rest', async () => {
    expect((await payload(1)).scores).toEqual([
      { dimension: 'help', responseId: 'r1', value: 1 },
      { dimension: 'overall', value: 2 },
      { dimension: 'help', responseId: 'r2', value: 3 },
    ]);
    expect((await payload(1) as { preference: unknown }).preference).toEqual({ kind: 'pairwise', a: 'r1', b: 'r2', value: 2 });
    expect((await payload(2)).scores).toContainEqual({ dimension: 'overall', value: 0 });
    expect((await payload(3)).scores).toEqual([{ dimension: 'overall', value: 40 }]);
    expect((await payload(4)).scores).toContainEqual({ dimension: 'overall', value: 1 });
    expect((await payload(5)).scores).toContainEqual({ dimension: 'overall', value: 0 });
    expect(await payload(6)).toEqual({ justification: 'no scores yet' });
  });

  it('adds the member kind, human by default', async () => {
    const r = await pg.query<{ kind: string }>(`select kind from project_members`);
    expect(r.rows).toEqual([{ kind: 'human' }]);
  });
});
