/**
 * The justification report on the quality dashboard: with only imported judgments (none checked) the
 * panel says so; trainers then submit justifications that get three kinds of finding (a near-copy,
 * a pasted one that also skips the lowest-scored dimension), and the lead's open dashboard shows the
 * API report's counts and shares per kind, which kinds block a submit, and each trainer's counts (a
 * keyboard press away as a table, and as CSV). A trainer has no Quality tab and gets 403 from the API.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JUSTIFICATION_CHECKS, type JudgmentPayload, type JustificationReport, type QueueNext, type Task } from '@accord/core';
import type { Page } from 'playwright-core';
import { browserMissing, collectPageErrors, SHOTS, signIn, useBrowserServer } from '../utils/browser.ts';
import type { ApiClient } from '../utils/client.ts';
import { createFactory, type FactoryProject } from '../utils/factory.ts';
import { importFile, jsonlOf, judgment, RECIPE, ROAD_TRIP } from '../utils/work.ts';

const missing = browserMissing();


/** The trainer takes the next task and submits `make(task)`, typed or (as the client counts it) pasted. */
async function submit(c: ApiClient, projectId: string, make: (task: Task) => JudgmentPayload, typing = { typedChars: 400, pastedChars: 0 }): Promise<void> {
  const task = (await c.post<QueueNext>(`/api/projects/${projectId}/queue/next`)).body.task;
  if (!task) throw new Error('the trainer got no task');
  const r = await c.post(`/api/projects/${projectId}/assignments/${task.assignmentId}/submit`, { payload: make(task), timeSpentMs: 60_000, typing });
  if (r.status !== 200) throw new Error(`submit refused: ${r.status} ${r.text}`);
}

/** As the panel writes a share: one decimal. */
const pct = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);

/** The panel's figures per kind, read from the page. */
async function kindsOnPage(page: Page) {
  const out: Record<string, { count: string; rate: string; blocks: string | null }> = {};
  for (const k of JUSTIFICATION_CHECKS) {
    const tile = page.locator(`[data-testid="justification-kind"][data-kind="${k}"]`);
    out[k] = {
      count: (await tile.getByTestId('justification-kind-count').textContent())!.trim(),
      rate: (await tile.getByTestId('justification-kind-rate').textContent())!.trim(),
      blocks: await tile.getAttribute('data-blocks'),
    };
  }
  return out;
}

const kindsOf = (r: JustificationReport) =>
  Object.fromEntries(JUSTIFICATION_CHECKS.map((k) => [k, { count: r.totals.findings[k].count.toLocaleString('en-US'), rate: pct(r.totals.findings[k].rate), blocks: String(r.block.includes(k)) }]));

