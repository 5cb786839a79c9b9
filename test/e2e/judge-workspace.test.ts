/**
 * The judging workspace as trainers use it (issue 14): the fixed action bar at 1280×720, keyboard-only
 * judging with spans on rendered markdown and ranking (keys and drag and drop, ties as groups), the
 * justification maximum and the server's errors in words, the queue counter, past judgments opened
 * read-only, the guidelines and what changed in a new rubric version, the phone layout, and an
 * axe-core audit (WCAG 2.1 A/AA and best practice) of every state, failing on any violation.
 * Screenshots of each state at 1280×720, 1440×900 and 390×844 go to test-results/.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Judgment, Task } from '@accord/core';
import type { Page } from 'playwright-core';
import { browserMissing, collectPageErrors, SHOTS, signIn, useBrowserServer } from '../utils/browser.ts';
import { createFactory, type FactoryProject, FACTORY_RUBRIC } from '../utils/factory.ts';

const missing = browserMissing();
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** axe-core's violations on the page as it is now (WCAG 2.1 A/AA and best practice), described. */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
  const result = (await page.evaluate(`window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })`)) as {
    violations: { id: string; help: string; nodes: { target: string[]; failureSummary: string }[] }[];
  };
  return result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => `${n.target.join(' ')} (${n.failureSummary.replace(/\s+/g, ' ').slice(0, 200)})`).join('; ')}`);
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, `judge-${name}.png`), animations: 'disabled' });
}

const focusedTestId = (page: Page) => page.evaluate(`document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.id ?? ''`) as Promise<string>;

describe.skipIf(missing !== null)('browser: the judging workspace, issue 14', () => {
  const ctx = useBrowserServer();

  it('keyboard only at 1280×720: the action bar stays in view, spans on the text, scores by the rubric\'s numbers, errors in words, the counter goes down, past judgments read-only', async () => {
    const { t, browser } = ctx;
    const trainer = t.logins.find((l) => l.email === 'trainer2@accord.local')!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = collectPageErrors(page, { expectedStatuses: [401, 400] });
    await signIn(page, t.url, trainer.email, trainer.password);
    await page.goto(`${t.url}/projects/${t.demoProjectId}/judge`);
    await page.getByTestId('judge-prompt').waitFor();
    expect(await page.locator('h1').count()).toBe(1);
    expect(await focusedTestId(page)).toBe('main');
    const leftBefore = Number(await page.getByTestId('progress-left').textContent());

    // Submit and Skip are in view without scrolling, and stay there when the panel scrolls.
    const bar = (await page.getByTestId('action-bar').boundingBox())!;
    for (const id of ['submit-judgment', 'skip']) {
      const b = (await page.getByTestId(id).boundingBox())!;
      expect(b.y + b.height, id).toBeLessThanOrEqual(720);
      expect(b.y, id).toBeGreaterThanOrEqual(0);
    }
    await page.evaluate(`(() => { const el = document.querySelector('[data-testid="judging-panel"]'); el.scrollTo(0, el.scrollHeight); })()`);
    expect((await page.getByTestId('submit-judgment').boundingBox())!.y).toBeCloseTo(bar.y + (bar.height - (await page.getByTestId('submit-judgment').boundingBox())!.height) / 2, -1);
    await page.evaluate(`document.querySelector('[data-testid="judging-panel"]').scrollTo(0, 0)`);
    await shot(page, '1280-start');

    // A span by keyboard: s puts the caret into response A, Ctrl+Shift+→ selects two words, s marks, Enter adds.
    await page.keyboard.press('s');
    expect(await focusedTestId(page)).toBe('response-text');
    await page.keyboard.press('Control+Shift+ArrowRight');
    await page.keyboard.press('Control+Shift+ArrowRight');
    await page.keyboard.press('s');
    await page.getByTestId('span-form').waitFor();
    expect(await focusedTestId(page)).toBe('span-category');
    await shot(page, '1280-span-form');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('span-mark').count()).toBe(1);
    expect(await page.getByTestId('span-form').count()).toBe(0);

    // The preference radio group follows the arrow keys: Tab from the text reaches it (one stop).
    await page.keyboard.press('2');
    expect(await page.getByTestId('pref--2').getAttribute('aria-checked')).toBe('true');
    for (let i = 0; i < 12 && !(await focusedTestId(page)).startsWith('pref-'); i++) await page.keyboard.press('Tab');
    expect(await focusedTestId(page)).toBe('pref--2');
    await page.keyboard.press('ArrowRight');
    expect(await page.getByTestId('pref--1').getAttribute('aria-checked')).toBe('true');
    expect(await focusedTestId(page)).toBe('pref--1');
    await page.keyboard.press('ArrowLeft');
    expect(await page.getByTestId('pref--2').getAttribute('aria-checked')).toBe('true');

    // Scores: Esc back to the page, Tab starts scoring; keys are the rubric's own level numbers
    // (the binary dimension is 0/1), every button names its dimension and response.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    const cells = await page.getByTestId('score-cell').count();
    expect(cells).toBeGreaterThan(0);
    const labels = await page.evaluate(`[...document.querySelectorAll('[data-testid="score-cell"] [role="radio"]')].map((e) => [e.textContent.trim(), e.getAttribute('aria-label')])`);
    for (const [key, name] of labels as [string, string][]) expect(name).toMatch(new RegExp(`^.+, response [A-B]: ${key} .+`));
    const binary = (labels as [string, string][]).filter(([k]) => k === '0');
    expect(binary.length).toBeGreaterThan(0);
    await shot(page, '1280-scoring');
    // A key no level has says so, and scores nothing.
    await page.keyboard.press('9');
    await expect.poll(() => page.getByRole('status').filter({ hasText: /Key 9 picks nothing here: .+ takes \d–\d/ }).count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="score-cell"] [aria-checked="true"]').count()).toBe(0);
    for (let c = 0; c < cells; c++) await page.keyboard.press('1');
    expect(await page.locator('[data-testid="score-cell"] [aria-checked="true"]').count()).toBe(cells);
    // The last score leaves scoring (focus back on the item): the next digit is the preference again, not lost in the last cell.
    await expect.poll(() => focusedTestId(page)).toBe('main');
    await page.keyboard.press('6');
    expect(await page.getByTestId('pref-2').getAttribute('aria-checked')).toBe('true');
    await page.keyboard.press('2');
    expect(await page.getByTestId('pref--2').getAttribute('aria-checked')).toBe('true');

    // The justification: too long is listed under Missing as it is typed; too long a toast, gone once fixed.
    const maxWords = Number((await page.getByTestId('word-count').textContent())!.match(/max (\d+)/)![1]);
    await page.keyboard.press('j');
    await page.keyboard.insertText(Array.from({ length: maxWords + 5 }, (_, i) => `w${i}`).join(' '));
    await expect.poll(() => page.getByTestId('missing').textContent()).toMatch(new RegExp(`5 words shorter \\(at most ${maxWords}\\)`));
    const errorToast = page.locator('[data-testid="toast"][role="alert"]');
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => errorToast.count()).toBe(1);
    const toast = (await errorToast.boundingBox())!;
    for (const id of ['action-bar', 'judging-panel']) expect(overlaps(toast, (await page.getByTestId(id).boundingBox())!), `a toast covers ${id}`).toBe(false);
    await shot(page, '1280-too-long');
    await page.getByTestId('justification').fill(Array.from({ length: 12 }, (_, i) => `reason${i}`).join(' '));
    await expect.poll(() => errorToast.count()).toBe(0);

    // The server's refusal reads as a sentence (the request is made too long on its way out).
    await page.route('**/submit', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}') as { payload: { justification: string } };
      body.payload.justification = Array.from({ length: maxWords + 5 }, (_, i) => `w${i}`).join(' ');
      await route.continue({ postData: JSON.stringify(body) });
    });
    // Listen before pressing: the response may come back before a listener set up afterwards.
    const refused = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/submit'));
    await page.keyboard.press('Control+Enter');
    await refused;
    await shot(page, '1280-server-error');
    await expect.poll(() => errorToast.textContent()).toMatch(new RegExp(`Justification: ${maxWords + 5} words; the rubric allows at most ${maxWords}`));
    expect(await errorToast.textContent()).not.toMatch(/body\.|payload/);
    await page.unroute('**/submit');

    await page.keyboard.press('Control+Enter');
    await page.getByTestId('submitted').waitFor();
    await expect.poll(() => errorToast.count()).toBe(0);
    expect(Number(await page.getByTestId('progress-left').textContent())).toBe(leftBefore - 1);
    await shot(page, '1280-submitted');

    // The stored span is where the trainer selected it, on the rendered text.
    const api = await t.as('trainer2');
    const stored = (await api.get<{ items: Judgment[] }>(`/api/projects/${t.demoProjectId}/judgments`)).body.items[0]!;
    const span = (stored.payload.spans as { responseId: string; start: number; end: number; quote: string }[])[0]!;
    const view = (await api.get<{ item: Task['item'] }>(`/api/projects/${t.demoProjectId}/judgments/${stored.id}`)).body;
    const content = view.item.responses.find((r) => r.id === span.responseId)!.content;
    expect(content.slice(span.start, span.end)).toBe(span.quote);
    expect(span.quote.split(/\s+/).length).toBeGreaterThanOrEqual(2);

    // Next; the counter stays at what is left. Then the past judgment, read-only in the same form.
    await page.keyboard.press('n');
    await page.getByTestId('judge-prompt').waitFor();
    expect(Number(await page.getByTestId('progress-left').textContent())).toBe(leftBefore - 1);
    await page.keyboard.press('m');
    await page.getByTestId('open-judgment').first().waitFor();
    await page.getByTestId('open-judgment').first().focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('read-only').waitFor();
    expect(await page.getByTestId('pref--2').getAttribute('aria-checked')).toBe('true');
    expect(await page.getByTestId('pref--2').isDisabled()).toBe(true);
    expect(await page.getByTestId('justification').getAttribute('readonly')).not.toBeNull();
    expect(await page.getByTestId('span-mark').count()).toBe(1);
    expect(await page.getByTestId('submit-judgment').count()).toBe(0);
    await shot(page, '1280-read-only');
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await page.getByTestId('read-only').waitFor({ state: 'detached' });
    expect(await page.getByTestId('submit-judgment').count()).toBe(1);
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  }, 240_000);

  it('passes an axe-core audit in every state, with the help and guidelines dialogs making the page inert', async () => {
    const { t, browser } = ctx;
    const trainer = t.logins.find((l) => l.email === 'trainer3@accord.local')!;
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(page, t.url, trainer.email, trainer.password);
    await page.goto(`${t.url}/projects/${t.demoProjectId}/judge`);
    await page.getByTestId('judge-prompt').waitFor();
    const found: Record<string, string[]> = {};
    found.start = await axeViolations(page);
    await shot(page, '1440-start');
    await page.keyboard.press('4');
    await page.keyboard.press('Tab');
    found.scoring = await axeViolations(page);
    await page.keyboard.press('Escape');
    await page.keyboard.press('s');
    await page.keyboard.press('Control+Shift+ArrowRight');
    await page.keyboard.press('s');
    await page.getByTestId('span-form').waitFor();
    found.spanForm = await axeViolations(page);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');

    // The shortcut help: Tab listed once, the 1–7 key on one line, the page behind inert.
    expect(await focusedTestId(page)).toBe('main');
    await page.keyboard.press('?');
    await page.getByTestId('shortcut-help').waitFor();
    const help = page.getByTestId('shortcut-help');
    expect(await help.locator('kbd', { hasText: /^Tab$/ }).count()).toBe(1);
    const k17 = help.locator('kbd', { hasText: '1–7' });
    const kb = (await k17.boundingBox())!;
    expect(kb.height).toBeLessThan(24);
    expect(await page.evaluate(`document.getElementById('app').inert`)).toBe(true);
    found.help = await axeViolations(page);
    await shot(page, '1440-help');
    await page.keyboard.press('Escape');
    await page.getByTestId('shortcut-help').waitFor({ state: 'detached' });
    expect(await page.evaluate(`document.getElementById('app').inert`)).toBe(false);
    // Closed, a dialog gives the focus back to where it was (not to <body>, where it went while the page was still inert).
    await expect.poll(() => focusedTestId(page)).toBe('main');
    await page.getByTestId('open-guidelines').click();
    await page.getByTestId('guidelines').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('guidelines').waitFor({ state: 'detached' });
    await expect.poll(() => focusedTestId(page)).toBe('open-guidelines');

    // The guidelines, one key away: every dimension with its level anchors.
    await page.keyboard.press('h');
    await page.getByTestId('guidelines').waitFor();
    const dims = (await (await ctx.t.as('lead')).get<{ latest: { version: number } | null }>(`/api/projects/${t.demoProjectId}/rubric`)).body.latest!.version;
    expect(dims).toBeGreaterThan(0);
    expect(await page.getByTestId('guidelines').locator('h3').count()).toBeGreaterThan(3);
    expect(await page.evaluate(`document.getElementById('app').inert`)).toBe(true);
    found.guidelines = await axeViolations(page);
    await shot(page, '1440-guidelines');
    await page.keyboard.press('Escape');
    expect(found).toEqual({ start: [], scoring: [], spanForm: [], help: [], guidelines: [] });
  }, 240_000);

  it('at phone width (390×844) the prompt and responses are visible and reachable, the panel below them, no small scroll box', async () => {
    const { t, browser } = ctx;
    const trainer = t.logins.find((l) => l.email === 'trainer4@accord.local')!;
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await signIn(page, t.url, trainer.email, trainer.password);
    await page.goto(`${t.url}/projects/${t.demoProjectId}/judge`);
    await page.getByTestId('judge-prompt').waitFor();
    await shot(page, '390-start');
    const prompt = (await page.getByTestId('judge-prompt').boundingBox())!;
    expect(prompt.width).toBeGreaterThan(300);
    expect(prompt.y).toBeLessThan(400);
    // The panel does not cover the prompt or the responses: it comes after them.
    const panel = (await page.getByTestId('judging-panel').boundingBox())!;
    for (const r of await page.getByTestId('response').all()) {
      const b = (await r.boundingBox())!;
      expect(b.width).toBeGreaterThan(300);
      expect(overlaps(b, panel)).toBe(false);
    }
    // No scrolling region smaller than a few lines (the 40 px box), and the action bar in view.
    const small = await page.evaluate(`[...document.querySelectorAll('*')].filter((e) => { const s = getComputedStyle(e); return /(auto|scroll)/.test(s.overflowY) && e.scrollHeight > e.clientHeight + 1 && e.clientHeight < 200; }).map((e) => e.outerHTML.slice(0, 80))`);
    expect(small).toEqual([]);
    const submit = (await page.getByTestId('submit-judgment').boundingBox())!;
    expect(submit.y + submit.height).toBeLessThanOrEqual(844);
    // Reachable by keyboard: Tab from the page reaches both responses' text.
    await page.keyboard.press('Shift+Tab');
    const reached = new Set<string>();
    for (let i = 0; i < 20 && reached.size < 2; i++) {
      await page.keyboard.press('Tab');
      const rid = (await page.evaluate(`document.activeElement?.getAttribute('data-response-id') ?? ''`)) as string;
      if (rid) reached.add(rid);
    }
    expect(reached.size).toBe(2);
    await page.getByTestId('judging-panel').scrollIntoViewIfNeeded();
    await shot(page, '390-panel');
    expect(await axeViolations(page)).toEqual([]);
  }, 240_000);

  it('ranks by keys and by drag and drop with ties as groups, marks spans across markdown, and shows what changed in a new rubric version', async () => {
    const { t, browser } = ctx;
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const content = (n: number, x: string) => `**Answer ${x}** says the sky is _blue_ because of [Rayleigh](https://example.com/${n}) scattering (${x}).`;
    const items = Array.from({ length: 3 }, (_, i) => ({
      externalId: `rank-${i}`,
      prompt: `Rank these explanations (${i}).`,
      responses: ['A1', 'B2', 'C3'].map((x, k) => ({ id: `r${k + 1}`, model: `m${k}`, content: content(i, x) })),
    }));
    const p: FactoryProject = await factory.project({ name: 'Ranking in the browser', taskKind: 'ranking', items, rubric: { ...FACTORY_RUBRIC, dimensions: FACTORY_RUBRIC.dimensions.filter((d) => d.target === 'response') } });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(page, t.url, p.trainer.email, p.trainer.password);
    await page.goto(`${t.url}/projects/${p.id}/judge`);
    await page.getByTestId('judge-prompt').waitFor();

    const groups = async () => (await page.getByTestId('rank-group').allTextContents()).map((g) => g.replace(/^\d+\./, '').trim().split('').filter((c) => /[A-C]/.test(c)).join('='));
    expect(await groups()).toEqual(['A', 'B', 'C']);
    // Keys: pick C (3), up twice; tie B with the rank above (=).
    await page.keyboard.press('3');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    expect(await groups()).toEqual(['C', 'A', 'B']);
    await page.keyboard.press('2');
    await page.keyboard.press('=');
    expect(await groups()).toEqual(['C', 'A=B']);
    // Drag and drop: A onto C's rank (a tie), then B into the gap before the first rank.
    const chip = (letter: string) => page.getByTestId('rank-chip').filter({ hasText: new RegExp(`^${letter}$`) });
    await chip('A').dragTo(page.getByTestId('rank-group').nth(0));
    expect(await groups()).toEqual(['C=A', 'B']);
    await chip('B').dragTo(page.getByTestId('rank-gap').nth(0));
    expect(await groups()).toEqual(['B', 'C=A']);
    await shot(page, '1440-ranking');

    // A span across formatting, by keyboard: the whole first line of response A's rendered text.
    await page.keyboard.press('1');
    await page.keyboard.press('s');
    for (let i = 0; i < 4; i++) await page.keyboard.press('Control+Shift+ArrowRight');
    await page.keyboard.press('s');
    await page.getByTestId('span-form').waitFor();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('span-mark').count()).toBe(1);
    // Response A shows whichever content the trainer's shuffled order put first; the quote spans its bold.
    expect(await page.getByTestId('span-mark').textContent()).toMatch(/“Answer [A-C]\d\*\* says the”/);

    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    const cells = await page.getByTestId('score-cell').count();
    for (let c = 0; c < cells; c++) await page.keyboard.press('2');
    // By pointer, top to bottom: each click lands, although the anchors of the cell above fold away.
    for (let c = 0; c < cells; c++) {
      const level = page.getByTestId('score-cell').nth(c).locator('[data-level="0"]');
      await level.click();
      expect(await level.getAttribute('aria-checked'), `cell ${c}`).toBe('true');
    }
    await page.keyboard.press('j');
    await page.keyboard.insertText('B explains the physics best; A and C are equally vague.');
    await shot(page, '1440-ranking-ready');
    await page.keyboard.press('Control+Enter');
    await page.getByTestId('submitted').waitFor();
    const stored = (await p.trainer.client.get<{ items: Judgment[] }>(`/api/projects/${p.id}/judgments`)).body.items[0]!;
    const ids = (await p.trainer.client.get<{ responseOrder: string[] }>(`/api/projects/${p.id}/judgments/${stored.id}`)).body.responseOrder;
    const letter = (id: string) => String.fromCharCode(65 + ids.indexOf(id));
    expect((stored.payload.preference as { groups: string[][] }).groups.map((g) => g.map(letter).sort().join('='))).toEqual(['B', 'A=C']);
    const span = (stored.payload.spans as { quote: string; start: number; end: number }[])[0]!;
    expect(span.quote).toMatch(/^Answer [A-C]\d\*\* says the$/);

    // A new rubric version: the trainer sees what changed.
    const v2 = structuredClone(FACTORY_RUBRIC);
    v2.dimensions = v2.dimensions.filter((d) => d.target === 'response');
    v2.dimensions[0]!.levels[2]!.anchor = 'Fully answers, with the physics right.';
    v2.justification.maxWords = 80;
    await factory.publishRubric(p, v2, 'sharper anchors');
    await page.keyboard.press('n');
    await page.getByTestId('rubric-changed').waitFor();
    await shot(page, '1440-rubric-changed');
    await page.keyboard.press('h');
    await page.getByTestId('rubric-changes').waitFor();
    const changes = await page.getByTestId('rubric-change').allTextContents();
    expect(changes.join('\n')).toMatch(/Fully answers, with the physics right/);
    expect(changes.join('\n')).toMatch(/maximum words.*60.*80/s);
    await shot(page, '1440-rubric-diff');
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('rubric-changed').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
  }, 240_000);
});
