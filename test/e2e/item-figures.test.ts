/**
 * The items table's quality figures in Chromium: three trainers judge a small pairwise project with
 * differing preferences; the lead sorts the items by agreement (both ways, items without a figure
 * last, as the API orders them), reads agreement and spread in their columns, keeps only items at or
 * above a minimum agreement (also after a reload), and is told, beside the field, when a minimum is
 * above its maximum — a bound that is then not sent.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Item as AccordItem, Project, QueueNext } from '@accord/core';
import { browserMissing, collectPageErrors, SHOTS, signIn, useBrowserServer } from '../utils/browser.ts';
import type { ApiClient } from '../utils/client.ts';
import { importFile, jsonlOf, pairItem, validJudgment } from '../utils/work.ts';

const missing = browserMissing();

/** Each trainer's grade (r1 against r2, −2..2) per item: unanimous, split every way, two against one. */
const GRADES: Record<string, [number, number, number]> = {
  'fig-1': [-2, -2, -2],
  'fig-2': [-2, 0, 2],
  'fig-3': [2, 2, -2],
  'fig-4': [-1, 1, 2],
};

/** The trainer judges every task the queue serves, with their grade for that item. */
async function judgeAll(c: ApiClient, projectId: string, trainer: 0 | 1 | 2, externalIds: Map<string, string>): Promise<number> {
  let n = 0;
  for (;;) {
    const task = (await c.post<QueueNext>(`/api/projects/${projectId}/queue/next`)).body.task;
    if (!task) return n;
    const value = GRADES[externalIds.get(task.item.id)!]![trainer];
    const payload = { ...validJudgment(task, value), preference: { kind: 'pairwise' as const, a: 'r1', b: 'r2', value } };
    const r = await c.post(`/api/projects/${projectId}/assignments/${task.assignmentId}/submit`, { payload, timeSpentMs: 3000 });
    if (r.status !== 200 && r.status !== 201) throw new Error(`submit refused: ${r.status} ${r.text}`);
    n++;
  }
}

