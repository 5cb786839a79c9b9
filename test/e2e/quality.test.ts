/**
 * The quality dashboard on real data: LLMFAO (2,139 pairs, 8,931 crowd votes) imported through the
 * API. A lead sees α and the leaderboard with the API's numbers, reads a chart as a table, downloads
 * a CSV, and watches the figures follow a trainer's submit without reloading. A trainer cannot open
 * the Quality tab (nor its API) and sees only their own statistics on "Your work".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Leaderboard, MyStats, Project, ProjectAgreement, QueueNext } from '@accord/core';
import { browserMissing, collectPageErrors, SHOTS, signIn, useBrowserServer } from '../utils/browser.ts';
import type { ApiClient } from '../utils/client.ts';
import { dataset, importFile, validJudgment } from '../utils/work.ts';

const missing = browserMissing();

/** The trainer judges `n` items through the API (the queue, then a submit). */
async function judge(c: ApiClient, projectId: string, n: number, value = -1): Promise<void> {
  for (let i = 0; i < n; i++) {
    const next = (await c.post<QueueNext>(`/api/projects/${projectId}/queue/next`)).body;
    if (!next.task) throw new Error('the trainer got no task');
    const r = await c.post(`/api/projects/${projectId}/assignments/${next.task.assignmentId}/submit`, { payload: validJudgment(next.task, i % 3 === 2 ? 0 : value), timeSpentMs: 4000 + i * 500 });
    if (r.status !== 200 && r.status !== 201) throw new Error(`submit refused: ${r.status} ${r.text}`);
  }
}

