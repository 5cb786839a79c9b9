/**
 * Justification quality through the API: a justification arguing for the other response is flagged
 * (in the trainer's screen letters), a near-copy of another trainer's justification is flagged
 * without revealing it, the project's blocking choice refuses a submit with a sentence per finding
 * and keeps the draft, and non-blocking findings are stored and counted in the lead's report.
 */
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEAR_COPY_MESSAGE, type JudgmentPayload, type JustificationCheckResult, type JustificationReport, type QueueNext, type Task } from '@accord/core';
import { pagesReadRolledBack, testDatabaseKinds } from '@accord/db/testing';
import type { ApiClient, ErrorBody } from '../utils/client.ts';
import { createFactory, type Factory, type FactoryProject, type FactoryUser } from '../utils/factory.ts';
import { countRows, createTestServer, waitFor, type TestServer } from '../utils/server.ts';
import { judgeQueue, judgment, RECIPE, ROAD_TRIP } from '../utils/work.ts';

const kinds = await testDatabaseKinds();


describe.each(kinds)('justification quality (%s)', (kind) => {
  let t: TestServer;
  let factory: Factory;
  let p: FactoryProject;
  let one: FactoryUser, two: FactoryUser, three: FactoryUser;

  const url = (path: string) => `/api/projects/${p.id}${path}`;
  const next = async (c: ApiClient) => (await c.post<QueueNext>(url('/queue/next'))).body.task!;
  const check = (c: ApiClient, task: Task, payload: Partial<JudgmentPayload>, typing?: { typedChars: number; pastedChars: number }) =>
    c.post<JustificationCheckResult & ErrorBody>(url(`/assignments/${task.assignmentId}/justification-check`), { payload, ...(typing ? { typing } : {}) });
  const submit = (c: ApiClient, task: Task, payload: JudgmentPayload, typing?: { typedChars: number; pastedChars: number }) =>
    c.post<{ judgment: { id: string } } & ErrorBody>(url(`/assignments/${task.assignmentId}/submit`), { payload, timeSpentMs: 60_000, ...(typing ? { typing } : {}) });
  const report = async () => (await p.lead.client.get<JustificationReport>(url('/justifications/report'))).body;

  beforeAll(async () => {
    t = await createTestServer(kind);
    factory = createFactory(await t.as('admin'), t.server.deps);
    p = await factory.project({ name: 'Justifications', items: 8, trainers: 3 });
    [one, two, three] = p.trainers as [FactoryUser, FactoryUser, FactoryUser];
  });
  afterAll(() => t?.close());

  it('flags a justification that argues for the response the judgment does not prefer, in the letters of the screen', async () => {
    const task = await next(one.client);
    const against = judgment(task, 'A', 'Response B is better: Response A rambles and ignores the actual question about the sky.');
    const c = await check(one.client, task, against);
    expect(c.status).toBe(200);
    expect(c.body.findings).toEqual([{ kind: 'contradicts', message: 'The justification argues for Response B, but your judgment prefers Response A.', blocks: false }]);
    // The same words under a judgment for B are consistent.
    expect((await check(one.client, task, judgment(task, 'B', against.justification))).body.findings).toEqual([]);
    // Not blocking by default: stored with the judgment.
    expect((await submit(one.client, task, against)).status).toBe(200);
  });

  it('flags a near-copy of another trainer’s justification without revealing whose or which', async () => {
    const first = await next(one.client);
    expect((await submit(one.client, first, judgment(first, 'A', RECIPE))).status).toBe(200);
    const task = await next(two.client);
    // Case, punctuation and one changed word do not hide a copy.
    const copy = RECIPE.toLowerCase().replace(/,/g, '').replace('use them', 'use them at all');
    const c = await check(two.client, task, judgment(task, 'A', copy));
    expect(c.status).toBe(200);
    expect(c.body.findings).toEqual([{ kind: 'nearCopy', message: NEAR_COPY_MESSAGE, blocks: false }]);
    expect(c.text).not.toContain(one.email);
    expect(c.text).not.toContain(one.name);
    expect(c.text).not.toContain(one.id);
    // A justification of one's own words is not a copy.
    expect((await check(two.client, task, judgment(task, 'A', ROAD_TRIP))).body.findings).toEqual([]);
    expect((await submit(two.client, task, judgment(task, 'A', copy))).status).toBe(200);
  });

  it('names the lowest-scored dimension when the text does not mention it, and reports pasting as the client counted it', async () => {
    const task = await next(three.client);
    const low = judgment(task, 'A', 'A is the better answer overall and reads more naturally than B does.', 1);
    const c = await check(three.client, task, low, { typedChars: 20, pastedChars: 400 });
    expect(c.body.findings.map((f) => f.kind)).toEqual(['missingDimensions', 'pasted']);
    expect(c.body.findings[0]).toMatchObject({ message: 'The justification does not mention Helpfulness, which you scored lowest.', dimensions: ['helpfulness'] });
    const mentioned = judgment(task, 'A', 'A is far more helpful; B is not useful for the question that was asked at all.', 1);
    expect((await check(three.client, task, mentioned, { typedChars: 400, pastedChars: 0 })).body.findings).toEqual([]);
    expect((await submit(three.client, task, low, { typedChars: 20, pastedChars: 400 })).status).toBe(200);
  });

  it('gives leads and reviewers the rates per trainer and for the project; trainers get 403', async () => {
    const r = await report();
    expect(r.totals.checked).toBe(4);
    expect(r.totals.findings).toEqual({
      contradicts: { count: 1, rate: 0.25 },
      missingDimensions: { count: 1, rate: 0.25 },
      nearCopy: { count: 1, rate: 0.25 },
      pasted: { count: 1, rate: 0.25 },
    });
    const by = new Map(r.trainers.map((x) => [x.email, x]));
    expect(by.get(one.email)).toMatchObject({ checked: 2, findings: { contradicts: { count: 1, rate: 0.5 }, nearCopy: { count: 0, rate: 0 } } });
    expect(by.get(two.email)).toMatchObject({ checked: 1, findings: { nearCopy: { count: 1, rate: 1 } } });
    expect(by.get(three.email)).toMatchObject({ checked: 1, findings: { missingDimensions: { count: 1, rate: 1 }, pasted: { count: 1, rate: 1 } } });
    expect((await p.reviewer.client.get(url('/justifications/report'))).status).toBe(200);
    const denied = await one.client.get<ErrorBody>(url('/justifications/report'));
    expect(denied.status).toBe(403);
  });

  it('refuses a submit with the findings the project blocks, one sentence each, and keeps the draft', async () => {
    const bad = await p.lead.client.patch<ErrorBody>(url('/settings'), { justificationChecks: { block: ['contradicts', 'sloppy'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ path: expect.stringMatching(/^body\.justificationChecks\.block\.1/) })]);
    const set = await p.lead.client.patch<{ justificationChecks: { block: string[]; nearCopyThreshold: number } }>(url('/settings'), { justificationChecks: { block: ['contradicts', 'nearCopy'] } });
    expect(set.status).toBe(200);
    expect(set.body.justificationChecks).toMatchObject({ block: ['contradicts', 'nearCopy'], nearCopyThreshold: 0.8 });

    const task = await next(three.client);
    const against = judgment(task, 'B', 'The first response is accurate and complete, while the second one misreads the question entirely.');
    await three.client.request('PUT', url(`/assignments/${task.assignmentId}/draft`), { payload: against });
    const c = await check(three.client, task, against);
    expect(c.body.block).toEqual(['contradicts', 'nearCopy']);
    expect(c.body.findings).toEqual([{ kind: 'contradicts', message: 'The justification argues for Response A, but your judgment prefers Response B.', blocks: true }]);

    const refused = await submit(three.client, task, against);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('validation_failed');
    expect(refused.body.error.message).toContain('The justification argues for Response A, but your judgment prefers Response B.');
    expect(refused.body.error.details).toEqual([{ path: 'body.payload.justification', message: 'The justification argues for Response A, but your judgment prefers Response B.' }]);
    // Nothing was stored: the same task comes back with its draft.
    const again = await next(three.client);
    expect(again.assignmentId).toBe(task.assignmentId);
    expect(again.draft?.justification).toBe(against.justification);

    // A near-copy is refused too, without saying whose text it copies.
    const own = await submit(three.client, task, judgment(task, 'A', ROAD_TRIP.replace('Response A', 'A').replace('Response B', 'B')));
    expect(own.status).toBe(200); // ROAD_TRIP was only checked, never submitted: nothing to copy
    const task2 = await next(two.client);
    const copy = await submit(two.client, task2, judgment(task2, 'A', RECIPE));
    expect(copy.status).toBe(400);
    expect(copy.body.error.details).toEqual([{ path: 'body.payload.justification', message: NEAR_COPY_MESSAGE }]);
    expect(copy.text).not.toContain(one.email);
    // Fixed, it goes through.
    expect((await submit(two.client, task2, judgment(task2, 'A', 'A explains the scattering of short wavelengths correctly; B blames the ocean, which is a myth.'))).status).toBe(200);

    const r = await report();
    expect(r.block).toEqual(['contradicts', 'nearCopy']);
    expect(r.totals.checked).toBe(6);
    // Refused submits were not stored, so they are not counted.
    expect(r.totals.findings.contradicts.count).toBe(1);
  });

  it('the near-copy lookup reads a bounded number of pages, whatever the statistics said when its plan was made', async () => {
    // A plan made while the tables were (nearly) empty, and kept as they grew, read both tables whole on
    // every submit (migration 0040). One transaction, so one connection and its plans; rolled back.
    const keys = '{1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16}';
    const zero = '00000000-0000-0000-0000-000000000000';
    const lookup = sql`select count(*) from accord_justification_candidates(${keys}::int[], ${p.id}::uuid, 25, 200, ${zero}::uuid)`;
    const pages = await pagesReadRolledBack(t.db.db, async (tx) => {
      // The checks' judgments and users need not exist here (no foreign-key triggers in this
      // transaction). First: changing this setting drops the session's plans.
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(sql`analyze justification_bands, justification_checks`);
      // Beyond the five custom plans PostgreSQL makes before it may keep a generic one.
      for (let i = 0; i < 8; i++) await tx.execute(lookup);
      await tx.execute(sql`insert into justification_checks (judgment_id, project_id, user_id, kinds, findings, signature)
        select gen_random_uuid(), ${p.id}::uuid, ${one.id}::uuid, '{}', '[]', array[g, g + 1] from generate_series(1, 5000) g`);
      await tx.execute(sql`insert into justification_bands (project_id, band_key, judgment_id)
        select c.project_id, 1000 + (c.signature[1] * 16 + b) % 100000, c.judgment_id
        from justification_checks c cross join generate_series(0, 15) b where c.project_id = ${p.id}::uuid and c.signature[2] = c.signature[1] + 1`);
      return lookup;
    });
    // About 16 index probes of the bands and none of the checks; reading both tables whole is thousands.
    expect(pages).toBeGreaterThan(0);
    expect(pages).toBeLessThan(300);
  });

  it('a deleted user or project takes its justification checks and bands with it (they have no keys to either)', async () => {
    // Migration 0041: the checks follow their judgments, the bands go with their project by a trigger.
    const count = (table: string, where: SQL) => countRows(t.db, table, where);
    const q = await factory.project({ name: 'Deleted with its checks', items: 2, trainers: 2, settings: { overlap: 2, goldRate: 0 } });
    // Another project, whose bands must stay.
    const r = await factory.project({ name: 'Kept', items: 1, trainers: 1, settings: { overlap: 1, goldRate: 0 } });
    const texts = [
      'Response A walks through every step of the proof and names the theorem it relies on, so the reader can check it.',
      'The second answer invents a citation and its arithmetic in the third line is wrong, which undermines the rest.',
      'Both mention the boiling point, but only the first adjusts it for altitude as the question explicitly asked.',
      'A is shorter yet covers the edge case of an empty list, which B silently ignores while looking more thorough.',
    ];
    let n = 0;
    for (const [project, trainers] of [[q, q.trainers], [r, r.trainers]] as const)
      for (const trainer of trainers) await judgeQueue(trainer.client, project.id, (task) => judgment(task, 'A', texts[n++ % texts.length]!));
    expect(n).toBe(5);
    const ofProject = sql`project_id = ${q.id}`;
    expect(await count('justification_checks', ofProject)).toBe(4);
    expect(await count('justification_bands', ofProject)).toBeGreaterThanOrEqual(16);
    const othersBands = await count('justification_bands', sql`project_id = ${r.id}`);
    expect(othersBands).toBeGreaterThan(0);

    // The items' consensus is computed in the background (its queue entry goes when it is done);
    // deleted under it, its insert would fail.
    await waitFor(async () => (await count('consensus_pending', ofProject)) === 0, { timeout: 60_000, message: 'the consensus queue of the project emptied' });
    // Likewise the submits' quality refresh, drained in the background (migration 0038). A delete
    // under a drain deadlocked with it: the delete's own refresh waits for the drain's new
    // quality_items rows, and the drain's foreign-key check for the deleted judgments.
    const ofBoth = sql`project_id in (${q.id}, ${r.id})`;
    await waitFor(async () => (await count('quality_pending', ofBoth)) === 0, { timeout: 60_000, message: 'the quality refreshes of both projects drained' });

    const gone = q.trainers[1]!.id;
    await t.db.db.execute(sql`delete from users where id = ${gone}`);
    expect(await count('justification_checks', sql`user_id = ${gone}`)).toBe(0);
    expect(await count('justification_checks', ofProject)).toBe(2);

    await t.db.db.execute(sql`delete from projects where id = ${q.id}`);
    for (const table of ['justification_checks', 'justification_bands', 'consensus_pending']) expect(await count(table, ofProject), table).toBe(0);
    // Another project's are untouched.
    expect(await count('justification_bands', sql`project_id = ${r.id}`)).toBe(othersBands);
  });
});
