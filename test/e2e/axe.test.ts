/**
 * Every page, as each role (admin, lead, reviewer, trainer), in light at desktop and phone width, and in
 * dark at desktop width as the lead, the trainer and a signed-out visitor: an axe-core audit (WCAG 2.1
 * A/AA and best practice) that fails on any violation (and at phone width on a page wider than the
 * screen), and a screenshot of each, kept under
 * test-results/pages/ for people to look at (not in CI, where nobody looks, unless ACCORD_SCREENSHOTS=1).
 * The dark theme is the same colour tokens on every role's page; the lead sees the most of a project's
 * screens and the trainer the judging ones.
 * Dark mode here is the system's (prefers-color-scheme), which the app follows without a choice made.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Project } from '@accord/core';
import { axeViolations } from '../utils/axe.ts';
import { browserMissing, collectPageErrors, SHOTS, useBrowserServer } from '../utils/browser.ts';
import { testRunEnv } from '../utils/env.ts';

const missing = browserMissing();
const PAGES_DIR = join(SHOTS, 'pages');

type Role = 'admin' | 'lead' | 'reviewer' | 'trainer';
interface PageSpec {
  name: string;
  path: (ids: { demo: string; privateProject: string; dispute: string }) => string;
  /** A selector present once the page has loaded its data. */
  ready: string;
  roles: Role[];
}

const ALL: Role[] = ['admin', 'lead', 'reviewer', 'trainer'];
/** The roles whose pages are also audited and photographed in dark (see the header). */
const DARK_ROLES = new Set<Role>(['lead', 'trainer']);
const PAGES: PageSpec[] = [
  { name: 'projects', path: () => '/projects', ready: '[data-testid="project-card"]', roles: ALL },
  { name: 'project-overview', path: (i) => `/projects/${i.demo}`, ready: '[data-testid="project-overview"]', roles: ALL },
  { name: 'project-members', path: (i) => `/projects/${i.demo}?tab=members`, ready: '[data-testid="member-row"]', roles: ALL },
  { name: 'project-rubric', path: (i) => `/projects/${i.demo}?tab=rubric`, ready: '[data-testid="dimension-card"], [data-testid="rubric-view"]', roles: ALL },
  { name: 'project-items', path: (i) => `/projects/${i.demo}?tab=items`, ready: '[data-testid="item-row"]', roles: ['admin', 'lead', 'reviewer'] },
  { name: 'project-disputes', path: (i) => `/projects/${i.demo}?tab=disputes`, ready: '[data-testid="dispute-row"]', roles: ['admin', 'lead', 'reviewer'] },
  { name: 'dispute-room', path: (i) => `/projects/${i.demo}/disputes/${i.dispute}`, ready: '[data-testid="dispute-room"] [data-testid="proposal-summary"]', roles: ['admin', 'lead', 'reviewer'] },
  { name: 'project-import', path: (i) => `/projects/${i.demo}?tab=import`, ready: '[data-testid="import-form"]', roles: ['admin', 'lead'] },
  { name: 'project-settings', path: (i) => `/projects/${i.demo}?tab=settings`, ready: '[data-testid="settings-form"]', roles: ['admin', 'lead'] },
  { name: 'project-export', path: (i) => `/projects/${i.demo}?tab=export`, ready: '[data-testid="export-columns"]', roles: ['admin', 'lead'] },
  { name: 'project-calibration', path: (i) => `/projects/${i.demo}?tab=calibration`, ready: '[data-testid="calibration-tab"] h2', roles: ALL },
  { name: 'account', path: () => '/account', ready: '[data-testid="tokens-panel"]', roles: ALL },
  { name: 'admin-users', path: () => '/admin/users', ready: '[data-testid="user-row"]', roles: ['admin'] },
  { name: 'page-not-found', path: () => '/no/such/page', ready: '[data-testid="not-found"]', roles: ALL },
  { name: 'project-not-found', path: () => '/projects/00000000-0000-4000-8000-000000000000', ready: '[data-testid="error-state"]', roles: ALL },
  { name: 'project-no-access', path: (i) => `/projects/${i.privateProject}`, ready: '[data-testid="error-state"]', roles: ['lead', 'reviewer', 'trainer'] },
];
const JUDGE: PageSpec = { name: 'judge', path: (i) => `/projects/${i.demo}/judge`, ready: '[data-testid="judge-prompt"], [data-testid="queue-empty"], [data-testid="error-state"]', roles: ALL };

const THEMES = ['light', 'dark'] as const;
/**
 * The desktop is audited in both themes; the phone in light (its colours are the desktop's, its layout
 * is what differs) and photographed in both; the wide desktop is only photographed, in light (its
 * layout is the 1280 one, wider).
 */