describe.skipIf(missing !== null)('browser: the justification report', () => {
  const ctx = useBrowserServer();
  let p: FactoryProject;

  it('a lead sees each finding’s count and share, what blocks, and who pastes or copies, equal to the API report', async () => {
    const { t, browser } = ctx;
    const factory = createFactory(await t.as('admin'), t.server.deps);
    p = await factory.project({ name: 'Justification report', items: 6, trainers: 3, settings: { justificationChecks: { block: ['contradicts'] } } });
    const [one, two, three] = p.trainers as [FactoryProject['trainer'], FactoryProject['trainer'], FactoryProject['trainer']];
    const url = (path: string) => `/api/projects/${p.id}${path}`;
    const report = async () => (await p.lead.client.get<JustificationReport>(url('/justifications/report'))).body;

    // Imported crowd judgments were never checked: the dashboard has figures, the panel has no justifications.
    const crowd = p.items.slice(0, 2).map((externalId) => ({ externalId, annotator: 'crowd-1', judgment: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -1 } } }));
    expect(await importFile(p.lead.client, p.id, jsonlOf(crowd), { kind: 'judgments' })).toMatchObject({ status: 'done', rejected: 0 });
    expect((await report()).totals.checked).toBe(0);

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const errors = collectPageErrors(page);
    await signIn(page, t.url, p.lead.email, p.lead.password);
    await page.goto(`${t.url}/projects/${p.id}`);
    await page.getByTestId('tab-quality').click();
    await page.waitForURL(/tab=quality/);
    await page.getByTestId('justification-report-empty').waitFor();
    expect(await page.getByTestId('justification-kind').count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Justifications', exact: true }).count()).toBe(1);
    await page.getByTestId('justification-report').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'e2e-justification-report-empty.png') });

    // Trainers submit: one in their own words, then a pasted text that skips helpfulness (scored lowest);
    // another copies the first; a third writes their own. None argues for the other response (that blocks).
    await expect.poll(() => page.getByTestId('quality-live').getAttribute('data-state')).toBe('live');
    await submit(one.client, p.id, (task) => judgment(task, 'A', RECIPE));
    await submit(one.client, p.id, (task) => judgment(task, 'A', 'A is the better answer overall and reads more naturally than B does.', 1), { typedChars: 20, pastedChars: 400 });
    await submit(two.client, p.id, (task) => judgment(task, 'A', RECIPE.toLowerCase().replace(/,/g, '').replace('use them', 'use them at all')));
    await submit(three.client, p.id, (task) => judgment(task, 'A', ROAD_TRIP));

    const r = await report();
    expect(r.totals.checked).toBe(4);
    expect(JUSTIFICATION_CHECKS.filter((k) => r.totals.findings[k].count > 0)).toEqual(['missingDimensions', 'nearCopy', 'pasted']);
    expect(r.block).toEqual(['contradicts']);

    // The open dashboard follows the submits (the report at most every 10 s, the last change always):
    // per kind, the API's counts and shares, and what blocks.
    await page.locator('[data-testid="justification-kind"]').first().waitFor({ timeout: 45_000 });
    await expect.poll(() => kindsOnPage(page), { timeout: 45_000 }).toEqual(kindsOf(r));
    expect(await page.getByTestId('justification-checked').textContent()).toContain('4 judgments checked');
    expect(await page.getByTestId('justification-blocking').textContent()).toContain('Argues for the other response');
    expect(await page.getByTestId('justification-settings-link').getAttribute('href')).toBe(`/projects/${p.id}?tab=settings`);

    // Per trainer: the chart is drawn; its numbers are a keypress away, most findings first.
    const chart = page.getByTestId('justification-trainers-chart');
    await expect.poll(() => chart.getAttribute('data-ready')).toBe('true');
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    await page.getByTestId('justification-report').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'e2e-justification-report.png'), fullPage: true });

    await page.getByTestId('justification-trainers-toggle').focus();
    await page.keyboard.press('Enter');
    const rows = page.getByTestId('justification-trainers-table').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(r.trainers.length);
    const onPage = (await rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())))) as string[][];
    // Columns: trainer, checked, each kind's count and share, email.
    const want = [...r.trainers]
      .sort((x, y) => JUSTIFICATION_CHECKS.reduce((s, k) => s + y.findings[k].count - x.findings[k].count, 0) || x.name.localeCompare(y.name))
      .map((x) => [x.name, String(x.checked), ...JUSTIFICATION_CHECKS.map((k) => String(x.findings[k].count)), x.email]);
    expect(onPage.map((c) => [c[0], c[1], c[2], c[4], c[6], c[8], c[10]])).toEqual(want);
    expect(onPage[0]?.[0]).toBe(one.name); // two findings: pasted and the dimension it skipped
    await page.getByTestId('justification-trainers').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'e2e-justification-report-table.png') });

    // … and as CSV.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('justification-trainers-csv').click()]);
    expect(download.suggestedFilename()).toBe('justification-report-justification-findings-per-trainer.csv');
    const lines = readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    expect(lines[0]).toBe('trainer,checked,contradicts,contradicts_share,missing_dimensions,missing_dimensions_share,near_copy,near_copy_share,pasted,pasted_share,email');
    expect(lines).toHaveLength(r.trainers.length + 1);
    const twoRow = lines.find((l) => l.startsWith(`${two.name},`))!.split(',');
    expect(Number(twoRow[6])).toBe(r.trainers.find((x) => x.userId === two.id)!.findings.nearCopy.count);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('justification-report').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'e2e-justification-report-390.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);

  it('a trainer cannot see it: no Quality tab, and the API answers 403', async () => {
    const { t, browser } = ctx;
    expect((await p.trainer.client.get(`/api/projects/${p.id}/justifications/report`)).status).toBe(403);
    expect((await p.reviewer.client.get(`/api/projects/${p.id}/justifications/report`)).status).toBe(200);

    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = collectPageErrors(page, { expectedStatuses: [401, 404] });
    await signIn(page, t.url, p.trainer.email, p.trainer.password);
    await page.goto(`${t.url}/projects/${p.id}`);
    await page.getByTestId('project-title').waitFor();
    expect(await page.getByTestId('tab-quality').count()).toBe(0);
    // A typed URL falls back to the overview; the report is not shown.
    await page.goto(`${t.url}/projects/${p.id}?tab=quality`);
    await page.getByTestId('project-overview').waitFor();
    expect(await page.getByTestId('justification-report').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