describe.skipIf(missing !== null)('browser: sorting and filtering items by their figures', () => {
  const ctx = useBrowserServer();

  /** External ids of the table's rows, top to bottom. */
  const rowIds = (page: Page) => page.getByTestId('item-row').evaluateAll((rows) => rows.map((r) => (r.querySelector('td')?.textContent ?? '').trim()));

  async function chooseSort(page: Page, label: string): Promise<void> {
    await page.getByTestId('item-sort').click();
    await page.getByRole('option', { name: label, exact: true }).click();
  }

  it('a lead sorts by agreement both ways, reads agreement and spread, filters by a minimum, and is told when min is above max', async () => {
    const { t, browser } = ctx;
    const lead = await t.as('lead');
    const p = (await lead.post<Project>('/api/projects', { name: 'Figures', taskKind: 'pairwise' })).body.id;
    expect((await importFile(lead, p, jsonlOf(Object.keys(GRADES).map((id) => pairItem(id))))).created).toBe(4);
    expect((await lead.patch(`/api/projects/${p}/settings`, { overlap: 3, goldRate: 0 })).status).toBe(200);
    const listed = (await lead.get<{ items: AccordItem[] }>(`/api/projects/${p}/items?limit=50`)).body.items;
    const externalIds = new Map(listed.map((i) => [i.id, i.externalId]));
    const trainers = ['trainer1', 'trainer2', 'trainer3'] as const;
    for (const [k, name] of trainers.entries()) {
      expect((await lead.post(`/api/projects/${p}/members`, { email: `${name}@accord.local`, role: 'trainer' })).status).toBe(201);
      expect(await judgeAll(await t.as(name), p, k as 0 | 1 | 2, externalIds)).toBe(4);
    }
    // One item arrives after the judging: no figures, so it is listed last whichever way.
    expect((await importFile(lead, p, jsonlOf([pairItem('fig-5')]))).created).toBe(1);

    const api = async (query: string) => (await lead.get<{ items: AccordItem[] }>(`/api/projects/${p}/items?limit=50&${query}`)).body.items;
    const asc = await api('sort=agreement&order=asc');
    const desc = await api('sort=agreement&order=desc');
    // The figures differ (so an order is visible) and one item has none.
    expect(new Set(asc.map((i) => i.agreement)).size).toBeGreaterThanOrEqual(3);
    expect(asc.at(-1)).toMatchObject({ externalId: 'fig-5', agreement: null, spread: null });
    expect(desc.at(-1)!.externalId).toBe('fig-5');
    expect(asc.map((i) => i.externalId)).not.toEqual(desc.map((i) => i.externalId));

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = collectPageErrors(page);
    await signIn(page, t.url, 'lead@accord.local', t.logins.find((l) => l.email === 'lead@accord.local')!.password);
    await page.goto(`${t.url}/projects/${p}?tab=items`);
    await expect.poll(() => page.getByTestId('item-row').count()).toBe(5);

    // Agreement, lowest first: the API's order, figures ascending, the item without one last.
    await chooseSort(page, 'Agreement, lowest first');
    await expect.poll(() => rowIds(page)).toEqual(asc.map((i) => i.externalId));
    expect(page.url()).toContain('isort=agreement%3Aasc');
    const shown = await page.getByTestId('item-agreement').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-value')));
    const figures = shown.slice(0, -1).map(Number);
    expect([...figures].sort((a, b) => a - b)).toEqual(figures);
    expect(shown.at(-1)).toBe('');
    // The cells read as percent and two decimals, a dash without a figure.
    expect(await page.getByTestId('item-agreement').allTextContents()).toEqual(asc.map((i) => (i.agreement === null ? '—' : `${Math.round(i.agreement * 100)}%`)));
    expect(await page.getByTestId('item-spread').allTextContents()).toEqual(asc.map((i) => (i.spread === null ? '—' : i.spread.toFixed(2))));
    expect(await page.getByTestId('item-judgments').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-count'))))).toEqual(asc.map((i) => i.judgments));

    // … and highest first, by keyboard: the trigger opens with Enter, the arrows choose.
    await page.getByTestId('item-sort').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('option', { name: 'Agreement, highest first', exact: true }).waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => rowIds(page)).toEqual(desc.map((i) => i.externalId));

    // At least 50% agreement: exactly the items the API gives for 0.5, in the same order; kept in the
    // address and across a reload.
    const atLeastHalf = await api('sort=agreement&order=desc&minAgreement=0.5');
    expect(atLeastHalf.length).toBeGreaterThan(0);
    expect(atLeastHalf.length).toBeLessThan(4);
    await page.getByLabel('Minimum agreement (%)').fill('50');
    await expect.poll(() => rowIds(page)).toEqual(atLeastHalf.map((i) => i.externalId));
    expect(page.url()).toContain('iagrmin=50');
    for (const v of await page.getByTestId('item-agreement').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-value'))))) expect(v).toBeGreaterThanOrEqual(0.5);
    await page.reload();
    await expect.poll(() => rowIds(page)).toEqual(atLeastHalf.map((i) => i.externalId));
    expect(await page.getByTestId('item-filter-agreement-min').inputValue()).toBe('50');

    // A maximum under the minimum: the message beside the fields, the pair not sent (all five back).
    const requests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/items?')) requests.push(r.url());
    });
    await page.getByLabel('Maximum agreement (%)').fill('20');
    const message = page.getByTestId('item-filter-agreement-error');
    await expect.poll(() => message.textContent()).toContain('Minimum (50%) is above maximum (20%)');
    expect(await page.getByTestId('item-filter-agreement-min').getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => rowIds(page)).toEqual(desc.map((i) => i.externalId));
    expect(requests.length).toBeGreaterThan(0);
    for (const url of requests) expect(url).not.toMatch(/(min|max)Agreement/);
    await page.getByTestId('item-figure-filters').screenshot({ path: join(SHOTS, 'e2e-item-figures-invalid.png') });

    // Out of range, on its own: the same place, a different message.
    await page.getByLabel('Maximum agreement (%)').fill('');
    await page.getByLabel('Minimum agreement (%)').fill('150');
    await expect.poll(() => message.textContent()).toContain('between 0 and 100%');

    // A valid pair again, and the screenshot to look at: filters, the figure columns, the sort.
    await page.getByLabel('Minimum agreement (%)').fill('0');
    await page.getByLabel('Maximum agreement (%)').fill('50');
    await expect.poll(() => message.count()).toBe(0);
    const underHalf = await api('sort=agreement&order=desc&minAgreement=0&maxAgreement=0.5');
    await expect.poll(() => rowIds(page)).toEqual(underHalf.map((i) => i.externalId));
    await page.screenshot({ path: join(SHOTS, 'e2e-item-figures.png') });

    await page.close();
    expect(errors).toEqual([]);
  });
});
