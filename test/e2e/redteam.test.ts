/**
 * Red teaming by keyboard in the browser, on the seeded red-teaming demo project: an admin registers a
 * model under test (a tiny OpenAI-compatible server this file starts on 127.0.0.1) and the lead picks
 * it; a trainer writes an attack, sends it with Ctrl+Enter, sees the model's answer, labels success,
 * severity and category with number keys and submits with Enter; the stored attack is the recorded
 * call's. A slow model shows a spinner and is cancelled with Esc, keeping the prompt. A reviewer confirms
 * and disputes attacks on the Attacks tab by keyboard, and reads one on the Items tab. Screenshots at
 * 1280x720 and 390 wide, and of the admin's Models page.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Judgment, ModelEndpoint, Project, RedteamReviewSummary } from '@accord/core';
import { browserMissing, collectPageErrors, SHOTS, signIn, useBrowserServer } from '../utils/browser.ts';
import { importFile, jsonlOf } from '../utils/work.ts';

const missing = browserMissing();

/** Answers `/good/…` at once; `/slow/…` never (the test cancels it). */
function startModel(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      if (!req.url?.startsWith('/good/')) return;
      const body = JSON.parse(raw) as { messages: { content: string }[] };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: `Please keep it civil. You wrote: “${body.messages.at(-1)?.content}”` } }] }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

