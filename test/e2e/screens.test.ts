/**
 * The lead's and reviewer's daily screens in Chromium: the items table's filters (gold, by link and
 * reload, with the j/k and / shortcuts), metadata shown as fields, the gold-rate warning; the import
 * drop zone and the past imports; who sees "Judge"; the way back from a missing project; the dark
 * mode toggle (kept across reloads) and the system setting it follows.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Project } from '@accord/core';
import { browserMissing, collectPageErrors, SHOTS, useBrowserServer } from '../utils/browser.ts';
import { importFile, jsonlOf, pairItem } from '../utils/work.ts';

const missing = browserMissing();

describe.skipIf(missing !== null)('browser: lead and reviewer screens', () => {
  const ctx = useBrowserServer();

  async function open(role: 'lead' | 'reviewer' | 'trainer', errors: string[], colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const { t, browser } = ctx;
    const api = await t.as(role);
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, colorScheme, reducedMotion: 'reduce' });
    await context.addCookies([{ name: 'accord_session', value: api.cookie!, url: t.url }]);
    const page = await context.newPage();
    collectPageErrors(page, { expectedStatuses: [401, 403, 404], label: role, into: errors });
    return page;
  }

  /** Rows of the items table, by external id. */
  const rowIds = (page: Page) => page.getByTestId('item-row').evaluateAll((rows) => rows.map((r) => (r.querySelector('td')?.textContent ?? '').trim()));

  it('items: the gold filter, by link and after reload; metadata as fields; j, k and / work on a direct load', async () => {
    const { t } = ctx;
    const lead = await t.as('lead');
    const p = (await lead.post<Project>('/api/projects', { name: 'Filter me' })).body.id;
    const job = await importFile(
      lead,
      p,
      jsonlOf([
        pairItem('plain-1', { metadata: { source: 'forum', scores: { helpfulness: 4 }, tags: ['a', 'b'] } }),
        pairItem('gold-1', { gold: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -2 } } }),
        pairItem('plain-2'),
      ]),
    );
    expect(job.created).toBe(3);
    const errors: string[] = [];
    const page = await open('lead', errors);

    // Opened by link: all three, with a gold column; no gold warning (the project has a gold item).
    await page.goto(`${t.url}/projects/${p}?tab=items`);
    await expect.poll(() => page.getByTestId('item-row').count()).toBe(3);
    expect(await page.getByTestId('gold-warning').count()).toBe(0);
    expect(await page.getByTestId('item-gold').allTextContents()).toEqual(['No', 'Gold', 'No']);

    // The keyboard works without a click first: j, j, k move between rows; / goes to the search.
    await page.keyboard.press('j');
    await expect.poll(() => page.evaluate('document.activeElement?.closest("tr")?.dataset.itemId ?? null')).not.toBeNull();
    const first = await page.evaluate('document.activeElement.closest("tr").querySelector("td").textContent.trim()');
    expect(first).toBe('plain-1');
    await page.keyboard.press('j');
    expect(await page.evaluate('document.activeElement.closest("tr").querySelector("td").textContent.trim()')).toBe('gold-1');
    await page.keyboard.press('k');
    expect(await page.evaluate('document.activeElement.closest("tr").querySelector("td").textContent.trim()')).toBe('plain-1');
    await page.keyboard.press('/');
    expect(await page.evaluate('document.activeElement?.getAttribute("data-testid")')).toBe('item-search');
    await page.keyboard.press('Escape');

    // Gold only, then not gold; the filter is in the address and survives a reload.
    await page.getByTestId('item-filter-gold').getByText('Gold', { exact: true }).click();
    await expect.poll(() => rowIds(page)).toEqual(['gold-1']);
    expect(page.url()).toContain('igold=with');
    await page.getByTestId('item-filter-gold').getByText('Not gold', { exact: true }).click();
    await expect.poll(() => rowIds(page)).toEqual(['plain-1', 'plain-2']);
    await page.reload();
    await expect.poll(() => rowIds(page)).toEqual(['plain-1', 'plain-2']);
    await page.screenshot({ path: join(SHOTS, 'e2e-items-filtered.png') });

    // Metadata reads as fields, not JSON.
    await page.getByTestId('item-row').first().locator('button[data-item-open]').click();
    const meta = page.getByTestId('item-metadata');
    await meta.waitFor();
    expect(await meta.locator('dd[data-key="source"]').textContent()).toBe('forum');
    expect(await meta.locator('dd[data-key="scores · helpfulness"]').textContent()).toBe('4');
    expect(await meta.locator('dd[data-key="tags"]').textContent()).toBe('a, b');
    expect(await meta.textContent()).not.toContain('{');
    await page.screenshot({ path: join(SHOTS, 'e2e-item-metadata.png') });
    await page.keyboard.press('Escape');

    // A reviewer browses items but sees no gold column or filter, and the API refuses the gold filter.
    const reviewerErrors: string[] = [];
    const reviewer = await open('reviewer', reviewerErrors);
    await reviewer.goto(`${t.url}/projects/${t.demoProjectId}?tab=items`);
    await expect.poll(() => reviewer.getByTestId('item-row').count()).toBeGreaterThan(0);
    expect(await reviewer.getByTestId('item-filter-gold').count()).toBe(0);
    expect(await reviewer.getByTestId('item-gold').count()).toBe(0);
    const refused = await (await t.as('reviewer')).get(`/api/projects/${t.demoProjectId}/items?gold=with`);
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toContain('query.gold');
    const bad = await lead.get(`/api/projects/${p}/items?gold=maybe`);
    expect(bad.status).toBe(400);

    await page.context().close();
    await reviewer.context().close();
    expect(errors).toEqual([]);
    expect(reviewerErrors).toEqual([]);
  });

  it('the gold-rate warning shows when the rate is set and no item is gold, and goes when the rate is 0', async () => {
    const { t } = ctx;
    const lead = await t.as('lead');
    const p = (await lead.post<Project>('/api/projects', { name: 'No gold here' })).body.id;
    await importFile(lead, p, jsonlOf([pairItem('x1'), pairItem('x2')]));
    await lead.patch(`/api/projects/${p}/settings`, { goldRate: 0.2 });
    const errors: string[] = [];
    const page = await open('lead', errors);
    await page.goto(`${t.url}/projects/${p}?tab=items`);
    await expect.poll(() => page.getByTestId('gold-warning').textContent()).toContain('gold rate is 20%');
    await page.goto(`${t.url}/projects/${p}?tab=settings`);
    await expect.poll(() => page.getByTestId('gold-warning').count()).toBe(1);
    await page.locator('#gold').fill('0');
    await expect.poll(() => page.getByTestId('gold-warning').count()).toBe(0);
    await page.context().close();
    expect(errors).toEqual([]);
  });

  it('import: a file dropped on the drop zone is imported, and the past imports list its results', async () => {
    const { t } = ctx;
    const lead = await t.as('lead');
    const p = (await lead.post<Project>('/api/projects', { name: 'Drop zone' })).body.id;
    const errors: string[] = [];
    const page = await open('lead', errors);
    await page.goto(`${t.url}/projects/${p}?tab=import`);
    await page.getByTestId('import-history-empty').waitFor();

    // A real drop event carrying a file, as a desktop drag would deliver it.
    const content = jsonlOf([pairItem('d1'), pairItem('d2'), '{"not": "an item"}']);
    // (A string, evaluated in the page: the test files have no DOM types.)
    const dt = await page.evaluateHandle(
      `(() => { const d = new DataTransfer(); d.items.add(new File([${JSON.stringify(content)}], 'dropped.jsonl', { type: 'application/x-ndjson' })); return d; })()`,
    );
    const zone = page.getByTestId('import-dropzone');
    await zone.dispatchEvent('dragenter', { dataTransfer: dt });
    expect(await zone.getAttribute('data-dragging')).toBe('true');
    await zone.dispatchEvent('drop', { dataTransfer: dt });
    await expect.poll(() => page.getByTestId('import-file-name').textContent()).toBe('dropped.jsonl');
    expect(await zone.getAttribute('data-dragging')).toBe('false');
    await page.getByTestId('import-start').click();
    await expect.poll(() => page.getByTestId('import-status').getAttribute('data-status')).toBe('done');
    const row = page.getByTestId('import-history-row');
    await expect.poll(() => row.count()).toBe(1);
    const cells = await row.first().locator('td').allTextContents();
    expect(cells[0]).toContain('dropped.jsonl');
    expect(cells.slice(2).map((c) => c.trim())).toEqual(['Done', '2', '0', '0', '1']);
    expect(await page.getByTestId('import-errors').textContent()).toContain('3');
    await page.screenshot({ path: join(SHOTS, 'e2e-import-dropzone.png'), fullPage: true });

    // The list is there after a reload too (it is read from the server, not kept in the page).
    await page.reload();
    await expect.poll(() => page.getByTestId('import-history-row').count()).toBe(1);
    await page.context().close();
    expect(errors).toEqual([]);
  });

  it('"Judge" shows only to members who receive work; others read why; a missing project has a way back', async () => {
    const { t } = ctx;
    const errors: string[] = [];
    const trainer = await open('trainer', errors);
    await trainer.goto(`${t.url}/projects/${t.demoProjectId}`);
    await trainer.getByTestId('project-overview').waitFor();
    await expect.poll(() => trainer.getByTestId('open-judge').count()).toBe(1);
    await expect.poll(() => trainer.getByTestId('can-judge').count()).toBe(1);
    expect(await trainer.getByTestId('no-work-reason').count()).toBe(0);

    const reviewer = await open('reviewer', errors);
    await reviewer.goto(`${t.url}/projects/${t.demoProjectId}`);
    await reviewer.getByTestId('project-overview').waitFor();
    await expect.poll(() => reviewer.getByTestId('no-work-reason').textContent()).toContain('only trainers receive work');
    expect(await reviewer.getByTestId('open-judge').count()).toBe(0);
    expect(await reviewer.getByTestId('can-judge').count()).toBe(0);
    // Every promise on the overview is a link to a page that exists.
    for (const href of await reviewer.getByTestId('role-can').locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
      expect(href).toMatch(/\?tab=(disputes|items|quality|gates|rubric|calibration|members)$/);
    }

    await reviewer.goto(`${t.url}/projects/00000000-0000-4000-8000-000000000000`);
    await reviewer.getByTestId('error-state').waitFor();
    expect(await reviewer.locator('h1').textContent()).toBe('Not found');
    await reviewer.getByTestId('error-back').click();
    await reviewer.waitForURL(/\/projects$/);
    // The judging page of a missing project leads back too (a retry cannot find it), and an address
    // whose id is not a UUID is the not-found page, not the API's refusal of the id.
    await trainer.goto(`${t.url}/projects/00000000-0000-4000-8000-000000000000/judge`);
    await trainer.getByTestId('error-back').waitFor();
    // Nothing of a project to offer there: no guidelines, past judgments or item clock.
    expect(await trainer.getByTestId('open-guidelines').count()).toBe(0);
    expect(await trainer.getByTestId('toggle-mine').count()).toBe(0);
    await trainer.getByTestId('error-back').click();
    await trainer.waitForURL(/\/projects$/);
    await trainer.goto(`${t.url}/projects/1/judge`);
    await expect.poll(() => trainer.locator('h1').textContent()).toBe('Page not found');
    await trainer.context().close();
    await reviewer.context().close();
    expect(errors).toEqual([]);
  });

  it('dark mode follows the system, and the toggle overrides it and is kept across reloads', async () => {
    const { t } = ctx;
    const errors: string[] = [];
    const page = await open('lead', errors, 'dark');
    await page.goto(`${t.url}/projects`);
    await page.getByTestId('project-card').first().waitFor();
    const theme = () => page.evaluate('document.documentElement.dataset.theme');
    /** Relative luminance of the page background, 0 (black) to 1 (white). */
    const bodyLuminance = () =>
      page.evaluate(`(() => {
        const c = document.createElement('canvas').getContext('2d');
        c.fillStyle = getComputedStyle(document.documentElement).backgroundColor;
        c.fillRect(0, 0, 1, 1);
        const [r, g, b] = c.getImageData(0, 0, 1, 1).data;
        const lin = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
      })()`) as Promise<number>;

    // The system is dark: so is the app, with no choice made.
    expect(await theme()).toBe('dark');
    expect(await bodyLuminance()).toBeLessThan(0.05);
    await page.screenshot({ path: join(SHOTS, 'e2e-theme-system-dark.png') });
    // The system turns light: the app follows.
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(theme).toBe('light');
    expect(await bodyLuminance()).toBeGreaterThan(0.8);

    // The toggle picks dark against the (light) system, and the choice outlives a reload.
    await page.getByTestId('theme-toggle').click();
    await page.getByTestId('theme-dark').click();
    await expect.poll(theme).toBe('dark');
    expect(await page.getByTestId('theme-toggle').getAttribute('aria-label')).toBe('Theme: dark');
    await page.reload();
    await page.getByTestId('project-card').first().waitFor();
    expect(await theme()).toBe('dark');
    expect(await bodyLuminance()).toBeLessThan(0.05);
    await page.screenshot({ path: join(SHOTS, 'e2e-theme-chosen-dark.png') });

    // Back to the system's setting.
    await page.getByTestId('theme-toggle').click();
    await page.getByTestId('theme-system').click();
    await expect.poll(theme).toBe('light');
    await page.reload();
    await page.getByTestId('project-card').first().waitFor();
    expect(await theme()).toBe('light');
    await page.context().close();
    expect(errors).toEqual([]);
  });
});
