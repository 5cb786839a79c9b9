/**
 * Rating and classification projects in the browser, on the demo workspace's RTE (classification) and
 * headline-valence (rating) projects:
 * - the lead edits the taxonomy (a label under a parent, multi-label) and the rating scale (a level
 *   added, relabelled, moved, removed) in the rubric editor; a reviewer in a second context sees each
 *   change live; a problem (an empty name) shows at the field as core's rules word it; the lead
 *   publishes and the version holds the edited taxonomy;
 * - the Quality tab of a classification project shows MASI α and α per label;
 * - in a calibration session of a rating project a participant rates by number key and Enter; the
 *   revealed round shows the distribution over every level;
 * - the adjudication room proposes a rating, and a set of labels, by number keys and commits them.
 * Screenshots at 1280×720 and 390 wide.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { DisputeSummary, Item, Project, RubricVersion } from '@accord/core';
import { browserMissing, collectPageErrors, SHOTS, useBrowserServer } from '../utils/browser.ts';
import { importFile, jsonlOf } from '../utils/work.ts';

const missing = browserMissing();

describe.skipIf(missing !== null)('browser: rating scales, taxonomies and rating disputes', () => {
  const ctx = useBrowserServer();

  async function demo(kind: 'rating' | 'classification'): Promise<string> {
    const lead = await ctx.t.as('lead');
    const r = await lead.get<{ items: Project[] }>('/api/projects?limit=20');
    return r.body.items.find((p) => p.taskKind === kind)!.id;
  }

  async function open(role: 'lead' | 'reviewer' | 'trainer3', path: string, errors: string[], width = 1280, height = 720): Promise<Page> {
    const { t, browser } = ctx;
    const api = await t.as(role);
    const context = await browser.newContext({ viewport: { width, height } });
    await context.addCookies([{ name: 'accord_session', value: api.cookie!, url: t.url }]);
    const page = await context.newPage();
    collectPageErrors(page, { label: role, into: errors });
    await page.goto(`${t.url}${path}`);
    return page;
  }

  it('the lead edits the taxonomy and the scale live with a reviewer, sees problems at the field, and publishes', async () => {
    const errors: string[] = [];
    const cls = await demo('classification');
    const lead = await open('lead', `/projects/${cls}?tab=rubric`, errors);
    const reviewer = await open('reviewer', `/projects/${cls}?tab=rubric`, errors);
    for (const page of [lead, reviewer]) await expect.poll(() => page.getByTestId('taxonomy-label').count(), { timeout: 20_000 }).toBe(2);

    // A label under the first one, then multi-label: the reviewer sees both at once.
    await lead.getByTestId('label-new').fill('Contradiction');
    const first = await lead.getByTestId('label-id').first().inputValue();
    await lead.getByTestId('label-new-parent').selectOption(first);
    await lead.getByTestId('label-add').click();
    await lead.getByTestId('taxonomy-multi').check();
    await expect.poll(() => reviewer.getByTestId('label-name').nth(2).inputValue()).toBe('Contradiction');
    expect(await reviewer.getByTestId('label-parent').nth(2).inputValue()).toBe(first);
    await expect.poll(() => reviewer.getByTestId('taxonomy-multi').isChecked()).toBe(true);
    // A description reaches the co-editor as it is typed (it waited for the field to lose focus, and was lost when the page closed first).
    const description = await lead.getByTestId('label-description').nth(0).inputValue();
    await lead.getByTestId('label-description').nth(0).click();
    await lead.keyboard.press('End');
    await lead.getByTestId('label-description').nth(0).pressSequentially(' live');
    await expect.poll(() => reviewer.getByTestId('label-description').nth(0).inputValue()).toBe(`${description} live`);
    await lead.getByTestId('label-description').nth(0).fill(description);

    // An empty name is a problem at the field (core's words), for both; filled again, it is gone.
    await lead.getByTestId('label-name').nth(2).fill('');
    await expect.poll(() => reviewer.locator('[data-testid="field-error"][data-path="taxonomy.labels.2.name"]').count()).toBe(1);
    await lead.getByTestId('taxonomy-editor').screenshot({ path: join(SHOTS, 'e2e-rubric-taxonomy-error.png') });
    await lead.getByTestId('label-name').nth(2).fill('Contradiction');
    await expect.poll(() => lead.locator('[data-testid="field-error"][data-path^="taxonomy"]').count()).toBe(0);
    await lead.screenshot({ path: join(SHOTS, 'e2e-rubric-taxonomy.png') });
    await lead.setViewportSize({ width: 390, height: 844 });
    await lead.getByTestId('taxonomy-editor').screenshot({ path: join(SHOTS, 'e2e-rubric-taxonomy-phone.png') });
    await lead.setViewportSize({ width: 1280, height: 720 });

    await lead.getByTestId('publish-note').fill('A third label');
    await lead.getByTestId('publish-rubric').click();
    await lead.getByTestId('publish-confirm-confirm').click();
    await expect.poll(() => lead.getByTestId('draft-published').textContent()).toContain('version 2');
    const api = await ctx.t.as('lead');
    const v2 = (await api.get<RubricVersion>(`/api/projects/${cls}/rubric/versions/2`)).body;
    expect(v2.content.taxonomy).toMatchObject({ multiLabel: true, labels: [{}, {}, { name: 'Contradiction', parent: first }] });

    // The scale of the rating demo (−2..2): add a level, label it, move it down and back, remove it.
    const rate = await demo('rating');
    await lead.goto(`${ctx.t.url}/projects/${rate}?tab=rubric`);
    await reviewer.goto(`${ctx.t.url}/projects/${rate}?tab=rubric`);
    for (const page of [lead, reviewer]) await expect.poll(() => page.getByTestId('scale-level').count(), { timeout: 20_000 }).toBe(5);
    await lead.getByTestId('level-add').click();
    await expect.poll(() => lead.getByTestId('level-value').nth(5).inputValue()).toBe('3');
    await lead.getByTestId('level-label').nth(5).fill('Euphoric');
    await expect.poll(() => reviewer.getByTestId('level-label').nth(5).inputValue()).toBe('Euphoric');
    await lead.getByTestId('level-up').nth(5).click();
    // Moving swaps the labels and keeps the values rising.
    await expect.poll(() => reviewer.getByTestId('level-label').nth(4).inputValue()).toBe('Euphoric');
    expect(await reviewer.getByTestId('level-value').nth(4).inputValue()).toBe('2');
    // A value out of order is a problem at the field.
    await lead.getByTestId('level-value').nth(5).fill('0');
    await lead.getByTestId('level-value').nth(5).press('Tab');
    await expect.poll(() => lead.locator('[data-testid="field-error"][data-path="rating.levels.5.value"]').textContent()).toMatch(/greater than the level before/);
    await lead.getByTestId('scale-editor').screenshot({ path: join(SHOTS, 'e2e-rubric-scale.png') });
    await lead.getByTestId('level-remove').nth(4).click();
    await lead.getByTestId('level-remove').nth(4).click();
    await expect.poll(() => reviewer.getByTestId('scale-level').count()).toBe(4);
    expect(errors).toEqual([]);
  });

  it('the Quality tab of a classification project shows MASI α and α per label', async () => {
    const errors: string[] = [];
    const cls = await demo('classification');
    const lead = await ctx.t.as('lead');
    const items = (await lead.get<{ items: Item[] }>(`/api/projects/${cls}/items?limit=12`)).body.items;
    // Three annotators on twelve items: the first agree, the third often adds a second label.
    const rows = items.flatMap((it, i) =>
      ['q-a', 'q-b', 'q-c'].map((annotator, r) => ({
        externalId: it.externalId,
        annotator,
        judgment: { preference: { kind: 'classification', labels: r === 2 && i % 3 === 0 ? ['entailment', 'not-entailment'] : [(i + (r === 1 && i % 4 === 0 ? 1 : 0)) % 2 ? 'entailment' : 'not-entailment'] } },
      })),
    );
    expect(await importFile(lead, cls, jsonlOf(rows), { kind: 'judgments' })).toMatchObject({ rejected: 0 });
    const page = await open('lead', `/projects/${cls}?tab=quality`, errors);
    await expect.poll(() => page.getByTestId('alpha-masi-value').textContent(), { timeout: 20_000 }).toMatch(/^-?\d\.\d+$/);
    await page.getByTestId('labels').waitFor();
    await page.screenshot({ path: join(SHOTS, 'e2e-quality-classification.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('headline').screenshot({ path: join(SHOTS, 'e2e-quality-classification-phone.png') });

    // The Items tab reads each annotator's labels by name (the third chose two).
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${ctx.t.url}/projects/${cls}?tab=items&iq=${items[0]!.externalId}`);
    await page.getByTestId('item-row').first().click();
    const judgments = page.getByTestId('item-dialog').getByTestId('item-judgment');
    await expect.poll(() => judgments.count()).toBe(3);
    const labelsOf = async (n: number) => (await judgments.nth(n).getByTestId('pref-labels').locator('.badge').allTextContents()).join(' + ');
    expect((await Promise.all([0, 1, 2].map(labelsOf))).sort()).toEqual(['Entailment', 'Entailment + No entailment', 'No entailment']);
    await page.screenshot({ path: join(SHOTS, 'e2e-items-classification.png') });
    // A rating project's gold label reads as its level (leads only).
    const rating = await demo('rating');
    await page.goto(`${ctx.t.url}/projects/${rating}?tab=items&igold=with`);
    await page.getByTestId('item-row').first().click();
    await expect.poll(() => page.getByTestId('item-gold-preference').getByTestId('pref-rating').textContent()).toMatch(/^\s*Rating:\s*-?\d · \S/);
    await page.screenshot({ path: join(SHOTS, 'e2e-items-rating-gold.png') });
    expect(errors).toEqual([]);
  });

  it('a calibration participant rates by number key and Enter; the revealed round shows every level with its count', async () => {
    const errors: string[] = [];
    const rate = await demo('rating');
    const lead = await ctx.t.as('lead');
    const trainers = await Promise.all((['trainer1', 'trainer2', 'trainer3'] as const).map((r) => ctx.t.as(r)));
    const ids = await Promise.all(trainers.map(async (c) => (await c.get<{ user: { id: string } }>('/api/auth/me')).body.user.id));
    const item = (await lead.get<{ items: Item[] }>(`/api/projects/${rate}/items?limit=1`)).body.items[0]!;
    const base = `/api/projects/${rate}/calibration`;
    const s = (await lead.post<{ id: string }>(base, { title: 'Valence check', participants: ids, items: [item.id], showNames: true })).body;
    const round = (await lead.post<{ round: { id: string } }>(`${base}/${s.id}/rounds`)).body.round.id;
    for (const [i, c] of trainers.entries()) {
      expect((await c.post(`${base}/${s.id}/join`)).status).toBe(200);
      if (i === 2) continue;
      const payload = { preference: { kind: 'rating', value: -1 }, scores: [], spans: [], flags: [], justification: 'Reads as bad news.' };
      expect((await c.post(`${base}/${s.id}/submit`, { roundId: round, payload })).status).toBe(200);
    }
    // The third participant judges in the session by keyboard: 4 is +1 on −2..2, Enter submits.
    const judge = await open('trainer3', `/projects/${rate}/calibration/${s.id}`, errors);
    await judge.getByTestId('rating-1').waitFor({ timeout: 20_000 });
    await judge.locator('body').click({ position: { x: 5, y: 5 } });
    await judge.keyboard.press('4');
    await expect.poll(() => judge.getByTestId('rating-label').textContent()).toMatch(/^Positive/);
    await judge.keyboard.press('Enter');
    await expect.poll(async () => (await lead.get<{ participants: { submitted: boolean }[] }>(`${base}/${s.id}`)).body.participants.filter((x) => x.submitted).length).toBe(3);
    expect((await lead.post(`${base}/${s.id}/reveal`, {})).status).toBe(200);
    const page = await open('lead', `/projects/${rate}/calibration/${s.id}`, errors);
    await page.getByTestId('reveal-view').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.getByTestId('distribution-row').count()).toBe(5);
    expect(await page.getByTestId('distribution-row').nth(1).textContent()).toMatch(/-1 · Negative\s*2/);
    await page.screenshot({ path: join(SHOTS, 'e2e-calibration-rating-reveal.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('the adjudication room proposes a rating, and labels, with number keys and commits them', async () => {
    const errors: string[] = [];
    const rate = await demo('rating');
    const lead = await ctx.t.as('lead');
    const item = (await lead.get<{ items: Item[] }>(`/api/projects/${rate}/items?limit=1`)).body.items[0]!;
    const d = (await lead.post<DisputeSummary>(`/api/projects/${rate}/items/${item.id}/disputes`, { note: 'Is this headline neutral?' })).body;
    const page = await open('lead', `/projects/${rate}/disputes/${d.id}`, errors);
    await page.getByTestId('proposal').waitFor();
    await expect.poll(() => page.getByTestId('rating-2').count(), { timeout: 20_000 }).toBe(1);
    // −2..2: keys are the places, 4 is +1.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('4');
    await expect.poll(() => page.getByTestId('proposal-summary').textContent()).toBe('Rating 1');
    await page.screenshot({ path: join(SHOTS, 'e2e-dispute-rating.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('proposal').screenshot({ path: join(SHOTS, 'e2e-dispute-rating-phone.png') });
    await page.getByTestId('commit-button').click();
    await page.getByTestId('commit-confirm-confirm').click();
    await expect.poll(() => page.getByTestId('committed-preference').textContent()).toBe('Rating 1');
    const label = (await lead.get<{ items: { label: { preference: unknown } }[] }>(`/api/projects/${rate}/consensus?itemId=${item.id}`)).body.items[0]!;
    expect(label.label.preference).toEqual({ kind: 'rating', value: 1 });

    // Classification (multi-label since the first test published it): keys toggle labels in the order shown.
    const cls = await demo('classification');
    // An item without a dispute or a label yet (the Quality test's judgments opened some).
    const citem = (await lead.get<{ items: Item[] }>(`/api/projects/${cls}/items?limit=100`)).body.items.find((i) => !i.dispute && !i.consensus)!;
    const made = await lead.post<DisputeSummary>(`/api/projects/${cls}/items/${citem.id}/disputes`, { note: 'Which labels?' });
    expect(made.status, made.text).toBe(201);
    const cd = made.body;
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${ctx.t.url}/projects/${cls}/disputes/${cd.id}`);
    await expect.poll(() => page.getByTestId('label-contradiction').count(), { timeout: 20_000 }).toBe(1);
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    // Shown: Entailment (1), Contradiction under it (2), No entailment (3).
    await page.keyboard.press('2');
    await page.keyboard.press('1');
    await expect.poll(() => page.getByTestId('proposal-summary').textContent()).toBe('contradiction, entailment');
    await page.getByTestId('commit-button').click();
    await page.getByTestId('commit-confirm-confirm').click();
    await expect.poll(() => page.getByTestId('committed-preference').textContent()).toBe('contradiction, entailment');
    expect(errors).toEqual([]);
  });
});
