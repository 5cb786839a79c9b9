/**
 * SFT writing in the browser, by keyboard: a trainer rewrites the demo's model response (live diff,
 * Ctrl+Enter), a reviewer scores it with number keys and sends it back with feedback, the trainer
 * finds it in their own writings with the feedback, opens it and revises it from there, resubmits,
 * and the reviewer accepts it; the trainer's list then says accepted, and the Items tab shows the
 * writing's diff, status and reviews. Screenshots at 1280x720, 1440x900 and 390 wide.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Project, WritingDetail, WritingSummary } from '@accord/core';
import { browserMissing, collectPageErrors, SHOTS, signIn, useBrowserServer } from '../utils/browser.ts';

const missing = browserMissing();

describe.skipIf(missing !== null)('browser: SFT writing', () => {
  const ctx = useBrowserServer();

  it('a trainer rewrites a response, a reviewer sends it back, the trainer revises it and the reviewer accepts it, all by keyboard', async () => {
    const { t, browser } = ctx;
    const lead = await t.as('lead');
    const projects = (await lead.get<{ items: Project[] }>('/api/projects')).body.items;
    const p = projects.find((x) => x.taskKind === 'writing')!;
    expect(p.name).toMatch(/SFT writing/);
    const trainer = t.logins.find((l) => l.email === 'trainer1@accord.local')!;
    const reviewerLogin = t.logins.find((l) => l.email === 'reviewer@accord.local')!;
    const errors: string[] = [];

    // ---- the trainer writes (1280x720)
    const tp = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    collectPageErrors(tp, { label: 'trainer', into: errors });
    await signIn(tp, t.url, trainer.email, trainer.password);
    await tp.goto(`${t.url}/projects/${p.id}`);
    await tp.getByTestId('project-title').waitFor();
    await tp.keyboard.press('g');
    await tp.keyboard.press('j');
    await tp.waitForURL(/\/write$/);
    const editor = tp.getByTestId('writing-text');
    await editor.waitFor();
    // Started from the model response: the editor holds it, and it is focused.
    const original = await tp.getByTestId('writing-response').textContent();
    const start = await editor.inputValue();
    expect(start.length).toBeGreaterThan(40);
    expect(original?.replace(/\s+/g, ' ').trim().slice(0, 20)).toBe(start.replace(/\s+/g, ' ').trim().slice(0, 20));
    await tp.keyboard.press('Control+End');
    await tp.keyboard.type('\n\nIn short: it depends on the reader.');
    await expect.poll(() => tp.getByTestId('live-diff').locator('ins').allTextContents()).toEqual(['\n\nIn short: it depends on the reader.']);
    expect(await tp.getByTestId('live-diff-summary').textContent()).toMatch(/^7 words added · 0 removed/);
    expect(await tp.getByTestId('word-count').textContent()).toMatch(/words/);
    await tp.screenshot({ path: join(SHOTS, 'e2e-writing-workspace.png') });
    await tp.keyboard.press('Control+Enter');
    await tp.getByTestId('writing-next').waitFor();

    const mine = (await (await t.as('trainer1')).get<{ items: WritingSummary[] }>(`/api/projects/${p.id}/writings`)).body.items;
    expect(mine).toHaveLength(1);
    const judgmentId = mine[0]!.judgmentId;

    // ---- the reviewer scores it and sends it back (keyboard), at 1280x720
    const rp = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    collectPageErrors(rp, { label: 'reviewer', into: errors });
    await signIn(rp, t.url, reviewerLogin.email, reviewerLogin.password);
    await rp.goto(`${t.url}/projects/${p.id}?tab=writings`);
    const row = rp.getByTestId('writing-row').first();
    await row.waitFor();
    // j moves to the first writing (as on the Items and Disputes tabs); Enter opens it.
    await rp.keyboard.press('j');
    await expect.poll(() => row.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await rp.keyboard.press('Enter');
    await rp.waitForURL(new RegExp(`/writings/${judgmentId}$`));
    await rp.getByTestId('review-diff').waitFor();
    expect(await rp.getByTestId('review-diff').locator('ins').allTextContents()).toEqual(['\n\nIn short: it depends on the reader.']);
    await rp.keyboard.press('3');
    await rp.keyboard.press('4');
    await rp.keyboard.press('2');
    expect(await rp.getByTestId('review-missing').textContent()).toBe('');
    await rp.keyboard.press('b');
    await rp.keyboard.type('The added line says nothing; end with one concrete example instead.');
    await rp.screenshot({ path: join(SHOTS, 'e2e-writing-review.png') });
    await rp.keyboard.press('Control+Enter');
    await expect.poll(() => rp.getByTestId('review-status').textContent()).toBe('Sent back');

    // ---- the trainer opens their writings (g v): sent back, with the feedback; opens it (j, Enter) and revises it (r)
    await tp.keyboard.press('g');
    await tp.keyboard.press('v');
    await tp.waitForURL(/tab=writings/);
    const myRow = tp.getByTestId('my-writing-row');
    await expect.poll(() => myRow.count()).toBe(1);
    expect(await myRow.getAttribute('data-status')).toBe('sent_back');
    await expect.poll(() => tp.getByTestId('my-writing-feedback').textContent()).toMatch(/Rafael Reviewer:\s+The added line says nothing/);
    await tp.screenshot({ path: join(SHOTS, 'e2e-writing-mine.png') });
    await tp.keyboard.press('j');
    await tp.keyboard.press('Enter');
    await tp.waitForURL(new RegExp(`/writings/${judgmentId}$`));
    expect(await tp.getByTestId('own-feedback').textContent()).toBe('The added line says nothing; end with one concrete example instead.');
    expect(await tp.getByTestId('review-diff').locator('ins').allTextContents()).toEqual(['\n\nIn short: it depends on the reader.']);
    expect(await tp.getByTestId('review-history').textContent()).toMatch(/v1 · Rafael Reviewer:\s*sent back/);
    await tp.setViewportSize({ width: 1440, height: 900 });
    await tp.screenshot({ path: join(SHOTS, 'e2e-writing-mine-open-1440.png') });
    await tp.setViewportSize({ width: 1280, height: 720 });
    await tp.keyboard.press('r');
    await tp.waitForURL(/\/write$/);
    // The workspace opens that writing: the feedback and their text in the editor; they revise and resubmit.
    await tp.getByTestId('sent-back').waitFor();
    expect(await tp.getByTestId('sent-back-feedback').textContent()).toBe('The added line says nothing; end with one concrete example instead.');
    expect(await editor.inputValue()).toBe(`${start}\n\nIn short: it depends on the reader.`);
    await editor.focus();
    await tp.keyboard.press('Control+End');
    for (let i = 0; i < 'it depends on the reader.'.length; i++) await tp.keyboard.press('Backspace');
    await tp.keyboard.type('a child asking "why?" needs a short answer, an expert a precise one.');
    await tp.setViewportSize({ width: 390, height: 844 });
    await tp.screenshot({ path: join(SHOTS, 'e2e-writing-revise-390.png'), fullPage: true });
    await tp.keyboard.press('Control+Enter');
    await expect.poll(() => tp.getByTestId('writing-problems').textContent()).toMatch(/Version 2 submitted/);

    // ---- the reviewer accepts version 2 (390 wide)
    await rp.setViewportSize({ width: 390, height: 844 });
    await rp.reload();
    await rp.getByTestId('review-diff').waitFor();
    await rp.getByTestId('review-scores').focus();
    for (const k of ['5', '5', '4']) await rp.keyboard.press(k);
    await rp.screenshot({ path: join(SHOTS, 'e2e-writing-review-390.png'), fullPage: true });
    // Dark mode swaps the palette's values: the diff's colours and the chosen levels stay legible.
    await rp.evaluate("document.documentElement.dataset.theme = 'dark'");
    await rp.screenshot({ path: join(SHOTS, 'e2e-writing-review-390-dark.png') });
    await rp.keyboard.press('a');
    await expect.poll(() => rp.getByTestId('review-status').textContent()).toBe('Accepted');

    // The Writings tab: the reviewers' figures and the accepted writing.
    await rp.setViewportSize({ width: 1280, height: 720 });
    await rp.goto(`${t.url}/projects/${p.id}?tab=writings`);
    await rp.getByTestId('writing-agreement').waitFor();
    expect(await rp.getByTestId('writing-agreement').textContent()).toMatch(/1 writing: 0 waiting, 0 sent back, 1 accepted ·\s+2 reviews, 50 % accepted/);
    await rp.getByTestId('writings-filter-all').click();
    await expect.poll(() => rp.getByTestId('writing-row').count()).toBe(1);
    await rp.screenshot({ path: join(SHOTS, 'e2e-writing-tab.png') });

    // The trainer's list says it is accepted (390 wide).
    await tp.goto(`${t.url}/projects/${p.id}?tab=writings`);
    await expect.poll(() => tp.getByTestId('my-writing-row').getAttribute('data-status')).toBe('accepted');
    expect(await tp.getByTestId('my-writing-status').textContent()).toBe('Accepted');
    await tp.screenshot({ path: join(SHOTS, 'e2e-writing-mine-390.png'), fullPage: true });

    const d = (await lead.get<WritingDetail>(`/api/projects/${p.id}/writings/${judgmentId}`)).body;
    // The Items tab shows the writing as its diff against the response, its status and its reviews.
    await rp.goto(`${t.url}/projects/${p.id}?tab=items&iq=${d.externalId}`);
    await rp.getByTestId('item-row').first().click();
    const view = rp.getByTestId('item-dialog').getByTestId('pref-writing');
    await expect.poll(() => view.getByTestId('pref-writing-status').textContent()).toBe('Accepted');
    expect(await view.getByTestId('pref-writing-diff').locator('ins').allTextContents()).toEqual(['\n\nIn short: a child asking "why?" needs a short answer, an expert a precise one.']);
    expect(await view.getByTestId('pref-writing-reviews').locator('li').count()).toBe(2);
    await rp.screenshot({ path: join(SHOTS, 'e2e-items-writing.png') });
    expect(d.status).toBe('accepted');
    expect(d.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(d.versions[1]!.text).toBe(`${start}\n\nIn short: a child asking "why?" needs a short answer, an expert a precise one.`);
    expect(d.reviewList.map((r) => [r.version, r.decision, r.scores.map((s) => s.value)])).toEqual([
      [1, 'send_back', [3, 4, 2]],
      [2, 'accept', [5, 5, 4]],
    ]);
    expect(errors).toEqual([]);
  });
});
