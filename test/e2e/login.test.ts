import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchBrowser } from '../utils/browser.ts';
import { REPO_ROOT } from '../utils/process.ts';
import { createTestServer, type TestServer } from '../utils/server.ts';

const missing = chromiumMissing();
if (missing) console.warn(`[skip] browser tests: ${missing}`);
const SHOTS = join(REPO_ROOT, 'test-results');

describe.skipIf(missing !== null)('browser: signing in and looking around', () => {
  let t: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestServer('pglite');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('the demo lead signs in and opens the demo project, its members and items', async () => {
    const lead = t.logins.find((l) => l.role === 'lead')!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // 401s from the signed-out check and the wrong password are expected; anything else is a bug.
    page.on('console', (m) => m.type() === 'error' && !/status of 401/.test(m.text()) && errors.push(m.text()));

    await page.goto(t.url + '/projects');
    await page.waitForURL(/\/login/);
    await page.getByTestId('login-email').fill(lead.email);
    await page.getByTestId('login-password').fill('wrong password!');
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toContain('incorrect');

    await page.getByTestId('login-password').fill(lead.password);
    await page.getByTestId('login-password').press('Enter');
    await page.getByTestId('project-card').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'e2e-projects.png') });
    expect(await page.getByTestId('project-card').count()).toBe(1);

    await page.getByTestId('project-card').first().click();
    await expect.poll(() => page.getByTestId('project-title').textContent()).toContain('PandaLM pairwise demo');
    expect(page.url()).toContain(`/projects/${t.demoProjectId}`);

    await page.getByRole('tab', { name: /members/i }).click();
    await expect.poll(() => page.getByTestId('member-row').count()).toBe(6);
    await page.getByRole('tab', { name: /items/i }).click();
    await expect.poll(() => page.getByTestId('item-row').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'e2e-project-items.png') });

    await page.getByTestId('nav-user').click();
    await page.getByTestId('logout').click();
    await page.waitForURL(/\/login/);
    expect(errors).toEqual([]);
  });
});
