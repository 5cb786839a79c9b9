/**
 * A live calibration session in three browser contexts — a lead and two trainers — run to the end:
 * the lead creates a one-item session in the project's Calibration tab; the trainers join from the
 * same tab and wait in the lobby; the lead starts the blind round; each trainer judges in the shared
 * judging form while everyone sees only who has submitted; the lead reveals; everyone sees both
 * judgments and the round's agreement; a trainer's note reaches the others live; the lead ends the
 * session and everyone sees the report. Each stage is audited with axe (light and dark, 1280 and
 * 390 wide) and photographed into test-results/calibration-*.png.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axeViolations } from '../utils/axe.ts';
import { browserMissing, collectPageErrors, SHOTS, useBrowserServer } from '../utils/browser.ts';
import { createFactory, type FactoryUser } from '../utils/factory.ts';
import { pairItem } from '../utils/work.ts';

const missing = browserMissing();

async function contextFor(browser: Browser, url: string, u: FactoryUser, errors: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, reducedMotion: 'reduce' });
  await context.addCookies([{ name: 'accord_session', value: u.client.cookie!, url }]);
  const page = await context.newPage();
  collectPageErrors(page, { expectedStatuses: [401], label: u.name, into: errors });
  return page;
}

/** Axe in light and dark at 1280 and 390 wide, with screenshots; returns the violations. */
async function sweep(page: Page, label: string): Promise<string[]> {
  const found: string[] = [];
  for (const view of [
    { w: 1280, h: 720 },
    { w: 390, h: 844 },
  ]) {
    await page.setViewportSize({ width: view.w, height: view.h });
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme });
      await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
      await page.screenshot({ path: join(SHOTS, `calibration-${label}-${view.w}-${theme}.png`), fullPage: true });
      for (const v of await axeViolations(page)) found.push(`${label} @${view.w} ${theme}: ${v}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

describe.skipIf(missing !== null)('browser: a calibration session, lead and two trainers', () => {
  const ctx = useBrowserServer();

  it('runs a one-item session to the end in three contexts', async () => {
    const { t, browser } = ctx;
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const p = await factory.project({ name: 'Calibration in the browser', items: [pairItem('calib-1'), pairItem('calib-2')], trainers: 2, rubric: false });
    const errors: string[] = [];
    const violations: string[] = [];
    const lead = await contextFor(browser, t.url, p.lead, errors);
    const [t1, t2] = await Promise.all(p.trainers.map((u) => contextFor(browser, t.url, u, errors)));
    const trainers = [t1!, t2!];

    // The lead creates the session in the Calibration tab.
    await lead.goto(`${t.url}/projects/${p.id}?tab=calibration`);
    await lead.getByTestId('calibration-new').click();
    await lead.getByTestId('calibration-title').fill('Sky colour');
    for (const u of p.trainers) await lead.locator(`[data-testid="calibration-member"][data-email="${u.email}"]`).check();
    await lead.getByTestId('calibration-item').first().check();
    await lead.getByTestId('calibration-create').click();
    await lead.waitForURL(/\/calibration\/[0-9a-f-]+$/);
    await lead.getByTestId('calibration-start').waitFor();
    violations.push(...(await sweep(lead, 'lead-lobby')));

    // The trainers find it in the same tab and join.
    for (const page of trainers) {
      await page.goto(`${t.url}/projects/${p.id}?tab=calibration`);
      await page.getByTestId('calibration-banner').waitFor();
      if (page === trainers[0]) violations.push(...(await sweep(page, 'trainer-project-tab')));
      await page.getByTestId('calibration-open').first().click();
      await page.getByTestId('calibration-lobby').waitFor();
    }
    await expect.poll(() => lead.locator('[data-testid="participant"]').count()).toBe(2);

    // Round 1, blind.
    await lead.getByTestId('calibration-start').click();
    for (const page of trainers) await page.getByTestId('calibration-prompt').waitFor();
    violations.push(...(await sweep(trainers[0]!, 'trainer-judging')));
    for (const [i, page] of trainers.entries()) {
      const first = await page.getByTestId('response').first().locator('[data-response-id]').getAttribute('data-response-id');
      // Both prefer the Rayleigh answer (r1), one strongly and one slightly.
      const v = i === 0 ? 2 : 1;
      await page.getByTestId(first === 'r1' ? `pref--${v}` : `pref-${v}`).click();
      const just = page.getByTestId('justification');
      if (await just.count()) await just.fill(`Trainer ${i + 1} thinks the scattering answer is correct and complete.`);
      await page.getByTestId('submit-judgment').click();
      await page.getByTestId('calibration-waiting').waitFor();
      await expect.poll(() => lead.locator('[data-testid="participant"][data-submitted="true"]').count()).toBe(i + 1);
    }
    violations.push(...(await sweep(lead, 'lead-judging')));
    // Before the reveal the waiting trainer sees no judgment, only that both submitted.
    expect(await trainers[1]!.getByTestId('revealed-judgment').count()).toBe(0);

    await lead.getByTestId('calibration-reveal').click();
    for (const page of [lead, ...trainers]) await expect.poll(() => page.getByTestId('revealed-judgment').count()).toBe(2);
    expect(await trainers[0]!.getByTestId('round-agreement').textContent()).not.toBe('');

    // Discussion: a trainer's note reaches everyone live.
    const editor = trainers[0]!.getByTestId('notes-editor');
    await editor.click();
    await trainers[0]!.keyboard.type('Style never beats a factual error.');
    for (const page of [lead, trainers[1]!]) await expect.poll(() => page.getByTestId('notes-editor').textContent()).toContain('factual error');
    violations.push(...(await sweep(trainers[1]!, 'trainer-revealed')));
    violations.push(...(await sweep(lead, 'lead-revealed')));

    // The end: read-only report for everyone.
    await lead.getByTestId('calibration-end').click();
    await lead.getByTestId('calibration-end-confirm').click();
    for (const page of [lead, ...trainers]) await page.getByTestId('report-view').waitFor();
    expect(await lead.getByTestId('report-blind').textContent()).not.toBe('');
    violations.push(...(await sweep(lead, 'lead-ended')));
    violations.push(...(await sweep(trainers[0]!, 'trainer-ended')));

    for (const page of [lead, ...trainers]) await page.context().close();
    expect(violations.join('\n')).toBe('');
    expect(errors).toEqual([]);
  }, 300_000);
});
