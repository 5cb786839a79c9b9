/**
 * A trainer marks entity spans in the demo's spans project with the keyboard alone: into the text
 * (e), a word (→), a longer selection (Shift+→), a type by its number, an overlap refused with a
 * message, Delete on the text and on a listed span, Enter submits; the stored judgment has the
 * offsets of the words marked. Then the lead sees span F1 on the Quality tab, on the Items tab each
 * annotator's spans drawn on the text and listed, and a gold label the same way; and adjudicates a
 * dispute on that sentence in the room: the span vote proposed, a span added by keyboard on the text,
 * Shift+C (then Enter to confirm) commits it as the label. Screenshots at 1280x720, 1440x900 and 390 wide.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Judgment } from '@accord/core';
import { browserMissing, collectPageErrors, SHOTS, signIn, useBrowserServer } from '../utils/browser.ts';
import { importFile, jsonlOf } from '../utils/work.ts';

const missing = browserMissing();

/** Words as the judging form moves by them (entities.ts): letters and digits, or one other non-space character. */
const wordsOf = (text: string) => [...text.matchAll(/[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu)].map((m) => ({ start: m.index, end: m.index + m[0].length }));

describe.skipIf(missing !== null)('browser: marking entity spans', () => {
  const ctx = useBrowserServer();

  it('a trainer marks, refuses an overlap, removes and submits spans by keyboard; the offsets are stored', async () => {
    const { t, browser } = ctx;
    const tr = t.logins.find((l) => l.email === 'trainer4@accord.local')!;
    const api = await t.as('trainer4');
    const demo = (await api.get<{ items: { id: string; taskKind: string }[] }>('/api/projects')).body.items.find((p) => p.taskKind === 'spans')!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = collectPageErrors(page);
    await signIn(page, t.url, tr.email, tr.password);
    await page.goto(`${t.url}/projects/${demo.id}/judge`);
    const box = page.getByTestId('entity-text');
    await box.waitFor();
    const text = (await box.textContent()) ?? '';
    const words = wordsOf(text);
    expect(words.length).toBeGreaterThan(4);

    // Into the text; → selects the first word, three more → the fourth; Shift+→ extends to the fifth.
    await page.keyboard.press('e');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('1');
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('3');
    await expect.poll(() => page.getByTestId('entities').locator('[data-entity]').count()).toBe(2);
    const spanOf = (a: number, b: number, label: string) => ({ start: words[a]!.start, end: words[b]!.end, label, text: text.slice(words[a]!.start, words[b]!.end) });

    // The fourth word alone overlaps the span of the fourth and fifth: refused, with a message.
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('2');
    await expect.poll(() => page.getByTestId('entity-message').textContent()).toMatch(/overlaps .*may not nest or overlap/);
    await page.screenshot({ path: join(SHOTS, 'e2e-judge-spans.png') });

    // Delete in the text removes the span holding the selection (the fourth and fifth word); mark the fourth as a date.
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('entities').locator('[data-entity]').count()).toBe(1);
    await page.keyboard.press('4');
    // The second word as a product, then removed again from the list with Delete.
    for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('5');
    await expect.poll(() => page.getByTestId('entities').locator('[data-entity]').count()).toBe(3);
    await page.getByTestId('entity-1').focus();
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('entities').locator('[data-entity]').count()).toBe(2);

    // The mouse: drag across a word after the marked ones (three letters or more), a number marks it; the list's × removes it again.
    const w = words.slice(6).find((x) => x.end - x.start >= 3)!;
    const rect = (await page.evaluate(`(() => {
      const seg = [...document.querySelectorAll('[data-testid="entity-text"] [data-at]')].find((e) => Number(e.dataset.at) <= ${w.start} && Number(e.dataset.at) + e.textContent.length >= ${w.end});
      const r = document.createRange();
      r.setStart(seg.firstChild, ${w.start} - Number(seg.dataset.at));
      r.setEnd(seg.firstChild, ${w.end} - Number(seg.dataset.at));
      const b = r.getBoundingClientRect();
      return { x: b.x, y: b.y, w: b.width, h: b.height };
    })()`)) as { x: number; y: number; w: number; h: number };
    await page.mouse.move(rect.x + 1, rect.y + rect.h / 2);
    await page.mouse.down();
    await page.mouse.move(rect.x + rect.w - 1, rect.y + rect.h / 2, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.press('5');
    await expect.poll(() => page.getByTestId('entities').locator('[data-entity]').count()).toBe(3);
    expect(await page.getByTestId('entity-2').getAttribute('aria-label')).toBe(`Product: “${text.slice(w.start, w.end)}”, characters ${w.start} to ${w.end}. Delete removes it.`);
    await page.getByTestId('remove-entity-2').click();
    await expect.poll(() => page.getByTestId('entities').locator('[data-entity]').count()).toBe(2);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'e2e-judge-spans-phone.png'), fullPage: true });

    // Enter submits from the text.
    await page.keyboard.press('e');
    await page.keyboard.press('Enter');
    await page.getByTestId('submitted').waitFor();
    const mine = (await api.get<{ items: Judgment[] }>(`/api/projects/${demo.id}/judgments`)).body.items;
    expect(mine.map((j) => j.payload.preference)).toEqual([{ kind: 'spans', spans: [spanOf(0, 0, 'PERSON'), spanOf(3, 3, 'DATE')] }]);

    // "No entities" takes a second Submit: one stray Enter on the next sentence records nothing.
    await page.keyboard.press('n');
    await page.getByTestId('entities-empty').waitFor();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByText('No span is marked').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('submitted').count()).toBe(0);
    await page.keyboard.press('Enter');
    await page.getByTestId('submitted').waitFor();
    const both = (await api.get<{ items: Judgment[] }>(`/api/projects/${demo.id}/judgments`)).body.items;
    expect(both.map((j) => j.payload.preference)).toContainEqual({ kind: 'spans', spans: [] });

    // Two annotators' imported spans on two demo sentences: the lead's Quality tab shows span F1.
    const lead = await t.as('lead');
    // The 27th demo sentence (the trainer above judged one of the first).
    const s1033 = "Friday's court ruling in The Hague, rejected by Israel, carries no real significance, other than a symbolic victory for the Palestinians.";
    const at = (w: string, label: string) => ({ start: s1033.indexOf(w), end: s1033.indexOf(w) + w.length, label });
    const vote = (annotator: string, spans: unknown[]) => ({ externalId: 'ner-rte-1033', annotator, judgment: { preference: { kind: 'spans', spans } } });
    const votes = [vote('ann-1', [at('Friday', 'DATE'), at('The Hague', 'LOCATION'), at('Israel', 'LOCATION')]), vote('ann-2', [at('Friday', 'DATE'), at('Hague', 'LOCATION'), at('Israel', 'LOCATION')])];
    expect(await importFile(lead, demo.id, jsonlOf(votes), { kind: 'judgments' })).toMatchObject({ created: 2, rejected: 0 });
    const leadLogin = t.logins.find((l) => l.email === 'lead@accord.local')!;
    const lp = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const leadErrors = collectPageErrors(lp);
    await signIn(lp, t.url, leadLogin.email, leadLogin.password);
    await lp.goto(`${t.url}/projects/${demo.id}?tab=quality`);
    // Exact: 2 of 3 spans each side (2·2/6); overlap: every span matched.
    await expect.poll(() => lp.getByTestId('span-exact-f1-value').textContent()).toBe('0.667');
    expect(await lp.getByTestId('span-overlap-f1-value').textContent()).toBe('1.000');
    await lp.getByTestId('span-by-type').waitFor();
    await lp.screenshot({ path: join(SHOTS, 'e2e-quality-spans.png'), fullPage: true });
    await lp.setViewportSize({ width: 390, height: 844 });
    await lp.screenshot({ path: join(SHOTS, 'e2e-quality-spans-phone.png'), fullPage: true });

    // The Items tab: each annotator's spans drawn on the sentence, with their types, and listed.
    await lp.setViewportSize({ width: 1280, height: 720 });
    await lp.goto(`${t.url}/projects/${demo.id}?tab=items&iq=ner-rte-1033`);
    await lp.getByTestId('item-row').first().click();
    const dialog = lp.getByTestId('item-dialog');
    await expect.poll(() => dialog.getByTestId('item-judgment').count()).toBe(2);
    const first = dialog.getByTestId('item-judgment').filter({ has: lp.getByTestId('item-judgment-who').getByText('Annotator ann-1') });
    expect(await first.getByTestId('pref-span').allTextContents()).toEqual(['DATE “Friday”, Date 0–6', 'LOCATION “The Hague”, Location 25–34', 'LOCATION “Israel”, Location 48–54']);
    // On the text: the marked words carry their type after them (the text itself is unchanged).
    expect((await first.getByTestId('pref-spans-text').textContent())?.replace(/DATE|LOCATION/g, '')).toBe(s1033);
    await lp.screenshot({ path: join(SHOTS, 'e2e-items-spans.png') });
    await lp.setViewportSize({ width: 1440, height: 900 });
    await lp.screenshot({ path: join(SHOTS, 'e2e-items-spans-1440.png') });
    await lp.setViewportSize({ width: 390, height: 844 });
    await lp.screenshot({ path: join(SHOTS, 'e2e-items-spans-390.png') });
    // A gold item's label reads the same way (leads only).
    await lp.setViewportSize({ width: 1280, height: 720 });
    await lp.goto(`${t.url}/projects/${demo.id}?tab=items&igold=with`);
    await lp.getByTestId('item-row').first().click();
    await lp.getByTestId('item-gold-preference').getByTestId('pref-spans').waitFor();
    expect(await lp.getByTestId('item-gold-preference').getByTestId('pref-span').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    expect(leadErrors).toEqual([]);
  });

  it('the lead adjudicates a spans dispute in the room by keyboard: the span vote proposed, a span added on the text, committed as the label', async () => {
    const { t, browser } = ctx;
    const lead = await t.as('lead');
    const demo = (await lead.get<{ items: { id: string; taskKind: string }[] }>('/api/projects')).body.items.find((p) => p.taskKind === 'spans')!;
    const item = (await lead.get<{ items: { id: string; externalId: string | null }[] }>(`/api/projects/${demo.id}/items?q=ner-rte-1033&limit=5`)).body.items.find((i) => i.externalId === 'ner-rte-1033')!;
    const opened = await lead.post<{ id: string }>(`/api/projects/${demo.id}/items/${item.id}/disputes`, { note: 'Is it Hague or The Hague?' });
    expect(opened.status).toBe(201);
    const leadLogin = t.logins.find((l) => l.email === 'lead@accord.local')!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = collectPageErrors(page);
    await signIn(page, t.url, leadLogin.email, leadLogin.password);
    await page.goto(`${t.url}/projects/${demo.id}/disputes/${opened.body.id}`);
    const box = page.getByTestId('entity-text');
    await box.waitFor();
    // Both annotators marked Friday and Israel: the room proposes them; The Hague / Hague split them.
    await expect.poll(() => page.getByTestId('entities').locator('[data-entity]').count()).toBe(2);
    // The sentence imported above (the box's text also holds the type badges of the proposed spans).
    const text = "Friday's court ruling in The Hague, rejected by Israel, carries no real significance, other than a symbolic victory for the Palestinians.";
    const words = wordsOf(text);
    const the = words.findIndex((w) => text.slice(w.start, w.end) === 'The');
    // Into the text, to "The", Shift+→ over "Hague", 3 (LOCATION) adds it to the proposal.
    await page.keyboard.press('e');
    for (let i = 0; i <= the; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('3');
    await expect.poll(() => page.getByTestId('entities').locator('[data-entity]').count()).toBe(3);
    expect(await page.getByTestId('entity-1').getAttribute('aria-label')).toMatch(/^Location: “The Hague”/);
    await page.screenshot({ path: join(SHOTS, 'e2e-dispute-spans.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'e2e-dispute-spans-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });
    // Out of the text (its Escape clears the selection; the page's keys apply), then Shift+C commits.
    await page.keyboard.press('Escape');
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Shift+C');
    // Committing asks first; Enter confirms.
    await page.getByTestId('commit-confirm').waitFor();
    await page.keyboard.press('Enter');
    await page.getByTestId('committed-label').waitFor();
    const d = await lead.get<{ label: { label: { preference: unknown } } | null }>(`/api/projects/${demo.id}/disputes/${opened.body.id}`);
    const at = (w: string, label: string) => ({ start: text.indexOf(w), end: text.indexOf(w) + w.length, label, text: w });
    expect(d.body.label?.label.preference).toEqual({ kind: 'spans', spans: [at('Friday', 'DATE'), at('The Hague', 'LOCATION'), at('Israel', 'LOCATION')] });
    expect(errors).toEqual([]);
  });
});
