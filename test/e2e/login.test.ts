import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserMissing, collectPageErrors, SHOTS, unlabelledControls, useBrowserServer } from '../utils/browser.ts';

const missing = browserMissing();

describe.skipIf(missing !== null)('browser: signing in and looking around', () => {
  const ctx = useBrowserServer();

  it('the demo lead signs in and opens the demo project, its members and items', async () => {
    const { t, browser } = ctx;
    const lead = t.logins.find((l) => l.role === 'lead')!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = collectPageErrors(page);

    await page.goto(t.url + '/projects');
    await page.waitForURL(/\/login/);
    expect(await unlabelledControls(page), 'every control on the login page has a name').toEqual([]);
    await page.getByTestId('login-email').fill(lead.email);
    await page.getByTestId('login-password').fill('wrong password!');
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toContain('incorrect');

    await page.getByTestId('login-password').fill(lead.password);
    await page.getByTestId('login-password').press('Enter');
    await page.getByTestId('project-card').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'e2e-projects.png') });
    // The demo workspace: the pairwise project, the classification, rating and spans demos, the SFT writing demo and the red-teaming demo.
    expect(await page.getByTestId('project-card').count()).toBe(6);
    expect(await unlabelledControls(page), 'every control on the project list has a name').toEqual([]);

    await page.getByTestId('project-card').filter({ hasText: 'PandaLM pairwise demo' }).click();
    await expect.poll(() => page.getByTestId('project-title').textContent()).toContain('PandaLM pairwise demo');
    expect(page.url()).toContain(`/projects/${t.demoProjectId}`);

    await page.getByRole('tab', { name: /members/i }).click();
    await expect.poll(() => page.getByTestId('member-row').count()).toBe(6);
    await page.getByRole('tab', { name: /items/i }).click();
    await expect.poll(() => page.getByTestId('item-row').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'e2e-project-items.png') });
    expect(await unlabelledControls(page), 'every control on the project page has a name').toEqual([]);

    // The whole sign-in works from the keyboard: Tab reaches the user menu and Enter opens it.
    await page.getByTestId('nav-user').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('logout').waitFor();
    await page.keyboard.press('Escape');

    await page.getByTestId('nav-user').click();
    await page.getByTestId('logout').click();
    await page.waitForURL(/\/login/);
    expect(errors).toEqual([]);
  });

  it('after signing in, /login?next= with dot segments or encoded slashes stays on this site', async () => {
    const { t, browser } = ctx;
    const lead = t.logins.find((l) => l.role === 'lead')!;
    const origin = new URL(t.url).origin;
    for (const next of ['/..//example.com/x', '/.//example.com', '/%2e%2e//example.com', '/projects/..//example.com', '/%2f%2fexample.com']) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${t.url}/login?next=${encodeURIComponent(next)}`);
      await page.getByTestId('login-email').fill(lead.email);
      await page.getByTestId('login-password').fill(lead.password);
      await page.getByTestId('login-password').press('Enter');
      await page.getByTestId('project-card').first().waitFor();
      expect(new URL(page.url()).origin, next).toBe(origin);
      expect(new URL(page.url()).pathname, next).toBe('/projects');
      await context.close();
    }
  });
});
