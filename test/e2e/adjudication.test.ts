/**
 * Two reviewers adjudicate a demo dispute together in two Chromium contexts: they find it in the
 * queue, edit the proposal and the rationale at once (each sees the other's choices and text),
 * comment, are refused a commit before the sign-offs are in (in words), sign off, commit, and both
 * see the room frozen with the committed label; its guideline-gap verdict leaves a change proposal
 * that the rubric editor lists and a reviewer marks done; the lead downloads the export holding the label. A trainer cannot open the room. Screenshots of the
 * queue and the room (desktop, phone; light, dark) go to test-results/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { DisputeSummary, Item, User } from '@accord/core';
import { browserMissing, collectPageErrors, SHOTS, useBrowserServer } from '../utils/browser.ts';
import type { ApiClient } from '../utils/client.ts';

const missing = browserMissing();

describe.skipIf(missing !== null)('browser: adjudicating a dispute together', () => {
  const ctx = useBrowserServer();

  /** The editor's text without the remote cursors' name labels. */
  const editorText = (l: Locator) =>
    l.evaluate((el) => {
      const copy = el.cloneNode(true) as typeof el;
      copy.querySelectorAll('.cm-ySelectionCaret').forEach((n: { remove(): void }) => n.remove());
      return (copy.textContent ?? '').replace(/\u2060/g, '');
    });

  /** A second reviewer of the demo project (the demo has one). */
  async function secondReviewer(): Promise<ApiClient> {
    const admin = await ctx.t.as('admin');
    const email = 'rhea.reviewer@example.com';
    const password = 'rhea reviewer password';
    const created = await admin.post<User>('/api/users', { email, name: 'Rhea Reviewer', password, isAdmin: false });
    expect(created.status).toBe(201);
    expect((await admin.post(`/api/projects/${ctx.t.demoProjectId}/members`, { email, role: 'reviewer' })).status).toBe(201);
    const c = admin.fresh();
    await c.login(email, password);
    return c;
  }

  /** An open dispute of the demo project: a seeded one (the test sets every part of it), or one opened by hand. */
  async function openDispute(reviewer: ApiClient): Promise<DisputeSummary> {
    const base = `/api/projects/${ctx.t.demoProjectId}`;
    const open = await reviewer.get<{ items: DisputeSummary[] }>(`${base}/disputes?status=open`);
    expect(open.status).toBe(200);
    if (open.body.items[0]) return open.body.items[0];
    const items = await reviewer.get<{ items: Item[] }>(`${base}/items?limit=1`);
    const made = await reviewer.post<DisputeSummary>(`${base}/items/${items.body.items[0]!.id}/disputes`, { note: 'The two responses read the prompt differently.' });
    expect(made.status).toBe(201);
    return made.body;
  }

  async function openAs(api: ApiClient, label: string, errors: string[], width = 1280, height = 900): Promise<Page> {
    const context = await ctx.browser.newContext({ viewport: { width, height }, reducedMotion: 'reduce' });
    await context.addCookies([{ name: 'accord_session', value: api.cookie!, url: ctx.t.url }]);
    const page = await context.newPage();
    // Refused on purpose: the incomplete proposal's commit (400), the reviewer's early commit and the trainer's room (403).
    collectPageErrors(page, { expectedStatuses: [400, 403], label, into: errors });
    return page;
  }

  it('two reviewers converge on a consensus, sign off and commit; the room freezes for both; a trainer is kept out', async () => {
    const errors: string[] = [];
    const r1api = await ctx.t.as('reviewer');
    const r2api = await secondReviewer();
    const dispute = await openDispute(r1api);
    const room = `/projects/${ctx.t.demoProjectId}/disputes/${dispute.id}`;

    // Reviewer 1 finds it in the queue (g d) and opens it.
    const r1 = await openAs(r1api, 'reviewer', errors);
    await r1.goto(`${ctx.t.url}/projects/${ctx.t.demoProjectId}`);
    await r1.getByTestId('project-title').waitFor();
    await r1.keyboard.press('g');
    await r1.keyboard.press('d');
    await r1.locator(`[data-testid="dispute-row"][data-dispute-id="${dispute.id}"]`).waitFor({ timeout: 30_000 });
    await r1.screenshot({ path: join(SHOTS, 'e2e-disputes-queue.png'), fullPage: true });
    await r1.locator(`[data-testid="dispute-row"][data-dispute-id="${dispute.id}"] [data-testid="dispute-open"]`).click();
    await r1.waitForURL(new RegExp(`${room}$`));
    const r2 = await openAs(r2api, 'reviewer2', errors);
    await r2.goto(ctx.t.url + room);
    for (const page of [r1, r2]) {
      await page.getByTestId('dispute-room').waitFor({ timeout: 30_000 });
      await expect.poll(() => page.getByTestId('live-status').textContent(), { timeout: 30_000 }).toContain('Live');
    }
    // Presence: each sees the other.
    await expect.poll(() => r1.locator('[data-testid="presence-avatar"][data-name="Rhea Reviewer"]').count()).toBe(1);
    await expect.poll(() => r2.locator('[data-testid="presence-avatar"][data-name="Rafael Reviewer"]').count()).toBe(1);
    // Every judgment is shown beside the others.
    const judgments = await r1api.get<{ judgments: unknown[] }>(`/api/projects/${ctx.t.demoProjectId}/disputes/${dispute.id}`);
    expect(await r1.getByTestId('judgment-card').count()).toBe(judgments.body.judgments.length);

    // The room opens on the rule's result when there is one, marked as such until someone changes it.
    const computed = await r1api.get<{ computed: { label: unknown } }>(`/api/projects/${ctx.t.demoProjectId}/disputes/${dispute.id}`);
    await expect.poll(() => r1.getByTestId('proposal-seeded').count()).toBe(computed.body.computed.label ? 1 : 0);

    // Reviewer 1 sets the preference; reviewer 2 sees it.
    await r1.getByTestId('pref--3').click();
    await expect.poll(() => r2.getByTestId('proposal-summary').textContent()).toBe('A much better');

    // Reviewer 2 changes the preference; reviewer 1 sees it. Both fill scores (each sees the other's).
    await r2.getByTestId('pref--2').click();
    await expect.poll(() => r1.getByTestId('proposal-summary').textContent()).toBe('A better');
    const cells = await r1.getByTestId('score-cell').count();
    for (let i = 0; i < cells; i++) {
      const page = i % 2 === 0 ? r1 : r2;
      await page.getByTestId('score-cell').nth(i).locator('[role="radio"]').last().click();
    }
    for (const page of [r1, r2]) {
      await expect.poll(() => page.locator('[data-testid="score-cell"] [role="radio"][aria-checked="true"]').count()).toBe(cells);
      await expect.poll(() => page.getByTestId('proposal-unscored').count()).toBe(0);
    }
    // A reviewer's commit before the sign-offs are in is refused, in words.
    await r1.getByTestId('commit-button').click();
    await r1.getByTestId('commit-confirm-confirm').click();
    await expect.poll(() => r1.getByTestId('commit-error').textContent()).toMatch(/once the proposal has 2 sign-offs \(it has 0\)/);

    // The rationale, written at once: each sees the other's text.
    const e1 = r1.getByTestId('rationale-editor');
    const e2 = r2.getByTestId('rationale-editor');
    await e1.click();
    await r1.keyboard.press('Control+End');
    await e2.click();
    await r2.keyboard.press('Control+Home');
    await Promise.all([r1.keyboard.type(' A follows the prompt.', { delay: 15 }), r2.keyboard.type('Both are fluent. ', { delay: 15 })]);
    // (The rationale starts empty, so which insertion comes first is Yjs's choice: both are kept, the same on both screens.)
    const both = (text: string) => text.includes('Both are fluent.') && text.includes('A follows the prompt.');
    for (const page of [r1, r2]) await expect.poll(async () => both(await editorText(page.getByTestId('rationale-editor')))).toBe(true);
    expect(await editorText(e1)).toBe(await editorText(e2));
    await expect.poll(() => r1.locator('.cm-ySelectionInfo', { hasText: 'Rhea Reviewer' }).count()).toBeGreaterThan(0);

    // A comment and the verdict tag.
    await r2.getByTestId('comment-input').fill('Agreed: B ignores the second question.');
    await r2.getByTestId('comment-send').click();
    await expect.poll(() => r1.getByTestId('comment').last().textContent()).toContain('B ignores the second question');
    await r1.getByTestId('tag-guideline-gap').click();
    await expect.poll(() => r2.getByTestId('tag-guideline-gap').getAttribute('aria-checked')).toBe('true');

    // Both sign off; the count follows on both screens.
    await r1.getByTestId('signoff-button').click();
    await expect.poll(() => r2.getByTestId('signoff-count').textContent()).toContain('1 of 2');
    await r2.getByTestId('signoff-button').click();
    for (const page of [r1, r2]) await expect.poll(() => page.getByTestId('signoff-count').textContent()).toContain('2 of 2');
    await r1.screenshot({ path: join(SHOTS, 'e2e-adjudication-room.png'), fullPage: true });

    // Reviewer 2 commits; both rooms freeze and show the label.
    // Committing is confirmed first: the dialog says what will be written; Enter confirms.
    await r2.getByTestId('commit-button').click();
    await expect.poll(() => r2.getByTestId('commit-confirm').textContent()).toContain('The consensus label becomes');
    await r2.keyboard.press('Enter');
    for (const page of [r1, r2]) {
      await expect.poll(() => page.getByTestId('dispute-room').getAttribute('data-status'), { timeout: 30_000 }).toBe('committed');
      await expect.poll(() => page.getByTestId('committed-preference').textContent()).toBe('A better');
      await expect.poll(() => page.getByTestId('pref-1').isDisabled()).toBe(true);
      await expect.poll(() => page.getByTestId('rationale-editor').getAttribute('contenteditable')).toBe('false');
      expect(await page.getByTestId('commit-button').count()).toBe(0);
      expect(await page.getByTestId('comment-input').count()).toBe(0);
    }
    // Focus stays on the page's content (the committed proposal), not dropped to <body>.
    await expect.poll(() => r2.evaluate('document.activeElement?.id')).toBe('proposal-h');
    await r2.screenshot({ path: join(SHOTS, 'e2e-adjudication-committed.png'), fullPage: true });
    // The label is the API's, with the rationale written together.
    const labels = await r1api.get<{ items: { disputeId: string | null; method: string; rationale: string; tag: string | null }[] }>(`/api/projects/${ctx.t.demoProjectId}/consensus?method=adjudicated`);
    const label = labels.body.items.find((l) => l.disputeId === dispute.id);
    expect(both(label?.rationale ?? '')).toBe(true);
    expect(label?.tag).toBe('guideline-gap');

    // The lead downloads the training data from the Export tab: the committed label is a DPO row,
    // with its provenance (adjudicated), and the file is the API's.
    const leadApi = await ctx.t.as('lead');
    const leadPage = await openAs(leadApi, 'lead', errors);
    await leadPage.goto(`${ctx.t.url}/projects/${ctx.t.demoProjectId}?tab=export`);
    await leadPage.getByTestId('export-method-adjudicated').click();
    await expect.poll(() => leadPage.getByTestId('export-count').getAttribute('data-rows')).toMatch(/^[1-9]/);
    const [download] = await Promise.all([leadPage.waitForEvent('download'), leadPage.getByTestId('export-download').click()]);
    const saved = readFileSync((await download.path())!, 'utf8');
    expect(saved).toBe((await leadApi.get(`/api/projects/${ctx.t.demoProjectId}/exports/dpo?format=jsonl&method=adjudicated`)).text);
    const dpo = saved.trim().split('\n').map((l) => JSON.parse(l) as { externalId: string; method: string; chosenId: string });
    expect(dpo.filter((r) => r.externalId === dispute.itemExternalId)).toMatchObject([{ method: 'adjudicated' }]);
    await leadPage.context().close();

    // The guideline gap left a change proposal in the rubric draft: the room links to it, the rubric
    // editor lists it with a link back to the dispute, and a reviewer marks it done.
    await r1.getByTestId('guideline-gap-link').getByRole('link').click();
    const proposal = r1.locator('[data-testid="rubric-proposal"]', { has: r1.locator(`a[href$="/disputes/${dispute.id}"]`) });
    await proposal.waitFor({ timeout: 30_000 });
    await r1.screenshot({ path: join(SHOTS, 'e2e-rubric-proposals.png') });
    await proposal.getByTestId('proposal-done').click();
    await expect.poll(() => proposal.count()).toBe(0);

    // The queue no longer lists it as open.
    await r1.goto(`${ctx.t.url}/projects/${ctx.t.demoProjectId}?tab=disputes`);
    await r1.getByTestId('disputes-queue').waitFor();
    await expect.poll(() => r1.locator(`[data-testid="dispute-row"][data-dispute-id="${dispute.id}"]`).count()).toBe(0);

    // A trainer cannot open the room: no tab, and the page refuses.
    const trainer = await openAs(await ctx.t.as('trainer'), 'trainer', errors);
    await trainer.goto(`${ctx.t.url}/projects/${ctx.t.demoProjectId}`);
    await trainer.getByTestId('project-title').waitFor();
    expect(await trainer.getByTestId('tab-disputes').count()).toBe(0);
    await trainer.goto(ctx.t.url + room);
    await trainer.getByTestId('error-state').waitFor();
    expect(await trainer.getByTestId('dispute-room').count()).toBe(0);
    expect(await trainer.getByTestId('error-state').textContent()).toContain('You do not have access');

    for (const p of [r1, r2, trainer]) await p.context().close();
    expect(errors).toEqual([]);
  }, 240_000);

  it('a reviewer opens a dispute by hand from the Items table; an empty proposal is refused in words; the table shows the item disputed', async () => {
    const errors: string[] = [];
    const page = await openAs(await ctx.t.as('reviewer'), 'reviewer', errors);
    await page.goto(`${ctx.t.url}/projects/${ctx.t.demoProjectId}?tab=items`);
    const row = page.locator('[data-testid="item-row"]', { has: page.locator('[data-testid="item-consensus"][data-status="none"]') }).first();
    await row.waitFor({ timeout: 30_000 });
    const itemId = await row.getAttribute('data-item-id');
    await row.getByTestId('item-open-dispute').click();
    await page.getByTestId('open-dispute-note').fill('Response B answers a different question.');
    await page.getByTestId('open-dispute-confirm').click();
    await page.getByTestId('dispute-room').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('dispute-detail').textContent()).toContain('Response B answers a different question.');
    await expect.poll(() => page.getByTestId('live-status').textContent(), { timeout: 30_000 }).toContain('Live');

    // The server's refusal of an incomplete proposal names what is missing, in words.
    await page.getByTestId('pref-1').click();
    await page.getByTestId('commit-button').click();
    await page.getByTestId('commit-confirm-confirm').click();
    await expect.poll(() => page.getByTestId('commit-error').textContent()).toMatch(/missing a score for Helpfulness on response A/);

    // The Items table marks it disputed, links to the room, and filters on it.
    await page.goto(`${ctx.t.url}/projects/${ctx.t.demoProjectId}?tab=items&istatus=disputed`);
    const disputed = page.locator(`[data-testid="item-row"][data-item-id="${itemId}"]`);
    await disputed.waitFor({ timeout: 30_000 });
    expect(await disputed.getByTestId('item-consensus').getAttribute('data-status')).toBe('disputed');
    await expect.poll(() => page.locator('[data-testid="item-consensus"]:not([data-status="disputed"])').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'e2e-items-disputed.png'), fullPage: true });
    await disputed.getByTestId('item-dispute-link').click();
    await page.getByTestId('dispute-room').waitFor();
    await page.context().close();
    expect(errors).toEqual([]);
  }, 120_000);
});
