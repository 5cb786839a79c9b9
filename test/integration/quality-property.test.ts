/**
 * Property: the figures the database keeps incrementally (per-item contributions updated in each
 * judgment's transaction) equal a full recompute with @accord/metrics from the stored judgments,
 * after any sequence of submits (through the queue) and imported judgments (new ones, and changed
 * ones that replace earlier values, judgments that are no longer submitted, judgments deleted from the
 * database, and items whose gold is set, changed or removed by importing the items again). Also for multi-label
 * classification: per-label α, the picks and MASI α kept from the label scopes equal @accord/metrics
 * on the stored label sets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import type { AnnotatorStats, Item, Judgment, Leaderboard, ProjectAgreement, RubricDraft, Task } from '@accord/core';
import { bradleyTerry, cohenKappa, krippendorffAlpha, labelAlphas, pairwiseCounts, percentAgreement, setAlpha, type Comparison } from '@accord/metrics';
import { testDatabaseKinds } from '@accord/db/testing';
import type { ApiClient } from '../utils/client.ts';
import { createQualityRepo } from '../../apps/server/src/features/quality/quality.repo.ts';
import { createFactory, type Factory } from '../utils/factory.ts';
import { createTestServer, type TestServer } from '../utils/server.ts';
import { importFile, jsonlOf, pairItem, storedCountsDiff, validJudgment } from '../utils/work.ts';

const kinds = await testDatabaseKinds();

const LABELS = ['toxic', 'insult', 'threat', 'spam'];
const TAX: RubricDraft = {
  dimensions: [],
  precedence: [],
  justification: { minWords: 0, maxWords: 100 },
  spanCategories: [],
  flags: [],
  rating: null,
  taxonomy: { multiLabel: true, labels: LABELS.map((id) => ({ id, name: id, parent: null, description: '' })) },
};
/** A non-empty subset of LABELS from a 4-bit mask (1–15). */
const labelsOf = (mask: number) => LABELS.filter((_, i) => mask & (1 << i));

