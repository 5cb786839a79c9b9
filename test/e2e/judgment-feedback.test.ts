/**
 * Feedback on any judgment, from the item dialog: a trainer submits a judgment; the lead opens the
 * item in the Items tab, is told what is wrong with an empty note (the API's 400), sends feedback with
 * the keyboard and finds it listed under the judgment when the dialog opens again; the trainer reads it
 * on "Your work" and meets no feedback form anywhere they can go. The quality dashboard's annotator
 * table shows the trainer's median justification length. Screenshots go to test-results/.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { QueueNext } from '@accord/core';
import { axeViolations } from '../utils/axe.ts';
import { browserMissing, collectPageErrors, SHOTS, signIn, unlabelledControls, useBrowserServer } from '../utils/browser.ts';
import { createFactory } from '../utils/factory.ts';
import { validJudgment } from '../utils/work.ts';

const missing = browserMissing();
const NOTE = 'Good call on A; next time name the physics (Rayleigh scattering) in your justification.';
const JUSTIFICATION = 'Response A explains Rayleigh scattering correctly while response B repeats the ocean reflection myth.';

describe.skipIf(missing !== null)('browser: feedback on a judgment from the item dialog', () => {
  const ctx = useBrowserServer();

  it("a lead leaves feedback on a trainer's judgment in the item dialog, the trainer reads it, and the annotator table shows justification length", async () => {
    const { t, browser } = ctx;
    const factory = createFactory(await t.as('admin'), t.server.deps);
    const p = await factory.project({ name: 'Feedback pairs', items: 2 });

    const next = (await p.trainer.client.post<QueueNext>(`/api/projects/${p.id}/queue/next`)).body;
    const task = next.task!;
    const submitted = await p.trainer.client.post<{ judgment: { id: string } }>(`/api/projects/${p.id}/assignments/${task.assignmentId}/submit`, {
      payload: { ...validJudgment(task), justification: JUSTIFICATION },
      timeSpentMs: 42_000,
    });
    expect(submitted.status).toBe(200);
    const judgmentId = submitted.body.judgment.id;

    // The lead opens the item from the Items tab; the judgment carries a feedback action.
    const lead = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectPageErrors(lead, { expectedStatuses: [401, 400], label: 'lead' });
    await signIn(lead, t.url, p.lead.email, p.lead.password);
    await lead.goto(`${t.url}/projects/${p.id}?tab=items`);
    await lead.locator(`[data-testid="item-row"][data-item-id="${task.item.id}"]`).click();
    const dialog = lead.getByTestId('item-dialog');
    const judgment = dialog.locator(`[data-testid="item-judgment"][data-judgment-id="${judgmentId}"]`);
    await judgment.waitFor();
    expect(await judgment.getByTestId('judgment-feedback-entry').count()).toBe(0);

    // By keyboard: the toggle opens the form, whose text field is labelled with the trainer's name.
    const open = judgment.getByTestId('judgment-feedback-open');
    expect(await open.getAttribute('aria-expanded')).toBe('false');
    await open.focus();
    await lead.keyboard.press('Enter');
    expect(await open.getAttribute('aria-expanded')).toBe('true');
    const text = judgment.getByLabel(`Feedback for ${p.trainer.name}`);
    await text.waitFor();

    // An empty note: the API refuses it and the form says why.
    await judgment.getByTestId('judgment-feedback-send').click();
    await expect.poll(() => judgment.getByTestId('judgment-feedback-error').textContent()).toContain('must not be empty');
    expect(await text.getAttribute('aria-invalid')).toBe('true');
    await judgment.getByTestId('judgment-feedback-send').scrollIntoViewIfNeeded();
    await lead.screenshot({ path: join(SHOTS, 'judgment-feedback-form-error.png') });
    // The open form with its error passes the accessibility audit; every control has a name.
    expect(await axeViolations(lead)).toEqual([]);
    expect(await unlabelledControls(lead)).toEqual([]);

    await text.fill(NOTE);
    await judgment.getByLabel('Rating (optional)').selectOption('4');
    await text.press('Control+Enter');
    await expect.poll(() => judgment.getByTestId('judgment-feedback-sent').textContent()).toContain(`${p.trainer.name} sees it`);
    expect(await judgment.getByTestId('judgment-feedback-text').allTextContents()).toEqual([NOTE]);
    expect(await judgment.getByTestId('judgment-feedback-form').count()).toBe(0);
    expect(await judgment.getByTestId('judgment-feedback-error').count()).toBe(0);
    await judgment.scrollIntoViewIfNeeded();
    await lead.screenshot({ path: join(SHOTS, 'judgment-feedback-item-dialog.png') });

    // What the API stored, and what the dialog lists when it opens again.
    const stored = (await p.lead.client.get<{ items: { text: string; rating: number | null }[] }>(`/api/projects/${p.id}/judgments/${judgmentId}/feedback`)).body.items;
    expect(stored.map((f) => [f.text, f.rating])).toEqual([[NOTE, 4]]);
    await lead.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await lead.locator(`[data-testid="item-row"][data-item-id="${task.item.id}"]`).click();
    await expect.poll(() => judgment.getByTestId('judgment-feedback-text').allTextContents()).toEqual([NOTE]);
    expect(await judgment.getByTestId('judgment-feedback-entry').getByLabel('Rating 4 of 5').count()).toBe(1);
    await lead.keyboard.press('Escape');

    // The annotator table: a median justification column, equal to the API's figure, in words.
    const stats = (await p.lead.client.get<{ annotators: { annotator: string; justificationLength: number | null }[] }>(`/api/projects/${p.id}/agreement/trainers`)).body;
    const mine = stats.annotators.find((a) => a.annotator === p.trainer.id);
    expect(mine?.justificationLength).toBeGreaterThan(0);
    await lead.goto(`${t.url}/projects/${p.id}?tab=quality`);
    const table = lead.getByTestId('trainer-table');
    await table.waitFor();
    expect((await table.getByTestId('sort-justification').textContent())?.trim()).toBe('Median justification');
    const row = table.locator(`[data-testid="trainer-row"][data-annotator="${p.trainer.id}"]`);
    await expect.poll(() => row.getByTestId('trainer-justification').textContent()).toBe(`${Math.round(mine!.justificationLength!)} words`);
    await table.scrollIntoViewIfNeeded();
    await table.screenshot({ path: join(SHOTS, 'judgment-feedback-trainer-table.png') });

    // The trainer reads the note on "Your work" …
    const trainer = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    collectPageErrors(trainer, { into: errors, label: 'trainer' });
    await signIn(trainer, t.url, p.trainer.email, p.trainer.password);
    await trainer.goto(`${t.url}/projects/${p.id}?tab=mywork`);
    const mineRow = trainer.locator(`[data-testid="my-judgment-row"][data-judgment-id="${judgmentId}"]`);
    await expect.poll(() => mineRow.getByTestId('feedback-text').textContent()).toBe(NOTE);
    expect(await mineRow.getByTestId('feedback-rating').getAttribute('aria-label')).toBe('Rating 4 of 5');
    expect(await trainer.getByTestId('judgment-feedback-open').count()).toBe(0);
    await trainer.screenshot({ path: join(SHOTS, 'judgment-feedback-my-work.png'), fullPage: true });

    // … and leaves none: no Items tab (a typed URL lands on the overview), no item dialog, and the
    // read-only view of their judgment has no feedback form.
    expect(await trainer.getByTestId('tab-items').count()).toBe(0);
    await trainer.goto(`${t.url}/projects/${p.id}?tab=items`);
    await trainer.getByTestId('project-overview').waitFor();
    expect(await trainer.getByTestId('item-dialog').count()).toBe(0);
    expect(await trainer.getByTestId('judgment-feedback-open').count()).toBe(0);
    await trainer.goto(`${t.url}/projects/${p.id}/judge?judgment=${judgmentId}`);
    await trainer.getByTestId('read-only').waitFor();
    expect(await trainer.getByTestId('judgment-feedback').count()).toBe(0);
    expect(await trainer.getByTestId('judgment-feedback-form').count()).toBe(0);
    // The API agrees: a trainer cannot leave feedback.
    expect((await p.trainer.client.post(`/api/projects/${p.id}/judgments/${judgmentId}/feedback`, { text: 'self-review' })).status).toBe(403);

    expect(errors).toEqual([]);
  }, 300_000);
});