const VIEWS = [
  { label: '1280', width: 1280, height: 720, audit: THEMES, themes: THEMES },
  { label: '390', width: 390, height: 844, audit: ['light'], themes: THEMES },
  { label: '1440', width: 1440, height: 900, audit: [], themes: ['light'] },
] as const satisfies readonly { label: string; width: number; height: number; audit: readonly string[]; themes: readonly (typeof THEMES)[number][] }[];

describe.skipIf(missing !== null)('browser: accessibility audit and screenshots of every page', () => {
  const ctx = useBrowserServer();
  const ids = { demo: '', privateProject: '', dispute: '' };

  beforeAll(async () => {
    mkdirSync(PAGES_DIR, { recursive: true });
    ids.demo = ctx.t.demoProjectId;
    // A project the admin made and belongs to alone: the others see the no-access page.
    const admin = await ctx.t.as('admin');
    ids.privateProject = (await admin.post<Project>('/api/projects', { name: 'Private project' })).body.id;
    // One of the demo's open disputes (its adjudication room).
    ids.dispute = (await admin.get<{ items: { id: string }[] }>(`/api/projects/${ids.demo}/disputes`)).body.items[0]!.id;
  });

  async function openAs(role: Role | null, errors: string[]): Promise<Page> {
    const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 720 }, reducedMotion: 'reduce' });
    if (role) {
      const api = await ctx.t.as(role);
      await context.addCookies([{ name: 'accord_session', value: api.cookie!, url: ctx.t.url }]);
    }
    const page = await context.newPage();
    collectPageErrors(page, { expectedStatuses: [401, 403, 404], label: role ?? 'anonymous', into: errors });
    return page;
  }

  /** Audits and photographs the page as loaded, in every view and theme (dark only where `dark`); returns the violations. */
  async function sweep(page: Page, label: string, dark = true): Promise<string[]> {
    const found: string[] = [];
    for (const view of VIEWS) {
      await page.setViewportSize({ width: view.width, height: view.height });
      if (!testRunEnv.sweepScreenshots && view.audit.length === 0) continue;
      for (const theme of view.themes) {
        if (theme === 'dark' && !dark) continue;
        const audit = (view.audit as readonly string[]).includes(theme);
        if (!testRunEnv.sweepScreenshots && !audit) continue;
        await page.emulateMedia({ colorScheme: theme });
        await expect.poll(() => page.evaluate('document.documentElement.dataset.theme')).toBe(theme);
        // Two frames: styles and layout settle after the theme and the width change.
        await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
        if (testRunEnv.sweepScreenshots) await page.screenshot({ path: join(PAGES_DIR, `${label}-${view.label}-${theme}.png`), fullPage: true });
        if (audit) for (const v of await axeViolations(page)) found.push(`${label} @${view.label} ${theme}: ${v}`);
        // A phone shows the whole width: nothing (the account menu was, for the admin) beyond the right edge.
        const over = audit && view.width < 640 ? ((await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number) : 0;
        if (over > 0) found.push(`${label} @${view.label}: the page scrolls sideways by ${over}px`);
      }
    }
    return found;
  }

  async function visit(page: Page, spec: PageSpec): Promise<void> {
    await page.goto(ctx.t.url + spec.path(ids));
    await page.locator(spec.ready).first().waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('[aria-busy="true"]').count()).toBe(0);
  }

  it('the sign-in page, signed out', async () => {
    const errors: string[] = [];
    const page = await openAs(null, errors);
    await page.goto(ctx.t.url + '/login');
    await page.getByTestId('login-email').waitFor();
    const violations = await sweep(page, 'anonymous-login');
    await page.goto(ctx.t.url + '/no/such/page');
    await page.getByTestId('not-found').waitFor();
    violations.push(...(await sweep(page, 'anonymous-page-not-found')));
    await page.context().close();
    expect(violations.join('\n')).toBe('');
    expect(errors).toEqual([]);
  }, 180_000);

  for (const role of ALL) {
    it(`every page as the ${role}, except the judging workspace`, async () => {
      const errors: string[] = [];
      const page = await openAs(role, errors);
      const violations: string[] = [];
      for (const spec of PAGES.filter((p) => p.roles.includes(role))) {
        await visit(page, spec);
        violations.push(...(await sweep(page, `${role}-${spec.name}`, DARK_ROLES.has(role))));
      }
      await page.context().close();
      expect(violations.join('\n')).toBe('');
      expect(errors).toEqual([]);
    }, 600_000);

    it(`the judging workspace as the ${role}`, async () => {
      const errors: string[] = [];
      const page = await openAs(role, errors);
      await visit(page, JUDGE);
      const violations = await sweep(page, `${role}-${JUDGE.name}`, DARK_ROLES.has(role));
      await page.context().close();
      expect(violations.join('\n')).toBe('');
      expect(errors).toEqual([]);
    }, 180_000);
  }
});
