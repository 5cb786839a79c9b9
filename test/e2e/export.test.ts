/**
 * The Export tab: a lead picks a kind, a format and filters by keyboard, reads how many rows the file
 * will hold, downloads it (the saved file equals the API's), with no axe violations in light and dark
 * at desktop and phone widths. Consensus labels are written straight into `consensus_labels` for the
 * demo project's first items, as the consensus feature commits them. A reviewer has no Export tab.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { consensusLabels, items } from '@accord/db';
import type { ExportCount } from '@accord/core';
import { axeViolations } from '../utils/axe.ts';
import { browserMissing, collectPageErrors, SHOTS, signIn, useBrowserServer } from '../utils/browser.ts';

const missing = browserMissing();

describe.skipIf(missing !== null)('browser: exporting training data', () => {
  const ctx = useBrowserServer();

  it('a lead filters by keyboard, sees the row count, downloads a CSV equal to the API file; no axe violations in light and dark', async () => {
    const { t, browser } = ctx;
    const projectId = t.demoProjectId;
    const db = t.db.db;
    const first = await db.select({ id: items.id, responses: items.responses }).from(items).where(eq(items.projectId, projectId)).orderBy(asc(items.position)).limit(6);
    const values = [2, -1, 0, 3, -2, 1];
    for (const [i, it] of first.entries()) {
      const [a, b] = it.responses;
      await db.insert(consensusLabels).values({
        projectId,
        itemId: it.id,
        label: { preference: { kind: 'pairwise', a: a!.id, b: b!.id, value: values[i]! }, scores: [], spans: [] },
        method: i % 2 ? 'majority' : 'unanimous',
        agreement: i % 2 ? 0.6666667 : 1,
        rubricVersion: 1,
        judgments: 3,
        judgmentIds: [],
        committedAt: new Date(Date.UTC(2026, 0, 1 + i)),
      });
    }
    const lead = await t.as('lead');
    const all = (await lead.get<ExportCount>(`/api/projects/${projectId}/exports/dpo/count`)).body;
    const majority = (await lead.get<ExportCount>(`/api/projects/${projectId}/exports/dpo/count?method=majority`)).body;
    expect(all.rows).toBe(5);
    expect(majority.rows).toBe(3);

    const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, acceptDownloads: true, reducedMotion: 'reduce' });
    const errors = collectPageErrors(page);
    await signIn(page, t.url, 'lead@accord.local', t.logins.find((l) => l.email === 'lead@accord.local')!.password);
    await page.goto(`${t.url}/projects/${projectId}?tab=export`);
    const count = page.getByTestId('export-count');
    await expect.poll(() => count.getAttribute('data-rows')).toBe('5');
    await expect.poll(() => count.textContent()).toContain('5 rows from 6 consensus labels');

    // Keyboard only: tick "Majority" with Space, choose CSV with the arrow keys, download with Enter.
    await page.getByTestId('export-method-majority').focus();
    await page.keyboard.press('Space');
    await expect.poll(() => count.getAttribute('data-rows')).toBe('3');
    await page.getByTestId('export-format').getByText('JSONL').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Space');
    await expect.poll(() => page.getByTestId('export-format').locator('[data-state="on"]').textContent()).toBe('CSV');
    // Filters that leave nothing say so (the majority labels agree at 2/3).
    expect(await page.getByTestId('export-empty-hint').count()).toBe(0);
    await page.getByTestId('export-min-agreement').fill('0.9');
    await expect.poll(() => count.getAttribute('data-rows')).toBe('0');
    await expect.poll(() => page.getByTestId('export-empty-hint').textContent()).toContain('Nothing matches these filters');
    await page.getByTestId('export-min-agreement').fill('');
    await expect.poll(() => count.getAttribute('data-rows')).toBe('3');

    for (const [width, height] of [
      [1280, 720],
      [390, 844],
    ] as const) {
      await page.setViewportSize({ width, height });
      for (const theme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: theme });
        await expect.poll(() => page.evaluate('document.documentElement.dataset.theme')).toBe(theme);
        await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
        await page.screenshot({ path: join(SHOTS, `export-${width}-${theme}.png`), fullPage: true });
        expect((await axeViolations(page)).join('\n'), `${width} ${theme}`).toBe('');
      }
    }
    await page.setViewportSize({ width: 1280, height: 720 });

    await page.getByTestId('export-download').focus();
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(download.suggestedFilename()).toMatch(/-dpo-\d{4}-\d{2}-\d{2}\.csv$/);
    const saved = readFileSync((await download.path())!, 'utf8');
    const api = await lead.get(`/api/projects/${projectId}/exports/dpo?format=csv&method=majority`);
    expect(saved).toBe(api.text);
    expect(saved.trimEnd().split('\r\n')).toHaveLength(1 + 3);
    await expect.poll(() => page.getByTestId('export-done').textContent()).toContain('3 rows');
    expect(errors).toEqual([]);

    // A reviewer has no Export tab, and ?tab=export shows the overview.
    const reviewerPage = await browser.newPage();
    await signIn(reviewerPage, t.url, 'reviewer@accord.local', t.logins.find((l) => l.email === 'reviewer@accord.local')!.password);
    await reviewerPage.goto(`${t.url}/projects/${projectId}?tab=export`);
    await reviewerPage.getByTestId('project-overview').waitFor();
    expect(await reviewerPage.getByTestId('tab-export').count()).toBe(0);
    await reviewerPage.close();
    await page.close();
  }, 300_000);
});