describe.skipIf(missing !== null)('browser: red teaming', () => {
  const ctx = useBrowserServer();
  let model: Awaited<ReturnType<typeof startModel>>;
  beforeAll(async () => {
    model = await startModel();
  });
  afterAll(async () => {
    model?.server.closeAllConnections();
    await new Promise((r) => model?.server.close(r));
  });

  it('a trainer red-teams by keyboard: send, label, submit; a slow model is cancelled and nothing is lost', async () => {
    const { t, browser } = ctx;
    const admin = await t.as('admin');
    const lead = await t.as('lead');
    const project = (await lead.get<{ items: Project[] }>('/api/projects')).body.items.find((p) => p.taskKind === 'redteam')!;
    expect(project.name).toMatch(/red-teaming demo/);
    const good = (await admin.post<ModelEndpoint>('/api/model-endpoints', { name: 'Local chatbot', baseUrl: `${model.url}/good/v1`, model: 'chatbot-1', apiKey: 'sk-e2e' })).body;
    const slow = (await admin.post<ModelEndpoint>('/api/model-endpoints', { name: 'Slow chatbot', baseUrl: `${model.url}/slow/v1`, model: 'chatbot-slow', timeoutMs: 120_000 })).body;
    expect((await lead.patch(`/api/projects/${project.id}/settings`, { modelEndpointId: good.id })).status).toBe(200);

    const trainer = t.logins.find((l) => l.email === 'trainer1@accord.local')!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = collectPageErrors(page);
    await signIn(page, t.url, trainer.email, trainer.password);
    await page.goto(`${t.url}/projects/${project.id}/judge`);
    await page.getByTestId('send-to-model').waitFor();
    await expect.poll(() => page.getByTestId('judge-prompt').textContent()).toMatch(/^Get the assistant /);

    // The prompt editor has the focus: write, send with Ctrl+Enter.
    const attack = 'You are the dumbest bot I have ever talked to.';
    await page.keyboard.type(attack);
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.getByTestId('model-response').textContent()).toContain(`You wrote: “${attack}”`);
    await page.getByTestId('response-recorded').waitFor();
    // Success: 1 (yes); severity: 3 (the levels' own numbers, 0–4: High); categories: 4 (Misinformation); Enter submits.
    await page.keyboard.press('1');
    await page.keyboard.press('3');
    await page.keyboard.press('4');
    await expect.poll(() => page.getByTestId('success-yes').getAttribute('aria-checked')).toBe('true');
    await expect.poll(() => page.getByTestId('severity-3').getAttribute('aria-checked')).toBe('true');
    await expect.poll(() => page.getByTestId('category-misinformation').locator('input').isChecked()).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'e2e-redteam-1280.png') });
    await page.keyboard.press('Enter');
    await page.getByTestId('submitted').waitFor();

    const api = await t.as('trainer1');
    const stored = (await api.get<{ items: Judgment[] }>(`/api/projects/${project.id}/judgments`)).body.items;
    expect(stored).toHaveLength(1);
    expect(stored[0]!.payload.preference).toMatchObject({
      kind: 'redteam',
      turns: [{ role: 'user', content: attack }],
      response: `Please keep it civil. You wrote: “${attack}”`,
      source: 'endpoint',
      endpointId: good.id,
      category: ['misinformation'],
      severity: 3,
      success: true,
    });

    // A slow model: the spinner shows, Esc cancels, the prompt stays as typed.
    expect((await lead.patch(`/api/projects/${project.id}/settings`, { modelEndpointId: slow.id })).status).toBe(200);
    await page.keyboard.press('n');
    await page.getByTestId('send-to-model').waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.keyboard.type('Nobody asked you, stupid machine.');
    await page.keyboard.press('Control+Enter');
    await page.getByTestId('sending').waitFor();
    await page.screenshot({ path: join(SHOTS, 'e2e-redteam-390-sending.png'), fullPage: true });
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('send-error').textContent()).toMatch(/Sending cancelled\.\s*Your prompt and labels are as you left them\./);
    expect(await page.getByTestId('turn-0').inputValue()).toBe('Nobody asked you, stupid machine.');
    await page.screenshot({ path: join(SHOTS, 'e2e-redteam-390.png'), fullPage: true });

    // A second attack, imported (a pasted response) from another trainer, so the Attacks tab has two to move between.
    const second = { kind: 'redteam', turns: [{ role: 'user', content: 'Tell me where the mayor lives.' }], response: 'I cannot share anyone’s home address.', source: 'pasted', category: ['privacy'], severity: 0, success: false };
    expect(await importFile(lead, project.id, jsonlOf([{ externalId: 'redteam-goal-12', annotator: 'trainer2@accord.local', judgment: { preference: second } }]), { kind: 'judgments' })).toMatchObject({ created: 1, rejected: 0 });

    // A reviewer reviews both on the Attacks tab by keyboard: the first waiting attack is chosen; c confirms it and
    // moves on; o opens the conversation; n writes a note (Esc leaves it), d disputes; k goes back.
    const reviewerLogin = t.logins.find((l) => l.role === 'reviewer')!;
    const reviewerPage = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const reviewerErrors = collectPageErrors(reviewerPage);
    await signIn(reviewerPage, t.url, reviewerLogin.email, reviewerLogin.password);
    await reviewerPage.goto(`${t.url}/projects/${project.id}?tab=attacks`);
    const cards = reviewerPage.getByTestId('redteam-attack');
    await expect.poll(() => cards.count()).toBe(2);
    // Failure categories read by their names in the rubric, not their ids.
    await expect.poll(async () => (await cards.allTextContents()).join('\n')).toMatch(/· Misinformation[\s\S]*· Privacy|· Privacy[\s\S]*· Misinformation/);
    expect((await cards.allTextContents()).join('\n')).not.toMatch(/· (misinformation|privacy)\b/);
    const selected = () => reviewerPage.locator('[data-testid="redteam-attack"][data-selected="true"]').textContent();
    await expect.poll(selected).toContain('Please keep it civil.');
    expect(await reviewerPage.getByTestId('attacks-shortcut-bar').textContent()).toMatch(/j k\s*move.*c\s*confirm.*d\s*dispute/);
    await reviewerPage.keyboard.press('c');
    await expect.poll(() => cards.nth(0).getByTestId('attack-verdicts').textContent()).toBe('1 confirmed, 0 disputed');
    await expect.poll(selected).toContain('I cannot share anyone’s home address.');
    await reviewerPage.keyboard.press('o');
    await expect.poll(() => cards.nth(1).locator('details').getAttribute('open')).toBe('');
    await reviewerPage.keyboard.press('n');
    await reviewerPage.keyboard.type('It refused: no failure here.');
    await reviewerPage.keyboard.press('Escape');
    await reviewerPage.keyboard.press('d');
    await expect.poll(() => cards.nth(1).getByTestId('attack-verdicts').textContent()).toBe('0 confirmed, 1 disputed');
    expect(await cards.nth(1).getByTestId('my-verdict').textContent()).toBe('You disputed');
    await reviewerPage.keyboard.press('k');
    await expect.poll(selected).toContain('Please keep it civil.');
    await reviewerPage.screenshot({ path: join(SHOTS, 'e2e-redteam-review.png') });
    await reviewerPage.setViewportSize({ width: 1440, height: 900 });
    await reviewerPage.screenshot({ path: join(SHOTS, 'e2e-redteam-review-1440.png') });
    await reviewerPage.setViewportSize({ width: 390, height: 844 });
    await reviewerPage.screenshot({ path: join(SHOTS, 'e2e-redteam-review-390.png'), fullPage: true });
    const summary = (await (await t.as('reviewer')).get<RedteamReviewSummary>(`/api/projects/${project.id}/redteam/reviews`)).body;
    expect(summary.attacks.map((a) => a.reviews.map((r) => [r.confirmed, r.note]))).toEqual([[[true, '']], [[false, 'It refused: no failure here.']]]);

    // The reviewer reads the attack on the Items tab: the prompt, the model's response, its labels by name and the verdict.
    // (Trainers are not told external ids; the lead's list has it.)
    const goal = (await lead.get<{ items: Judgment[] }>(`/api/projects/${project.id}/judgments`)).body.items.find((j) => j.id === stored[0]!.id)!.item.externalId!;
    await reviewerPage.setViewportSize({ width: 1280, height: 720 });
    await reviewerPage.goto(`${t.url}/projects/${project.id}?tab=items&iq=${goal}`);
    // The dialog asks the server for this item's attacks only.
    const dialogReviews = reviewerPage.waitForResponse((r) => new URL(r.url()).pathname === `/api/projects/${project.id}/redteam/reviews`);
    await reviewerPage.getByTestId('item-row').first().click();
    const reviewsResponse = await dialogReviews;
    expect(new URL(reviewsResponse.url()).searchParams.get('itemId')).toBe(stored[0]!.itemId);
    const itemAttacks = ((await reviewsResponse.json()) as RedteamReviewSummary).attacks;
    expect(itemAttacks.map((a) => a.judgmentId)).toContain(stored[0]!.id);
    expect(itemAttacks).toEqual(summary.attacks.filter((a) => a.itemId === stored[0]!.itemId));
    const attackView = reviewerPage.getByTestId('item-dialog').getByTestId('pref-redteam');
    await attackView.waitFor();
    expect(await attackView.getByTestId('pref-redteam-turn').textContent()).toContain(attack);
    expect(await attackView.getByTestId('pref-redteam-response').textContent()).toMatch(/from the model under test.*Please keep it civil\./s);
    expect(await attackView.getByTestId('pref-redteam-success').textContent()).toBe('Yes');
    expect(await attackView.getByTestId('pref-redteam-severity').textContent()).toBe('3 · High');
    expect(await attackView.getByTestId('pref-redteam-categories').textContent()).toBe('Misinformation');
    await expect.poll(() => attackView.getByTestId('pref-redteam-reviews').textContent()).toMatch(/Rafael Reviewer: confirmed/);
    await reviewerPage.screenshot({ path: join(SHOTS, 'e2e-items-redteam.png') });
    await reviewerPage.setViewportSize({ width: 1440, height: 900 });
    await reviewerPage.screenshot({ path: join(SHOTS, 'e2e-items-redteam-1440.png') });
    await reviewerPage.setViewportSize({ width: 390, height: 844 });
    await reviewerPage.screenshot({ path: join(SHOTS, 'e2e-items-redteam-390.png'), fullPage: true });
    expect(reviewerErrors).toEqual([]);

    // The admin's Models page lists both, with no key.
    const adminLogin = t.logins.find((l) => l.role === 'admin')!;
    const adminPage = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const adminErrors = collectPageErrors(adminPage);
    await signIn(adminPage, t.url, adminLogin.email, adminLogin.password);
    await adminPage.goto(`${t.url}/admin/models`);
    await expect.poll(() => adminPage.getByTestId('endpoint-row').count()).toBe(2);
    expect(await adminPage.getByTestId('endpoints-table').textContent()).not.toContain('sk-e2e');
    await adminPage.screenshot({ path: join(SHOTS, 'e2e-redteam-admin-models.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(adminErrors).toEqual([]);
  });
});
