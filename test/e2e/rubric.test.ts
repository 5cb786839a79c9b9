/**
 * Two people co-author the rubric in two Chromium contexts: each sees the other's text, cursor and
 * presence; the lead's publish shows field errors first, then succeeds; the version and its diff
 * appear in the history. A reviewer removed from the project while editing sees the rubric close.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { browserMissing, collectPageErrors, SHOTS, useBrowserServer } from '../utils/browser.ts';
import { signedInUser } from '../utils/server.ts';

const missing = browserMissing();

describe.skipIf(missing !== null)('browser: co-authoring and publishing the rubric', () => {
  const ctx = useBrowserServer();

  /** The editor's text without the remote cursors' name labels. */
  const editorText = (l: Locator) =>
    l.evaluate((el) => {
      const copy = el.cloneNode(true) as typeof el;
      copy.querySelectorAll('.cm-ySelectionCaret').forEach((n: { remove(): void }) => n.remove());
      return (copy.textContent ?? '').replace(/\u2060/g, '');
    });

  async function open(role: 'lead' | 'reviewer', errors: string[]): Promise<Page> {
    const { t, browser } = ctx;
    const api = await t.as(role);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies([{ name: 'accord_session', value: api.cookie!, url: t.url }]);
    const page = await context.newPage();
    // The refused publish answers 400 on purpose.
    collectPageErrors(page, { expectedStatuses: [400], label: role, into: errors });
    await page.goto(`${t.url}/projects/${t.demoProjectId}?tab=rubric`);
    await expect.poll(() => page.getByTestId('dimension-card').count(), { timeout: 20_000 }).toBe(4);
    return page;
  }

  it('lead and reviewer edit one description at once, see each other, and the lead publishes version 2', async () => {
    const errors: string[] = [];
    const lead = await open('lead', errors);
    const reviewer = await open('reviewer', errors);

    // Presence: each sees the other, by the name the server knows.
    await expect.poll(() => lead.locator('[data-testid="presence-avatar"][data-name="Rafael Reviewer"]').count()).toBe(1);
    await expect.poll(() => reviewer.locator('[data-testid="presence-avatar"][data-name="Lena Lead"]').count()).toBe(1);

    // Both type into the Helpfulness description at the same time.
    const leadDesc = lead.getByTestId('dimension-description').first();
    const reviewerDesc = reviewer.getByTestId('dimension-description').first();
    await leadDesc.click();
    await lead.keyboard.press('Control+End');
    await reviewerDesc.click();
    await reviewer.keyboard.press('Control+Home');
    await Promise.all([lead.keyboard.type(' Cite the prompt.', { delay: 15 }), reviewer.keyboard.type('Read it twice. ', { delay: 15 })]);
    for (const page of [lead, reviewer]) {
      await expect.poll(() => editorText(page.getByTestId('dimension-description').first())).toMatch(/^Read it twice\. .* Cite the prompt\.$/s);
    }
    expect(await editorText(leadDesc)).toBe(await editorText(reviewerDesc));
    // Each sees the other's cursor, labelled with the other's name.
    await expect.poll(() => lead.locator('.cm-ySelectionInfo', { hasText: 'Rafael Reviewer' }).count()).toBeGreaterThan(0);
    await expect.poll(() => reviewer.locator('.cm-ySelectionInfo', { hasText: 'Lena Lead' }).count()).toBeGreaterThan(0);
    await lead.screenshot({ path: join(SHOTS, 'e2e-rubric-coauthoring.png'), fullPage: true });

    // The edits are marked as unpublished (version 1 is the seeded one).
    await expect.poll(() => lead.getByTestId('unpublished-changes').textContent()).toContain('differs from version 1');

    // Publishing asks first; cancelling publishes nothing.
    await lead.getByTestId('publish-rubric').click();
    await expect.poll(() => lead.getByTestId('publish-confirm').textContent()).toContain('Publish version 2?');
    await lead.screenshot({ path: join(SHOTS, 'e2e-rubric-publish-confirm.png') });
    await lead.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => lead.getByTestId('publish-confirm').count()).toBe(0);
    await lead.getByTestId('rubric-view-history').click();
    await expect.poll(() => lead.getByTestId('rubric-version-row').count()).toBe(1);
    await lead.getByTestId('rubric-view-draft').click();

    // Publishing an invalid draft shows the error at the field, and names it in words; fixed, it publishes.
    const lastName = lead.getByTestId('dimension-name').nth(3);
    await lastName.fill('');
    await expect.poll(() => reviewer.getByTestId('dimension-name').nth(3).inputValue()).toBe('');
    await lead.getByTestId('publish-note').fill('Clearer helpfulness guidance');
    await lead.getByTestId('publish-rubric').click();
    await lead.getByTestId('publish-confirm-confirm').click();
    await expect.poll(() => lead.locator('[data-testid="field-error"][data-path="dimensions.3.name"]').count()).toBe(1);
    await expect.poll(() => lead.getByTestId('publish-error').textContent()).toContain('problem');
    expect(await lead.getByTestId('publish-problems').textContent()).toMatch(/Dimension 4 — name: \S/);
    expect(await lead.getByTestId('publish-problems').textContent()).not.toContain('dimensions.3');
    await lead.screenshot({ path: join(SHOTS, 'e2e-rubric-publish-errors.png') });
    await lastName.fill('Conciseness');
    await lead.getByTestId('publish-rubric').click();
    await lead.getByTestId('publish-confirm-confirm').click();
    await expect.poll(() => lead.locator('[data-testid="field-error"]').count()).toBe(0);
    await expect.poll(() => lead.getByTestId('draft-published').textContent()).toContain('version 2');
    expect(await lead.getByTestId('unpublished-changes').count()).toBe(0);
    // Nothing to publish now: the button waits for an edit.
    expect(await lead.getByTestId('publish-rubric').isDisabled()).toBe(true);

    // The history lists both versions, with the diff between them.
    await lead.getByTestId('rubric-view-history').click();
    await expect.poll(() => lead.getByTestId('rubric-version-row').count()).toBe(2);
    expect(await lead.getByTestId('rubric-version-row').first().textContent()).toContain('Lena Lead');
    await expect.poll(() => lead.locator('[data-testid="diff-change"][data-path="dimensions.helpfulness.description"]').count()).toBe(1);
    const change = await lead.locator('[data-testid="diff-change"][data-path="dimensions.helpfulness.description"]').textContent();
    expect(change).toContain('Read it twice.');
    await lead.screenshot({ path: join(SHOTS, 'e2e-rubric-history.png'), fullPage: true });
    await reviewer.getByTestId('rubric-view-history').click();
    await expect.poll(() => reviewer.getByTestId('rubric-version-row').count()).toBe(2);
    expect(errors).toEqual([]);
  });

  it('a reviewer removed from the project while the rubric is open sees it close: "Closed — no access", every field read-only', async () => {
    const { t, browser } = ctx;
    const errors: string[] = [];
    const removed = await signedInUser(t, 'reviewer', 'Removed');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies([{ name: 'accord_session', value: removed.client.cookie!, url: t.url }]);
    const page = await context.newPage();
    // Once removed, what the page still asks of the project is refused.
    collectPageErrors(page, { expectedStatuses: [403, 404], label: 'removed reviewer', into: errors });
    await page.goto(`${t.url}/projects/${t.demoProjectId}?tab=rubric`);
    await expect.poll(() => page.getByTestId('dimension-card').count(), { timeout: 20_000 }).toBe(4);
    await expect.poll(() => page.getByTestId('live-status').textContent(), { timeout: 20_000 }).toContain('Live');
    const description = page.getByTestId('dimension-description').first();
    expect(await description.getAttribute('contenteditable')).toBe('true');
    expect(await page.getByTestId('dimension-name').first().isDisabled()).toBe(false);

    await (await t.as('admin')).delete(`/api/projects/${t.demoProjectId}/members/${removed.id}`);
    await expect.poll(() => page.getByTestId('live-status').textContent(), { timeout: 20_000 }).toContain('Closed — no access');
    // Not "sent on reconnect": nothing typed now could ever be sent, so nothing takes input.
    await expect.poll(() => description.getAttribute('contenteditable')).toBe('false');
    expect(await page.getByTestId('dimension-name').first().isDisabled()).toBe(true);
    expect(await page.getByRole('alert').first().textContent()).toContain('Ask a lead of the project to restore it');
    await page.screenshot({ path: join(SHOTS, 'e2e-rubric-access-removed.png') });
    await context.close();
    expect(errors).toEqual([]);
  });
});