describe.skipIf(missing !== null)('browser: the quality dashboard and my statistics', () => {
  const ctx = useBrowserServer();
  let projectId = '';

  it('a lead sees LLMFAO agreement and leaderboard with the API numbers, reads them as a table, downloads a CSV, and the figures follow a submit live', async () => {
    const { t, browser } = ctx;
    const lead = await t.as('lead');
    projectId = (await lead.post<Project>('/api/projects', { name: 'LLMFAO crowd' })).body.id;
    const items = await importFile(lead, projectId, dataset('llmfao', 'items'), { fileName: 'llmfao-items.jsonl', timeout: 420_000 });
    expect(items.status).toBe('done');
    const votes = await importFile(lead, projectId, dataset('llmfao', 'judgments'), { kind: 'judgments', fileName: 'llmfao-judgments.jsonl', timeout: 420_000 });
    expect(votes.status).toBe('done');
    // trainer1 joins and may get items that the crowd judged already.
    const admin = await t.as('admin');
    expect((await admin.post(`/api/projects/${projectId}/members`, { email: 'trainer1@accord.local', role: 'trainer' })).status).toBe(201);
    expect((await lead.patch(`/api/projects/${projectId}/settings`, { overlap: 20 })).status).toBe(200);
    const trainer = await t.as('trainer');
    await judge(trainer, projectId, 3);

    const agreement = (await lead.get<ProjectAgreement>(`/api/projects/${projectId}/agreement`)).body;
    const board = (await lead.get<Leaderboard>(`/api/projects/${projectId}/leaderboard?from=judgments`)).body;
    expect(agreement.judgments).toBe(8931 + 3);
    expect(agreement.overall.alpha.nominal.value).not.toBeNull();
    expect(board.models.length).toBeGreaterThan(2);

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const errors = collectPageErrors(page);
    await signIn(page, t.url, 'lead@accord.local', t.logins.find((l) => l.email === 'lead@accord.local')!.password);
    await page.goto(`${t.url}/projects/${projectId}`);
    await page.getByTestId('tab-quality').click();
    await page.waitForURL(/tab=quality/);

    // Headline α with its n and interval, equal to the API's figure.
    await expect.poll(() => page.getByTestId('alpha-nominal-value').textContent()).toBe(agreement.overall.alpha.nominal.value!.toFixed(3));
    expect(await page.getByTestId('alpha-nominal-n').textContent()).toBe(agreement.overall.alpha.nominal.n.toLocaleString('en-US'));
    expect(await page.getByTestId('alpha-nominal').textContent()).toMatch(/95% CI \[-?\d\.\d{3}, -?\d\.\d{3}\]/);
    expect(await page.getByTestId('headline-counts').textContent()).toContain(`${(8931 + 3).toLocaleString('en-US')} judgments`);

    // Every chart is drawn (the chart library loaded and rendered a canvas).
    for (const chart of ['leaderboard-chart', 'dimensions-chart', 'distribution-chart', 'heatmap-chart', 'position-chart']) {
      await expect.poll(() => page.getByTestId(chart).getAttribute('data-ready'), { message: chart }).toBe('true');
      expect(await page.getByTestId(chart).locator('canvas').count(), chart).toBeGreaterThan(0);
    }
    await page.screenshot({ path: join(SHOTS, 'e2e-quality-dashboard.png'), fullPage: true });

    // The leaderboard's numbers, a click away: the strongest model first, with the API's strength.
    await page.getByTestId('leaderboard-toggle').click();
    const rows = page.getByTestId('leaderboard-table').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(board.models.length);
    const first = await rows.first().locator('td').allTextContents();
    expect(first.slice(0, 3)).toEqual(['1', board.models[0]!.model, board.models[0]!.strength.toFixed(3)]);

    // … and as CSV, with full precision.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('leaderboard-csv').click()]);
    expect(download.suggestedFilename()).toBe('llmfao-crowd-leaderboard-judgments.csv');
    const csv = readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, '');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('rank,model,strength,ci_low,ci_high,comparisons,wins,ties,losses');
    expect(lines).toHaveLength(board.models.length + 1);
    const cells = lines[1]!.split(',');
    expect(Number(cells[2])).toBe(board.models[0]!.strength);
    expect(Number(cells[5])).toBe(board.models[0]!.comparisons);

    // From consensus: another request, another table.
    await page.getByTestId('leaderboard-from').getByText('Consensus').click();
    const consensus = (await lead.get<Leaderboard>(`/api/projects/${projectId}/leaderboard?from=consensus`)).body;
    await expect.poll(() => rows.first().locator('td').nth(2).textContent()).toBe(consensus.models[0]!.strength.toFixed(3));

    // Annotators: the crowd workers are listed and the table sorts.
    await expect.poll(() => page.getByTestId('trainer-row').count()).toBeGreaterThan(100);
    await page.getByTestId('sort-name').click();
    const names = await page.getByTestId('trainer-row').locator('th').allTextContents();
    expect(names.slice(0, 5).map((n) => n.trim())).toEqual([...names.slice(0, 5).map((n) => n.trim())].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));

    // Live: a trainer's submit reaches the open dashboard without a reload.
    await expect.poll(() => page.getByTestId('quality-live').getAttribute('data-state')).toBe('live');
    await judge(trainer, projectId, 1);
    await expect.poll(() => page.getByTestId('headline-counts').textContent()).toContain(`${(8931 + 4).toLocaleString('en-US')} judgments`);

    for (const [w, h, name] of [
      [1280, 720, '1280'],
      [390, 844, '390'],
    ] as const) {
      await page.setViewportSize({ width: w, height: h });
      await page.getByTestId('headline').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, `e2e-quality-dashboard-${name}.png`), timeout: 120_000 });
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 900_000);

  it('a trainer sees only their own statistics and cannot open the Quality tab', async () => {
    const { t, browser } = ctx;
    const trainer = await t.as('trainer');
    expect((await trainer.get(`/api/projects/${projectId}/agreement`)).status).toBe(403);
    const mine = (await trainer.get<MyStats>(`/api/projects/${projectId}/me/stats`)).body;
    expect(mine.judgments).toBe(4);

    // Feedback and standing come from the gates routes; a build without them answers 404 and the page leaves those sections out.
    const gates = (await trainer.get(`/api/projects/${projectId}/standing`)).status !== 404;
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = collectPageErrors(page, { expectedStatuses: gates ? [401] : [401, 404] });
    await signIn(page, t.url, 'trainer1@accord.local', t.logins.find((l) => l.email === 'trainer1@accord.local')!.password);
    await page.goto(`${t.url}/projects/${projectId}`);
    await page.getByTestId('project-title').waitFor();
    expect(await page.getByTestId('tab-quality').count()).toBe(0);
    // A typed URL falls back to the overview; no figures are requested.
    await page.goto(`${t.url}/projects/${projectId}?tab=quality`);
    await page.getByTestId('project-overview').waitFor();
    expect(await page.getByTestId('quality-dashboard').count()).toBe(0);

    // "Your work": their statistics above their standing, qualification, judgments and feedback.
    await page.getByTestId('tab-mywork').click();
    await expect.poll(() => page.getByTestId('my-judgments-value').textContent()).toBe('4');
    await page.getByTestId('my-position').waitFor();
    if (gates) await page.getByTestId('my-judgments-feedback').waitFor();
    expect(await page.getByTestId('tab-me').count()).toBe(0);
    // Nobody else's identity is on the page: no crowd worker, no other member.
    const text = ((await page.getByTestId('my-stats').textContent()) ?? '') + ((gates ? await page.getByTestId('my-work').textContent() : '') ?? '');
    expect(text).not.toMatch(/llmfao-worker|trainer2|Lead/);
    await page.screenshot({ path: join(SHOTS, 'e2e-quality-my-stats.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'e2e-quality-my-stats-390.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 180_000);
});