async function allJudgments(c: ApiClient, projectId: string): Promise<Judgment[]> {
  const out: Judgment[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = (await c.get<{ items: Judgment[]; total: number }>(`/api/projects/${projectId}/judgments?limit=500&offset=${offset}`)).body;
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

describe.each(kinds)('incremental quality figures equal a full recompute (%s)', (kind) => {
  let t: TestServer;
  let factory: Factory;

  beforeAll(async () => {
    t = await createTestServer(kind);
    factory = createFactory(await t.as('admin'), t.server.deps);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  it('after random submits and imports', async () => {
    const action = fc.oneof(
      // A submit, after an autosaved draft or not (the draft's row becomes the submitted judgment).
      fc.record({ kind: fc.constant('submit' as const), trainer: fc.nat(3), value: fc.integer({ min: -3, max: 3 }), draft: fc.boolean() }),
      fc.record({ kind: fc.constant('import' as const), annotator: fc.nat(2), item: fc.nat(5), value: fc.integer({ min: -3, max: 3 }) }),
      // A submitted judgment that leaves its item's figures (no longer submitted, set in the database:
      // no route does it today): the refresh removes its stored row and subtracts what it added.
      fc.record({ kind: fc.constant('withdraw' as const), pick: fc.nat(1000) }),
      // A submitted judgment deleted from the database (no route does it): the refresh subtracts it
      // from the copy of its item's rows (migration 0030), after the cascade removed its stored row.
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat(1000) }),
      // An imported judgment imported again with another value: it replaces the earlier one.
      fc.record({ kind: fc.constant('revise' as const), pick: fc.nat(1000), value: fc.integer({ min: -3, max: 3 }) }),
      // The items file imported again with an item's gold set, changed or removed (null): its
      // judgments' gold match changes without any judgment changing (migration 0031).
      fc.record({ kind: fc.constant('gold' as const), item: fc.nat(5), value: fc.option(fc.integer({ min: -3, max: 3 }), { nil: null }) }),
      // The refreshes submits left pending drained at this point (as a read of the figures does; the
      // background drain also runs within 500 ms of a submit, wherever that falls among the others).
      fc.record({ kind: fc.constant('settle' as const) }),
    );
    const pendingOf = async (projectId: string) =>
      ((await t.db.db.execute(sql`select count(*)::int as n from quality_pending where project_id = ${projectId}`)) as unknown as { rows: { n: number }[] }).rows[0]!.n;
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 4, maxLength: 18 }), async (actions) => {
        const p = await factory.project({ name: 'Property', items: 6, trainers: 4, settings: { overlap: 4, goldRate: 0 } });
        const lead = p.lead.client;
        const base = `/api/projects/${p.id}`;
        const imported: { annotator: number; item: number }[] = [];
        /** Each item's gold value (r1 against r2, as the items' canonical order), by external id. */
        const gold = new Map<string, number | null>();
        for (const a0 of actions) {
          let a = a0;
          if (a.kind === 'revise') {
            if (imported.length === 0) continue;
            a = { kind: 'import', ...imported[a.pick % imported.length]!, value: a.value };
          }
          if (a.kind === 'settle') {
            await t.server.deps.quality.settle(p.id);
          } else if (a.kind === 'submit') {
            const c = p.trainers[a.trainer]!.client;
            const task = (await c.post<{ task: Task | null }>(`${base}/queue/next`)).body.task;
            if (!task) continue;
            const judged = validJudgment(task, a.value);
            // Rubric scores that differ between judgments (helpfulness 1–3, overall 0–1), so the
            // dimensions' counts move as the preference's do.
            const scores = judged.scores.map((x) => ({ ...x, value: x.dimension === 'overall' ? Number(a.value > 0) : 1 + ((a.value + 3 + a.trainer) % 3) }));
            const payload = { ...judged, scores, preference: { kind: 'pairwise' as const, a: task.canonicalOrder[0]!, b: task.canonicalOrder[1]!, value: a.value } };
            if (a.draft) expect((await c.put(`${base}/assignments/${task.assignmentId}/draft`, { payload: { preference: payload.preference }, timeSpentMs: 1000 })).status).toBe(200);
            expect((await c.post(`${base}/assignments/${task.assignmentId}/submit`, { payload })).status).toBe(200);
          } else if (a.kind === 'gold') {
            gold.set(p.items[a.item]!, a.value);
            const rows = p.items.map((id) => {
              const g = gold.get(id);
              return g === undefined || g === null ? pairItem(id) : pairItem(id, { gold: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: g } } });
            });
            const job = await importFile(lead, p.id, jsonlOf(rows));
            expect(job).toMatchObject({ status: 'done', rejected: 0 });
          } else if (a.kind === 'withdraw') {
            const { rows } = (await t.db.db.execute(sql`select id from judgments where project_id = ${p.id} and status = 'submitted' order by id`)) as unknown as { rows: { id: string }[] };
            if (rows.length === 0) continue;
            await t.db.db.execute(sql`update judgments set status = 'draft', submitted_at = null where id = ${rows[a.pick % rows.length]!.id}`);
          } else if (a.kind === 'delete') {
            const { rows } = (await t.db.db.execute(sql`select id from judgments where project_id = ${p.id} and status = 'submitted' order by id`)) as unknown as { rows: { id: string }[] };
            if (rows.length === 0) continue;
            await t.db.db.execute(sql`delete from judgments where id = ${rows[a.pick % rows.length]!.id}`);
          } else {
            const row = { externalId: p.items[a.item]!, annotator: `prop-annotator-${a.annotator}`, judgment: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: a.value } } };
            const job = await importFile(lead, p.id, jsonlOf([row]), { kind: 'judgments' });
            expect(job.rejected).toBe(0);
            imported.push({ annotator: a.annotator, item: a.item });
          }
        }

        // Submits leave their refresh pending (migration 0038); some were drained meanwhile, in between
        // the other changes, the rest now, as any read of the figures does first.
        await t.server.deps.quality.settle(p.id);
        expect(await pendingOf(p.id)).toBe(0);

        // The pairwise-only item counts (the refresh's usual path, on the judgments' rows as the refresh
        // reads them) are the general function's rows.
        const diff = (await t.db.db.execute(sql`
          with ids as (select array_agg(id) as a from items where project_id = ${p.id}),
          g as (select c.* from ids, accord_quality_item_counts(ids.a) c),
          jr as (
            select coalesce(array_agg(ROW(r.judgment_id, r.project_id, r.item_id, r.user_id, r.submitted_at, r.rubric_version, r.three_way, r.graded,
                                          r.first_pick, r.longer_pick, r.words, r.seconds, r.gold_match, r.payload, r.model_a, r.model_b)::accord_quality_jrow), '{}') as a
            from ids, accord_quality_judgment_rows(ids.a) r
          ),
          w as (select c.* from ids, jr, accord_quality_item_counts_pairwise_of(jr.a, ids.a) c)
          select ((select count(*) from (select * from g except all select * from w) x) + (select count(*) from (select * from w except all select * from g) y))::integer as n`)) as unknown as { rows: { n: number }[] };
        expect(diff.rows[0]!.n).toBe(0);

        // Each item's stored counts are the general function's rows for its judgments now, in every
        // scope (preference, per version and week, dimensions, model and consensus pairs): a submit
        // adds the new judgment's counts to the stored ones (migration 0034), every other change
        // counts the item again.
        expect(await storedCountsDiff(t.db, p.id)).toBe(0);

        // Each item's copy of its stored rows is those rows, with the
        // others' majority beside each (checked below through the annotators' κ against consensus).
        const copy = (await t.db.db.execute(sql`
          with c as (
            select j.judgment_id, j.project_id, j.item_id, j.user_id, j.submitted_at, j.three_way, j.graded, j.first_pick, j.longer_pick, j.words, j.seconds, j.gold_match
            from quality_item_counts c cross join lateral unnest(c.judges) j join items i on i.id = c.item_id where i.project_id = ${p.id}
          ),
          q as (select q.* from quality_judgments q where q.project_id = ${p.id})
          select ((select count(*) from (select * from c except all select * from q) x) + (select count(*) from (select * from q except all select * from c) y))::integer as n`)) as unknown as { rows: { n: number }[] };
        expect(copy.rows[0]!.n).toBe(0);

        // The full recompute, from the stored judgments.
        const js = await allJudgments(lead, p.id);
        const items = (await lead.get<{ items: Item[] }>(`${base}/items?limit=500`)).body.items;
        const byId = new Map(items.map((i) => [i.id, i]));
        const users = [...new Set(js.map((j) => j.userId))].sort();
        const units = new Map<string, (number | null)[]>();
        const graded = new Map<string, (number | null)[]>();
        const comps: Comparison[] = [];
        for (const j of js) {
          const pref = j.payload.preference as { a: string; b: string; value: number };
          const item = byId.get(j.itemId)!;
          const v = pref.a === item.responses[0]!.id ? pref.value : -pref.value;
          const row = units.get(j.itemId) ?? users.map(() => null);
          row[users.indexOf(j.userId)] = Math.sign(v);
          units.set(j.itemId, row);
          const grow = graded.get(j.itemId) ?? users.map(() => null);
          grow[users.indexOf(j.userId)] = v;
          graded.set(j.itemId, grow);
          comps.push([item.responses[0]!.model, item.responses[1]!.model, v < 0 ? 'first' : v > 0 ? 'second' : 'tie']);
        }
        const ratings = [...units.values()];
        const ag = (await lead.get<ProjectAgreement>(`${base}/agreement?samples=0`)).body;
        const close = (got: number | null, want: number | null) => (want === null ? expect(got).toBeNull() : expect(got).toBeCloseTo(want, 9));
        expect(ag.judgments).toBe(js.length);
        if (js.length > 0) {
          close(ag.overall.alpha.nominal.value, krippendorffAlpha(ratings, { level: 'nominal' }));
          close(ag.overall.alpha.ordinal.value, krippendorffAlpha([...graded.values()], { level: 'ordinal' }));
          close(ag.overall.percentAgreement.value, percentAgreement(ratings).meanPairwiseAvailable);
        }
        // Items: judgments per item and their agreement.
        for (const i of items) {
          const row = units.get(i.id)?.filter((v): v is number => v !== null) ?? [];
          expect(i.judgments).toBe(row.length);
          if (row.length < 2) expect(i.agreement).toBeNull();
          else close(i.agreement, percentAgreement([row]).meanPairwiseAvailable);
        }
        // The leaderboard: raw counts, and Bradley–Terry when its MLE exists.
        const lb = (await lead.get<Leaderboard>(`${base}/leaderboard?samples=0`)).body;
        expect(lb.comparisons).toBe(comps.length);
        if (comps.length > 0) {
          const fit = bradleyTerry(pairwiseCounts(comps));
          if (fit.mleExists) for (const m of lb.models) expect(m.strength).toBeCloseTo(fit.strengthsSumOne![fit.items.indexOf(m.model)]!, 6);
        }
        // Peer κ between every two annotators who share items.
        const ann = (await lead.get<{ annotators: AnnotatorStats[] }>(`${base}/agreement/trainers`)).body.annotators;
        // Each annotator's tallies (kept per member by the trigger): judgments, tie rate, κ against the
        // leave-one-out majority of the others on the same items.
        for (const a of ann) {
          const ia = users.indexOf(a.annotator);
          const mine = ratings.filter((r) => ia >= 0 && r[ia] !== null);
          expect(a.judgments, a.name).toBe(mine.length);
          if (mine.length > 0) close(a.tieRate, mine.filter((r) => r[ia] === 0).length / mine.length);
          // Gold accuracy: their judgments on items with gold, matching its 3-way value.
          const goldOf = (itemId: string) => gold.get(byId.get(itemId)!.externalId) ?? null;
          const onGold = [...units.entries()].filter(([id, r]) => ia >= 0 && r[ia] !== null && goldOf(id) !== null);
          expect(a.goldAccuracy.n, a.name).toBe(onGold.length);
          if (onGold.length > 0) close(a.goldAccuracy.value, onGold.filter(([id, r]) => r[ia] === Math.sign(goldOf(id)!)).length / onGold.length);
          const own: number[] = [];
          const cons: number[] = [];
          for (const r of mine) {
            const count = new Map<number, number>();
            r.forEach((v, u) => v !== null && u !== ia && count.set(v, (count.get(v) ?? 0) + 1));
            const max = Math.max(0, ...count.values());
            const top = [...count.entries()].filter(([, n]) => n === max);
            if (max > 0 && top.length === 1) {
              own.push(r[ia]!);
              cons.push(top[0]![0]);
            }
          }
          expect(a.kappaVsConsensus.n, a.name).toBe(own.length);
          if (own.length > 0) close(a.kappaVsConsensus.value, cohenKappa(own, cons));
          // Their recent judgments (flags and drift read these), each with the others' majority on its item.
          const recent = await createQualityRepo(t.db.db).recent(p.id, 1000, a.annotator);
          expect(recent.length, a.name).toBe(mine.length);
          for (const j of recent) {
            const r = units.get(j.itemId)!;
            const count = new Map<number, number>();
            r.forEach((v, u) => v !== null && u !== ia && count.set(v, (count.get(v) ?? 0) + 1));
            const max = Math.max(0, ...count.values());
            const top = [...count.entries()].filter(([, n]) => n === max);
            expect(j.consensus, a.name).toBe(max > 0 && top.length === 1 ? top[0]![0] : null);
          }
        }
        for (const a of ann)
          for (const peer of a.peers) {
            const ia = users.indexOf(a.annotator);
            const ib = users.indexOf(peer.annotator);
            const pairs = ratings.filter((r) => r[ia] !== null && r[ib] !== null);
            expect(peer.shared).toBe(pairs.length);
            close(
              peer.kappa,
              cohenKappa(
                pairs.map((r) => r[ia]!),
                pairs.map((r) => r[ib]!),
              ),
            );
          }
      }),
      {
        numRuns: 8,
        seed: 20261201,
        // Before the random cases: an imported judgment revised twice (its stored row updated), then
        // deleted; gold set on a judged item, changed, and removed, with no judgment of the item after it.
        examples: [
          [
            [
              { kind: 'import', annotator: 0, item: 0, value: 0 },
              { kind: 'submit', trainer: 0, value: 1, draft: false },
              { kind: 'gold', item: 0, value: 0 },
              { kind: 'import', annotator: 0, item: 0, value: 0 },
              { kind: 'gold', item: 1, value: -2 },
              { kind: 'gold', item: 1, value: 3 },
              { kind: 'gold', item: 0, value: null },
              { kind: 'gold', item: 0, value: -1 },
            ],
          ],
          [
            [
              { kind: 'import', annotator: 0, item: 0, value: 2 },
              { kind: 'submit', trainer: 0, value: -1, draft: true },
              { kind: 'revise', pick: 0, value: -3 },
              { kind: 'import', annotator: 1, item: 0, value: 1 },
              { kind: 'revise', pick: 0, value: 0 },
              { kind: 'delete', pick: 1 },
            ],
          ],
          // Submits whose refresh is still pending when their items' judgments are withdrawn, deleted,
          // imported and re-golded (the background drain runs 500 ms after a submit; these follow at once).
          [
            [
              { kind: 'submit', trainer: 0, value: 2, draft: true },
              { kind: 'submit', trainer: 1, value: -2, draft: false },
              { kind: 'withdraw', pick: 0 },
              { kind: 'submit', trainer: 2, value: 1, draft: false },
              { kind: 'delete', pick: 0 },
              { kind: 'import', annotator: 0, item: 0, value: 3 },
              { kind: 'submit', trainer: 3, value: 0, draft: true },
              { kind: 'gold', item: 0, value: 1 },
              { kind: 'settle' },
              { kind: 'submit', trainer: 0, value: -3, draft: false },
            ],
          ],
        ],
      },
    );
  }, 900_000);

  it('multi-label classification: per-label α, picks and MASI α after random submits and imports', async () => {
    const action = fc.oneof(
      fc.record({ kind: fc.constant('submit' as const), trainer: fc.nat(3), mask: fc.integer({ min: 1, max: 15 }) }),
      fc.record({ kind: fc.constant('import' as const), annotator: fc.nat(2), item: fc.nat(4), mask: fc.integer({ min: 1, max: 15 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 4, maxLength: 16 }), async (actions) => {
        const p = await factory.project({ name: 'Labels property', taskKind: 'classification', rubric: TAX, items: Array.from({ length: 5 }, (_, i) => ({ externalId: `lp-${i}`, prompt: `Text ${i} to label.` })), trainers: 4, settings: { overlap: 4, goldRate: 0 } });
        const lead = p.lead.client;
        const base = `/api/projects/${p.id}`;
        for (const a of actions) {
          if (a.kind === 'submit') {
            const c = p.trainers[a.trainer]!.client;
            const task = (await c.post<{ task: Task | null }>(`${base}/queue/next`)).body.task;
            if (!task) continue;
            const payload = { preference: { kind: 'classification', labels: labelsOf(a.mask) }, scores: [], spans: [], flags: [], justification: '' };
            expect((await c.post(`${base}/assignments/${task.assignmentId}/submit`, { payload })).status).toBe(200);
          } else {
            const row = { externalId: p.items[a.item]!, annotator: `prop-annotator-${a.annotator}`, judgment: { preference: { kind: 'classification', labels: labelsOf(a.mask) } } };
            expect((await importFile(lead, p.id, jsonlOf([row]), { kind: 'judgments' })).rejected).toBe(0);
          }
        }
        const js = await allJudgments(lead, p.id);
        const users = [...new Set(js.map((j) => j.userId))].sort();
        const units = new Map<string, (string[] | null)[]>();
        for (const j of js) {
          const row = units.get(j.itemId) ?? users.map(() => null);
          row[users.indexOf(j.userId)] = (j.payload.preference as { labels: string[] }).labels;
          units.set(j.itemId, row);
        }
        const sets = [...units.values()];
        const ag = (await lead.get<ProjectAgreement>(`${base}/agreement?samples=0`)).body;
        const close = (got: number | null | undefined, want: number | null) => (want === null ? expect(got ?? null).toBeNull() : expect(got).toBeCloseTo(want, 9));
        close(ag.masiAlpha?.value, js.length > 0 ? setAlpha(sets) : null);
        expect(ag.masiAlpha?.n ?? 0).toBe(sets.filter((r) => r.filter((x) => x !== null).length >= 2).length);
        const want = labelAlphas(sets, LABELS);
        expect(ag.labels!.map((l) => [l.label, l.picked])).toEqual(want.map((l) => [l.label, l.picked]));
        ag.labels!.forEach((l, i) => close(l.alpha.value, want[i]!.alpha));
      }),
      { numRuns: 3, seed: 20261202 },
    );
  }, 900_000);
});
