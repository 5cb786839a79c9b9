/**
 * Justification warnings in the judging form: a trainer writing a justification for the response
 * they did not prefer sees the warning as they type and, when the project blocks it, a disabled
 * Submit with the reason; fixing the text clears it. Pasted text is counted. The lead ticks what
 * blocks on the Settings tab.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProjectSettings } from '@accord/core';
import type { Page } from 'playwright-core';
import { browserMissing, collectPageErrors, SHOTS, signIn, useBrowserServer } from '../utils/browser.ts';

const missing = browserMissing();

async function fillForm(page: Page) {
  await page.getByTestId('judge-prompt').waitFor();
  // Each score cell's keys are its rubric's own level numbers (a binary dimension is 0/1).
  const keys = (await page.evaluate(
    `[...document.querySelectorAll('[data-testid="score-cell"]')].map((c) => [...c.querySelectorAll('[role="radio"]')].map((e) => e.textContent.trim()))`,
  )) as string[][];
  await page.keyboard.press('2'); // A better
  if (keys.length) {
    // Back to the page, then Tab starts scoring: 2 where the scale has it, else its highest level.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    for (const k of keys) await page.keyboard.press(k.includes('2') ? '2' : k[k.length - 1]!);
  }
}

describe.skipIf(missing !== null)('browser: justification warnings', () => {
  const ctx = useBrowserServer();

  it('warns as the trainer types, blocks Submit where the project says so, and the lead chooses what blocks', async () => {
    const { t, browser } = ctx;
    const lead = await t.as('lead');
    expect((await lead.patch(`/api/projects/${t.demoProjectId}/settings`, { justificationChecks: { block: ['contradicts'] } })).status).toBe(200);

    const trainer = t.logins.find((l) => l.email === 'trainer2@accord.local')!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = collectPageErrors(page);
    await signIn(page, t.url, trainer.email, trainer.password);
    await page.goto(`${t.url}/projects/${t.demoProjectId}/judge`);
    await fillForm(page);

    const box = page.getByTestId('justification');
    await box.click();
    await page.keyboard.type('Response B is better, because A ignores the question and gives the user nothing of use.');
    const finding = (kind: string) => page.locator(`[data-testid="justification-finding"][data-kind="${kind}"]`);
    await finding('contradicts').waitFor();
    expect(await finding('contradicts').textContent()).toContain('argues for Response B, but your judgment prefers Response A');
    // The server's answer says the project blocks it: Submit is disabled, with the reason.
    await expect.poll(() => finding('contradicts').getAttribute('data-blocks')).toBe('true');
    await expect.poll(() => page.getByTestId('submit-judgment').isDisabled()).toBe(true);
    expect(await page.getByTestId('missing').textContent()).toContain('argues for Response B');
    await page.screenshot({ path: join(SHOTS, 'e2e-justification-blocked.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'e2e-justification-blocked-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });

    // Rewritten for A (and naming the lowest score, helpfulness): the warnings go, Submit is back.
    await box.fill('');
    await page.keyboard.type('Response A is better: it is helpful and answers the question, while B ignores what the user asked for.');
    await expect.poll(() => page.getByTestId('justification-finding').count()).toBe(0);
    await expect.poll(() => page.getByTestId('submit-judgment').isDisabled()).toBe(false);

    // A long paste is counted as pasted (as the browser reports it).
    await page.evaluate(`(() => {
      const el = document.querySelector('[data-testid="justification"]');
      const dt = new DataTransfer();
      dt.setData('text/plain', 'x'.repeat(600));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    })()`);
    await finding('pasted').waitFor();
    expect(await finding('pasted').getAttribute('data-blocks')).toBe('false');
    await page.keyboard.press('Control+Enter');
    await page.getByTestId('submitted').waitFor();

    // The lead's Settings tab: tick near-copies too.
    const leadLogin = t.logins.find((l) => l.email === 'lead@accord.local')!;
    const leadPage = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    collectPageErrors(leadPage, { into: errors });
    await signIn(leadPage, t.url, leadLogin.email, leadLogin.password);
    await leadPage.goto(`${t.url}/projects/${t.demoProjectId}?tab=settings`);
    await leadPage.getByTestId('settings-justification-checks').waitFor();
    expect(await leadPage.getByTestId('settings-block-contradicts').isChecked()).toBe(true);
    await leadPage.getByTestId('settings-block-nearCopy').check();
    await leadPage.getByTestId('settings-justification-checks').scrollIntoViewIfNeeded();
    await leadPage.screenshot({ path: join(SHOTS, 'e2e-justification-settings.png'), fullPage: true });
    await leadPage.getByTestId('settings-save').click();
    await expect
      .poll(async () => (await lead.get<ProjectSettings>(`/api/projects/${t.demoProjectId}/settings`)).body.justificationChecks.block.slice().sort())
      .toEqual(['contradicts', 'nearCopy']);
    const report = await lead.get<{ totals: { checked: number; findings: { pasted: { count: number } } } }>(`/api/projects/${t.demoProjectId}/justifications/report`);
    expect(report.body.totals).toMatchObject({ checked: 1, findings: { pasted: { count: 1 } } });
    // The quality flags' thresholds are set on the same page (empty: off), and read back.
    await leadPage.getByTestId('settings-flag-kappa').fill('0.4');
    await leadPage.getByTestId('settings-flag-gold').fill('75');
    await leadPage.getByTestId('settings-save').click();
    await expect
      .poll(async () => (await lead.get<ProjectSettings>(`/api/projects/${t.demoProjectId}/settings`)).body.quality)
      .toMatchObject({ minKappaVsConsensus: 0.4, minGoldAccuracy: 0.75 });
    await leadPage.getByTestId('settings-flag-gold').fill('');
    await leadPage.getByTestId('settings-save').click();
    await expect.poll(async () => (await lead.get<ProjectSettings>(`/api/projects/${t.demoProjectId}/settings`)).body.quality.minGoldAccuracy).toBeNull();
    expect(errors).toEqual([]);
  });
});
