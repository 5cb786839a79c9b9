/**
 * Gates in a browser: a trainer whose project requires a qualification sees why there is no work,
 * takes the qualification in the judging form, passes and sees the tier it granted, then reads the
 * feedback a reviewer left on a judgment; a lead pauses the trainer from the Members tab.
 * Screenshots at 1280×720 and a phone width go to test-results/.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { QueueNext } from '@accord/core';
import { browserMissing, collectPageErrors, SHOTS, signIn, useBrowserServer } from '../utils/browser.ts';
import { createFactory } from '../utils/factory.ts';
import { pairItem } from '../utils/work.ts';

const missing = browserMissing();
const GOLD = { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -2 } }; // r1 is better

describe.skipIf(missing !== null)('browser: qualification, tiers and feedback', () => {
  const ctx = useBrowserServer();

  it('a trainer qualifies in the judging form, gains the tier, and reads feedback; a lead pauses them', async () => {
    const { t, browser } = ctx;
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const p = await factory.project({
      name: 'Premium medical pairs',
      items: [pairItem('work-1'), pairItem('work-2'), pairItem('gold-1', { gold: GOLD }), pairItem('gold-2', { gold: GOLD })],
      rubric: false,
      settings: { eligibility: { minTier: 2 } },
    });
    const items = (await p.lead.client.get<{ items: { id: string; externalId: string }[] }>(`/api/projects/${p.id}/items`)).body.items;
    const gold = ['gold-1', 'gold-2'].map((e) => items.find((i) => i.externalId === e)!.id);
    const put = await p.lead.client.request('PUT', `/api/projects/${p.id}/qualification`, { itemIds: gold, passThreshold: 1, retryDelayMinutes: 60, grants: { tier: 2, tags: ['medicine'] } });
    expect(put.status).toBe(200);

    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = collectPageErrors(page);
    await signIn(page, t.url, p.trainer.email, p.trainer.password);
    // The project list says why there is no work.
    const card = page.getByTestId('project-card').filter({ hasText: 'Premium medical pairs' });
    await expect.poll(() => card.getByTestId('project-card-no-work').textContent()).toContain('qualification');
    await page.screenshot({ path: join(SHOTS, 'gates-project-list.png') });

    await page.goto(`${t.url}/projects/${p.id}?tab=mywork`);
    await page.getByTestId('standing-reason').waitFor();
    expect(await page.getByTestId('standing-grants').textContent()).toContain('tier 2');
    await page.screenshot({ path: join(SHOTS, 'gates-my-work-before.png') });
    await page.getByTestId('take-qualification').click();
    await page.waitForURL(/\/qualify$/);

    for (let n = 0; n < 2; n++) {
      await page.getByTestId('qualify-prompt').waitFor();
      await expect.poll(() => page.getByTestId('qualify-progress').textContent()).toContain(`Item ${n + 1} of 2`);
      // The trainer judges by content: the Rayleigh answer is the better one.
      const first = await page.getByTestId('response').first().locator('[data-response-id]').getAttribute('data-response-id');
      if (n === 0) {
        await page.getByTestId(first === 'r1' ? 'pref--2' : 'pref-2').click();
        await page.screenshot({ path: join(SHOTS, 'gates-qualify-item.png') });
        await page.getByTestId('submit-judgment').click();
      } else {
        // The keys of real work: a number on the scale (2: A better, 6: B better), Ctrl+Enter submits.
        await page.locator('body').click({ position: { x: 5, y: 5 } });
        await page.keyboard.press(first === 'r1' ? '2' : '6');
        await expect.poll(() => page.getByTestId(first === 'r1' ? 'pref--2' : 'pref-2').getAttribute('aria-checked')).toBe('true');
        await page.keyboard.press('Control+Enter');
      }
      if (n === 0) await expect.poll(() => page.getByTestId('qualify-progress').textContent()).toContain('Item 2 of 2');
    }
    await page.getByTestId('qualify-result').waitFor();
    expect(await page.getByTestId('qualify-result').getAttribute('data-status')).toBe('passed');
    expect(await page.getByTestId('qualify-score').textContent()).toContain('100%');
    await page.screenshot({ path: join(SHOTS, 'gates-qualify-passed.png') });

    // Real work opens; a judgment, then a reviewer's feedback on it, which the trainer reads on their page.
    const next = await p.trainer.client.post<QueueNext>(`/api/projects/${p.id}/queue/next`);
    const task = next.body.task!;
    const submitted = await p.trainer.client.post<{ judgment: { id: string } }>(`/api/projects/${p.id}/assignments/${task.assignmentId}/submit`, {
      payload: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -1 } },
    });
    expect(submitted.status).toBe(200);
    const fb = await p.reviewer.client.post(`/api/projects/${p.id}/judgments/${submitted.body.judgment.id}/feedback`, { text: 'Right call; say why the second one is wrong.', rating: 4 });
    expect(fb.status).toBe(201);

    await page.goto(`${t.url}/projects/${p.id}?tab=mywork`);
    await page.getByTestId('standing-eligible').waitFor();
    expect(await page.getByTestId('standing-tier').textContent()).toContain('Tier 2');
    await page.getByTestId('standing-passed').waitFor();
    expect(await page.getByTestId('feedback-text').textContent()).toBe('Right call; say why the second one is wrong.');
    await page.screenshot({ path: join(SHOTS, 'gates-my-work-after.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'gates-my-work-phone.png'), fullPage: true });

    // The lead pauses the trainer from the Members tab.
    const lead = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    collectPageErrors(lead, { into: errors, label: 'lead' });
    await signIn(lead, t.url, p.lead.email, p.lead.password);
    await lead.goto(`${t.url}/projects/${p.id}?tab=members`);
    const row = lead.locator(`[data-testid="member-row"][data-user-id="${p.trainer.id}"]`);
    await row.getByTestId('member-qualified').waitFor();
    await row.getByTestId('member-pause').click();
    await lead.getByTestId('pause-reason').fill('Check the new rubric first');
    await lead.getByTestId('pause-confirm').click();
    await row.getByTestId('member-paused').waitFor();
    expect(await row.getByTestId('member-paused').textContent()).toContain('Check the new rubric first');
    await lead.screenshot({ path: join(SHOTS, 'gates-members-paused.png') });
    await lead.goto(`${t.url}/projects/${p.id}?tab=gates`);
    await lead.getByTestId('qualification-settings').waitFor();
    await lead.getByTestId('feedback-panel').waitFor();
    await lead.screenshot({ path: join(SHOTS, 'gates-panel.png'), fullPage: true });

    const after = await p.trainer.client.post<QueueNext>(`/api/projects/${p.id}/queue/next`);
    expect(after.body.task).toBeNull();
    expect(after.body.progress.reason).toContain('Check the new rubric first');
    expect(errors).toEqual([]);
  }, 300_000);

  it('a lead opens the gates of a project without a qualification: an empty form, no failed request', async () => {
    const { t, browser } = ctx;
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const p = await factory.project({ name: 'No qualification yet', items: [pairItem('only-1')], rubric: false });
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    // A 404 counts: the panel must not ask for a qualification the project does not have.
    const errors = collectPageErrors(page);
    await signIn(page, t.url, p.lead.email, p.lead.password);
    await page.goto(`${t.url}/projects/${p.id}?tab=gates`);
    await page.getByTestId('qualification-save').waitFor();
    await page.getByTestId('feedback-panel').waitFor();
    expect(await page.getByTestId('qualification-remove').count()).toBe(0);
    await page.close();
    expect(errors).toEqual([]);
  }, 120_000);
});
