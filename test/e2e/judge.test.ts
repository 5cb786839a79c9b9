/**
 * A trainer signs in and judges three demo items with the keyboard alone; the judgments are stored.
 * Also: hostile imported content renders as text, no script runs.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Judgment, Project, RubricDraft, TaskKind } from '@accord/core';
import { browserMissing, collectPageErrors, SHOTS, signIn, useBrowserServer } from '../utils/browser.ts';
import { importFile, jsonlOf } from '../utils/work.ts';

const missing = browserMissing();

interface Page_<T> {
  items: T[];
  total: number;
}

describe.skipIf(missing !== null)('browser: the judging workspace', () => {
  const ctx = useBrowserServer();

  it('a trainer judges three demo items with the keyboard alone, and the judgments are stored', async () => {
    const { t, browser } = ctx;
    const trainer = t.logins.find((l) => l.email === 'trainer1@accord.local')!;
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = collectPageErrors(page);
    await signIn(page, t.url, trainer.email, trainer.password);

    // Into the project and on to the workspace, by keyboard.
    await page.getByTestId('project-card').first().waitFor();
    await page.goto(`${t.url}/projects/${t.demoProjectId}`);
    await page.getByTestId('project-title').waitFor();
    await page.keyboard.press('g');
    await page.keyboard.press('j');
    await page.waitForURL(/\/judge$/);

    for (let n = 0; n < 3; n++) {
      await page.getByTestId('judge-prompt').waitFor();
      const cells = await page.getByTestId('score-cell').count();
      const minWords = Number((await page.getByTestId('word-count').textContent())?.match(/min (\d+)/)?.[1] ?? 0);
      // Preference: A better (2), or a tie (t) on the second item.
      await page.keyboard.press(n === 1 ? 't' : '2');
      // Scores: Tab enters scoring, each digit picks a level and moves on.
      if (cells) {
        await page.keyboard.press('Tab');
        for (let c = 0; c < cells; c++) await page.keyboard.press('1');
      }
      await page.keyboard.press('j');
      await page.keyboard.type(Array.from({ length: Math.max(minWords, 6) }, (_, i) => `reason${i}`).join(' '));
      if (n === 0) {
        await expect.poll(() => page.getByTestId('draft-status').textContent()).toMatch(/Draft saved/);
        await page.screenshot({ path: join(SHOTS, 'e2e-judge-workspace.png') });
      }
      await page.keyboard.press('Control+Enter');
      await page.getByTestId('submitted').waitFor();
      if (n === 2) {
        await page.keyboard.press('Escape');
        await page.keyboard.press('m');
        await expect.poll(() => page.getByTestId('my-judgment').count()).toBe(3);
        // What the trainer saw ("A better"), not the stored response ids ("r1 better").
        expect((await page.getByTestId('my-judgment-preference').allTextContents()).sort()).toEqual(['A better', 'A better', 'Tie']);
        await page.screenshot({ path: join(SHOTS, 'e2e-judge-submitted.png') });
      }
      await page.keyboard.press('Escape');
      await page.keyboard.press('n');
    }
    await page.getByTestId('judge-prompt').waitFor();
    expect(await page.getByTestId('progress-done').textContent()).toBe('3');

    const api = await t.as('trainer1');
    const stored = (await api.get<Page_<Judgment>>(`/api/projects/${t.demoProjectId}/judgments`)).body;
    expect(stored.total).toBe(3);
    const values = stored.items.map((j) => (j.payload.preference as { value: number }).value);
    expect(values.filter((v) => v === 0)).toHaveLength(1);
    // "A better" is stored against the item's own order: −2 or +2 depending on the shuffled screen order.
    expect(values.filter((v) => Math.abs(v) === 2)).toHaveLength(2);
    for (const j of stored.items) {
      expect(j.responseOrder).toHaveLength(2);
      expect(j.timeSpentMs).toBeGreaterThan(0);
    }
    expect(errors).toEqual([]);
  });

  it('a trainer rates and classifies by keyboard alone: a number key chooses, Enter submits', async () => {
    const { t, browser } = ctx;
    const lead = await t.as('lead');
    const tr = t.logins.find((l) => l.email === 'trainer3@accord.local')!;
    const base: RubricDraft = { dimensions: [], precedence: [], justification: { minWords: 0, maxWords: 100 }, spanCategories: [], flags: [] };
    const make = async (taskKind: TaskKind, draft: RubricDraft) => {
      const p = (await lead.post<Project>('/api/projects', { name: `Keyboard ${taskKind}`, taskKind })).body.id;
      await importFile(lead, p, jsonlOf([{ externalId: 'k1', prompt: 'The hotel staff ignored us for an hour, then lost our booking.' }]));
      await lead.post(`/api/projects/${p}/members`, { email: tr.email, role: 'trainer' });
      await lead.patch(`/api/projects/${p}/settings`, { goldRate: 0 });
      await t.server.deps.rubrics.writeDraft(p, draft);
      expect((await lead.post(`/api/projects/${p}/rubric/publish`, { note: '' })).status).toBe(201);
      return p;
    };
    const levels = [-2, -1, 0, 1, 2].map((value) => ({ value, label: ['Very negative', 'Negative', 'Neutral', 'Positive', 'Very positive'][value + 2]!, anchor: '' }));
    const rp = await make('rating', { ...base, rating: { levels } });
    const labels = [
      { id: 'service', name: 'Service', parent: null, description: '' },
      { id: 'rude', name: 'Rude staff', parent: 'service', description: '' },
      { id: 'booking', name: 'Booking problem', parent: null, description: '' },
    ];
    const cp = await make('classification', { ...base, taxonomy: { multiLabel: true, labels } });

    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = collectPageErrors(page);
    await signIn(page, t.url, tr.email, tr.password);
    // Rating on −2..2: the keys are the levels' places, 1 = the lowest; 2 is "Negative".
    await page.goto(`${t.url}/projects/${rp}/judge`);
    await page.getByTestId('judge-prompt').waitFor();
    await page.keyboard.press('2');
    await expect.poll(() => page.getByTestId('rating-label').textContent()).toMatch(/^Negative/);
    // The footer lists the keys that apply: the scale's 1–5, no span marking (no span categories, no response).
    const bar = () => page.getByTestId('shortcut-bar').textContent();
    expect(await bar()).toMatch(/1–5\s*rate/);
    expect(await bar()).not.toMatch(/span/);
    await page.screenshot({ path: join(SHOTS, 'e2e-judge-rating.png') });
    await page.keyboard.press('Enter');
    await page.getByTestId('submitted').waitFor();
    // Classification, multi-label: 2 (Rude staff, under Service) and 3 (Booking problem), then Enter.
    await page.goto(`${t.url}/projects/${cp}/judge`);
    await page.getByTestId('judge-prompt').waitFor();
    await page.keyboard.press('2');
    await page.keyboard.press('3');
    // Three labels: keys 1–3, toggled (multi-label).
    expect(await bar()).toMatch(/1–3\s*toggle label/);
    await page.screenshot({ path: join(SHOTS, 'e2e-judge-classification.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'e2e-judge-classification-phone.png'), fullPage: true });
    await page.keyboard.press('Enter');
    await page.getByTestId('submitted').waitFor();
    // With the queue done (one item), the guidelines are still the project's rubric: h opens them.
    await page.keyboard.press('n');
    await page.getByTestId('queue-empty').waitFor();
    await page.keyboard.press('h');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(1);
    expect(await page.getByRole('dialog').textContent()).toMatch(/Guidelines · rubric v1/);

    const api = await t.as('trainer3');
    const pref = async (p: string) => (await api.get<Page_<Judgment>>(`/api/projects/${p}/judgments`)).body.items.map((j) => j.payload.preference);
    expect(await pref(rp)).toEqual([{ kind: 'rating', value: -1 }]);
    expect(await pref(cp)).toEqual([{ kind: 'classification', labels: ['booking', 'rude'] }]);
    expect(errors).toEqual([]);
  });

  it('renders hostile imported content as inert text, with code highlighted and math typeset', async () => {
    const { t, browser } = ctx;
    const lead = await t.as('lead');
    const p = (await lead.post<Project>('/api/projects', { name: 'Hostile rendering' })).body.id;
    const hostile = [
      '<script>window.__pwned = 1</script>',
      '<img src=x onerror="window.__pwned = 2">',
      '[click](javascript:window.__pwned=3)',
      '<svg onload="window.__pwned=4"></svg>',
      '<a href="#" onclick="window.__pwned=5">x</a>',
      '![img](https://example.com/x.png" onerror="window.__pwned=6)',
      '<iframe src="javascript:window.__pwned=7"></iframe>',
      '$\\href{javascript:window.__pwned=8}{x}$',
    ].join('\n\n');
    await importFile(
      lead,
      p,
      jsonlOf([
        {
          externalId: 'h1',
          prompt: `Hostile prompt\n\n${hostile}`,
          responses: [
            { id: 'r1', model: 'm1', content: `Euler: $e^{i\\pi} + 1 = 0$\n\n\`\`\`python\ndef f(x):\n    return x * 2\n\`\`\`\n\n${hostile}` },
            { id: 'r2', model: 'm2', kind: 'code', content: 'const x = "<script>window.__pwned=9</script>";' },
          ],
        },
      ]),
    );
    const tr = t.logins.find((l) => l.email === 'trainer2@accord.local')!;
    const admin = await t.as('admin');
    await admin.post(`/api/projects/${p}/members`, { email: tr.email, role: 'trainer' });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await signIn(page, t.url, tr.email, tr.password);
    await page.goto(`${t.url}/projects/${p}/judge`);
    await page.getByTestId('judge-prompt').waitFor();
    await page.screenshot({ path: join(SHOTS, 'e2e-judge-hostile.png') });
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    // Raw HTML shows as text: no such elements, no event handler attributes, no javascript: links.
    // (A string, evaluated in the page: the test files have no DOM types.)
    const found = await page.evaluate(`(() => {
      const all = [...document.querySelectorAll('.markdown, .markdown *')];
      return {
        elements: document.querySelectorAll('.markdown :is(script, img, svg, iframe, object, embed, style)').length,
        handlers: all.filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
        jsLinks: all.filter((e) => /^\\s*javascript:/i.test(e.getAttribute('href') ?? '')).length,
      };
    })()`);
    expect(found).toEqual({ elements: 0, handlers: 0, jsLinks: 0 });
    expect(await page.locator('math').count()).toBeGreaterThan(0);
    expect(await page.locator('.hljs-keyword').count()).toBeGreaterThan(0);
    expect(await page.getByText('<script>window.__pwned = 1</script>').count()).toBeGreaterThan(0);
    expect(dialogs).toEqual([]);
  });
});
