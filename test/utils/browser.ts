/**
 * Browser tests: Debian's Chromium driven by playwright-core, one real server per file. Tests skip
 * with a printed reason where Chromium is missing (CI installs it, and there it is required).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { testRunEnv } from './env.ts';
import { REPO_ROOT } from './process.ts';
import { createTestServer, type TestServer } from './server.ts';

const CHROMIUM = testRunEnv.chromiumPath;
/** Screenshots taken by the browser tests, for people to look at. */
export const SHOTS = join(REPO_ROOT, 'test-results');

function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  // CI installs Chromium (.ci/run), so there a missing browser is a failure, not a skip.
  if (testRunEnv.ci) throw new Error(`CI=true but there is no Chromium at ${CHROMIUM}`);
  return `no Chromium at ${CHROMIUM} (install Debian's chromium, or set CHROMIUM_PATH)`;
}

async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  // Every page asks for reduced motion unless a test says otherwise, so the app runs no animation:
  // audits and screenshots see final colours, not a toast half faded in.
  const newContext = browser.newContext.bind(browser);
  const newPage = browser.newPage.bind(browser);
  browser.newContext = (o) => newContext({ reducedMotion: 'reduce', ...o });
  browser.newPage = (o) => newPage({ reducedMotion: 'reduce', ...o });
  return browser;
}

/** Whether this file's browser tests run; prints the reason once when they do not. */
export function browserMissing(): string | null {
  const missing = chromiumMissing();
  if (missing) console.warn(`[skip] browser tests: ${missing}`);
  return missing;
}

/**
 * Starts one server (PGlite) and one browser for the enclosing describe block; read the returned
 * object's fields inside tests.
 */
export function useBrowserServer(): { t: TestServer; browser: Browser } {
  const ctx = {} as { t: TestServer; browser: Browser };
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ctx.t = await createTestServer('pglite');
    ctx.browser = await launchBrowser();
  });
  afterAll(async () => {
    await ctx.browser?.close();
    await ctx.t?.close();
  });
  return ctx;
}

/**
 * Collects uncaught page errors and console errors. Failed-request noise for statuses the test
 * provokes on purpose (e.g. 401 before sign-in, 400 for a refused publish) is not an error.
 */
export function collectPageErrors(
  page: Page,
  { expectedStatuses = [401], label = '', into = [] }: { expectedStatuses?: number[]; label?: string; into?: string[] } = {},
): string[] {
  const errors = into;
  const prefix = label ? `${label}: ` : '';
  const expected = new RegExp(`status of (${expectedStatuses.join('|')})`);
  page.on('pageerror', (e) => errors.push(prefix + e.message));
  // A CSP violation that the page catches (zod's `new Function` probe did) logs nothing by itself:
  // report every one as a console error. The listener is installed before any page script runs.
  // (A string, evaluated in the page: the test files have no DOM types.)
  void page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline code') + ' (' + e.sourceFile + ':' + e.lineNumber + ')'));`,
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !expected.test(m.text())) errors.push(prefix + m.text());
  });
  return errors;
}

/** Signs in through the login page and waits for the project list. */
export async function signIn(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(url + '/login');
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-password').press('Enter');
  await page.waitForURL(/\/projects$/);
}

/**
 * Interactive elements on the page that have no accessible name (no label, aria-label,
 * aria-labelledby, title or text), described for an assertion message.
 */
export async function unlabelledControls(page: Page): Promise<string[]> {
  // Runs in the page; kept as source text because this package compiles without DOM types.
  const script = `(() => {
    const out = [];
    const controls = document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, [role=button], [role=tab], [role=menuitem], [tabindex]:not([tabindex="-1"])');
    for (const el of controls) {
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
      const byIds = ids.map((id) => (document.getElementById(id)?.textContent || '').trim()).join('');
      const viaLabel = el.labels ? [...el.labels].map((l) => (l.textContent || '').trim()).join('') : '';
      const name = (el.getAttribute('aria-label') || '') + byIds + viaLabel + (el.getAttribute('title') || '') + (el.textContent || '').trim();
      if (!name.trim()) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  })()`;
  return (await page.evaluate(script)) as string[];
}
